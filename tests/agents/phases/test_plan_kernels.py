"""The plan phase's compiled arithmetic against the numpy expressions it replaces, to the bit
(:mod:`agents.phases.plan_kernels` and :mod:`agents.phases.starts_kernels`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from agents.finance import scale_to_budget
from agents.hyperscaler import TARGET_UTILISATION, power_room
from agents.lab import (
    MIN_PLANNED_TRAINING_PRICE,
    LabArrays,
    plan_funding,
    training_need,
)
from agents.phases.chip_values import chip_terms, newest_values
from agents.phases.plan_kernels import (
    ai_load,
    demand_logits,
    fleet_rates,
    lab_month,
    plan_reads,
    plan_start,
    ports_weighed,
    unserved_hours,
)
from agents.phases.starts_kernels import (
    budget_shares,
    chip_mix,
    chip_want,
    plan_builds,
    starts_and_shells,
)
from agents.scenario import CapitalCfg, DemandCfg, Scenario
from agents.state import Tech
from agents.units import W_PER_MW

H, R, F, M = 4, 4, 3, 64


def _draw(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values over many magnitudes, a quarter of them zero."""
    x = rng.standard_normal(shape) ** 2 * 10.0 ** rng.uniform(-3, 4, shape)
    x[rng.random(shape) < 0.25] = 0.0
    return x


def _same(a: object, b: object) -> None:
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b), strict=True)


def _starts(*args: Any) -> np.ndarray:
    """The numpy expressions of ``datacentre_starts_all`` before it was compiled."""
    sold, contracted, factor, pipeline, cash, max_mw, adjust, unserved, scale = args
    seen = np.maximum(sold + unserved, contracted)
    target = seen * factor / TARGET_UTILISATION
    if scale != 1.0:
        target *= scale
    target += np.maximum(0.0, contracted - sold)
    gap = np.minimum(np.maximum((target - pipeline) / adjust, 0.0), max_mw)
    return np.where(cash <= 0, 0.0, gap)


