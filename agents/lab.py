"""AI labs and enterprise buyers: demand for compute, cash, capability, lock-in.

A lab bids for inference compute (to serve its share of end demand) and training
compute (which raises its capability, log-scaling), raises capital when its runway is
short, ports its software to another chip family when the price gap outweighs the
migration cost and time (:mod:`agents.porting`), and is throttled when the market leaves its inference need
unmet (it serves inference first). Scale mode adds thousands of small labs and
enterprise buyers.

State lives in :class:`LabArrays` (one row per lab) so that every decision is one numpy
expression over all labs (the monthly plans' arithmetic is one compiled call each,
:mod:`agents.lab_kernels`); :class:`AILab` agents are Mesa agents reading their row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple, overload

import mesa
import numpy as np

from agents.firm import Firm
from agents.lab_kernels import demand_shares, funding_rounds, short_of_runway, training_hours
from agents.scenario import CapitalCfg, DemandCfg
from agents.state import BoolArray, FloatArray, IntArray

__all__ = [
    "MAX_DEMAND_SHIFT",
    "MIN_PLANNED_TRAINING_PRICE",
    "AILab",
    "EnterpriseBuyer",
    "Funding",
    "LabArrays",
    "LabKind",
    "allocate_demand",
    "plan_funding",
    "planned_training_price",
    "runway_months",
    "services_demand",
    "services_price",
    "split_compute",
    "training_need",
]


class LabKind(IntEnum):
    """Kinds of compute buyer in :class:`LabArrays`."""

    MAJOR = 0
    SMALL = 1
    ENTERPRISE = 2


MAX_DEMAND_SHIFT = 100.0
"""Most that price and capability can multiply the quantity of AI services demanded over its
trend (est.: two orders of magnitude, the fall in cost per token of 2022-24 [dem-token-cost])."""


@dataclass
class LabArrays:
    """Struct of arrays, one row per lab or buyer (major labs first)."""

    n: int
    n_families: int
    kind: IntArray = field(init=False)
    """:class:`LabKind` of each row."""
    home: IntArray = field(init=False)
    primary: IntArray = field(init=False)
    """Index of the cloud it buys from first (pays no egress fee there)."""
    left_provider: IntArray = field(init=False)
    """A small buyer's provider before it switched this month (it pays that cloud the
    egress fee on what it buys), -1 if it did not switch."""
    family: IntArray = field(init=False)
    affinity: FloatArray = field(init=False)
    """(L, F) how well its software runs on each chip family, 0-1."""
    capability0: FloatArray = field(init=False)
    """Capability at the start."""
    capability: FloatArray = field(init=False)
    """This month's: the start's, plus the drift so far, plus what training bought."""
    drift: FloatArray = field(init=False)
    """Capability gained a year besides training's (``capability_drift_per_year``)."""
    drift_months: FloatArray = field(init=False)
    """Months the drift lasts from the start (``inf``: for good)."""
    cum_training: FloatArray = field(init=False)
    opex: FloatArray = field(init=False)
    opex_share: FloatArray = field(init=False)
    training_ratio: FloatArray = field(init=False)
    max_cloud_share: FloatArray = field(init=False)
    """Largest share of its planned compute it buys from one cloud, contracts included
    (``max_cloud_share``; 1: no limit, as for every small lab and buyer)."""
    weight: FloatArray = field(init=False)
    active: BoolArray = field(init=False)
    exit_month: IntArray = field(init=False)
    """Month it exited, -1 while active."""
    exclusive_with: IntArray = field(init=False)
    """Cloud bound by an exclusive contract, -1 if none."""
    porting_to: IntArray = field(init=False)
    porting_done: IntArray = field(init=False)
    porting_paid: FloatArray = field(init=False)
    """What it paid this month to port its software (set by the plan phase, counted in
    its burn and cleared when its month closes)."""
    demand_usd: FloatArray = field(init=False)
    inference_need: FloatArray = field(init=False)
    training_need: FloatArray = field(init=False)
    training_bid: FloatArray = field(init=False)
    """Top of its training bid this month, $ per H100e-hour (set by the plan phase,
    :func:`agents.training_bids.training_bids`)."""
    served: FloatArray = field(init=False)
    received: FloatArray = field(init=False)
    revenue: FloatArray = field(init=False)
    spend: FloatArray = field(init=False)
    net_flow: FloatArray = field(init=False)
    burn: FloatArray = field(init=False)
    raised_total: FloatArray = field(init=False)
    account: IntArray = field(init=False)
    round_month: IntArray = field(init=False)
    """(K,) month of each dated round of the scenario (``rounds``), in date order."""
    round_row: IntArray = field(init=False)
    """(K,) row of the lab that raises it."""
    round_usd: FloatArray = field(init=False)
    """(K,) what it raises."""
    _major: tuple[object, BoolArray] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    """:attr:`major` and the ``kind`` it was read from (type, shape and bytes)."""

    def __post_init__(self) -> None:
        n, f = self.n, self.n_families
        z = np.zeros
        self.capability0, self.capability, self.cum_training = z(n), z(n), z(n)
        self.drift, self.drift_months = z(n), np.full(n, np.inf)
        self.opex, self.opex_share, self.training_ratio, self.weight = z(n), z(n), z(n), z(n)
        self.demand_usd, self.inference_need, self.training_need = z(n), z(n), z(n)
        self.training_bid = z(n)
        self.served, self.received, self.revenue, self.spend = z(n), z(n), z(n), z(n)
        self.net_flow, self.burn, self.raised_total = z(n), z(n), z(n)
        self.porting_paid = z(n)
        self.max_cloud_share = np.ones(n)
        self.kind = z(n, dtype=np.int64)
        self.home, self.primary = z(n, dtype=np.int64), z(n, dtype=np.int64)
        self.family, self.account = z(n, dtype=np.int64), z(n, dtype=np.int64)
        self.affinity = z((n, f))
        self.active = np.ones(n, dtype=bool)
        self.exit_month = np.full(n, -1, dtype=np.int64)
        self.exclusive_with = np.full(n, -1, dtype=np.int64)
        self.left_provider = np.full(n, -1, dtype=np.int64)
        self.porting_to = np.full(n, -1, dtype=np.int64)
        self.porting_done = np.full(n, -1, dtype=np.int64)
        self.round_month, self.round_row = z(0, dtype=np.int64), z(0, dtype=np.int64)
        self.round_usd = z(0)

    @property
    def major(self) -> BoolArray:
        """Rows of major labs, read-only: ``kind == LabKind.MAJOR``, kept while ``kind``
        holds the same values (it is checked on each read, however it was changed).

        >>> a = LabArrays(3, 1)
        >>> a.kind[:] = [0, 1, 0]
        >>> a.major.tolist(), a.major is a.major
        ([True, False, True], True)
        >>> a.kind[0] = 2
        >>> a.major.tolist()
        [False, False, True]
        """
        kind = self.kind
        key = (kind.dtype, kind.shape, kind.tobytes())
        seen = self._major
        if seen is not None and seen[0] == key:
            return seen[1]
        out: BoolArray = kind == LabKind.MAJOR
        out.flags.writeable = False
        self._major = (key, out)
        return out


