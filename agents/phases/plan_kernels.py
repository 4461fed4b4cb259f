"""The arithmetic of the ``plan`` phase (:mod:`agents.phases.plan`) in a few compiled calls.

Each function does, cloud by cloud and region by region, what a dozen numpy calls of the
phase did on arrays of a few elements, with the same numbers to the bit: element-wise
operations in numpy's order, ``np.maximum`` and ``np.minimum`` as
:func:`market.compiled.maximum` and :func:`market.compiled.minimum`, and every sum as
numpy adds it (:func:`market.compiled.add_reduce` along a row; a reduction over a
region's and a month's axes of a pipeline, which numpy copies into a buffer first, as one
pairwise sum of that copy, regions first). Powers stay with the caller, in Python.
"""

from __future__ import annotations

import numpy as np

from agents.hyperscaler import starts_of_clouds
from agents.state import BoolArray, FloatArray, IntArray
from agents.units import W_PER_MW
from market.compiled import add_reduce, compiled, maximum, minimum, sum_rows

__all__ = [
    "ai_load",
    "budget_shares",
    "chip_mix",
    "chip_want",
    "fleet_rates",
    "plan_builds",
    "plan_start",
    "ports_weighed",
    "starts_and_shells",
    "unserved_hours",
]


@compiled
def _window_sum(a: FloatArray, h: int, lo: int, hi: int) -> float:
    """``np.add.reduce(a[:, :, lo:hi], axis=(1, 2))[h]`` of a 3-d C-ordered array: numpy
    copies the (R, hi - lo) block into a buffer, regions first, and sums it pairwise."""
    n_r, k = a.shape[1], max(0, hi - lo)
    flat = np.empty(n_r * k)
    for r in range(n_r):
        flat[r * k : (r + 1) * k] = a[h, r, lo:hi]
    return add_reduce(flat)


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
def chip_mix(
    built: FloatArray,
    interconnected: FloatArray,
    pipeline_built: FloatArray,
    pipeline_power: FloatArray,
    month: int,
    it_mw: FloatArray,
    can: FloatArray,
    family_mix: FloatArray,
    contract_share: FloatArray,
    contracted_mw: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
    """Free MW next month and the family mix of :func:`agents.phases.plan.chip_targets`.

    ``free = np.maximum(0, np.minimum(built + pipeline_built[:, :, month + 1],
    interconnected + pipeline_power[:, :, month + 1]) - it_mw)`` and its sum over regions;
    the mix ``np.maximum(family_mix * can, np.minimum(1, contracted_mw / np.maximum(1,
    built MW))[:, None] * contract_share * can)`` over its row's sum where that is
    positive. Returns ``(free, total_free, mix, bought)``, ``bought`` (F,) whether any
    cloud buys the family.
    """
    n_h, n_r = built.shape
    n_f = can.shape[1]
    nxt = month + 1
    free, total_free = np.empty((n_h, n_r)), np.empty(n_h)
    mix = np.empty((n_h, n_f))
    bought = np.zeros(n_f, np.bool_)
    for h in range(n_h):
        for r in range(n_r):
            powered = minimum(
                built[h, r] + pipeline_built[h, r, nxt],
                interconnected[h, r] + pipeline_power[h, r, nxt],
            )
            free[h, r] = maximum(0.0, powered - it_mw[h, r])
        total_free[h] = add_reduce(free[h])
        boost = minimum(1.0, contracted_mw[h] / maximum(1.0, add_reduce(built[h])))
        for f in range(n_f):
            mix[h, f] = maximum(
                family_mix[h, f] * can[h, f], boost * contract_share[h, f] * can[h, f]
            )
        mix_sum = add_reduce(mix[h])
        for f in range(n_f):
            if mix_sum > 0:
                mix[h, f] = mix[h, f] / mix_sum
            bought[f] = bought[f] or mix[h, f] > 0
    return free, total_free, mix, bought


@compiled
def chip_want(
    total_free: FloatArray, mix: FloatArray, watts: FloatArray, value: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``total_free[:, None] * mix * W_PER_MW / watts`` chips, and their price
    ``np.where(mix > 0, value, 0.0)``."""
    n_h, n_f = mix.shape
    want, price = np.empty((n_h, n_f)), np.empty((n_h, n_f))
    for h in range(n_h):
        for f in range(n_f):
            want[h, f] = total_free[h] * mix[h, f] * W_PER_MW / watts[f]
            price[h, f] = value[f] if mix[h, f] > 0 else 0.0
    return want, price


@compiled
def starts_and_shells(
    built: FloatArray,
    interconnected: FloatArray,
    pipeline_built: FloatArray,
    pipeline_power: FloatArray,
    month: int,
    lead: int,
    build_months: int,
    interconnection_months: int,
    sold_mw: FloatArray,
    contracted_mw: FloatArray,
    unserved_mw: FloatArray,
    budget: FloatArray,
    growth_lead: float,
    growth_build: float,
    scale: float,
    max_mw: float,
    region_weight: FloatArray,
    allowance: float,
) -> FloatArray:
    """Grid requests and shells started this month, written into the pipelines; the shells.

    Each cloud's MW connected or queued within ``lead`` months and built or building within
    the build, judged by :func:`agents.hyperscaler.starts_of_clouds` (growth factors
    ``growth_lead`` and ``growth_build`` over the two leads), spread over regions by
    ``region_weight``; the requests join ``pipeline_power`` at ``month +
    interconnection_months``, and the shells, at most
    :func:`agents.hyperscaler.power_room` of the power due by their completion, join
    ``pipeline_built`` at ``month + build_months`` (in place, as the numpy code did).
    """
    n_h, n_r = built.shape
    done = month + build_months
    queued, building_h = np.empty(n_h), np.empty(n_h)
    for h in range(n_h):
        queued[h] = add_reduce(interconnected[h]) + _window_sum(
            pipeline_power, h, month + 1, month + lead + 1
        )
        building_h[h] = add_reduce(built[h]) + _window_sum(pipeline_built, h, month + 1, done + 1)
    adjust = float(build_months)
    request = starts_of_clouds(
        sold_mw, contracted_mw, growth_lead, queued, budget, max_mw, adjust, unserved_mw, scale
    )
    wanted = starts_of_clouds(
        sold_mw, contracted_mw, growth_build, building_h, budget, max_mw, adjust, unserved_mw, scale
    )
    at = month + interconnection_months
    for h in range(n_h):
        for r in range(n_r):
            pipeline_power[h, r, at] += request[h] * region_weight[r]
    shells = np.empty((n_h, n_r))
    for h in range(n_h):
        for r in range(n_r):
            building = built[h, r] + add_reduce(pipeline_built[h, r, month + 1 : done + 1])
            due = interconnected[h, r] + add_reduce(pipeline_power[h, r, month + 1 : done + 1])
            room = maximum(0.0, (1.0 + allowance) * due - building)
            shells[h, r] = minimum(wanted[h] * region_weight[r], room)
    for h in range(n_h):
        for r in range(n_r):
            pipeline_built[h, r, done] += shells[h, r]
    return shells


@compiled
def _scale_to_budget(budget: float, first: float, second: float) -> tuple[float, float]:
    """:func:`agents.finance.scale_to_budget` (Python's ``max`` keeps its first argument on
    a tie or a nan)."""
    b = budget if budget > 0.0 else 0.0
    f1 = 1.0 if first <= b else b / first
    left = b - first * f1
    left = left if left > 0.0 else 0.0
    f2 = 1.0 if second <= left else left / second
    return f1, f2


@compiled
def budget_shares(
    budget: FloatArray,
    total_free: FloatArray,
    mix: FloatArray,
    watts: FloatArray,
    value: FloatArray,
    shells: FloatArray,
    pipeline_built: FloatArray,
    pipeline_capex: FloatArray,
    dc_started: FloatArray,
    month: int,
    build_months: int,
    cost_per_mw: float,
    converting: bool,
    conversion_cost: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The chips wanted (:func:`chip_want`) and the starts, cut to each cloud's budget,
    chips first, and the starts' instalments scheduled.

    Per cloud, :func:`agents.finance.scale_to_budget` of ``budget`` over its chips
    (``np.add.reduce(want * price, axis=1)``) and its starts' cost (``np.add.reduce(shells,
    axis=1) * cost_per_mw``, plus ``conversion_cost`` when ``converting``); the shells are
    cut from ``pipeline_built[:, :, month + build_months]`` (``-= shells * (1 -
    f_dc)[:, None]``), the starts kept (``starts * f_dc``) paid in equal instalments over
    the build (:meth:`agents.state.Sites.commit_building`: ``pipeline_capex[:, month:month
    + build_months] += (starts * (cost_per_mw / build_months))[:, None]``) and their cost
    written into ``dc_started``. Returns ``(want, price, f_dc)``.
    """
    want, price = chip_want(total_free, mix, watts, value)
    n_h, n_f = want.shape
    f_dc = np.empty(n_h)
    spend = np.empty(n_f)
    done = month + build_months
    instalment = cost_per_mw / build_months if build_months > 0 else 0.0
    for h in range(n_h):
        start = add_reduce(shells[h])
        dc_cost = start * cost_per_mw
        if converting:
            dc_cost += conversion_cost[h]
        for f in range(n_f):
            spend[f] = want[h, f] * price[h, f]
        f_chips, f_dc[h] = _scale_to_budget(budget[h], add_reduce(spend), dc_cost)
        for f in range(n_f):
            want[h, f] *= f_chips
        cut = 1.0 - f_dc[h]
        for r in range(shells.shape[1]):
            pipeline_built[h, r, done] -= shells[h, r] * cut
        start *= f_dc[h]
        for m in range(month, done):
            pipeline_capex[h, m] += start * instalment
        dc_started[h] = start * cost_per_mw
    return want, price, f_dc


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
def plan_builds(
    built: FloatArray,
    interconnected: FloatArray,
    pipeline_built: FloatArray,
    pipeline_power: FloatArray,
    pipeline_capex: FloatArray,
    month: int,
    lead: int,
    build_months: int,
    interconnection_months: int,
    rates: FloatArray,
    budget: FloatArray,
    growth_lead: float,
    growth_build: float,
    scale: float,
    max_mw: float,
    region_weight: FloatArray,
    allowance: float,
    it_mw: FloatArray,
    can: FloatArray,
    family_mix: FloatArray,
    contract_share: FloatArray,
    watts: FloatArray,
    value: FloatArray,
    dc_started: FloatArray,
    capex_dc: FloatArray,
    dc_committed: FloatArray,
    cost_per_mw: float,
    converting: bool,
    conversion_cost: FloatArray,
    want: FloatArray,
    price: FloatArray,
    free: FloatArray,
    f_dc: FloatArray,
) -> None:
    """:func:`starts_and_shells`, :func:`chip_mix` of the pipelines so updated and
    :func:`budget_shares` in one call, then the month's instalments.

    ``rates`` is what :func:`fleet_rates` returns (sold, contracted and unserved MW, and
    the building committed before this month); ``watts`` and ``value`` are every family's
    newest generation's; a family no cloud buys counts 1 W and no value, as
    :func:`agents.phases.plan.family_values` gives it. ``(want, price, free, f_dc)`` are
    written into the last four arrays (new ones, of their shapes), the instalments due
    this month into ``capex_dc`` (``pipeline_capex[:, month]``) and ``committed +
    dc_started - capex_dc`` into ``dc_committed``.
    """
    sold_mw, contracted_mw, unserved_mw = rates[0], rates[1], rates[2]
    shells = starts_and_shells(
        built,
        interconnected,
        pipeline_built,
        pipeline_power,
        month,
        lead,
        build_months,
        interconnection_months,
        sold_mw,
        contracted_mw,
        unserved_mw,
        budget,
        growth_lead,
        growth_build,
        scale,
        max_mw,
        region_weight,
        allowance,
    )
    free_mw, total_free, mix, bought = chip_mix(
        built,
        interconnected,
        pipeline_built,
        pipeline_power,
        month,
        it_mw,
        can,
        family_mix,
        contract_share,
        contracted_mw,
    )
    bought_watts, bought_value = np.ones(watts.size), np.zeros(value.size)
    for f in range(watts.size):
        if bought[f]:
            bought_watts[f], bought_value[f] = watts[f], value[f]
    cut_want, bid, share_dc = budget_shares(
        budget,
        total_free,
        mix,
        bought_watts,
        bought_value,
        shells,
        pipeline_built,
        pipeline_capex,
        dc_started,
        month,
        build_months,
        cost_per_mw,
        converting,
        conversion_cost,
    )
    want[:] = cut_want
    price[:] = bid
    free[:] = free_mw
    f_dc[:] = share_dc
    for h in range(capex_dc.size):
        capex_dc[h] = pipeline_capex[h, month]
        dc_committed[h] = rates[3, h] + dc_started[h] - capex_dc[h]