@pytest.mark.parametrize("seed", range(20))
def test_the_kernels_give_the_numbers_of_the_numpy_code(seed: int) -> None:
    rng = np.random.default_rng(seed)
    month = int(rng.integers(0, 20))
    lead, build, ic = (int(x) for x in rng.integers(1, 30, 3))
    built, ic_mw, pue = _draw(rng, H, R), _draw(rng, H, R), 1.0 + _draw(rng, H, R) * 1e-4
    pb, pp = _draw(rng, H, R, M), _draw(rng, H, R, M)
    pb0, pp0 = pb.copy(), pp.copy()

    need, served = _draw(rng, 6), _draw(rng, 6)
    active = rng.random(6) < 0.7
    _same(
        unserved_hours(need, served, active), np.add.reduce(np.maximum(0.0, need - served)[active])
    )

    due = np.add.reduce(pp[:, :, month + 1 : month + lead + 1], axis=2)
    connected = np.add.reduce(np.minimum(built, ic_mw) * pue, axis=0)
    _same(
        ai_load(pp, built, ic_mw, pue, month + 1, month + lead + 1, 1.3),
        connected + 1.3 * np.add.reduce(due, axis=0),
    )

    mwh, sold, cap = _draw(rng, H, R, F), _draw(rng, H, R, F), _draw(rng, H, R, F)
    cap[0] = 0.0
    if seed % 3 == 0:
        sold[:] = 0.0
    contracted, capex = _draw(rng, H), _draw(rng, H, M)
    hours, default, unserved_h = 657.0, 1.3e-3 / 657.0, float(_draw(rng, 1)[0])
    got = fleet_rates(mwh, pue, sold, cap, hours, default, contracted, unserved_h, capex, month)
    mw_per_h = mwh / pue[:, :, None] / hours
    sold_mw = np.add.reduce(sold * mw_per_h, axis=(1, 2))
    cap_h = np.add.reduce(cap, axis=(1, 2))
    rate = np.divide(
        np.add.reduce(mw_per_h * cap, axis=(1, 2)), cap_h, out=np.full(H, default), where=cap_h > 0
    )
    total = np.add.reduce(sold_mw)
    share = sold_mw / total if total > 0 else np.full(H, 1.0 / H)
    unserved_mw = unserved_h * (float(np.add.reduce(rate)) / H) * share
    committed = np.add.reduce(capex[:, month:], axis=1)
    _same(got, np.stack((sold_mw, contracted * rate, unserved_mw, committed)))
    # with the AI load forecast and the throttled hours, in one call
    hs_hours = _draw(rng, 12, H)
    forecast, rates, new, old = plan_start(
        need,
        served,
        active,
        pp,
        built,
        ic_mw,
        pue,
        month + 1,
        month + lead + 1,
        1.3,
        mwh,
        sold,
        cap,
        hours,
        default,
        contracted,
        capex,
        month,
        hs_hours,
    )
    _same(new, np.add.reduce(hs_hours[(month - 1) % 12]))
    _same(old, np.add.reduce(hs_hours[month % 12]))
    _same(forecast, ai_load(pp, built, ic_mw, pue, month + 1, month + lead + 1, 1.3))
    unserved_h = unserved_hours(need, served, active)
    _same(
        rates,
        fleet_rates(mwh, pue, sold, cap, hours, default, contracted, unserved_h, capex, month),
    )

    contracted_mw, budget, weight = got[1], _draw(rng, H) - 1.0, rng.dirichlet(np.ones(R))
    g_lead, g_build, scale, most, allowance = 1.7, 1.3, float(rng.choice([1.0, 1.4])), 400.0, 0.1
    it_mw, can = _draw(rng, H, R), np.where(rng.random((H, F)) < 0.7, 1.0, 0.0)
    fam_mix, c_share = _draw(rng, H, F), _draw(rng, H, F)
    before = [x.copy() for x in (pb, pp, capex)]
    shells = starts_and_shells(
        built,
        ic_mw,
        pb,
        pp,
        month,
        lead,
        build,
        ic,
        sold_mw,
        contracted_mw,
        unserved_mw,
        budget,
        g_lead,
        g_build,
        scale,
        most,
        weight,
        allowance,
    )
    done = month + build
    queued = np.add.reduce(ic_mw, axis=1) + np.add.reduce(
        pp0[:, :, month + 1 : month + lead + 1], axis=(1, 2)
    )
    building_h = np.add.reduce(built, axis=1) + np.add.reduce(
        pb0[:, :, month + 1 : done + 1], axis=(1, 2)
    )
    args = (budget, most, float(build), unserved_mw, scale)
    request = _starts(sold_mw, contracted_mw, g_lead, queued, *args)
    wanted = _starts(sold_mw, contracted_mw, g_build, building_h, *args)
    pp0[:, :, month + ic] += request[:, None] * weight
    building = built + np.add.reduce(pb0[:, :, month + 1 : done + 1], axis=2)
    due_mw = ic_mw + np.add.reduce(pp0[:, :, month + 1 : done + 1], axis=2)
    want_shells = np.minimum(wanted[:, None] * weight, power_room(due_mw, building, allowance))
    pb0[:, :, done] += want_shells
    _same(shells, want_shells)
    _same(pb, pb0)
    _same(pp, pp0)

    free, total_free, mix, bought = chip_mix(
        built, ic_mw, pb, pp, month, it_mw, can, fam_mix, c_share, contracted_mw
    )
    nxt = np.minimum(built + pb[:, :, month + 1], ic_mw + pp[:, :, month + 1])
    free0 = np.maximum(0.0, nxt - it_mw)
    built_mw = np.maximum(1.0, np.add.reduce(built, axis=1))
    boost = np.minimum(1.0, contracted_mw / built_mw)[:, None] * c_share * can
    mix0 = np.maximum(fam_mix * can, boost)
    mix_sum = np.add.reduce(mix0, axis=1, keepdims=True)
    np.divide(mix0, mix_sum, out=mix0, where=mix_sum > 0)
    for x, y in zip(
        (free, total_free, mix, bought),
        (free0, np.add.reduce(free0, axis=1), mix0, (mix0 > 0).any(axis=0)),
        strict=True,
    ):
        _same(x, y)

    every_watts, every_value = 1.0 + _draw(rng, F), _draw(rng, F)
    # what family_values gives: a family no cloud buys counts 1 W and no value
    watts, value = np.where(bought, every_watts, 1.0), np.where(bought, every_value, 0.0)
    want, price = chip_want(total_free, mix, watts, value)
    _same(want, total_free[:, None] * mix0 * W_PER_MW / watts)
    _same(price, np.where(mix0 > 0, value, 0.0))

    converting = bool(seed % 2)
    conv_cost = _draw(rng, H)
    want0, pb0, capex0 = want.copy(), pb.copy(), capex.copy()
    started = np.full(H, np.nan)
    want, price, f_dc = budget_shares(
        budget * 1e3,
        total_free,
        mix,
        watts,
        value,
        shells,
        pb,
        capex,
        started,
        month,
        build,
        11.0,
        converting,
        conv_cost,
    )
    starts0 = np.add.reduce(shells, axis=1)
    dc_cost = starts0 * 11.0
    if converting:
        dc_cost += conv_cost
    shares: np.ndarray = np.array(
        [
            scale_to_budget(b, c, d)
            for b, c, d in zip(
                (budget * 1e3).tolist(),
                np.add.reduce(want0 * price, axis=1).tolist(),
                dc_cost.tolist(),
                strict=True,
            )
        ]
    ).T
    f_chips0, f_dc0 = shares
    want0 *= f_chips0[:, None]
    pb0[:, :, done] -= shells * (1.0 - f_dc0)[:, None]
    starts0 *= f_dc0
    capex0[:, month:done] += (starts0 * (11.0 / build))[:, None]  # Sites.commit_building
    _same(want, want0)
    _same(pb, pb0)
    _same(f_dc, f_dc0)
    _same(capex, capex0)
    _same(started, starts0 * 11.0)

    # the three in one call, and the month's instalments
    pb1, pp1, capex1 = before
    started1 = np.full(H, np.nan)
    capex_dc, dc_committed = np.full(H, np.nan), np.full(H, np.nan)
    together = np.full((H, F), np.nan), np.full((H, F), np.nan), np.full((H, R), np.nan)
    f_dc1 = np.full(H, np.nan)
    plan_builds(
        built,
        ic_mw,
        pb1,
        pp1,
        capex1,
        month,
        lead,
        build,
        ic,
        got,
        budget * 1e3,
        g_lead,
        g_build,
        scale,
        most,
        weight,
        allowance,
        it_mw,
        can,
        fam_mix,
        c_share,
        every_watts,
        every_value,
        started1,
        capex_dc,
        dc_committed,
        11.0,
        converting,
        conv_cost,
        *together,
        f_dc1,
    )
    for x, y in zip((*together, f_dc1), (want, price, free, f_dc), strict=True):
        _same(x, y)
    for x, y in ((pb1, pb), (pp1, pp), (capex1, capex), (started1, started)):
        _same(x, y)
    _same(capex_dc, capex[:, month])
    _same(dc_committed, got[3] + started - capex[:, month])


