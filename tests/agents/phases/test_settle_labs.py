"""The labs' month: the compiled arithmetic of :func:`agents.phases.settle_labs.close_labs`
against the numpy expressions it replaces, bit for bit, on random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from agents.lab import split_compute
from agents.phases.settle_labs import BURN_WEIGHT, _capability, _month_flows, lab_revenue


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
    _month_flows(
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


def test_capability_and_power_bill_are_numpys_expressions() -> None:
    rng = np.random.default_rng(3)
    n, n_h, n_r = 40, 5, 11
    gain = np.log1p(np.abs(_values(rng, n)))
    cap0, drift = _values(rng, n), _values(rng, n)
    drift_months = np.where(rng.random(n) < 0.5, np.inf, rng.integers(0, 30, n).astype(float))
    bought, price = _values(rng, (n_h, n_r)), _values(rng, n_r)
    for month in (0, 7, 40):
        cap = np.full(n, np.nan)
        bill = _capability(month, gain, 0.37, cap0, drift, drift_months, cap, bought, price)
        ref = cap0 + 0.37 * gain
        ref += drift * (np.minimum(month + 1, drift_months) / 12)
        assert cap.tobytes() == ref.tobytes()
        assert bill.tobytes() == (bought * price[None, :]).sum(axis=1).tobytes()
