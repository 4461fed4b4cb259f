"""The model's state: typed containers of numpy arrays, one per concept.

Every array the monthly phases read or write lives in one of these declared
dataclasses (no attribute appears on the model in one phase to be read in another).
Axes are named by letters throughout: ``H`` hyperscalers, ``R`` regions, ``F`` chip
families (:data:`agents.scenario.FAMILIES`), ``G`` chip generations, ``V`` vendors,
``L`` labs and buyers (major labs first), ``T`` absolute months.

A compute *node* is one (hyperscaler, region, family) triple: a seller of compute in
the monthly book. Its capacity, energy, cost and last price are in :class:`Nodes`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from agents.scenario import FAMILIES, Scenario
from agents.units import H100_TFLOPS, MONTHS_PER_YEAR, W_PER_MW, annualise, months_between

__all__ = [
    "Clouds",
    "DemandState",
    "FloatArray",
    "History",
    "IntArray",
    "Market",
    "Nodes",
    "Sites",
    "Tech",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

PIPELINE_MONTHS = 256
"""Initial length of the build pipelines (months); they grow when a start lands later."""


@dataclass(frozen=True)
class Tech:
    """Accelerator generations (``G``): release month, compute, power and list price."""

    names: tuple[str, ...]
    family: IntArray
    release: IntArray
    h100e: FloatArray
    """Dense BF16 TFLOP/s over an H100's (:data:`agents.units.H100_TFLOPS`)."""
    watts: FloatArray
    it_watts: FloatArray
    """Watts per unit at the wall of the server (chip watts x ``server_overhead``)."""
    cost: FloatArray
    """List price of one unit, USD."""
    family_weights: FloatArray = field(init=False, repr=False, compare=False)
    """(3, G, F) H100e, IT watts and list price of a unit of ``g`` in its family's column
    (0 elsewhere): a fleet (..., G) times these, summed over ``g``, gives each family's
    H100e, IT watts and capital (:meth:`Sites.family_totals`)."""
    _releases: list[int] = field(init=False, repr=False, compare=False)
    _newest: list[list[int]] = field(init=False, repr=False, compare=False)
    _first_release: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # newest(f, m) depends on m only through how many distinct release months are <= m:
        # one answer per family and count, read with a bisection (the fields never change)
        releases = sorted({int(r) for r in self.release})
        table = (
            [
                [self._scan_newest(f, m) for m in [releases[0] - 1, *releases]]
                for f in range(len(FAMILIES))
            ]
            if releases
            else []
        )
        onehot = np.eye(len(FAMILIES))[self.family]  # (G, F)
        per_unit = np.stack([self.h100e, self.it_watts, self.cost])
        object.__setattr__(self, "family_weights", per_unit[:, :, None] * onehot[None])
        object.__setattr__(self, "_releases", releases)
        object.__setattr__(self, "_newest", table)
        first = {int(f): int(self.release[self.family == f].min()) for f in set(self.family)}
        object.__setattr__(self, "_first_release", first)

    @classmethod
    def from_scenario(cls, scn: Scenario) -> Tech:
        """The generations of ``scn.chips`` as arrays."""
        gens = scn.chips.generations
        watts = np.array([g.watts for g in gens], dtype=float)
        return cls(
            names=tuple(g.name for g in gens),
            family=np.array([FAMILIES.index(g.family) for g in gens], dtype=np.int64),
            release=np.array([months_between(scn.start, g.release) for g in gens], dtype=np.int64),
            h100e=np.array([g.tflops for g in gens], dtype=float) / H100_TFLOPS,
            watts=watts,
            it_watts=watts * scn.datacentres.server_overhead,
            cost=np.array([g.unit_cost for g in gens], dtype=float),
        )

    def newest(self, family: int, month: int) -> int:
        """Index of the newest generation of ``family`` released by ``month``.

        Before any is released, the newest of the family at all (a pre-release order); a
        family with no generation in the scenario falls back to every family's.
        """
        if 0 <= family < len(self._newest):
            return self._newest[family][bisect_right(self._releases, month)]
        return self._scan_newest(family, month)

    def released(self, family: int, month: int) -> bool:
        """Whether a generation of ``family`` is released by ``month``."""
        first = self._first_release.get(family)
        return first is not None and first <= month

    def _scan_newest(self, family: int, month: int) -> int:
        """:meth:`newest` read off the arrays (the table's source)."""
        mine = self.family == family
        if not mine.any():
            mine = self.family >= 0
        ok = mine & (self.release <= month)
        idx = np.flatnonzero(ok) if ok.any() else np.flatnonzero(mine)
        return int(idx[np.argmax(self.release[idx])])