@pytest.mark.parametrize("seed", range(30))
def test_ports_weighed_as_the_numpy_code(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, month, keep = 6, 7, 0.65
    kind, active = rng.integers(0, 3, n), rng.random(n) < 0.8
    done = np.where(rng.random(n) < 0.3, month, rng.integers(0, 20, n))
    to = np.where(rng.random(n) < 0.5, rng.integers(0, F, n), -1)
    affinity = rng.random((n, F))
    price = rng.random(F) * 3.0
    if seed % 5 == 0:
        price[1] = np.inf
    spend, received = _draw(rng, n), _draw(rng, n)
    done0, to0, affinity0 = done.copy(), to.copy(), affinity.copy()
    got = ports_weighed(month, 0, kind, active, done, to, affinity, price, spend, received, keep)
    ends = (done0 == month) & (to0 >= 0)
    affinity0[ends, to0[ends]] = 1.0
    to0[ends] = -1
    candidates = ((kind == 0) & active & (to0 < 0)).nonzero()[0]
    want = (
        candidates.size > 0
        and bool(np.isfinite(price).all())
        and any(
            r > 0 and keep * (s / r) > float(np.minimum.reduce(price))
            for s, r in zip(spend[candidates], received[candidates], strict=True)
        )
    )
    assert got == want
    _same(to, to0)
    _same(affinity, affinity0)


@pytest.mark.parametrize("seed", range(30))
def test_lab_month_as_the_numpy_code(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, month, keep = 7, 7, 0.65
    least = 10.0 * (seed % 2)  # a least revenue some labs lack
    capital = CapitalCfg(
        runway_months=6.0, round_months=18.0, vc_success_prob=0.6, min_revenue_for_vc=least
    )
    cash, burn, revenue = _draw(rng, n), _draw(rng, n), _draw(rng, n)
    if seed % 3 == 0:
        cash *= 0.0  # everyone short
    kind, active = rng.integers(0, 3, n), rng.random(n) < 0.8
    draw, bid = rng.random(n), _draw(rng, n)
    ratio, need = _draw(rng, n), _draw(rng, n)
    done = np.where(rng.random(n) < 0.3, month, rng.integers(0, 20, n))
    to = np.where(rng.random(n) < 0.5, rng.integers(0, F, n), -1)
    affinity, price = rng.random((n, F)), rng.random(F) * 3.0
    spend, received = _draw(rng, n), _draw(rng, n)
    a = LabArrays(n, F)
    a.burn[:], a.revenue[:], a.active[:], a.kind[:] = burn, revenue, active, kind
    a.training_ratio[:], a.inference_need[:] = ratio, need
    funding = plan_funding(cash, burn, revenue, active, kind != 2, draw, capital)
    want_need = training_need(a, cash, funding.still_short, 2.0, capital, DemandCfg(), bid)
    to0, affinity0 = to.copy(), affinity.copy()
    weighed = ports_weighed(
        month, 0, kind, active, done, to0, affinity0, price, spend, received, keep
    )
    got_need = np.zeros(n)
    granted, raised, still, any_ok, any_short, weigh = lab_month(
        cash, burn, revenue, active, kind, 0, 2, draw, 6.0, 0.6, least, 18.0,
        float(DemandCfg().reinvest_months), 2.0, MIN_PLANNED_TRAINING_PRICE, bid, ratio, need,
        got_need, month, done, to, affinity, price, spend, received, keep,
    )  # fmt: skip
    _same(granted, funding.granted)
    _same(raised, funding.raised)
    _same(still, funding.still_short)
    assert any_ok == bool(funding.granted.any())
    assert any_short == bool(funding.still_short.any())
    _same(got_need, want_need)
    assert weigh == weighed
    _same(to, to0)
    _same(affinity, affinity0)


def test_plan_reads_is_plan_start_and_newest_values(baseline: Scenario) -> None:
    rng = np.random.default_rng(5)
    tech = Tech.from_scenario(baseline)
    t = chip_terms(tech, baseline)
    n, month, lead = 6, 30, 12
    need, served, active = _draw(rng, n), _draw(rng, n), rng.random(n) < 0.8
    pp, built, ic_mw = _draw(rng, H, R, M), _draw(rng, H, R), _draw(rng, H, R)
    pue = 1.1 + rng.random((H, R))
    mwh, sold, cap = _draw(rng, H, R, F), _draw(rng, H, R, F), _draw(rng, H, R, F)
    contracted, capex, hs_hours = _draw(rng, H), _draw(rng, H, M), _draw(rng, 12, H)
    first = (need, served, active, pp, built, ic_mw, pue, month + 1, month + lead + 1, 1.3)
    rest = (mwh, sold, cap, 657.0, 1.3e-3 / 657.0, contracted, capex, month, hs_hours)
    chips = (t.releases, t.newest, t.it_watts, t.power, t.shell, t.hours, t.cost, t.annuity)
    rent, prices = 2.3, rng.uniform(0.0, 300.0, R)
    labs = (rng.random(n) * 3.0, np.array([0, 1, 0, 2, 0, 1]), 0, 1.5)
    got = plan_reads(*first, *rest, *chips, rent, prices, *labs)
    want = (
        *plan_start(*first, *rest),
        *newest_values(month, *chips, rent, prices),
        *demand_logits(*labs),
    )
    assert len(got) == len(want)
    for x, y in zip(got, want, strict=True):
        _same(x, y)


@pytest.mark.parametrize("seed", range(20))
def test_demand_logits_as_the_numpy_code(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    capability = rng.standard_normal(n) * 10.0 ** rng.uniform(-2, 2)
    if seed % 4 == 0:
        capability[rng.random(n) < 0.3] = 0.0
    if seed % 7 == 3:
        capability[-1] = np.nan
    kind = rng.integers(0, 3, n)
    kind[int(rng.integers(0, n))] = 0  # at least one major lab
    beta = float(rng.choice([0.0, 0.7, 3.0]))
    logits, frontier = demand_logits(capability, kind, 0, beta)
    _same(logits, beta * (capability - np.maximum.reduce(capability)))
    _same(np.exp(logits), np.exp(beta * (capability - np.maximum.reduce(capability))))
    _same(frontier, float(np.maximum.reduce(capability[kind == 0])))
