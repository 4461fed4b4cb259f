"""A lab's bid for training compute: its top, its schedule, its tranches in the month's book.

The top (:func:`training_bids`) follows one of two rules, chosen by
``demand.training_bid_rule``:

``services_share`` (as shipped and calibrated)
    Every lab bids ``demand.training_bid_share`` of the price of AI services for
    training ([est-lab-economics]). The bid follows the market, not the lab's position
    in the race.

``capability_value``
    A major lab bids what an hour of training is worth to it under this model's own
    demand and scaling, at most the services price (an hour serving users earns that, and
    labs serve inference first, :func:`agents.lab.split_compute`). Its monthly revenue
    ``R_i`` is its logit share ``s_i`` of the major labs' demand
    (:func:`agents.lab.allocate_demand`; Berry, "Estimating discrete-choice models of
    product differentiation", *RAND Journal of Economics* 25(2), 1994), and total
    demand grows by ``exp(kappa x frontier gain)`` (:func:`agents.lab.services_demand`,
    ``demand.capability_demand``), so

    ``dR_i / dc_i = R_i x (beta x (1 - s_i) + kappa x [i is at the frontier])``

    (the logit derivative ``beta s (1 - s)`` times demand; Train, *Discrete Choice
    Methods with Simulation*, 2009, ch. 3). Capability grows with cumulative training
    ``C_i`` as ``k log(1 + C_i / ref_i)`` (:mod:`agents.phases.settle_labs`), so
    ``dc_i / dC_i = k / (ref_i + C_i)``. An hour of training is worth the margin ``m =
    markup / (1 + markup)`` on that extra revenue (what is left after the compute that
    serves it), counted over ``demand.capability_value_months`` (``H``):

    ``v_i = m x H x dR_i / dc_i x k / (ref_i + C_i)``

    with ``beta`` = ``demand.capability_beta``, ``k`` = ``demand.scaling_exponent``.
    ``H`` is a perpetuity's months at an annual discount rate ``r``, ``12 / r``: 60 at
    the 20% a venture investor asks of late-stage companies ([est-capability-value]).
    The derivative holds demand's price response and the demand shift's cap fixed.
    Before the scaling reference exists (the first month, when ``ref`` is set from the
    month's training) labs bid as under ``services_share``.

Small labs and enterprise buyers bid by the services share under either rule: they are
not in the race for the major labs' logit shares.

Below the top, a lab bids its training budget as a downward-sloping schedule
(:func:`training_bid_schedule`), which the clearing phase puts in the book as tranches
(:func:`training_tranches`, one compiled call with numpy's arithmetic, and
:func:`lab_training_tranches` for labs with tops of their own).
"""

from __future__ import annotations

import numpy as np

from agents.book_template import BookTemplate
from agents.lab import LabArrays
from agents.scenario import DemandCfg
from agents.state import FloatArray
from market.compiled import compiled

__all__ = [
    "capability_value",
    "lab_training_tranches",
    "training_bid_schedule",
    "training_bids",
    "training_tranches",
]


def capability_value(labs: LabArrays, training_ref: FloatArray, demand: DemandCfg) -> FloatArray:
    """(L,) dollars one more H100e-hour of training is worth to each active major lab.

    ``v_i = m x H x R_i x (beta (1 - s_i) + kappa [i leads]) x k / (ref_i + C_i)`` (module
    docstring); 0 for other rows. Shares ``s_i`` are of the active major labs' demand
    this month (``demand_usd``); the leaders are the active majors at the highest
    capability.

    >>> from agents.scenario import DemandCfg
    >>> a = LabArrays(2, 1)
    >>> a.demand_usd[:] = 3e9, 1e9
    >>> a.capability[:] = 1.0, 0.5
    >>> d = DemandCfg(services_markup=1.5, capability_beta=1.0, capability_demand=0.5,
    ...     scaling_exponent=0.5, capability_value_months=60.0)
    >>> v = capability_value(a, np.array([1e10, 1e10]), d)
    >>> # 0.6 x 60 x 3e9 x (0.25 + 0.5) x 0.5e-10 and 0.6 x 60 x 1e9 x 0.75 x 0.5e-10
    >>> np.round(v, 4).tolist()
    [4.05, 1.35]
    """
    major = labs.major & labs.active
    out = np.zeros(labs.n)
    if not major.any():
        return out
    revenue = labs.demand_usd[major]
    total = float(np.add.reduce(revenue))
    if not total > 0:
        return out
    share = revenue / total
    cap = labs.capability[major]
    lead = cap == cap.max()
    response = demand.capability_beta * (1.0 - share) + demand.capability_demand * lead
    margin = demand.services_markup / (1.0 + demand.services_markup)
    slope = demand.scaling_exponent / (training_ref[major] + labs.cum_training[major])
    out[major] = margin * demand.capability_value_months * revenue * response * slope
    return out


def training_bids(
    labs: LabArrays,
    training_ref: FloatArray | None,
    services_price: float,
    demand: DemandCfg,
) -> FloatArray:
    """(L,) the top of each lab's training bid this month, in dollars per H100e-hour.

    ``demand.training_bid_share`` of ``services_price`` for every row under
    ``services_share``, before the scaling reference exists, and for every row but the
    major labs; under ``capability_value`` a major lab bids :func:`capability_value`,
    at most ``services_price``.

    >>> from agents.scenario import DemandCfg
    >>> a = LabArrays(2, 1)
    >>> a.demand_usd[:] = 3e9, 1e9
    >>> a.capability[:] = 1.0, 0.5
    >>> d = DemandCfg(services_markup=1.5, capability_beta=1.0, capability_demand=0.5,
    ...     scaling_exponent=0.5, capability_value_months=60.0, training_bid_share=0.5,
    ...     training_bid_rule="capability_value")
    >>> training_bids(a, np.array([1e10, 1e10]), 3.0, d).tolist()  # 4.05 capped at 3
    [3.0, 1.35]
    >>> training_bids(a, None, 3.0, d).tolist()  # no scaling reference yet
    [1.5, 1.5]
    """
    out = np.full(labs.n, demand.training_bid_share * services_price)
    if demand.training_bid_rule == "capability_value" and training_ref is not None:
        major = labs.major
        value = np.minimum(services_price, capability_value(labs, training_ref, demand))
        out[major] = value[major]
    return out