@dataclass(frozen=True)
class Clouds:
    """Fixed traits of the hyperscalers (``H``) from the scenario."""

    names: tuple[str, ...]
    hhi_firms: FloatArray
    """How many equal firms each cloud counts as in an HHI (:func:`market.metrics.hhi`): 1,
    or for the fringe of small clouds its ``fringe_firms`` (``inf`` when unset: atomistic,
    in the total but not squared)."""
    markup: FloatArray
    """Markup of the compute offer over cost."""
    other_cash_flow: FloatArray
    """Monthly cash flow from other businesses, USD."""
    non_ai_revenue: FloatArray
    """Other cloud revenue a year at the start, USD."""
    family_mix: FloatArray
    """(H, F) target share of new chip MW per family."""
    can_buy: FloatArray
    """(H, F) 1 where a vendor sells that family to that cloud (captive or merchant)."""

    def cloud_revenue_year(self, history: History, month: int, growth: float) -> FloatArray:
        """Annual cloud revenue per hyperscaler: trailing AI compute sales plus other cloud.

        Other cloud revenue grows at ``growth`` a year from its starting level.
        """
        out: FloatArray = history.revenue_year() + self.non_ai_revenue * (1.0 + growth) ** (
            month / MONTHS_PER_YEAR
        )
        return out