class AILab(Firm):
    """An AI lab; its attributes read row ``index`` of the model's :class:`LabArrays`."""

    kind = "lab"

    def __init__(self, model: mesa.Model, index: int, name: str, arrays: LabArrays) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self._a = arrays

    @property
    def capability(self) -> float:
        """Capability index (grows with cumulative training)."""
        return float(self._a.capability[self.index])

    @property
    def active(self) -> bool:
        """Still in the market."""
        return bool(self._a.active[self.index])

    @property
    def affinity(self) -> FloatArray:
        """Platform affinity per chip family."""
        out: FloatArray = self._a.affinity[self.index]
        return out

    @property
    def throttled_share(self) -> float:
        """Share of last month's inference need not served."""
        need = self._a.inference_need[self.index]
        return float(1.0 - self._a.served[self.index] / need) if need > 0 else 0.0


class EnterpriseBuyer(AILab):
    """A buyer of inference compute for its own products (scale mode); never trains."""

    kind = "enterprise"


def runway_months(cash: FloatArray, burn: FloatArray) -> FloatArray:
    """Months of cash at the trailing burn: ``cash / burn``, nan when not burning (< $1 a month).

    >>> runway_months(np.array([12.0, 5.0]), np.array([2.0, 0.0])).tolist()
    [6.0, nan]
    """
    # a burn too small to divide by (below a dollar a month) counts as not burning
    out: FloatArray = np.divide(cash, burn, out=np.full(np.shape(cash), np.nan), where=burn > 1.0)
    return out


def services_price(compute_price: float, markup: float) -> float:
    """Price of AI services per H100e-hour of inference: compute cost x (1 + markup).

    The labs' gross margin on serving is ``markup / (1 + markup)`` (1.6 -> 62%,
    ``docs/calibration.md`` [est-lab-economics]).

    >>> services_price(2.5, 1.6)
    6.5
    """
    return compute_price * (1.0 + markup)


