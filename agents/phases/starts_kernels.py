"""The starts and the chip bids of the ``plan`` phase (:mod:`agents.phases.plan`) in
compiled calls.

Each cloud's grid requests and shells (:func:`starts_and_shells`), the chips it bids for
to fill next month's free power (:func:`chip_mix`, :func:`chip_want`), both cut to its
budget, chips first (:func:`budget_shares`), in one call (:func:`plan_builds`). Each
function does, cloud by cloud and region by region, what a dozen numpy calls did, with
the same numbers to the bit: element-wise operations in numpy's order, ``np.maximum`` and
``np.minimum`` as :func:`market.compiled.maximum` and :func:`market.compiled.minimum`, and
every sum as numpy adds it (:func:`market.compiled.add_reduce` along a row; a reduction
over a region's and a month's axes of a pipeline, which numpy copies into a buffer first,
as one pairwise sum of that copy, regions first). Powers stay with the caller, in Python.
"""

from __future__ import annotations

import numpy as np

from agents.hyperscaler import starts_of_clouds
from agents.state import BoolArray, FloatArray
from agents.units import W_PER_MW
from market.compiled import add_reduce, compiled, maximum, minimum

__all__ = [
    "budget_shares",
    "chip_mix",
    "chip_want",
    "plan_builds",
    "starts_and_shells",
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