def training_bid_schedule(
    top: float, planned: float, steps: int, floor: float
) -> tuple[FloatArray, FloatArray]:
    """A lab's demand schedule for training compute: (steps,) bids and quantities.

    Labs spend a training budget (:func:`training_need` plans it at ``planned``, the price
    they expect to pay, so the need ``T`` is budget / ``planned``); at a lower price the
    same budget buys more hours, at a higher one fewer: the cumulative quantity bid at or
    above price ``p`` is ``T x planned / p``, a unit-elastic (constant-budget) demand curve.
    It is bid in ``steps`` tranches at prices falling geometrically from ``top`` (the
    training bid) to ``floor x top``: bid ``k`` is ``top x floor^(k / (steps - 1))``, and
    tranche ``k`` holds ``T x planned x (1 / bid_k - 1 / bid_(k-1))`` (the first, ``T x
    planned / top``; ``planned`` is taken at most ``top``, so the first is at most ``T``).
    Returned quantities are shares of ``T``. With one step the whole need
    is bid at ``top`` (a flat bid).

    Why: against compute supply that is nearly vertical near full use, one flat bid makes a
    single-price market flip between "just long" (price = sellers' cost) and "just short"
    (price = the bid) month to month, the cobweb on a knife edge (Ezekiel, 1938, "The
    cobweb theorem", QJE 52(2)); a downward-sloping schedule gives the short side the
    interior price ``budget / (capacity - other demand)``, to within one step of the grid
    (est. [est-training-schedule]).

    >>> bids, q = training_bid_schedule(2.0, 1.0, 3, 0.25)
    >>> bids.tolist(), q.tolist()  # bids 2, 1, 0.5; cumulative 1/2, 1, 2 of the need
    ([2.0, 1.0, 0.5], [0.5, 0.5, 1.0])
    >>> [a.tolist() for a in training_bid_schedule(2.0, 1.0, 1, 0.25)]
    [[2.0], [1.0]]
    """
    bids: FloatArray = top * floor ** (np.arange(max(steps, 1)) / max(steps - 1.0, 1.0))
    # a bid below a trillionth of a dollar is none: such a lab bids its need flat
    if steps <= 1 or not bids[-1] > 1e-12 or not planned > 0:
        return np.full(1, top), np.ones(1)
    # a lab bidding less than it planned to pay gets at most its need at the top bid
    q: FloatArray = np.diff(min(planned, top) / bids, prepend=0.0)
    return bids, q


def training_tranches(
    template: BookTemplate, top: float, planned: float
) -> tuple[FloatArray, FloatArray]:
    """:func:`training_bid_schedule` at the scenario's steps and floor.

    The same numbers, from the template's ``floor^(k / (steps - 1))``: the bids are
    ``top`` times it, and the tranches the differences of ``min(planned, top) / bid``.
    """
    return _tranches(template.tranche_decay, top, planned)


@compiled
def _tranches(decay: FloatArray, top: float, planned: float) -> tuple[FloatArray, FloatArray]:
    """:func:`training_tranches` in one pass, as numpy computes it: ``bids = top * decay``,
    ``cum = min(planned, top) / bids`` (Python's ``min``: ``top`` only if smaller) and
    ``q = cum - cum`` shifted by one (``q[0] = cum[0]``); ``np.full(1, top)`` and
    ``np.ones(1)`` for one step, a last bid of at most a trillionth of a dollar, or no
    planned price."""
    bids = top * decay
    if decay.size <= 1 or not bids[-1] > 1e-12 or not planned > 0:
        return np.full(1, top), np.ones(1)
    least = top if top < planned else planned
    q = np.empty(decay.size)
    q[0] = least / bids[0]
    for k in range(1, decay.size):
        q[k] = least / bids[k] - least / bids[k - 1]
    return bids, q


def lab_training_tranches(
    template: BookTemplate, top: FloatArray, planned: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`training_tranches` for labs with bids of their own: (n_t, n_m) bids and shares.

    Column ``j`` is :func:`training_bid_schedule` at ``top[j]`` and
    ``planned[j]``, so the book keeps its tranche layout; a lab whose top bid is at most a
    trillionth of a dollar bids its whole need in the first tranche (its flat bid).

    >>> from types import SimpleNamespace
    >>> t = SimpleNamespace(tranche_decay=np.array([1.0, 0.5, 0.25]))
    >>> bids, q = lab_training_tranches(t, np.array([2.0, 0.0]), np.array([1.0, 0.25]))
    >>> bids.T.tolist(), q.T.tolist()
    ([[2.0, 1.0, 0.5], [0.0, 0.0, 0.0]], [[0.5, 0.5, 1.0], [1.0, 0.0, 0.0]])
    """
    decay = template.tranche_decay
    bids: FloatArray = decay[:, None] * top[None, :]
    if decay.size <= 1:
        return bids, np.ones_like(bids)
    with np.errstate(divide="ignore", invalid="ignore"):
        cum = np.minimum(planned, top)[None, :] / bids
    flat = ~(bids[-1] > 1e-12) | ~(planned > 0)
    cum[:, flat] = 1.0
    q: FloatArray = cum.copy()
    q[1:] -= cum[:-1]
    return bids, q