@dataclass
class Sites:
    """Hyperscalers' data centres: MW built and connected, fleets, build pipelines."""

    built: FloatArray
    """(H, R) IT MW built."""
    interconnected: FloatArray
    """(H, R) IT MW with a grid connection."""
    fleet: FloatArray
    """(H, R, G) installed accelerators, units."""
    pipeline_built: FloatArray = field(init=False)
    """(H, R, T) MW whose building completes in absolute month ``T``."""
    pipeline_power: FloatArray = field(init=False)
    """(H, R, T) MW whose grid connection completes in month ``T``."""
    pipeline_converted: FloatArray = field(init=False)
    """(R, T) IT MW of conventional data centres whose conversion to AI completes in month
    ``T`` (also in ``pipeline_built`` and ``pipeline_power``, under the cloud converting)."""
    pipeline_capex: FloatArray = field(init=False)
    """(H, T) USD of building work each hyperscaler pays in month ``T``: a shell's cost in
    equal instalments over the months it is built (progress payments)."""
    pue: FloatArray = field(init=False)
    """(H, R) power usage effectiveness of the built MW (MW-weighted over vintages);
    1.0 until the world sets the fleet's starting value."""

    def __post_init__(self) -> None:
        h, r = self.built.shape
        self.pipeline_built = np.zeros((h, r, PIPELINE_MONTHS))
        self.pipeline_power = np.zeros((h, r, PIPELINE_MONTHS))
        self.pipeline_converted = np.zeros((r, PIPELINE_MONTHS))
        self.pipeline_capex = np.zeros((h, PIPELINE_MONTHS))
        self.pue = np.ones((h, r))

    @property
    def powered(self) -> FloatArray:
        """(H, R) IT MW both built and connected."""
        out: FloatArray = np.minimum(self.built, self.interconnected)
        return out

    def reach(self, month: int) -> None:
        """Make the pipelines long enough to hold ``month`` (doubling their length)."""
        n = self.pipeline_built.shape[2]
        if month < n:
            return
        grow = max(n, month + 1 - n)
        pad = np.zeros((*self.pipeline_built.shape[:2], grow))
        self.pipeline_built = np.concatenate([self.pipeline_built, pad], axis=2)
        self.pipeline_power = np.concatenate([self.pipeline_power, pad], axis=2)
        self.pipeline_converted = np.concatenate([self.pipeline_converted, pad[0]], axis=1)
        self.pipeline_capex = np.concatenate([self.pipeline_capex, pad[:, 0]], axis=1)

    def commit_building(self, mw: FloatArray, start: int, months: int, cost_per_mw: float) -> None:
        """Schedule the cost of ``mw`` (H,) of shells started in month ``start`` and built
        over ``months``: ``cost_per_mw`` per MW, in equal instalments from ``start`` to
        ``start + months - 1``; those before month 0 were paid before the run.

        Construction is paid as the work is done and capitalised as construction in
        progress (US GAAP ASC 360; IAS 16), so reported capex follows the build, not its
        start (``docs/calibration.md`` [est-dc-payments]).
        """
        first = max(0, start)
        last = start + months  # one past the last instalment
        if last <= first:
            return
        self.reach(last - 1)
        self.pipeline_capex[:, first:last] += (mw * (cost_per_mw / months))[:, None]

    def family_totals(self, tech: Tech) -> FloatArray:
        """(3, H, R, F) H100e, IT watts and capital (list price) of the fleet by family.

        One contraction for the three; each is, bit for bit, what
        ``np.einsum("hrg,g,gf->hrf", fleet, per_unit, onehot)`` gives (``onehot`` (G, F)
        1 where ``g`` is of family ``f``: each node's units summed in generation order).
        """
        h, r, g = self.fleet.shape
        flat = self.fleet.reshape(h * r, g)
        out: FloatArray = np.einsum("ag,kgf->kaf", flat, tech.family_weights)
        return out.reshape(3, h, r, -1)

    def it_mw(self, tech: Tech) -> FloatArray:
        """(H, R) IT MW drawn by the installed fleet."""
        out: FloatArray = np.einsum("hrg,g->hr", self.fleet, tech.it_watts) / W_PER_MW
        return out


@dataclass
class Nodes:
    """Compute seller nodes, one per (hyperscaler, region, family): arrays (H, R, F)."""

    capacity: FloatArray
    """H100e-hours the powered fleet can deliver this month."""
    mwh: FloatArray
    """Facility MWh per H100e-hour (IT energy x PUE)."""
    cost: FloatArray
    """Spot offer price per H100e-hour: cost with the cloud's markup, over 1 - its Lerner
    index (:func:`agents.phases.exogenous.offer_prices`)."""
    running_share: FloatArray
    """(H, R) share of installed IT load that has power."""
    sold: FloatArray
    """H100e-hours delivered last month (contracts and spot)."""
    price: FloatArray
    """Last month's node price where the node offered spot hours, else its offer price
    (``cost``): a node without capacity, or whose hours all went to contracts."""


@dataclass
class Market:
    """Prices and expectations carried from month to month."""

    power_price: FloatArray
    """(R,) last cleared power price, $/MWh."""
    expected_compute_price: float
    """Exponential average of the median node price, $/H100e-h (adaptive expectations)."""
    family_price: FloatArray
    """(F,) cheapest node price of each family (nan where none has capacity)."""
    region_egress_fee: FloatArray
    """(R,) egress fee allowed to customers homed in each region this month, $/H100e-h."""
    egress_fee: FloatArray
    """(L,) egress fee each lab (or buyer) pays to leave its primary cloud this month,
    $/H100e-h: the lowest cap of the authorities governing its home region."""
    capacity_price: FloatArray = field(default_factory=lambda: np.zeros(0))
    """(R,) capacity price in force this month, $/MW-day (large loads pay it)."""
    reserve_margin: FloatArray = field(default_factory=lambda: np.zeros(0))
    """(R,) reserve margin at this month's peak load."""
    capacity_q: float = float("nan")
    """Tobin's q of new capacity at this month's plan: the newest merchant GPU's value at the
    expected compute price over its list price (:func:`agents.phases.plan.new_capacity_q`)."""