_LOG_MAX_DEMAND_SHIFT = float(np.log(MAX_DEMAND_SHIFT))
"""``np.log(MAX_DEMAND_SHIFT)``, once."""


def services_demand(
    reference_usd: float,
    price: float,
    reference_price: float,
    elasticity: float,
    capability_demand: float,
    capability_gain: float,
) -> tuple[float, float]:
    """Quantity (H100e-h of inference a month) and dollars of AI services demanded.

    Constant elasticity around the trend: ``Q = (D_ref / p0) x (p / p0)^-e x
    exp(k x dK)``, where ``D_ref`` is the trend of spending at the reference price ``p0``
    (the price at the start), ``e`` the price elasticity, ``k`` the demand response to
    frontier capability and ``dK`` the frontier's gain since the start; dollars are
    ``p x Q``. With ``e > 1`` cheaper compute raises spending on AI services. The shift
    off the trend is capped at :data:`MAX_DEMAND_SHIFT` (a constant elasticity is a local
    approximation; adoption bounds it far from the start).

    >>> q, usd = services_demand(600.0, 3.0, 6.0, 1.5, 0.0, 0.0)
    >>> round(q, 6), round(usd, 6)  # (600 / 6) x 0.5^-1.5 = 282.84..., x 3
    (282.842712, 848.528137)
    """
    log_price = float(np.log(price / reference_price))  # numpy's log, as Python floats
    log_shift = -elasticity * log_price + capability_demand * capability_gain
    q = reference_usd / reference_price * float(np.exp(min(log_shift, _LOG_MAX_DEMAND_SHIFT)))
    return q, price * q


def split_compute(received: FloatArray, inference: FloatArray) -> FloatArray:
    """Inference served when a lab gets ``received`` against its inference need.

    Inference first: served = ``min(inference, received)``, and the rest trains. A lab is
    throttled only when the market leaves its inference need unmet.

    The rule follows the lab's own bids. It bids for inference at the price of AI services
    (what a served hour earns) and for training at most ``demand.training_bid_share`` of
    that, and it nets its contract deliveries off its inference bid first
    (:func:`agents.phases.clear.clear_phase`): by its bids an hour serving users is worth
    more to it than an hour of training, so it does not train on hours bought to serve
    users. An earlier rule cut both in proportion to the needs: it throttled the users of
    labs that had bought their whole inference need (36% of inference in the first month
    of ``baseline``), so ``throttled_share`` measured the rule, not the market
    (``docs/calibration.md`` [est-throttling]).

    >>> split_compute(np.array([60.0, 200.0]), np.array([80.0, 80.0]))
    array([60., 80.])
    """
    out: FloatArray = np.minimum(inference, received)
    return out


MIN_PLANNED_TRAINING_PRICE = 0.25
"""Least price, $ per H100e-hour, a lab plans its training budget at: keeps its hours finite
(est.)."""


@overload
def planned_training_price(expected_price: float, demand: DemandCfg) -> float: ...
@overload
def planned_training_price(
    expected_price: float, demand: DemandCfg, bid: FloatArray
) -> FloatArray: ...
def planned_training_price(
    expected_price: float, demand: DemandCfg, bid: FloatArray | None = None
) -> float | FloatArray:
    """Price a lab plans to pay for training: the expected price, at most its bid, at least
    :data:`MIN_PLANNED_TRAINING_PRICE`.

    The bid is ``demand.training_bid_share`` of the AI services price at the expected
    compute price, or each lab's own (``bid``, the ``capability_value`` rule).

    >>> from agents.scenario import DemandCfg
    >>> planned_training_price(2.0, DemandCfg(training_bid_share=0.5, services_markup=1.6))
    2.0
    >>> planned_training_price(2.0, DemandCfg(), np.array([3.0, 1.0, 0.1])).tolist()
    [2.0, 1.0, 0.25]
    """
    if bid is not None:
        return np.maximum(MIN_PLANNED_TRAINING_PRICE, np.minimum(expected_price, bid))
    top = demand.training_bid_share * services_price(expected_price, demand.services_markup)
    return max(MIN_PLANNED_TRAINING_PRICE, min(expected_price, top))


