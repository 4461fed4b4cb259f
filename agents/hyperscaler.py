"""Hyperscalers: data-centre sites by region, a chip fleet, compute offered to labs.

DESIGN.md, "Agents": a hyperscaler plans data-centre capex with a build lead time,
requests grid interconnection for every new building, bids for chips and power to fill
its powered capacity, and offers compute (contracts first, then spot at cost plus a
markup). Its state lives in rows of the model's arrays (``built``, ``interconnected``,
``fleet``), which the agent exposes as views, so the model can act on all of them at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from agents.model import GigawattModel
    from agents.scenario import HyperscalerCfg

__all__ = ["TARGET_UTILISATION", "Hyperscaler"]

TARGET_UTILISATION = 0.85
"""Planned utilisation of new capacity (est.: a reserve margin for demand surprises)."""


class Hyperscaler(mesa.Agent):
    """A cloud provider. Array attributes are views into the model's state.

    Attributes
    ----------
    index : int
        Row of this hyperscaler in the model arrays.
    built, interconnected : ndarray, shape (n_regions,)
        Data-centre IT MW built, and MW with a grid connection, per region.
    fleet : ndarray, shape (n_regions, n_generations)
        Installed accelerators (units) per region and generation.
    family_mix : ndarray, shape (n_families,)
        Target share of new chip MW per family (own silicon and merchant).
    fringe : bool
        Stands for many small clouds (counted in the total, not squared in HHI).
    """

    def __init__(self, model: GigawattModel, index: int, cfg: HyperscalerCfg) -> None:
        super().__init__(model)
        self.name = cfg.name
        self.kind = "hyperscaler"
        self.index = index
        self.fringe = cfg.fringe
        self.markup = cfg.markup
        self.other_cash_flow = cfg.other_cash_flow_per_month
        self.non_ai_cloud_revenue = cfg.non_ai_cloud_revenue_per_year
        self.built = model.built[index]
        self.interconnected = model.interconnected[index]
        self.fleet = model.fleet[index]
        from agents.scenario import FAMILIES

        self.family_mix = np.array([cfg.family_mix.get(f, 0.0) for f in FAMILIES])
        self.contracted_mw_share = np.zeros(len(FAMILIES))

    @property
    def powered(self) -> np.ndarray:
        """IT MW both built and connected to the grid, per region."""
        return np.minimum(self.built, self.interconnected)

    @property
    def cash(self) -> float:
        return float(self.model.usd.balances[self.unique_id])

    def plan(self, month: int, sold_mw: float, contracted_mw: float, growth: float) -> float:
        """Start new data-centre MW toward the capacity needed one lead time ahead.

        Target = sold MW grown at the expected demand growth over the lead time
        (``max(build, interconnection)`` months), at :data:`TARGET_UTILISATION`, plus
        contracted MW; new starts are capped at ``datacentres.max_build_mw_per_month``
        (CALIBRATION.md "hyperscaler capex": ~4-5 GW a year at $35-50B per GW) and
        paid at ``datacentres.cost_per_mw`` (CALIBRATION.md "building cost").
        Returns the MW started.
        """
        m = self.model
        dc, pw = m.config.datacentres, m.config.power
        lead = max(dc.build_months, pw.interconnection_months)
        target = max(sold_mw, contracted_mw) * (1.0 + growth) ** (lead / 12.0) / TARGET_UTILISATION
        target += max(0.0, contracted_mw - sold_mw)
        pipeline = float(self.built.sum() + m.pipeline_built[self.index, :, month + 1 :].sum())
        if self.cash <= 0:
            return 0.0
        new = float(np.clip(target - pipeline, 0.0, dc.max_build_mw_per_month))
        if new <= 0:
            return 0.0
        split = new * m.region_weight
        m.pipeline_built[self.index, :, month + dc.build_months] += split
        m.pipeline_power[self.index, :, month + pw.interconnection_months] += split
        m.post_usd(self.unique_id, 0, new * dc.cost_per_mw, "capex_datacentre")
        return new

    def capacity_h100e_hours(self) -> np.ndarray:
        """Compute available this month per (region, family), H100e-hours."""
        return self.model.node_capacity[self.index]
