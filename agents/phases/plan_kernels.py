"""The arithmetic of the ``plan`` phase (:mod:`agents.phases.plan`) in a few compiled calls.

What the phase reads of last month before any decision is one call (:func:`plan_reads`:
the fleet's rates, the chips' values, the labs' frontier and demand logit), and so are the
labs' funding, training targets and ports weighed (:func:`lab_month`). Each function does,
cloud by cloud, region by region or lab by lab, what a dozen numpy calls of the phase did
on arrays of a few elements, with the same numbers to the bit: element-wise operations in
numpy's order, ``np.maximum`` and ``np.minimum`` as :func:`market.compiled.maximum` and
:func:`market.compiled.minimum`, and every sum as numpy adds it
(:func:`market.compiled.add_reduce` along a row). The starts and the chip bids are in
:mod:`agents.phases.starts_kernels`. Powers and exponentials stay with the caller, in numpy.
"""

from __future__ import annotations

import numpy as np

from agents.lab_kernels import funding_rounds, short_of_runway, training_hours
from agents.phases.chip_values import newest_values
from agents.state import BoolArray, FloatArray, IntArray
from market.compiled import add_reduce, compiled, maximum, minimum, sum_rows

__all__ = [
    "ai_load",
    "demand_logits",
    "fleet_rates",
    "lab_month",
    "plan_reads",
    "plan_start",
    "ports_weighed",
    "unserved_hours",
]


@compiled
def unserved_hours(need: FloatArray, served: FloatArray, active: BoolArray) -> float:
    """``np.add.reduce(np.maximum(0.0, need - served)[active])``: what the active labs were
    throttled on."""
    short = np.empty(need.size)
    n = 0
    for i in range(need.size):
        if active[i]:
            short[n] = maximum(0.0, need[i] - served[i])
            n += 1
    return add_reduce(short[:n])


@compiled
def ai_load(
    pipeline_power: FloatArray,
    built: FloatArray,
    interconnected: FloatArray,
    pue: FloatArray,
    lo: int,
    hi: int,
    new_pue: float,
) -> FloatArray:
    """(R,) ``connected + new_pue * np.add.reduce(due, axis=0)``, where ``connected`` is
    ``np.add.reduce(np.minimum(built, interconnected) * pue, axis=0)`` and ``due``
    ``np.add.reduce(pipeline_power[:, :, lo:hi], axis=2)``."""
    n_h, n_r = built.shape
    due = np.empty((n_h, n_r))
    connected = np.empty((n_h, n_r))
    for h in range(n_h):
        for r in range(n_r):
            due[h, r] = add_reduce(pipeline_power[h, r, lo:hi])
            connected[h, r] = minimum(built[h, r], interconnected[h, r]) * pue[h, r]
    return sum_rows(connected) + new_pue * sum_rows(due)


@compiled
def fleet_rates(
    mwh: FloatArray,
    pue: FloatArray,
    sold: FloatArray,
    capacity: FloatArray,
    hours: float,
    default: float,
    contracted: FloatArray,
    unserved_h: float,
    pipeline_capex: FloatArray,
    month: int,
) -> FloatArray:
    """Each cloud's IT MW sold, contracted and throttled, and its building started unpaid.

    With ``mw_per_h = mwh / pue[:, :, None] / hours`` (IT MW per H100e-hour a month) and
    sums over each cloud's nodes (``np.add.reduce(x, axis=(1, 2))``, one pairwise sum of
    its contiguous block): ``sold_mw`` the sum of ``sold * mw_per_h``; the fleet's rate the
    sum of ``mw_per_h * capacity`` over that of ``capacity`` (``default`` without
    capacity); ``contracted_mw = contracted * rate``; ``unserved_mw = unserved_h *
    mean(rate) * share``, ``share`` each cloud's share of ``sold_mw`` (equal shares when
    none is sold); ``committed = np.add.reduce(pipeline_capex[:, month:], axis=1)``.
    Returns the (4, H) rows ``(sold_mw, contracted_mw, unserved_mw, committed)``.
    """
    n_h, n_r, n_f = mwh.shape
    rates = np.empty((4, n_h))
    sold_mw, contracted_mw, unserved_mw, committed = rates[0], rates[1], rates[2], rates[3]
    rate = np.empty(n_h)
    a, b, c = np.empty(n_r * n_f), np.empty(n_r * n_f), np.empty(n_r * n_f)
    for h in range(n_h):
        for r in range(n_r):
            for f in range(n_f):
                m = mwh[h, r, f] / pue[h, r] / hours
                k = r * n_f + f
                a[k] = sold[h, r, f] * m
                b[k] = m * capacity[h, r, f]
                c[k] = capacity[h, r, f]
        sold_mw[h] = add_reduce(a)
        cap = add_reduce(c)
        rate[h] = add_reduce(b) / cap if cap > 0 else default
        committed[h] = add_reduce(pipeline_capex[h, month:])
    total = add_reduce(sold_mw)
    per_cloud = unserved_h * (add_reduce(rate) / n_h)
    for h in range(n_h):
        share = sold_mw[h] / total if total > 0 else 1.0 / n_h
        unserved_mw[h] = per_cloud * share
        contracted_mw[h] = contracted[h] * rate[h]
    return rates


