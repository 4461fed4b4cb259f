"""Electric utilities: one per region, a merit order of generation, reserves and entry.

A utility offers each generation unit's monthly energy at its marginal cost (the merit
order) and serves the region's non-AI load and its conventional (non-AI) data centres.
Its **reserve margin** is installed capacity counted at the peak (each unit's MW times
its capacity credit: 1 for dispatchable plant, the accredited share for wind, solar and
hydro) over the peak load, minus one, the installed-basis margin that PJM's installed
reserve margin and NERC's anticipated reserve margins report (``docs/calibration.md``
[pow-pjm-rm], [est-reserve]). Peak load is the non-AI load times the region's
peak-to-average ratio plus the data centres' load, which runs flat (peak = average).

A **capacity price** ($/MW-day) follows a downward-sloping demand curve in the reserve
margin, like PJM's variable resource requirement curve (:func:`capacity_price`); large
loads pay it on their load.

**Entry counts the pipeline** (:func:`entry_build_mw`): the utility starts new units
while the capacity price it expects when a unit started now comes online, at the margin
it will then have (the MW online plus the MW already being built, against the peak
forecast at that date), exceeds the net cost of new entry (``power.capacity_net_cone``);
it starts as much as brings that expected price down to net CONE (the margin
:func:`entry_margin`), at most ``power.build_share_per_year / 12`` of its fleet a month
(turbines and crews; [pow-gas-cc]). New units come online after the build time or the
interconnection queue, whichever is longer ([pow-queue]). At the start, the units a
planner following the same rule would already have under construction to meet the
non-AI load growth of the lead time are in the pipeline (:meth:`Utility.seed_pipeline`).
The sums over the units and a month's entry are compiled (:mod:`agents.utility_kernels`).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.firm import Firm
from agents.state import FloatArray, IntArray
from agents.units import HOURS_PER_MONTH, MONTHS_PER_YEAR
from agents.utility_kernels import (
    AVAIL,
    COST,
    CREDIT,
    ENERGY,
    FIRM,
    MW,
    ONLINE,
    UNIT_ROWS,
    entry,
    span_sums,
)

if TYPE_CHECKING:
    from agents.scenario import PowerCfg, RegionCfg

__all__ = [
    "AVAIL",
    "COST",
    "CREDIT",
    "ENERGY",
    "FIRM",
    "MW",
    "ONLINE",
    "UNIT_ROWS",
    "Utility",
    "capacity_price",
    "entry_build_mw",
    "entry_margin",
    "merit_price",
    "reserve_margin",
]


def reserve_margin(capacity_mw: float, peak_mw: float) -> float:
    """Reserve margin: capacity counted at the peak over peak load, minus one.

    >>> reserve_margin(125.0, 100.0)
    0.25
    """
    return capacity_mw / peak_mw - 1.0 if peak_mw > 0 else float("inf")


def capacity_price(margin: float, target: float, power: PowerCfg) -> float:
    """Capacity price ($/MW-day) at reserve ``margin`` against ``target``.

    A straight demand curve through ``power.capacity_price_at_target`` at the target,
    reaching zero ``power.capacity_curve_width`` above it, capped at
    ``power.capacity_price_cap``:
    ``min(cap, max(0, p_T x (target + width - margin) / width))``. The shape follows
    PJM's variable resource requirement curve and is fitted to its auctions
    ([pow-pjm-cap], [pow-pjm-rm], [est-capacity]): 2025/26 cleared $269.92 at 0.7 points
    above target (the line gives $276), 2026/27 the $329.17 cap at 0.2 points below.

    >>> from agents.scenario import PowerCfg
    >>> round(capacity_price(0.20, 0.19, PowerCfg()), 9)  # 360 x 0.02 / 0.03
    240.0
    """
    c = power
    line = c.capacity_price_at_target * (target + c.capacity_curve_width - margin)
    return float(min(c.capacity_price_cap, max(0.0, line / c.capacity_curve_width)))


def entry_margin(target: float, power: PowerCfg) -> float:
    """Reserve margin at which the capacity price equals net CONE: where entry stops.

    Inverting :func:`capacity_price` below its cap: ``target + width x (1 - CONE / p_T)``.

    >>> from agents.scenario import PowerCfg
    >>> round(entry_margin(0.15, PowerCfg(capacity_net_cone=240.0)), 12)  # 0.15 + 0.03 / 3
    0.16
    """
    c = power
    if c.capacity_price_at_target <= 0:
        return target
    return target + c.capacity_curve_width * (
        1.0 - c.capacity_net_cone / c.capacity_price_at_target
    )


def entry_build_mw(
    online_mw: float,
    building_mw: float,
    peak_forecast_mw: float,
    target: float,
    fleet_mw: float,
    power: PowerCfg,
) -> float:
    """MW of new generation (counted at the peak) to start this month; 0 for none.

    ``online_mw`` and ``building_mw`` are capacity counted at the peak online and under
    construction, ``peak_forecast_mw`` the peak load expected when a unit started now
    comes online. While the expected price at the projected margin ``(online +
    building) / peak - 1`` exceeds net CONE, i.e. that margin is below
    :func:`entry_margin` ``m*``, the shortfall ``(1 + m*) x peak - online - building``
    is started at once, up to ``power.build_share_per_year / 12 x fleet_mw``; with the
    pipeline restoring ``m*``, nothing is started.

    Examples
    --------
    >>> from agents.scenario import PowerCfg
    >>> p = PowerCfg(build_share_per_year=0.12, capacity_net_cone=240.0)  # m* = 0.16
    >>> round(entry_build_mw(100.0, 10.0, 100.0, 0.15, 1000.0, p), 9)  # 116 - 110
    6.0
    >>> entry_build_mw(100.0, 16.0, 100.0, 0.15, 1000.0, p)  # the pipeline restores it
    0.0
    """
    short = (1.0 + entry_margin(target, power)) * peak_forecast_mw - online_mw - building_mw
    most = power.build_share_per_year / MONTHS_PER_YEAR * fleet_mw
    return float(max(0.0, min(short, most)))


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
    unit_mw, unit_cost, unit_avail, unit_credit, unit_online : ndarray
        Capacity (MW), marginal cost ($/MWh), availability (share of MW delivered as
        average energy), capacity credit (share of MW counted at the peak) and the
        month each unit comes online.
    non_ai_load_mw, conventional_dc_mw : float
        Average non-AI load and conventional data-centre load this month (MW).
    converted_mw : float
        Conventional data-centre load converted to AI sites so far (MW).
    peak_to_average, reserve_target : float
        The region's peak over average non-AI load, and its target reserve margin.
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
        n = len(cfg.units)
        # the units are the first ``_n`` columns of one buffer whose rows are the
        # quantities of :data:`UNIT_ROWS` (a new unit is a column written; the buffer
        # doubles when full); FIRM and ENERGY hold each unit's MW x capacity credit and
        # MW x availability, ONLINE its online month as a float (whole months are exact)
        self._n = n
        self._units = np.empty((len(UNIT_ROWS), n))
        self._units[MW] = [u.mw for u in cfg.units]
        self._units[COST] = [u.marginal_cost for u in cfg.units]
        self._units[AVAIL] = [u.availability for u in cfg.units]
        self._units[CREDIT] = [u.capacity_credit for u in cfg.units]
        self._units[ONLINE] = -(10**6)
        np.multiply(self._units[MW], self._units[CREDIT], out=self._units[FIRM])
        np.multiply(self._units[MW], self._units[AVAIL], out=self._units[ENERGY])
        self._online = np.full(n, -(10**6), dtype=np.int64)
        self._online_list: list[int] = [-(10**6)] * n
        """Online months as Python ints, for bisection while they are non-decreasing."""
        self._ordered = True
        """Units come online in the order they were added (so online units are a prefix)."""
        self._span: dict[tuple[int, int], tuple[float, float, float]] = {}
        """MW, firm and energy summed over units ``lo:hi`` (columns never change)."""
        self.base_load_mw = cfg.non_ai_load_mw
        self.non_ai_load_mw = cfg.non_ai_load_mw
        self.base_conventional_mw = cfg.conventional_dc_mw
        self.conventional_dc_mw = cfg.conventional_dc_mw
        self.converted_mw = 0.0
        """Conventional data-centre load converted to AI so far, MW (it leaves
        ``conventional_dc_mw`` and is counted with the AI sites from then on)."""
        self.peak_to_average = cfg.peak_to_average
        self.reserve_target = cfg.reserve_target
        self.price_history: list[float] = []
        self.mw_building = 0.0
        self._entry_power: PowerCfg | None = None
        """The settings :attr:`_entry_consts` were computed from (the run's, fixed)."""
        self._entry_consts = np.zeros(4)
        """The constants of :func:`_entry` for :attr:`_entry_power`."""

    @property
    def units(self) -> FloatArray:
        """(len(UNIT_ROWS), units) every unit's quantities, rows as in :data:`UNIT_ROWS`."""
        return self._units[:, : self._n]

    @property
    def offer_rows(self) -> FloatArray:
        """(3, units) rows ENERGY, COST and ONLINE of :attr:`units` (what offers read)."""
        return self._units[ENERGY : ONLINE + 1, : self._n]

    @property
    def unit_mw(self) -> FloatArray:
        """Capacity of each unit, MW."""
        return self._units[MW, : self._n]

    @property
    def unit_cost(self) -> FloatArray:
        """Marginal cost of each unit, $/MWh."""
        return self._units[COST, : self._n]

    @property
    def unit_avail(self) -> FloatArray:
        """Availability of each unit (share of MW delivered as average energy)."""
        return self._units[AVAIL, : self._n]

    @property
    def unit_credit(self) -> FloatArray:
        """Capacity credit of each unit (share of MW counted at the peak)."""
        return self._units[CREDIT, : self._n]

    @property
    def unit_online(self) -> IntArray:
        """Month each unit comes online."""
        return self._online[: self._n]

    def _n_online(self, month: int) -> int:
        """Units online in ``month`` (a prefix of the rows); -1 if they are not a prefix."""
        return bisect_right(self._online_list, month) if self._ordered else -1

    def _sums(self, month: int, *, building: bool = False) -> tuple[float, float, float]:
        """MW, firm and energy summed over the units online in ``month`` (or not yet online).

        Each row's pairwise sum over a slice of units
        (:func:`agents.utility_kernels.span_sums`), kept per slice (columns never change):
        the same, bit for bit, as summing the columns a mask picks (the same numbers in the
        same order).
        """
        k = bisect_right(self._online_list, month) if self._ordered else -1
        if k < 0:  # online units are not a prefix: pick them
            online = self.unit_online <= month
            pick = ~online if building else online
            # row by row: a boolean pick along the rows of a 2-D array need not leave them
            # contiguous, and a reduction along a strided axis is not pairwise
            mw, firm, energy = (float(np.add.reduce(row[pick])) for row in self.units[:3])
            return mw, firm, energy
        lo, hi = (k, self._n) if building else (0, k)
        out = self._span.get((lo, hi))
        if out is None:
            out = self._span[(lo, hi)] = span_sums(self._units, lo, hi)
        return out

    def grow_load(self, month: int, growth: float, dc_growth: float) -> None:
        """Set this month's non-AI and conventional data-centre loads from their start.

        The conventional load grows from its start and loses what has been converted to AI
        (:attr:`converted_mw`), at least 0.
        """
        self.non_ai_load_mw = self.base_load_mw * (1.0 + growth) ** (month / MONTHS_PER_YEAR)
        self.conventional_dc_mw = self._conventional(month, dc_growth)

    def _conventional(self, month: int, dc_growth: float) -> float:
        """Conventional data-centre load in ``month``: grown from its start, less what was
        converted to AI, at least 0 (MW)."""
        grown: float = self.base_conventional_mw * (1.0 + dc_growth) ** (month / MONTHS_PER_YEAR)
        return max(0.0, grown - self.converted_mw)

    def served_load_mw(self) -> float:
        """Average load served first (non-AI plus conventional data centres), MW."""
        return self.non_ai_load_mw + self.conventional_dc_mw

    def peak_load_mw(
        self, ai_mw: float, month: int | None = None, power: PowerCfg | None = None
    ) -> float:
        """Peak load (MW) with ``ai_mw`` of AI data centres; at ``month`` if given.

        Non-AI load peaks at ``peak_to_average`` times its average; data centres run
        flat. With ``month`` and ``power`` the loads are grown to that month.
        """
        non_ai, conv = self.non_ai_load_mw, self.conventional_dc_mw
        if month is not None and power is not None:
            non_ai = self.base_load_mw * (1.0 + power.non_ai_load_growth) ** (
                month / MONTHS_PER_YEAR
            )
            conv = self._conventional(month, power.conventional_dc_growth)
        return non_ai * self.peak_to_average + conv + ai_mw

    def offers(self, month: int) -> tuple[FloatArray, FloatArray]:
        """Monthly energy (MWh) and price ($/MWh) of each unit online (merit order)."""
        qty: FloatArray = self._units[ENERGY, : self._n] * HOURS_PER_MONTH
        k = self._n_online(month)
        if k >= 0:
            qty[k:] = 0.0
        else:
            qty[self.unit_online > month] = 0.0
        return qty, self.unit_cost

    def firm_mw(self, month: int, *, building: bool = False) -> float:
        """Capacity counted at the peak: online in ``month``, or under construction."""
        return self._sums(month, building=building)[FIRM]

    def plan(self, month: int, power: PowerCfg, ai_forecast_mw: float) -> None:
        """Start new units if :func:`entry_build_mw` says so; online after the longer lead.

        ``ai_forecast_mw`` is the AI data-centre load expected when a unit started now
        comes online (sites connected by then).
        """
        lead = max(power.generation_build_months, power.interconnection_months)
        peak = self.peak_load_mw(ai_forecast_mw, month + lead, power)
        n = self._n
        if self._ordered:  # the units online are a prefix: one compiled call
            if power is not self._entry_power:
                self._entry_consts[:] = (
                    1.0 + entry_margin(self.reserve_target, power),
                    power.build_share_per_year / MONTHS_PER_YEAR,
                    float(power.new_unit_availability),
                    power.new_unit_marginal_cost,
                )
                self._entry_power = power
            if n == self._units.shape[1]:
                self._grow()
            k = bisect_right(self._online_list, month)
            size, self.mw_building = entry(
                self._units, self._entry_consts, n, k, peak, float(month + lead)
            )
            if size > 0:
                self._added(month + lead)
            return
        online = self._sums(month)
        building = self._sums(month, building=True)
        size = entry_build_mw(
            online[FIRM], building[FIRM], peak, self.reserve_target, online[MW], power
        )
        if size > 0:
            self._add_unit(size, month + lead, power)
            building = self._sums(month, building=True)
        self.mw_building = building[MW]

    def _add_unit(self, mw: float, online: int, power: PowerCfg) -> None:
        """A new gas unit of ``mw`` (capacity credit 1) coming online in ``online``."""
        n = self._n
        if n == self._units.shape[1]:
            self._grow()
        mw, avail = float(mw), float(power.new_unit_availability)
        # rows as UNIT_ROWS; MW x credit and MW x availability: the products the arrays
        # would give (IEEE doubles either way)
        cost = power.new_unit_marginal_cost
        self._units[:, n] = (mw, mw * 1.0, mw * avail, cost, online, avail, 1.0)
        self._added(online)

    def _grow(self) -> None:
        """Double the buffers of the units (at least 8 more columns)."""
        grow = max(self._n, 8)
        self._units = np.concatenate([self._units, np.zeros((len(UNIT_ROWS), grow))], axis=1)
        self._online = np.concatenate([self._online, np.zeros(grow, dtype=np.int64)])

    def _added(self, online: int) -> None:
        """Count the unit written into column :attr:`_n` of the buffer, online in ``online``."""
        self.unit_kind.append("new-build")
        n = self._n
        self._online[n] = online
        self._ordered = self._ordered and (n == 0 or online >= self._online_list[-1])
        self._online_list.append(int(online))
        self._n = n + 1

    def seed_pipeline(self, power: PowerCfg, ai_mw: float) -> None:
        """Units under construction at the start: what the entry rule would have started.

        For each month ``m`` of the lead time, a unit started ``lead`` months before
        (before the start) comes online at ``m`` if the margin then, with today's AI
        load ``ai_mw`` and the non-AI loads grown to ``m``, would fall below both
        :func:`entry_margin` and today's margin: planners build for the load growth
        they expect, not for the AI load they did not (est.).
        """
        lead = max(power.generation_build_months, power.interconnection_months)
        now = reserve_margin(self.firm_mw(0), self.peak_load_mw(ai_mw))
        keep = min(now, entry_margin(self.reserve_target, power))
        fleet = float(self.unit_mw.sum())
        for m in range(1, lead + 1):
            firm = float((self.unit_mw * self.unit_credit).sum())
            short = (1.0 + keep) * self.peak_load_mw(ai_mw, m, power) - firm
            size = min(short, power.build_share_per_year / MONTHS_PER_YEAR * fleet)
            if size > 0:
                self._add_unit(size, m, power)
        self.mw_building = float(self.unit_mw[self.unit_online > 0].sum())

    def capacity_mw(self, month: int) -> float:
        """Available average MW online in ``month``."""
        return self._sums(month)[ENERGY]
