"""The labs' month: the compiled arithmetic of :func:`agents.phases.settle_labs.close_labs`
against the numpy expressions it replaces, bit for bit, on random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from agents.finance import interest_due
from agents.lab import split_compute
from agents.phases.settle_labs import (
    BURN_WEIGHT,
    _capability,
    _month_flows,
    _windows,
    lab_revenue,
)


def _values(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    """Random floats of many magnitudes, signs mixed, with zeros and negative zeros."""
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 6, shape)
    x[rng.random(shape) < 0.2] = 0.0
    x[rng.random(shape) < 0.1] = -0.0
    return x


@pytest.mark.parametrize("width", [1, 3, 4, 8, 9, 130])
@pytest.mark.parametrize("month", [0, 5])
def test_month_flows_are_numpys_expressions(width: int, month: int) -> None:
    rng = np.random.default_rng(width * 10 + month)
    n = 50
    recv, need, demand = np.abs(_values(rng, n)), np.abs(_values(rng, n)), _values(rng, n)
    spend, friction = _values(rng, (n, width)), _values(rng, n)
    active = rng.random(n) < 0.8
    opex_share, opex_fixed = np.abs(_values(rng, n)), np.abs(_values(rng, n))
    training_need, debt = np.abs(_values(rng, n)), np.abs(_values(rng, n))
    porting, burn, cum = _values(rng, n), np.abs(_values(rng, n)), np.abs(_values(rng, n))
    rate = 0.12
    # numpy, as close_labs computed it
    inactive = ~active
    served = split_compute(recv, need)
    served_ref = np.where(inactive, 0.0, served)
    training = np.where(inactive, 0.0, recv - served)
    revenue = np.where(inactive, 0.0, lab_revenue(demand, need, served))
    opex = np.where(inactive, 0.0, opex_fixed + opex_share * revenue)
    spend_ref = spend.sum(axis=1)
    flow = revenue - spend_ref - opex - friction - porting - debt * rate / 12
    loss = np.maximum(0.0, -flow)
    burn_ref = loss if month == 0 else (1.0 - BURN_WEIGHT) * burn + BURN_WEIGHT * loss
    ref = np.maximum(1.0, 12 * np.maximum(training, training_need))
    cum_ref = cum + training
    gain_ref = cum_ref / ref
    # the kernel
    out = {k: np.full(n, np.nan) for k in ("served", "received", "revenue", "opex", "spend")}
    out |= {k: np.full(n, np.nan) for k in ("net_flow", "ref", "gain")}
    porting_paid, burn_got, cum_got = porting.copy(), burn.copy(), cum.copy()
    exclusive_with = np.arange(n)
    any_exclusive = _month_flows(
        month,
        recv,
        spend,
        friction,
        active,
        need,
        demand,
        opex_share,
        opex_fixed,
        training_need,
        debt,
        rate,
        True,
        out["served"],
        out["received"],
        out["revenue"],
        out["opex"],
        out["spend"],
        out["net_flow"],
        porting_paid,
        burn_got,
        cum_got,
        out["ref"],
        out["gain"],
        np.zeros(3, dtype=bool),
        exclusive_with,
    )
    expected = {
        "served": served_ref,
        "received": recv,
        "revenue": revenue,
        "opex": opex,
        "spend": spend_ref,
        "net_flow": flow,
        "ref": ref,
        "gain": gain_ref,
    }
    for k, v in expected.items():
        assert out[k].tobytes() == v.tobytes(), k
    assert burn_got.tobytes() == burn_ref.tobytes()
    assert cum_got.tobytes() == cum_ref.tobytes()
    assert porting_paid.tolist() == [0.0] * n
    # no exclusive contract: no lab bound
    assert not any_exclusive and exclusive_with.tolist() == [-1] * n


def test_an_exclusive_contract_leaves_the_bindings_to_close_labs() -> None:
    one, no = np.ones(1), np.zeros(1)
    bound = np.array([2])
    got = _month_flows(
        3, one, np.ones((1, 2)), no, np.ones(1, dtype=bool), one, one, no, no, no, no,
        0.1, False, no.copy(), no.copy(), no.copy(), no.copy(), no.copy(), no.copy(),
        no.copy(), no.copy(), no.copy(), one.copy(), no.copy(),
        np.array([False, True]), bound,
    )  # fmt: skip
    assert got and bound.tolist() == [2]


def test_capability_power_bill_and_interest_are_numpys_expressions() -> None:
    rng = np.random.default_rng(3)
    n, n_h, n_r = 40, 5, 11
    gain = np.log1p(np.abs(_values(rng, n)))
    cap0, drift = _values(rng, n), _values(rng, n)
    drift_months = np.where(rng.random(n) < 0.5, np.inf, rng.integers(0, 30, n).astype(float))
    bought, price = _values(rng, (n_h, n_r)), _values(rng, n_r)
    other, sales, dc, chips = (_values(rng, n_h) for _ in range(4))
    ocf, costs, d_h, d_l = _values(rng, n_h), _values(rng, n_h), _values(rng, n_h), _values(rng, n)
    for month, w, d_v in ((0, 1.0, np.zeros(3)), (7, 0.125, np.array([0.0, 2.0, 0.0]))):
        cap = np.full(n, np.nan)
        ocf_got, costs_got, capex_chips = ocf.copy(), costs.copy(), np.full(n_h, np.nan)
        interest, firms = np.full(n_h + n, np.nan), np.zeros(n_h + n, dtype=np.int64)
        owes = _capability(
            month, gain, 0.37, cap0, drift, drift_months, cap, bought, price, chips, w,
            other, sales, dc, capex_chips, ocf_got, costs_got, d_h, d_l, 0.06, 0.12,
            interest, d_v, np.arange(n_h), np.arange(n), firms,
        )  # fmt: skip
        ref = cap0 + 0.37 * gain
        ref += drift * (np.minimum(month + 1, drift_months) / 12)
        assert cap.tobytes() == ref.tobytes()
        bill = (bought * price[None, :]).sum(axis=1)
        assert capex_chips.tobytes() == chips.tobytes()
        assert ocf_got.tobytes() == ((1 - w) * ocf + w * (other + sales - bill)).tobytes()
        assert costs_got.tobytes() == ((1 - w) * costs + w * (dc + chips + bill)).tobytes()
        due = np.concatenate([interest_due(d_h, 0.06), interest_due(d_l, 0.12)])
        assert interest.tobytes() == due.tobytes()
        assert owes == bool(d_v.any())
        assert firms.tolist() == list(range(n_h)) + list(range(n))


@pytest.mark.parametrize("shape", [(4, 4, 3), (3, 8, 7), (2, 130, 3), (5, 1, 300)])
def test_windows_are_numpys_expressions(shape: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(shape[1])
    n_h, n_l, n_v = shape[0], 7, 3
    cum, spend = _values(rng, (n_l, n_h)), _values(rng, (n_l, n_h))
    sales, sold = _values(rng, n_h), _values(rng, shape)
    units, gen = _values(rng, n_v), _values(rng, n_v)
    revenue, hours, vendor = (_values(rng, (12, k)) for k in (n_h, n_h, n_v))
    want = [cum + spend, revenue.copy(), hours.copy(), vendor.copy()]
    want[1][5], want[2][5], want[3][5] = sales, sold.sum(axis=(1, 2)), units * gen
    got = [cum.copy(), revenue.copy(), hours.copy(), vendor.copy()]
    _windows(5, got[0], spend, got[1], sales, got[2], sold, got[3], units, gen)
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.tobytes()
