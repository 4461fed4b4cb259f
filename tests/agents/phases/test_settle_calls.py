"""The settle phase's merged compiled calls against the kernels and numpy expressions they
gather, to the bit, on random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from agents.phases.settle import _spot_price
from agents.phases.settle_calls import compute_month, deliveries, power_month
from agents.phases.settle_kernels import compute_flows, node_prices, power_flows

SEEDS = range(6)

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def _same(got: object, want: object) -> None:
    """Equal arrays to the bit (dtype, shape, every value and the sign of every zero)."""
    a, b = np.asarray(got), np.asarray(want)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def _amounts(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Positive amounts over several orders of magnitude, some zeros of either sign."""
    x = rng.lognormal(0.0, 3.0, shape)
    x[rng.random(shape) < 0.15] = 0.0
    x[rng.random(shape) < 0.1] = -0.0
    return x


def _prices(rng: np.random.Generator, n: int) -> np.ndarray:
    """Node prices as the clearing gives them: some tied, zero, negative, nan or infinite."""
    p = rng.choice([0.0, -0.0, 1.5, 3.0, -2.0, np.nan, np.inf], n)
    mixed = rng.random(n) < 0.5
    p[mixed] = rng.lognormal(0.0, 2.0, int(mixed.sum()))
    return p


@pytest.mark.parametrize("seed", SEEDS)
def test_power_month_is_power_flows_deliveries_and_the_settlements_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_h, n_r, n_f = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 4))
    n_s, n_links, n_units = n_h * n_r, int(rng.integers(0, 40)), int(rng.integers(0, 30))
    n_nodes, n_ct = n_s * n_f, 12
    node_price = _prices(rng, n_r + n_s + 5)
    price = _spot_price(node_price)
    seller, buyer = rng.integers(0, n_r, n_ct), rng.integers(0, n_h, n_ct)
    rows = rng.permutation(n_ct)
    n_c, n_p = int(rng.integers(0, 5)), int(rng.integers(0, 4))
    compute_rows, power_rows, chip_rows = rows[:n_c], rows[n_c : n_c + n_p], rows[n_c + n_p :]
    volume = _amounts(rng, n_ct)
    power_args = (
        _amounts(rng, n_r),
        _amounts(rng, n_links),
        rng.integers(0, n_r, n_links),
        rng.integers(0, n_s, n_links),
        seller,
        buyer,
        power_rows,
        _amounts(rng, n_p),
        rng.integers(0, n_r, n_units),
        _amounts(rng, n_units),
        _amounts(rng, n_units),
        _amounts(rng, n_r),
        _amounts(rng, n_s),
        price,
        n_r,
        rng.permutation(n_r) + 10,
        rng.permutation(n_h) + 20,
        node_price,
        _amounts(rng, n_r),
        _amounts(rng, n_r),
    )
    cap, mwh, use = _amounts(rng, n_nodes), _amounts(rng, n_nodes), _amounts(rng, n_nodes)
    alloc, spot_sold = _amounts(rng, n_c, n_nodes), _amounts(rng, n_nodes)
    chip_delivered = _amounts(rng, chip_rows.size)
    got = power_month(
        *power_args,
        cap,
        mwh,
        use,
        alloc,
        spot_sold,
        n_f,
        compute_rows,
        chip_rows,
        chip_delivered,
        volume,
    )
    power = power_flows(*power_args)
    by_node, contract = deliveries(cap, mwh, use, power[3].ravel(), alloc, spot_sold, n_f)
    s_rows = np.concatenate((compute_rows, power_rows, chip_rows))
    qty = np.concatenate((contract, power_args[7], chip_delivered))
    want = (*power, by_node, s_rows, np.minimum(qty, volume[s_rows]))
    for g, w in zip(got, want, strict=True):
        _same(g, w)


@pytest.mark.parametrize("seed", SEEDS)
def test_compute_month_is_compute_flows_node_prices_and_a_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_l, n_h = int(rng.integers(1, 9)), int(rng.integers(1, 5))
    n_r, n_f = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    n, n_ct, n_links, seller0 = n_h * n_r * n_f, 10, int(rng.integers(0, 60)), 7
    n_nodes = seller0 + n + n_l
    node_price = _prices(rng, n_nodes)
    price = _spot_price(node_price)
    rows = rng.choice(n_ct, int(rng.integers(0, n_ct)), replace=False)
    by_node = _amounts(rng, 3, n)
    flow_args = (
        rng.integers(0, n_l, n_ct),
        rng.integers(0, n_h, n_ct),
        rows,
        _amounts(rng, rows.size),
        _amounts(rng, rows.size),
        _amounts(rng, rows.size),
        n_l,
        n_h,
        _amounts(rng, n_links),
    )
    link_args = (
        rng.integers(0, n, n_links),
        rng.integers(0, n_l, n_links),
        rng.integers(seller0, n_nodes, n_links),
        price,
        seller0,
        rng.integers(0, n_h, n_l),
        _amounts(rng, n_l),
        rng.permutation(n_l) + 40,
        rng.permutation(n_h) + 10,
    )
    shape = (n_h, n_r, n_f)
    mwh, site_recv, power_now = _amounts(rng, *shape), _amounts(rng, n_h, n_r), _amounts(rng, n_r)
    capacity, offered_qty, cost = _amounts(rng, *shape), _amounts(rng, n), _amounts(rng, *shape)
    kind = rng.integers(0, 3, n_l)
    got = compute_month(
        *flow_args,
        by_node,
        *link_args,
        mwh,
        site_recv,
        power_now,
        capacity,
        offered_qty,
        node_price,
        cost,
        kind,
        0,
    )
    flows = compute_flows(*flow_args, by_node[2].copy(), *link_args)
    nodes = node_prices(
        by_node[0].copy(),
        by_node[1].copy(),
        mwh,
        site_recv,
        power_now,
        capacity,
        offered_qty,
        node_price,
        price,
        seller0,
        cost,
    )
    for g, w in zip(got[:-1], (*flows, *nodes), strict=True):
        _same(g, w)
    assert got[-1] == int(np.count_nonzero(kind != 0))
