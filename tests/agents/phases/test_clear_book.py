"""The clear phase's one-call book against its parts and numpy's concatenations, to the
bit, on random books with pools, homing links and caps past the book's limits."""

from __future__ import annotations

import numpy as np
import pytest

from agents.phases.clear import BID_CAP, BID_PRICE_CAP, QUANTITY_CAP, bookable_caps
from agents.phases.clear_book import month_book
from agents.phases.clear_kernels import bid_prices, bid_quantities, net_bids
from agents.phases.clear_links import link_pairs

SEEDS = range(12)


def _same(got: np.ndarray, want: np.ndarray) -> None:
    """Equal arrays to the bit (dtype, shape, every value and the sign of every zero)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def _amounts(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Amounts over several orders of magnitude, zeros of either sign, some negative, some
    past the quantity cap."""
    x = rng.lognormal(0.0, 3.0, shape)
    negative = rng.random(shape) < 0.1
    x[negative] = -x[negative]
    x[rng.random(shape) < 0.15] = 0.0
    x[rng.random(shape) < 0.1] = -0.0
    x[rng.random(shape) < 0.05] = 2 * QUANTITY_CAP
    return x


@pytest.mark.parametrize("seed", SEEDS)
def test_month_book_is_its_parts_concatenated(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ints = rng.integers
    n_h, n_r, n_f, n_l, n_fam = int(ints(1, 4)), int(ints(1, 4)), int(ints(1, 4)), 7, 3
    n_s = n_h * n_r * n_f
    major = rng.random(n_l) < 0.6
    majors, rest = np.flatnonzero(major), np.flatnonzero(~major)
    n_m, n_t = majors.size, int(ints(1, 5))
    site_use = _amounts(rng, n_h, n_r, n_f)
    compute_alloc = _amounts(rng, int(ints(0, 3)), n_s)
    need_inf, need_trn, contract = (_amounts(rng, n_l) for _ in range(3))
    active = rng.random(n_l) < 0.8
    small_node = ints(0, n_s, rest.size)
    n_pairs = int(ints(0, 30))
    pairs = np.array(
        [
            ints(0, n_s, n_pairs),
            rng.choice(majors, n_pairs) if n_m else ints(0, n_l, n_pairs),
            ints(0, n_h, n_pairs),
            ints(0, n_r, n_pairs),
            ints(0, n_l * n_fam, n_pairs),
            ints(0, 100, n_pairs),
        ]
    ).reshape(6, n_pairs)
    affinity = np.where(rng.random(n_l * n_fam) < 0.2, 0.0, rng.random(n_l * n_fam))
    exclusive = np.where(rng.random(n_l) < 0.3, ints(0, n_h, n_l), -1)
    home, primary, fee = ints(0, n_r, n_l), ints(0, n_h, n_l), _amounts(rng, n_l)
    non_ai, site_need = _amounts(rng, n_r), _amounts(rng, n_h, n_r)
    site_ppa, chip_want = _amounts(rng, n_h * n_r), _amounts(rng, n_h, n_f)
    own = bool(rng.random() < 0.5)  # each major lab its own tranches, or one column
    t_share, t_bid = (_amounts(rng, n_t, n_m if own else 1) for _ in range(2))
    p_share, p_bid = _amounts(rng, n_t), _amounts(rng, n_t)
    price_head, chip_bid = _amounts(rng, n_r + n_h * n_r), _amounts(rng, n_h, n_f)
    n_units, n_v = int(ints(0, 12)), int(ints(0, 4))
    unit_util = ints(0, n_r, n_units)
    unit_qty, unit_price = _amounts(rng, n_units), _amounts(rng, n_units)
    vendor_qty, vendor_price = _amounts(rng, n_v), _amounts(rng, n_v)
    compute_price = _amounts(rng, n_h, n_r, n_f)
    offer_tail = ints(0, 100, n_v + n_s)
    n_head = n_r + n_h * n_r + n_h * n_f
    bid_head = ints(0, 100, n_head + n_m * (1 + n_t))
    n_fix, n_home = int(ints(0, 8)), int(ints(0, 4))
    head_nodes, head_values = ints(0, 100, (2, n_fix)), _amounts(rng, 2, n_fix)
    home_links = ints(0, 100, (2, n_home))
    home_cap = np.array([1.0, 2 * QUANTITY_CAP, 1e300, np.inf, -0.0])[ints(0, 5, n_home)]
    seller0, pool0 = int(ints(0, 50)), int(ints(50, 100))
    lat, pen, svc = 0.25, 0.5, float(_amounts(rng, 1)[0])

    got = month_book(
        site_use, compute_alloc, need_inf, need_trn, contract, active, small_node, rest,
        pairs, affinity, exclusive, home, primary, fee, lat, pen, non_ai, site_need, site_ppa,
        chip_want, majors, t_share, p_share, price_head, chip_bid, svc, t_bid, p_bid,
        unit_util, offer_tail, unit_qty, vendor_qty, unit_price, vendor_price, compute_price,
        bid_head, head_nodes, head_values, home_links, home_cap, seller0, pool0, QUANTITY_CAP,
        BID_CAP, BID_PRICE_CAP,
    )  # fmt: skip

    cat = np.concatenate
    left, spot, inf, trn = net_bids(site_use, compute_alloc, need_inf, need_trn, contract, active)
    pool_inf = np.bincount(small_node, inf[rest], minlength=n_s)
    pool_trn = np.bincount(small_node, trn[rest], minlength=n_s)
    pools = ((pool_inf + pool_trn) > 0).nonzero()[0]
    c_src, c_lab, c_cost, c_dst = link_pairs(
        pairs[0],
        pairs[1],
        pairs[2],
        pairs[3],
        pairs[4],
        pairs[5],
        affinity,
        exclusive,
        active,
        home,
        primary,
        fee,
        left > 0,
        lat,
        pen,
    )
    bid_qty = bid_quantities(
        non_ai, site_need, site_ppa, chip_want, inf, trn, majors, t_share, pool_inf[pools],
        pool_trn[pools], p_share, spot, QUANTITY_CAP, BID_CAP,
    )  # fmt: skip
    bid_price = bid_prices(price_head, chip_bid, svc, t_bid, n_m, pools.size, p_bid, BID_PRICE_CAP)
    offer_qty = np.minimum(cat((unit_qty, vendor_qty, spot)), QUANTITY_CAP)
    caps = bookable_caps(home_cap, float(np.add.reduce(offer_qty[-n_s:])))
    labs = bid_head[n_head : n_head + n_m]
    want = (
        cat((unit_util, offer_tail)),
        offer_qty,
        cat((unit_price, vendor_price, compute_price.ravel())),
        cat((bid_head[: n_head + n_m], np.tile(labs, n_t), np.tile(pool0 + pools, n_t + 1))),
        bid_qty,
        bid_price,
        cat((head_nodes[0], seller0 + c_src, seller0 + pools, home_links[0])),
        cat((head_nodes[1], c_dst, pool0 + pools, home_links[1])),
        cat((head_values[0], c_cost, np.zeros(pools.size + n_home))),
        cat((head_values[1], np.full(c_src.size + pools.size, np.inf), caps)),
        inf,
        trn,
        c_src,
        c_lab,
        c_dst,
        pools,
    )
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        _same(g, w)
