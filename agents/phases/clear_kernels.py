"""The arithmetic of the ``clear`` phase's book, each part in one compiled call.

:func:`agents.phases.clear.clear_phase` assembles the month's book from what the contracts
leave: the hours each node has left to sell, the labs' bids net of their contracts, every
bid's quantity and price within the book's caps. Each was a few numpy calls on arrays of a
few to a few hundred elements; here each part's arrays come from one call, with numpy's
arithmetic in numpy's order, so the numbers are the same to the bit: ``np.add.reduce`` of
a 2-d array along its first axis adds the rows in order to zeros (so a column of ``-0.0``
sums to ``0.0``), of a 1-d array is :func:`market.compiled.add_reduce`, ``np.maximum``
and ``np.minimum`` are :func:`market.compiled.maximum` and
:func:`~market.compiled.minimum`. The phase calls them through
:func:`agents.phases.clear_book.month_book`, which assembles the whole book in the same
call.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from agents.state import BoolArray, FloatArray, IntArray
from market.compiled import add_reduce, compiled, maximum, minimum, sum_rows

__all__ = ["ROUNDING_SHARE", "bid_prices", "bid_quantities", "net_bids"]

ROUNDING_SHARE: Final = 1e-12
"""What is left of a quantity once contracts have taken their shares, if it is at most
this share of the quantity, is the rounding of those shares and counts as zero.

