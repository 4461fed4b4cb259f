"""Electric utilities: one per region, a merit order of generation, new build on price.

DESIGN.md, "Agents": a utility offers each generation unit's monthly energy at its
marginal cost (the merit order), serves the region's non-AI load, and starts new units
when the trailing-year average price stays above the cost of new entry; new units
come online after the build time plus the interconnection queue (CALIBRATION.md,
"interconnection": median ~5 years from request to operation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from agents.model import GigawattModel
    from agents.scenario import RegionCfg

__all__ = ["HOURS_PER_MONTH", "Utility"]

HOURS_PER_MONTH = 730.0
"""8,760 hours a year / 12: energy per month of one MW of average load."""


class Utility(mesa.Agent):
    """The grid and generation of one region.

    Attributes
    ----------
    region : int
        Index of the region it serves.
    unit_mw, unit_cost, unit_avail, unit_online : ndarray
        Capacity (MW), marginal cost ($/MWh), availability (share of MW delivered as
        average energy) and the month each unit comes online.
    non_ai_load_mw : float
        Average non-AI load this month (MW), grows at ``power.non_ai_load_growth``.
    """

    def __init__(self, model: GigawattModel, region: int, cfg: RegionCfg) -> None:
        super().__init__(model)
        self.name = f"utility-{cfg.name}"
        self.kind = "utility"
        self.region = region
        self.unit_kind = [u.kind for u in cfg.units]
        self.unit_mw = np.array([u.mw for u in cfg.units], dtype=float)
        self.unit_cost = np.array([u.marginal_cost for u in cfg.units], dtype=float)
        self.unit_avail = np.array([u.availability for u in cfg.units], dtype=float)
        self.unit_online = np.full(len(cfg.units), -(10**6), dtype=np.int64)
        self.base_load_mw = cfg.non_ai_load_mw
        self.non_ai_load_mw = cfg.non_ai_load_mw
        self.price_history: list[float] = []
        self.mw_building = 0.0

    def exogenous(self, month: int) -> None:
        """Grow non-AI load (``power.non_ai_load_growth`` per year)."""
        g = self.model.config.power.non_ai_load_growth
        self.non_ai_load_mw = self.base_load_mw * (1.0 + g) ** (month / 12.0)

    def offers(self, month: int) -> tuple[np.ndarray, np.ndarray]:
        """Monthly energy (MWh) and price ($/MWh) of each unit online (merit order)."""
        online = self.unit_online <= month
        qty = np.where(online, self.unit_mw * self.unit_avail * HOURS_PER_MONTH, 0.0)
        return qty, self.unit_cost

    def plan(self, month: int) -> None:
        """Start a new unit when the trailing 12-month price exceeds the new-entry cost.

        Build size is ``power.build_share_per_year`` / 12 of the region's generation
        MW (so large grids build more); the unit comes online after
        ``generation_build_months`` + ``interconnection_months`` (CALIBRATION.md,
        "new gas combined cycle", "interconnection", "unsubsidised LCOE").
        """
        p = self.model.config.power
        recent = self.price_history[-12:]
        if (
            len(recent) >= 3
            and float(np.mean(recent)) > p.new_entry_cost
            and p.build_share_per_year > 0
        ):
            lead = max(p.generation_build_months, p.interconnection_months)
            self.unit_kind.append("new-build")
            size = (
                p.build_share_per_year / 12.0 * float(self.unit_mw[self.unit_online <= month].sum())
            )
            self.unit_mw = np.append(self.unit_mw, size)
            self.unit_cost = np.append(self.unit_cost, p.new_unit_marginal_cost)
            self.unit_avail = np.append(self.unit_avail, p.new_unit_availability)
            self.unit_online = np.append(self.unit_online, month + lead)
        online = self.unit_online <= month
        self.mw_building = float(self.unit_mw[~online].sum())

    @property
    def capacity_mw(self) -> float:
        """Available average MW online now."""
        online = self.unit_online <= self.model.month
        return float((self.unit_mw * self.unit_avail)[online].sum())
