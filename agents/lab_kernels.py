"""The arithmetic of the labs' monthly plans (:mod:`agents.lab`), each in one compiled call.

:func:`agents.lab.allocate_demand`, :func:`agents.lab.plan_funding` and
:func:`agents.lab.training_need` are a dozen numpy calls each on arrays of one entry per
lab; the kernels here do the same element-wise arithmetic in numpy's order (``np.maximum``
and ``np.minimum`` as :func:`market.compiled.maximum` and :func:`market.compiled.minimum`,
sums as ``np.add.reduce``), so the numbers are the same to the bit
(:func:`funding_rounds` is :func:`agents.lab.plan_funding`'s own). The exponential of the
demand logit stays numpy's (a compiled ``exp`` may differ in the last bit) and is passed in.
"""

from __future__ import annotations

import numpy as np

from agents.state import BoolArray, FloatArray, IntArray
from agents.units import MONTHS_PER_YEAR
from market.compiled import add_reduce, compiled, maximum, minimum

__all__ = ["demand_shares", "funding_rounds", "short_of_runway", "training_hours"]


@compiled
def demand_shares(
    kind: IntArray,
    major_kind: int,
    active: BoolArray,
    exp_logit: FloatArray,
    weight: FloatArray,
    total_usd: float,
    rest_share: float,
    price: float,
    demand_usd: FloatArray,
    inference_need: FloatArray,
) -> None:
    """:func:`agents.lab.allocate_demand` after its exponential, in place.

    Active majors share ``total_usd x (1 - share)`` by ``exp_logit``, the other active rows
    ``total_usd x share`` by ``weight`` (``share`` is ``rest_share`` when there are any, else
    0), each added to ``0.0`` as ``(total_usd x part) x value / sum``; the sums are
    ``np.add.reduce`` of the arrays with zeros in the other rows; ``inference_need =
    demand_usd / price``.
    """
    n = kind.size
    logit, w = np.zeros(n), np.zeros(n)
    any_rest = False
    for i in range(n):
        if active[i]:
            if kind[i] == major_kind:
                logit[i] = exp_logit[i]
            else:
                w[i] = weight[i]
                any_rest = True
    share = rest_share if any_rest else 0.0
    demand_usd[:] = 0.0
    logit_sum = add_reduce(logit)
    if logit_sum > 0:
        part = total_usd * (1.0 - share)
        for i in range(n):
            demand_usd[i] += part * logit[i] / logit_sum
    if any_rest:
        w_sum = add_reduce(w)
        if w_sum > 0:
            part = total_usd * share
            for i in range(n):
                demand_usd[i] += part * w[i] / w_sum
    for i in range(n):
        inference_need[i] = demand_usd[i] / price


@compiled
def short_of_runway(
    cash: FloatArray,
    burn: FloatArray,
    active: BoolArray,
    may_raise: BoolArray,
    runway_months: float,
) -> tuple[BoolArray, bool]:
    """``active & (burn > 0) & (cash < runway_months * burn) & may_raise``, and whether any
    is (:func:`agents.lab.plan_funding`'s labs that ask for a round)."""
    short = np.empty(cash.size, dtype=np.bool_)
    anyone = False
    for i in range(cash.size):
        short[i] = active[i] and burn[i] > 0 and cash[i] < runway_months * burn[i] and may_raise[i]
        anyone |= short[i]
    return short, anyone


@compiled
def funding_rounds(
    short: BoolArray,
    anyone: bool,
    draw: FloatArray,
    revenue: FloatArray,
    burn: FloatArray,
    success_prob: float,
    min_revenue: float,
    round_months: float,
) -> tuple[BoolArray, FloatArray, BoolArray, bool, bool]:
    """:func:`agents.lab.plan_funding`'s rounds, given the labs ``short`` of runway
    (:func:`short_of_runway`; ``anyone``: whether any is).

    A short lab is granted a round where ``draw < success_prob`` and its annual revenue,
    ``revenue x`` :data:`agents.units.MONTHS_PER_YEAR`, is at least ``min_revenue``, of
    ``round_months x burn``. Returns ``(granted, raised, still short, whether any was
    granted, whether any is still short)``.
    """
    n = short.size
    raised = np.zeros(n)
    granted = np.zeros(n, np.bool_)
    if not anyone:  # most months: nobody asks
        return granted, raised, short, False, False
    still = np.empty(n, np.bool_)
    any_ok = any_short = False
    for i in range(n):
        ok = short[i] and draw[i] < success_prob and revenue[i] * MONTHS_PER_YEAR >= min_revenue
        granted[i] = ok
        if ok:
            raised[i] = round_months * burn[i]
        still[i] = short[i] and not ok
        any_ok |= ok
        any_short |= still[i]
    return granted, raised, still, any_ok, any_short


@compiled
def training_hours(
    cash: FloatArray,
    burn: FloatArray,
    still_short: BoolArray,
    any_short: bool,
    runway_months: float,
    reinvest_months: float,
    expected_price: float,
    least_price: float,
    bid: FloatArray,
    training_ratio: FloatArray,
    inference_need: FloatArray,
    active: BoolArray,
) -> FloatArray:
    """:func:`agents.lab.training_need`'s hours: ``(training_ratio x inference_need +
    extra) x factor``, 0 in inactive rows.

    ``want = runway_months x burn``; ``extra = max(0, cash - want) / reinvest_months /
    planned``, with ``planned = max(least_price, min(expected_price, bid))``, and 0 where
    the lab does not train or bids nothing; ``factor = 0.5 + 0.5 x min(max(runway, 0), 1)``
    for labs ``still_short`` (``runway = cash / want``, 1 where ``want`` is not positive)
    when ``any_short``, else 1.
    """
    out = np.empty(cash.size)
    for i in range(cash.size):
        want = runway_months * burn[i]
        factor = 1.0
        if any_short and still_short[i]:
            runway = cash[i] / want if want > 0 else 1.0
            factor = 0.5 + 0.5 * minimum(maximum(runway, 0.0), 1.0)
        extra = maximum(0.0, cash[i] - want) / reinvest_months
        extra = extra / maximum(least_price, minimum(expected_price, bid[i]))
        if not (training_ratio[i] > 0 and bid[i] > 0):
            extra = 0.0
        hours = (training_ratio[i] * inference_need[i] + extra) * factor
        out[i] = hours if active[i] else 0.0
    return out