A site whose contracts take all its hours is left with ``site_use - sum(shares)``, which
in floating point can be an ulp or two (3e-8 hours of 3e8) instead of 0. Offered, such a
quantity would put the site in the compute market with new links and a node weight 1e-16
of the others' (:mod:`market.trade_pattern` then floors every weight), so a run's trade
pattern would turn on the last bit of a subtraction. Rounding errors of a sum of a few
shares are near 1e-16 of it; 1e-12 leaves four orders of magnitude of room and is far
below any quantity the market can tell from zero (its tolerance is 1e-9 of a market's
largest quantity, :data:`market.highs.TOLERANCE`)."""


@compiled
def _rounding_as_zero(difference: float, a: float, b: float) -> float:
    """``difference`` (of ``a`` and ``b``), or ``0.0`` where it is not zero and at most
    :data:`ROUNDING_SHARE` of the larger of them."""
    if difference != 0.0 and abs(difference) <= ROUNDING_SHARE * maximum(abs(a), abs(b)):
        return 0.0
    return difference


@compiled
def net_bids(
    site_use: FloatArray,
    compute_alloc: FloatArray,
    inference_need: FloatArray,
    training_need: FloatArray,
    lab_contract: FloatArray,
    active: BoolArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """What is left to sell and to buy once the contracts have taken their shares.

    ``site_use`` is (H, R, F) and ``compute_alloc`` (rows, H x R x F); the labs' arrays
    are (L,). Returns, as numpy computes them:

    - ``left``: ``site_use.ravel() - np.add.reduce(compute_alloc, axis=0)``;
    - ``spot``: ``np.maximum(0.0, left)``;
    - ``inf``: ``np.maximum(0.0, inference_need - lab_contract)``, 0 where not ``active``;
    - ``trn``: ``np.maximum(0.0, training_need - np.maximum(0.0, lab_contract -
      inference_need))``, 0 where not ``active``;

    each difference zero where it is not zero but at most :data:`ROUNDING_SHARE` of what
    it is taken from (a site's use; the larger of a lab's need and its contract, of its
    training need and what the contract leaves over), :func:`_rounding_as_zero`.
    """
    use = site_use.ravel()
    left = use - sum_rows(compute_alloc)
    spot = np.empty(left.size)
    for i in range(left.size):
        left[i] = _rounding_as_zero(left[i], use[i], 0.0)
        spot[i] = maximum(0.0, left[i])
    n = inference_need.size
    inf, trn = np.empty(n), np.empty(n)
    for i in range(n):
        if active[i]:
            need, contract = inference_need[i], lab_contract[i]
            gap = _rounding_as_zero(need - contract, need, contract)
            inf[i] = maximum(0.0, gap)
            over = 0.0 if gap == 0.0 else maximum(0.0, contract - need)
            rest = _rounding_as_zero(training_need[i] - over, training_need[i], over)
            trn[i] = maximum(0.0, rest)
        else:
            inf[i] = trn[i] = 0.0
    return left, spot, inf, trn


@compiled
def bid_quantities(
    non_ai: FloatArray,
    site_need: FloatArray,
    site_ppa: FloatArray,
    chip_want: FloatArray,
    inf: FloatArray,
    trn: FloatArray,
    majors: IntArray,
    t_share: FloatArray,
    pool_inf: FloatArray,
    pool_trn: FloatArray,
    p_share: FloatArray,
    spot: FloatArray,
    quantity_cap: float,
    bid_cap: float,
) -> FloatArray:
    """Every bid's quantity in the book's order: non-AI load, sites, chip buyers, then the
    compute bids (major labs' inference and training, pools' inference and training).

    ``site_need`` is (H, R), ``chip_want`` (H, F), ``t_share`` (n_t, 1) (every major lab's
    tranches alike) or (n_t, M), ``p_share`` (n_t,). As numpy computes::

        q = np.concatenate((non_ai, np.maximum(0.0, site_need.ravel() - site_ppa),
                            np.maximum(0.0, chip_want).ravel(), inf[majors],
                            (t_share * trn[majors]).ravel(), pool_inf,
                            (p_share[:, None] * pool_trn).ravel()))
        np.minimum(q, quantity_cap, out=q)
        compute = q[-(M + n_t x M + P + n_t x P):]
        np.minimum(compute, bid_cap * max(1.0, np.add.reduce(spot)), out=compute)

    (``max`` is Python's: 1.0 unless the sum is larger).
    """
    n_r, n_site, n_chip = non_ai.size, site_need.size, chip_want.size
    n_m, n_p, n_t = majors.size, pool_inf.size, t_share.shape[0]
    n_head = n_r + n_site + n_chip
    q = np.empty(n_head + n_m + n_t * n_m + n_p + n_t * n_p)
    q[:n_r] = non_ai
    need = site_need.ravel()
    for i in range(n_site):
        q[n_r + i] = maximum(0.0, need[i] - site_ppa[i])
    want = chip_want.ravel()
    for i in range(n_chip):
        q[n_r + n_site + i] = maximum(0.0, want[i])
    at = n_head
    for j in range(n_m):
        q[at + j] = inf[majors[j]]
    at += n_m
    one = t_share.shape[1] == 1
    for k in range(n_t):
        for j in range(n_m):
            q[at + k * n_m + j] = t_share[k, 0 if one else j] * trn[majors[j]]
    at += n_t * n_m
    q[at : at + n_p] = pool_inf
    at += n_p
    for k in range(n_t):
        for i in range(n_p):
            q[at + k * n_p + i] = p_share[k] * pool_trn[i]
    supply = add_reduce(spot)
    cap = bid_cap * (supply if supply > 1.0 else 1.0)
    for i in range(q.size):
        q[i] = minimum(q[i], quantity_cap)
        if i >= n_head:
            q[i] = minimum(q[i], cap)
    return q


@compiled
def bid_prices(
    head: FloatArray,
    chip_bid_price: FloatArray,
    services_price: float,
    t_bid: FloatArray,
    n_majors: int,
    n_pools: int,
    p_bid: FloatArray,
    price_cap: float,
) -> FloatArray:
    """Every bid's price in the book's order (as :func:`bid_quantities`).

    ``head`` is the prices of the non-AI load and the sites, ``chip_bid_price`` (H, F),
    ``t_bid`` (n_t, 1) (every major lab's tranches alike) or (n_t, M), ``p_bid`` (n_t,).
    As numpy computes::

        np.minimum(np.concatenate((head, chip_bid_price.ravel(),
                                   np.full(M, services_price),
                                   t_bid.ravel() if M columns else t_bid.repeat(M),
                                   np.full(P, services_price), p_bid.repeat(P))),
                   price_cap)
    """
    n_m, n_p, n_t = n_majors, n_pools, t_bid.shape[0]
    n_head, n_chip = head.size, chip_bid_price.size
    out = np.empty(n_head + n_chip + n_m + n_t * n_m + n_p + n_t * n_p)
    out[:n_head] = head
    out[n_head : n_head + n_chip] = chip_bid_price.ravel()
    at = n_head + n_chip
    out[at : at + n_m] = services_price
    at += n_m
    one = t_bid.shape[1] == 1
    for k in range(n_t):
        for j in range(n_m):
            out[at + k * n_m + j] = t_bid[k, 0 if one else j]
    at += n_t * n_m
    out[at : at + n_p] = services_price
    at += n_p
    for k in range(n_t):
        out[at + k * n_p : at + (k + 1) * n_p] = p_bid[k]
    for i in range(out.size):
        out[i] = minimum(out[i], price_cap)
    return out