def allocate_demand(
    a: LabArrays,
    total_usd: float,
    price: float,
    demand: DemandCfg,
    rest_share: float,
    logits: FloatArray | None = None,
) -> None:
    """Split end demand among active labs: majors by capability, the rest by weight.

    Major labs share ``1 - rest_share`` in proportion to ``exp(beta x capability)`` (a
    logit share, est.); small labs and enterprise buyers share ``rest_share`` (the
    scenario's ``scale.demand_share`` when there are any, else 0) in proportion to their
    fixed weights. Inference need is demand over the price of AI services ``price``.
    ``logits``: the exponent ``beta x (capability - its maximum)``, if the caller has it
    (:func:`agents.phases.plan_kernels.demand_logits`).
    """
    if logits is None:
        cap = a.capability
        logits = demand.capability_beta * (cap - np.maximum.reduce(cap))
    demand_shares(
        a.kind,
        int(LabKind.MAJOR),
        a.active,
        np.exp(logits),
        a.weight,
        float(total_usd),
        float(rest_share),
        float(price),
        a.demand_usd,
        a.inference_need,
    )


class Funding(NamedTuple):
    """The outcome of a month's fundraising."""

    granted: BoolArray
    """(L,) raised a round this month."""
    raised: FloatArray
    """(L,) amount each lab raised from the outside investor pool (0 if none)."""
    still_short: BoolArray
    """(L,) short of runway and turned down."""


def plan_funding(
    cash: FloatArray,
    burn: FloatArray,
    revenue: FloatArray,
    active: BoolArray,
    may_raise: BoolArray,
    draw: FloatArray,
    capital: CapitalCfg,
) -> Funding:
    """Who raises a round, and how much.

    A lab is short when it burns cash and its cash is below ``capital.runway_months``
    of burn; it asks the outside pool for ``capital.round_months`` of burn, granted
    when its uniform ``draw`` is below ``capital.vc_success_prob`` and its annual
    revenue is at least ``capital.min_revenue_for_vc``.

    >>> from agents.scenario import CapitalCfg
    >>> f = plan_funding(np.array([5.0, 50.0]), np.array([2.0, 2.0]), np.zeros(2),
    ...     np.array([True, True]), np.array([True, True]), np.array([0.1, 0.1]),
    ...     CapitalCfg(runway_months=6, round_months=18, vc_success_prob=0.5))
    >>> f.raised.tolist(), f.still_short.tolist()
    ([36.0, 0.0], [False, False])
    """
    short, anyone = short_of_runway(cash, burn, active, may_raise, float(capital.runway_months))
    granted, raised, still_short, _, _ = funding_rounds(
        short,
        anyone,
        draw,
        revenue,
        burn,
        float(capital.vc_success_prob),
        float(capital.min_revenue_for_vc),
        float(capital.round_months),
    )
    return Funding(granted, raised, still_short)


def training_need(
    a: LabArrays,
    cash: FloatArray,
    still_short: BoolArray,
    expected_price: float,
    capital: CapitalCfg,
    demand: DemandCfg,
    bid: FloatArray | None = None,
) -> FloatArray:
    """H100e-hours of training each lab bids for this month.

    A base ratio to inference need plus spare cash (above ``capital.runway_months`` of
    burn) reinvested over ``demand.reinvest_months`` at the expected compute price (an
    exponential average of past median node prices, taken at most the training bid and at
    least :data:`MIN_PLANNED_TRAINING_PRICE`: adaptive expectations damp a cobweb; est.). A lab short of runway and turned down by
    investors cuts it toward half as its cash falls below ``capital.runway_months`` of burn:
    ``factor = 0.5 + 0.5 x min(1, cash / (runway_months x burn))``, continuous at the
    threshold (a lab with most of its runway does not halve its plans on one refused round;
    est.). ``bid`` is each lab's top training bid (the plan phase's
    :func:`agents.training_bids.training_bids`, under either rule); without it every lab
    bids ``demand.training_bid_share`` of the services price.

    >>> from agents.scenario import CapitalCfg, DemandCfg
    >>> a = LabArrays(2, 1)
    >>> a.training_ratio[:], a.inference_need[:], a.burn[:] = 0.5, 100.0, 10.0
    >>> cap = CapitalCfg(runway_months=6)
    >>> need = training_need(a, np.array([30.0, 60.0]), np.array([True, True]), 2.0, cap,
    ...     DemandCfg(training_bid_share=0.5, services_markup=1.6))
    >>> need.tolist()  # base 50; half the runway -> x 0.75; a full runway -> x 1
    [37.5, 50.0]
    """
    if bid is None:
        top = demand.training_bid_share * services_price(expected_price, demand.services_markup)
        bid = np.full(a.n, top)
    return training_hours(
        cash,
        a.burn,
        still_short,
        bool(np.count_nonzero(still_short)),  # .any() without its Python wrapper
        float(capital.runway_months),
        float(demand.reinvest_months),
        float(expected_price),
        MIN_PLANNED_TRAINING_PRICE,
        bid,
        a.training_ratio,
        a.inference_need,
        a.active,
    )
