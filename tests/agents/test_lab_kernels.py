"""The compiled arithmetic of the labs' plans against the numpy expressions it replaced,
bit for bit, on random inputs (inactive rows, labs short of runway, zero and negative-zero
values)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.lab import (
    MIN_PLANNED_TRAINING_PRICE,
    LabArrays,
    LabKind,
    allocate_demand,
    plan_funding,
    training_need,
)
from agents.scenario import CapitalCfg, DemandCfg


def _values(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random floats of many magnitudes, signs mixed, with zeros and negative zeros."""
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 6, n)
    x[rng.random(n) < 0.2] = 0.0
    x[rng.random(n) < 0.1] = -0.0
    return x


def _labs(rng: np.random.Generator, n: int) -> LabArrays:
    a = LabArrays(n, 2)
    a.kind[:] = rng.integers(0, 3, n)
    a.active[:] = rng.random(n) < 0.8
    a.capability[:] = _values(rng, n) / 1e4
    a.weight[:] = np.abs(_values(rng, n))
    a.burn[:] = _values(rng, n)
    a.training_ratio[:] = np.abs(_values(rng, n))
    a.inference_need[:] = np.abs(_values(rng, n))
    return a


@pytest.mark.parametrize("seed", range(6))
def test_allocate_demand_is_numpys_expressions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = _labs(rng, 3 + 7 * seed)
    if seed == 0:
        a.kind[:] = LabKind.MAJOR  # no other rows: the rest's share is 0
    demand = DemandCfg(capability_beta=0.7)
    total, price, rest_share = 1e9 * rng.random(), 2.5, 0.3
    # numpy, as allocate_demand computed it
    is_major = a.kind == LabKind.MAJOR
    major, rest = is_major & a.active, ~is_major & a.active
    share = rest_share if rest.any() else 0.0
    cap = a.capability
    logit = np.where(major, np.exp(0.7 * (cap - np.maximum.reduce(cap))), 0.0)
    usd = np.zeros(a.n)
    if np.add.reduce(logit) > 0:
        usd += total * (1.0 - share) * logit / np.add.reduce(logit)
    w = np.where(rest, a.weight, 0.0)
    if rest.any() and np.add.reduce(w) > 0:
        usd += total * share * w / np.add.reduce(w)
    allocate_demand(a, total, price, demand, rest_share)
    assert a.demand_usd.tobytes() == usd.tobytes()
    assert a.inference_need.tobytes() == (usd / price).tobytes()


@pytest.mark.parametrize("seed", range(6))
def test_plan_funding_and_training_need_are_numpys_expressions(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = 4 + 9 * seed
    a = _labs(rng, n)
    cash, draw = _values(rng, n), rng.random(n)
    a.revenue[:] = np.abs(_values(rng, n))
    least = float(np.median(a.revenue)) * 12.0  # about half the labs earn enough a year
    capital = CapitalCfg(
        runway_months=6.0, round_months=18.0, vc_success_prob=0.5, min_revenue_for_vc=least
    )
    demand = DemandCfg(training_bid_share=0.5, services_markup=1.6, reinvest_months=12.0)
    may_raise = a.kind != LabKind.ENTERPRISE
    f = plan_funding(cash, a.burn, a.revenue, a.active, may_raise, draw, capital)
    short = a.active & (a.burn > 0) & (cash < 6.0 * a.burn) & may_raise
    ok = short & (draw < 0.5) & (a.revenue * 12 >= least)
    assert f.granted.tolist() == ok.tolist()
    assert f.still_short.tolist() == (short & ~ok).tolist()
    assert f.raised.tobytes() == np.where(ok, 18.0 * a.burn, 0.0).tobytes()
    still = f.still_short if seed % 2 else np.zeros(n, dtype=bool)
    expected = 1.0 + rng.random()
    for bid in (None, _values(rng, n)):
        # numpy, as training_need computed it
        want = 6.0 * a.burn
        factor: np.ndarray | float = 1.0
        if still.any():
            with np.errstate(over="ignore"):
                runway = np.divide(cash, want, out=np.ones(n), where=want > 0)
            factor = np.where(still, 0.5 + 0.5 * np.minimum(np.maximum(runway, 0.0), 1.0), 1.0)
        top = np.full(n, 0.5 * expected * 2.6) if bid is None else bid
        planned = np.maximum(MIN_PLANNED_TRAINING_PRICE, np.minimum(expected, top))
        extra = np.maximum(0.0, cash - want) / 12.0 / planned
        extra[~((a.training_ratio > 0) & (top > 0))] = 0.0
        ref = (a.training_ratio * a.inference_need + extra) * factor
        ref[~a.active] = 0.0
        got = training_need(a, cash, still, expected, capital, demand, bid)
        assert got.tobytes() == ref.tobytes()
