"""Electric utilities: one per region, a merit order of generation, new build on price.

A utility offers each generation unit's monthly energy at its marginal cost (the merit
order), serves the region's non-AI load, and starts new units when the trailing-year
average price stays above the cost of new entry; new units come online after the build
time or the interconnection queue, whichever is longer (``docs/calibration.md``:
interconnection median ~5 years from request to operation, LBNL 2024; new gas combined
cycle; unsubsidised LCOE, Lazard 2025).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.firm import Firm
from agents.state import FloatArray, IntArray
from agents.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from agents.scenario import PowerCfg, RegionCfg

__all__ = ["Utility", "entry_build_mw", "merit_price"]


def entry_build_mw(
    recent_prices: Sequence[float], online_mw: float, power: PowerCfg
) -> float | None:
    """MW of a new unit to start this month, or ``None`` for no entry.

    Entry when at least three months of prices are known, their mean over the trailing
    year exceeds ``power.new_entry_cost`` and building is allowed; the unit is
    ``power.build_share_per_year / 12`` of the MW online (large grids build more).

    Examples
    --------
    >>> from agents.scenario import PowerCfg
    >>> entry_build_mw([80.0, 90.0, 100.0], 1200.0, PowerCfg(new_entry_cost=75.0, build_share_per_year=0.12))
    12.0
    """
    recent = list(recent_prices)[-12:]
    if (
        len(recent) >= 3
        and float(np.mean(recent)) > power.new_entry_cost
        and power.build_share_per_year > 0
    ):
        return power.build_share_per_year / 12.0 * online_mw
    return None


def merit_price(qty: FloatArray, price: FloatArray, load_mwh: float) -> float:
    """Price of the marginal unit when ``load_mwh`` is served up the merit order.

    The load is served cheapest first; the price is that of the unit where the
    cumulative energy first reaches the load (the most expensive unit if it never does).

    >>> merit_price(np.array([10.0, 10.0]), np.array([50.0, 20.0]), 15.0)
    50.0
    """
    order = np.argsort(price, kind="stable")
    cum = np.cumsum(qty[order])
    k = min(int(np.searchsorted(cum, load_mwh)), len(order) - 1)
    return float(price[order][k])


class Utility(Firm):
    """The grid and generation of one region.

    Attributes
    ----------
    region : int
        Index of the region it serves.
    unit_mw, unit_cost, unit_avail, unit_online : ndarray
        Capacity (MW), marginal cost ($/MWh), availability (share of MW delivered as
        average energy) and the month each unit comes online.
    non_ai_load_mw : float
        Average non-AI load this month (MW).
    price_history : list of float
        Cleared power price of every month so far.
    mw_building : float
        MW of units started but not yet online.
    """

    kind = "utility"

    def __init__(self, model: mesa.Model, region: int, cfg: RegionCfg) -> None:
        super().__init__(model)
        self.name = f"utility-{cfg.name}"
        self.region = region
        self.unit_kind = [u.kind for u in cfg.units]
        self.unit_mw: FloatArray = np.array([u.mw for u in cfg.units], dtype=float)
        self.unit_cost: FloatArray = np.array([u.marginal_cost for u in cfg.units], dtype=float)
        self.unit_avail: FloatArray = np.array([u.availability for u in cfg.units], dtype=float)
        self.unit_online: IntArray = np.full(len(cfg.units), -(10**6), dtype=np.int64)
        self.base_load_mw = cfg.non_ai_load_mw
        self.non_ai_load_mw = cfg.non_ai_load_mw
        self.price_history: list[float] = []
        self.mw_building = 0.0

    def grow_load(self, month: int, growth: float) -> None:
        """Set this month's non-AI load: the starting load grown at ``growth`` a year."""
        self.non_ai_load_mw = self.base_load_mw * (1.0 + growth) ** (month / 12.0)

    def offers(self, month: int) -> tuple[FloatArray, FloatArray]:
        """Monthly energy (MWh) and price ($/MWh) of each unit online (merit order)."""
        online = self.unit_online <= month
        qty: FloatArray = np.where(online, self.unit_mw * self.unit_avail * HOURS_PER_MONTH, 0.0)
        return qty, self.unit_cost

    def plan(self, month: int, power: PowerCfg) -> None:
        """Start a unit if :func:`entry_build_mw` says so; online after the longer lead."""
        online_mw = float(self.unit_mw[self.unit_online <= month].sum())
        size = entry_build_mw(self.price_history, online_mw, power)
        if size is not None:
            lead = max(power.generation_build_months, power.interconnection_months)
            self.unit_kind.append("new-build")
            self.unit_mw = np.append(self.unit_mw, size)
            self.unit_cost = np.append(self.unit_cost, power.new_unit_marginal_cost)
            self.unit_avail = np.append(self.unit_avail, power.new_unit_availability)
            self.unit_online = np.append(self.unit_online, month + lead)
        online = self.unit_online <= month
        self.mw_building = float(self.unit_mw[~online].sum())

    def capacity_mw(self, month: int) -> float:
        """Available average MW online in ``month``."""
        online = self.unit_online <= month
        return float((self.unit_mw * self.unit_avail)[online].sum())