@compiled
def plan_start(
    need: FloatArray,
    served: FloatArray,
    active: BoolArray,
    pipeline_power: FloatArray,
    built: FloatArray,
    interconnected: FloatArray,
    pue: FloatArray,
    lo: int,
    hi: int,
    new_pue: float,
    mwh: FloatArray,
    sold: FloatArray,
    capacity: FloatArray,
    hours: float,
    default: float,
    contracted: FloatArray,
    pipeline_capex: FloatArray,
    month: int,
    hs_hours: FloatArray,
) -> tuple[FloatArray, FloatArray, float, float]:
    """:func:`ai_load` and :func:`fleet_rates` (with the :func:`unserved_hours` of ``need``,
    ``served`` and ``active``) in one call: what the plan phase reads of last month before
    any decision; with the hours sold last month and 11 months before, ``np.add.reduce``
    of rows ``(month - 1) % 12`` and ``month % 12`` of ``hs_hours``. Returns ``(ai_load,
    rates, new, old)``.
    """
    forecast = ai_load(pipeline_power, built, interconnected, pue, lo, hi, new_pue)
    unserved_h = unserved_hours(need, served, active)
    rates = fleet_rates(
        mwh, pue, sold, capacity, hours, default, contracted, unserved_h, pipeline_capex, month
    )
    n = hs_hours.shape[0]
    new = add_reduce(hs_hours[(month - 1) % n])
    old = add_reduce(hs_hours[month % n])
    return forecast, rates, new, old


@compiled
def demand_logits(
    capability: FloatArray, kind: IntArray, major: int, beta: float
) -> tuple[FloatArray, float]:
    """``beta * (capability - np.maximum.reduce(capability))``, the exponent of
    :func:`agents.lab.allocate_demand`'s logit, and the frontier,
    ``np.maximum.reduce(capability[kind == major])`` (a nan in either is their maximum, as
    numpy's; there is at least one lab of kind ``major``)."""
    top = capability[0]
    frontier = np.nan
    first = True
    for i in range(capability.size):
        top = maximum(top, capability[i])
        if kind[i] == major:
            frontier = capability[i] if first else maximum(frontier, capability[i])
            first = False
    out = np.empty(capability.size)
    for i in range(capability.size):
        out[i] = beta * (capability[i] - top)
    return out, frontier


@compiled
def plan_reads(
    need: FloatArray,
    served: FloatArray,
    active: BoolArray,
    pipeline_power: FloatArray,
    built: FloatArray,
    interconnected: FloatArray,
    pue: FloatArray,
    lo: int,
    hi: int,
    new_pue: float,
    mwh: FloatArray,
    sold: FloatArray,
    capacity: FloatArray,
    hours: float,
    default: float,
    contracted: FloatArray,
    pipeline_capex: FloatArray,
    month: int,
    hs_hours: FloatArray,
    releases: IntArray,
    newest: IntArray,
    it_watts: FloatArray,
    power: FloatArray,
    shell: FloatArray,
    unit_hours: FloatArray,
    cost: FloatArray,
    annuity: float,
    rent: float,
    power_price: FloatArray,
    capability: FloatArray,
    kind: IntArray,
    major: int,
    beta: float,
) -> tuple[FloatArray, FloatArray, float, float, FloatArray, float, FloatArray, float]:
    """:func:`plan_start`, :func:`agents.phases.chip_values.newest_values` (of ``month``,
    with the terms from ``releases`` on, ``unit_hours`` its ``hours``) and
    :func:`demand_logits` in one call. Returns ``(ai_load, rates, new, old, values, q,
    logits, frontier)``.
    """
    forecast, rates, new, old = plan_start(
        need,
        served,
        active,
        pipeline_power,
        built,
        interconnected,
        pue,
        lo,
        hi,
        new_pue,
        mwh,
        sold,
        capacity,
        hours,
        default,
        contracted,
        pipeline_capex,
        month,
        hs_hours,
    )
    values, q = newest_values(
        month,
        releases,
        newest,
        it_watts,
        power,
        shell,
        unit_hours,
        cost,
        annuity,
        rent,
        power_price,
    )
    logits, frontier = demand_logits(capability, kind, major, beta)
    return forecast, rates, new, old, values, q, logits, frontier


