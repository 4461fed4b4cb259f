"""The clear phase's compiled book arithmetic against the numpy expressions it replaces, to
the bit, on random inputs with zeros of either sign, ties at the caps and sums long enough
for numpy's pairwise summation to matter."""

from __future__ import annotations

import numpy as np
import pytest

from agents.phases.clear import BID_CAP, BID_PRICE_CAP, QUANTITY_CAP
from agents.phases.clear_kernels import ROUNDING_SHARE, bid_prices, bid_quantities, net_bids

SEEDS = range(10)


def _same(got: object, want: object) -> None:
    """Equal arrays to the bit (dtype, shape, every value and the sign of every zero)."""
    a, b = np.asarray(got), np.asarray(want)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def _amounts(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Amounts over several orders of magnitude, some zeros of either sign, some negative,
    some at or past the quantity cap."""
    x = rng.lognormal(0.0, 3.0, shape)
    negative = rng.random(shape) < 0.1
    x[negative] = -x[negative]
    x[rng.random(shape) < 0.15] = 0.0
    x[rng.random(shape) < 0.15] = -0.0
    x[rng.random(shape) < 0.05] = QUANTITY_CAP
    x[rng.random(shape) < 0.05] = 2 * QUANTITY_CAP
    return x


@pytest.mark.parametrize("seed", SEEDS)
def test_net_bids_are_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_h, n_r, n_f, n_l = 2, int(rng.integers(1, 5)), 3, int(rng.integers(1, 12))
    site_use = _amounts(rng, n_h, n_r, n_f)
    alloc = _amounts(rng, int(rng.integers(0, 4)), n_h * n_r * n_f)
    if alloc.shape[0]:
        alloc[:, 0] = -0.0  # a column of -0.0 sums to 0.0
        site_use.flat[0] = -0.0
    inference, training, contract = (_amounts(rng, n_l) for _ in range(3))
    active = rng.random(n_l) < 0.7
    # a few sites and labs whose contracts take all but an ulp or two
    if alloc.shape[0]:
        alloc[-1, 1] = site_use.flat[1] - np.add.reduce(alloc[:-1, 1]) + 1e-13 * site_use.flat[1]
    contract[0] = inference[0] * (1.0 + 3e-16)
    training[-1] = contract[-1] - inference[-1] + 1e-14 * abs(training[-1])
    left, spot, inf, trn = net_bids(site_use, alloc, inference, training, contract, active)

    def rounding_as_zero(d: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        near = (d != 0.0) & (np.abs(d) <= ROUNDING_SHARE * np.maximum(np.abs(a), np.abs(b)))
        return np.where(near, 0.0, d)

    use = site_use.ravel()
    want_left = rounding_as_zero(use - np.add.reduce(alloc, axis=0), use, 0.0)
    gap = rounding_as_zero(inference - contract, inference, contract)
    over = np.where(gap == 0.0, 0.0, np.maximum(0.0, contract - inference))
    want_inf = np.maximum(0.0, gap)
    want_trn = np.maximum(0.0, rounding_as_zero(training - over, training, over))
    want_inf[~active] = 0.0
    want_trn[~active] = 0.0
    _same(left, want_left)
    _same(spot, np.maximum(0.0, want_left))
    _same(inf, want_inf)
    _same(trn, want_trn)


def test_what_contracts_leave_of_a_site_or_a_lab_by_rounding_is_no_order() -> None:
    # a site of 3e8 hours whose three contracts take it all, summed 6e-8 hours short in
    # floating point, offers nothing; one left 3e-4 hours (1e-12 of it) or 1 hour offers
    # them. A lab whose contract covers its need but for an ulp bids for none of it; one
    # 1e-9 short bids for the rest.
    shares = np.array([50172411.000355735, 243782253.5147082, 6045335.484936026])
    use = np.array([[[3e8, 3e8, 3e8]]])
    alloc = np.column_stack((shares, shares, shares))
    alloc[2, 1] -= 3e-4
    alloc[2, 2] -= 1.0
    need = np.array([2.0e8, 2.0e8])
    contract = np.array([2.0e8 * (1.0 + 2.2e-16), 2.0e8 * (1.0 - 1e-9)])
    left, spot, inf, _ = net_bids(use, alloc, need, np.zeros(2), contract, np.ones(2, dtype=bool))
    assert 3e8 - np.add.reduce(alloc, axis=0)[0] == 2.0**-24  # the rounding, not zero
    assert left[0] == spot[0] == 0.0
    np.testing.assert_array_equal(spot[1:], 3e8 - np.add.reduce(alloc, axis=0)[1:])
    assert 2.9e-4 < spot[1] < 3.1e-4 and spot[2] == pytest.approx(1.0)
    assert inf[0] == 0.0 and inf[1] == need[1] - contract[1] > 0.0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("own_tranches", [False, True])
def test_bid_quantities_and_prices_are_numpys(seed: int, own_tranches: bool) -> None:
    rng = np.random.default_rng(seed)
    n_h, n_r, n_f, n_l = 2, int(rng.integers(1, 5)), 3, int(rng.integers(1, 12))
    n_t, n_p = int(rng.integers(1, 6)), int(rng.integers(0, 4))
    majors = np.sort(rng.choice(n_l, int(rng.integers(0, n_l + 1)), replace=False))
    n_m = majors.size
    non_ai, site_ppa = _amounts(rng, n_r), _amounts(rng, n_h * n_r)
    site_need, chip_want = _amounts(rng, n_h, n_r), _amounts(rng, n_h, n_f)
    inf, trn = _amounts(rng, n_l), _amounts(rng, n_l)
    t_share = _amounts(rng, n_t, n_m if own_tranches else 1)
    pool_inf, pool_trn, p_share = _amounts(rng, n_p), _amounts(rng, n_p), _amounts(rng, n_t)
    # a supply under one hour, or of 200 terms (pairwise summed)
    spot = np.abs(_amounts(rng, 200)) if seed % 2 else rng.random(3) / 10.0
    if seed % 3 == 0:
        spot = np.abs(_amounts(rng, 200)) * 1e-12  # compute bids cut to BID_CAP x supply
    got = bid_quantities(
        non_ai,
        site_need,
        site_ppa,
        chip_want,
        inf,
        trn,
        majors,
        t_share,
        pool_inf,
        pool_trn,
        p_share,
        spot,
        QUANTITY_CAP,
        BID_CAP,
    )
    want = np.concatenate(
        (
            non_ai,
            np.maximum(0.0, site_need.ravel() - site_ppa),
            np.maximum(0.0, chip_want).ravel(),
            inf[majors],
            (t_share * trn[majors]).ravel(),
            pool_inf,
            (p_share[:, None] * pool_trn).ravel(),
        )
    )
    compute = want[n_r + n_h * n_r + n_h * n_f :]
    np.minimum(want, QUANTITY_CAP, out=want)
    np.minimum(compute, BID_CAP * max(1.0, float(np.add.reduce(spot))), out=compute)
    _same(got, want)

    head, chip_price = _amounts(rng, n_r + n_h * n_r), _amounts(rng, n_h, n_f)
    head[0], chip_price[0, 0] = BID_PRICE_CAP, 3 * BID_PRICE_CAP
    t_bid = _amounts(rng, n_t, n_m) if own_tranches else _amounts(rng, n_t)
    p_bid, services = _amounts(rng, n_t), float(rng.lognormal(0.0, 3.0))
    got = bid_prices(
        head, chip_price, services, t_bid.reshape(n_t, -1), n_m, n_p, p_bid, BID_PRICE_CAP
    )
    want = np.minimum(
        np.concatenate(
            (
                head,
                chip_price.ravel(),
                np.full(n_m, services),
                t_bid.ravel() if t_bid.ndim == 2 else t_bid.repeat(n_m),
                np.full(n_p, services),
                p_bid.repeat(n_p),
            )
        ),
        BID_PRICE_CAP,
    )
    _same(got, want)