@dataclass
class DemandState:
    """End demand for AI services (USD a month) and its expected growth."""

    level: float
    """Trend of spending on AI services at the reference price, USD a month."""
    usd: float
    """This month's trend spending: the level times a lognormal shock."""
    expected_growth: float
    """Expected growth a year (decays over time)."""
    region_weight: FloatArray
    """(R,) share of demand, and of new build, in each region."""
    reference_price: float
    """Price of AI services at the start, $/H100e-h of inference (the demand curve's anchor)."""
    frontier0: float
    """Highest lab capability at the start."""
    services_price: float = float("nan")
    """This month's price of AI services, $/H100e-h."""
    quantity: float = 0.0
    """AI services demanded this month at that price, H100e-h of inference."""
    spending: float = 0.0
    """Spending on AI services demanded this month, USD (price x quantity)."""
    log_shock: float = 0.0
    """This month's log demand shock (an AR(1), :func:`agents.phases.exogenous.demand_shock`)."""


@dataclass
class History:
    """Trailing 12-month windows and cumulative flows (rows indexed ``month % 12``)."""

    hs_revenue: FloatArray
    """(12, H) each cloud's AI compute sales."""
    lab_spend: list[FloatArray]
    """12 arrays (L, H): each lab's compute spend at each cloud (the month's array itself,
    kept, not copied; read-only zeros before the first year is full)."""
    lab_spend_cum: FloatArray
    """(L, H) cumulative compute spend of each lab at each cloud."""
    vendor_sales: FloatArray
    """(12, V) chips sold by each vendor, in H100e."""
    hs_hours: FloatArray
    """(12, H) H100e-hours each cloud delivered (contracts and spot)."""
    training_ref: FloatArray | None = None
    """(L,) the scale of each lab's capability curve: a year of its first month's training
    (12 times the larger of what it received and what it planned, at least 1 H100e-hour)."""
    months: int = 0
    """Months written into the windows so far (:func:`agents.units.annualise` scales the
    first year's sums by it): ``month`` before this month's settle, ``month + 1`` after."""

    @classmethod
    def empty(cls, n_h: int, n_labs: int, n_vendors: int) -> History:
        """Zero windows for ``n_h`` clouds, ``n_labs`` labs and ``n_vendors`` vendors."""
        none = np.zeros((n_labs, n_h))
        none.flags.writeable = False
        return cls(
            np.zeros((MONTHS_PER_YEAR, n_h)),
            [none] * MONTHS_PER_YEAR,
            np.zeros((n_labs, n_h)),
            np.zeros((MONTHS_PER_YEAR, n_vendors)),
            np.zeros((MONTHS_PER_YEAR, n_h)),
        )

    def revenue_year(self) -> FloatArray:
        """(H,) trailing annual AI compute sales of each cloud."""
        out: FloatArray = self.hs_revenue.sum(axis=0) * annualise(self.months)
        return out

    def hours_year(self) -> FloatArray:
        """(H,) trailing annual H100e-hours delivered by each cloud."""
        out: FloatArray = self.hs_hours.sum(axis=0) * annualise(self.months)
        return out

    def lab_spend_year(self) -> FloatArray:
        """(L, H) trailing annual compute spend of each lab at each cloud."""
        rows = self.lab_spend
        if rows[0].size > 1:
            # numpy sums a stack's first axis row after row when the rows have more than one
            # entry: the same floats without stacking a year of a million labs
            total = rows[0] + rows[1]
            for row in rows[2:]:
                total += row
        else:  # one entry: numpy's pairwise sum of the 12 numbers
            total = np.add.reduce(np.stack(rows), axis=0)
        out: FloatArray = total * annualise(self.months)
        return out