@compiled
def ports_weighed(
    month: int,
    major: int,
    kind: IntArray,
    active: BoolArray,
    porting_done: IntArray,
    porting_to: IntArray,
    affinity: FloatArray,
    family_price: FloatArray,
    spend: FloatArray,
    received: FloatArray,
    keep: float,
) -> bool:
    """Ends the ports due this month and says whether any lab may weigh a new one.

    A port done this month (``porting_done == month``, to family ``porting_to >= 0``)
    sets the lab's affinity to that family to 1 and ``porting_to`` to -1, in place. Then
    the candidates are the active labs of kind ``major`` not porting; with none, or a
    family price that is not finite, no port is weighed; else one is where a candidate
    that received compute pays more than the cheapest family's price over ``keep``
    (``keep * (spend / received) > np.minimum.reduce(family_price)``).
    """
    for i in range(porting_done.size):
        if porting_done[i] == month and porting_to[i] >= 0:
            affinity[i, porting_to[i]] = 1.0
            porting_to[i] = -1
    cheapest = np.inf
    for f in range(family_price.size):
        if not np.isfinite(family_price[f]):
            return False
        cheapest = min(cheapest, family_price[f])
    for i in range(kind.size):
        if kind[i] == major and active[i] and porting_to[i] < 0:
            if received[i] > 0 and keep * (spend[i] / received[i]) > cheapest:
                return True
    return False


@compiled
def lab_month(
    cash: FloatArray,
    burn: FloatArray,
    revenue: FloatArray,
    active: BoolArray,
    kind: IntArray,
    major: int,
    enterprise: int,
    draw: FloatArray,
    runway_months: float,
    success_prob: float,
    min_revenue: float,
    round_months: float,
    reinvest_months: float,
    expected_price: float,
    least_price: float,
    bid: FloatArray,
    training_ratio: FloatArray,
    inference_need: FloatArray,
    training_need: FloatArray,
    month: int,
    porting_done: IntArray,
    porting_to: IntArray,
    affinity: FloatArray,
    family_price: FloatArray,
    spend: FloatArray,
    received: FloatArray,
    keep: float,
) -> tuple[BoolArray, FloatArray, BoolArray, bool, bool, bool]:
    """:func:`agents.lab.plan_funding`, :func:`agents.lab.training_need` and
    :func:`ports_weighed` of the labs' month in one call.

    The labs that may raise are those not of kind ``enterprise``; the short ones
    (:func:`agents.lab_kernels.short_of_runway`) are granted rounds by
    :func:`agents.lab_kernels.funding_rounds`; the training hours
    (:func:`agents.lab_kernels.training_hours` at each lab's ``bid``, cut for the labs still
    short) are written into ``training_need``; then the ports due end and whether any lab
    may weigh a new one is told, in place, as :func:`ports_weighed`.
    Returns ``(granted, raised, still_short, any granted, any still short, weigh)``.
    """
    n = cash.size
    may_raise = np.empty(n, np.bool_)
    for i in range(n):
        may_raise[i] = kind[i] != enterprise
    short, anyone = short_of_runway(cash, burn, active, may_raise, runway_months)
    granted, raised, still, any_ok, any_short = funding_rounds(
        short, anyone, draw, revenue, burn, success_prob, min_revenue, round_months
    )
    training_need[:] = training_hours(
        cash,
        burn,
        still,
        any_short,
        runway_months,
        reinvest_months,
        expected_price,
        least_price,
        bid,
        training_ratio,
        inference_need,
        active,
    )
    weigh = ports_weighed(
        month,
        major,
        kind,
        active,
        porting_done,
        porting_to,
        affinity,
        family_price,
        spend,
        received,
        keep,
    )
    return granted, raised, still, any_ok, any_short, weigh
