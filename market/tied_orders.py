"""Orders at one node and one price pooled into one before a solve.

Two offers (or two bids) at the same node and the same price are interchangeable in the
clearing LP: they have the same cost and the same matrix column, so only their total
fill matters to welfare, to the node balances and to the prices. A book of such
repeated orders is a common case. A utility that builds a unit of the same technology
every month offers each unit at the same marginal cost, so a run's book gains columns
month after month that the LP cannot tell apart.

:func:`pool_orders` merges each group of such orders into one order whose quantity is
the group's total, in the book order of the groups' first members. The pooled book has
the same optimal welfare and prices as the book (the LP of the pooled book is the
book's LP with identical columns merged, the textbook aggregation of parallel columns:
Dantzig, *Linear programming and extensions*, Princeton, 1963, ch. 3), and any
solution of it gives one of the book: :meth:`Pooled.spread` shares a pool's fill among
its members in proportion to their quantities. The clearing then refills tied orders in
book order anyway (:func:`market.clearing._ties_in_book_order`), so how the pool is
shared does not reach the result. The proportional trade pattern
(:mod:`market.trade_pattern`) is defined on the pooled book, so every clearing applies
it to pools (:meth:`Pooled.gather` sums a solution's fills into them): its cost of
sharing a fill ``X`` among members of weights ``w_i`` is least at ``x_i = X w_i / sum(w)``
and is then ``X**2 / sum(w)``, the cost of the pooled order (its weight is the sum), but
only while no weight is raised to the rule's floor; a floor raises each member's weight
and the pool's differently, so the point would depend on how a quantity was split.

It also keeps a run's books of the same shape: a new unit at an existing price adds
quantity to a pool, not a column, so the warm start keeps the whole previous basis
(:class:`market.warm.Clearer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from market.book import OrderBook
from market.compiled import compiled

__all__ = ["Pooled", "TieGroups", "pool_orders", "pool_side", "pooled_with_ties", "tie_groups"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


SHORT_RUN = 32
"""Orders at one node sorted by price by insertion (a few orders a node in the model's
books); a node with more by insertion too while it moves each order at most
:data:`LONG_RUN_MOVES` places on average, else (or with a nan price) by merge sort."""

LONG_RUN_MOVES = 8
"""Most moves per order an insertion sort makes on a node of more than :data:`SHORT_RUN`
orders before merge sort takes over (a utility's units, a few out of place a month)."""


@compiled
def _insertion(order: IntArray, price: FloatArray, lo: int, hi: int, most: int) -> bool:
    """Sort ``order[lo:hi]`` by ``price`` in place by insertion (stable), stopping after
    ``most`` moves (never if negative); whether it finished. Stopped, the run still holds
    its orders, those of one price in their given order."""
    moves = 0
    for i in range(lo + 1, hi):
        x, j = order[i], i
        while j > lo and price[order[j - 1]] > price[x]:
            if moves == most:
                order[j] = x
                return False
            order[j] = order[j - 1]
            j -= 1
            moves += 1
        order[j] = x
    return True


@compiled
def tie_groups(node: IntArray, price: FloatArray) -> tuple[IntArray, NDArray[np.bool_]]:
    """Orders sorted by node, then price, then book order, and where each group of one
    node and one price starts in that order.

    The order is ``np.lexsort((price, node))``'s, which is unique (ties broken by book
    order), built as a stable counting sort by node and then a stable sort by price within
    each node: none where the node's prices already rise (or stay), a reversal where they
    strictly fall, else insertion for runs of up to :data:`SHORT_RUN` orders and for longer
    ones while it makes few moves (:data:`LONG_RUN_MOVES`), merge sort otherwise and for
    a longer run with a nan price (Knuth, *The Art of Computer Programming* 3, 2nd ed.,
    1998, sections 5.2, 5.2.1, 5.2.4). Each gives the stable sort's order, the one of
    insertion on the run (which leaves a nan where it is).
    """
    n = node.size
    start = np.zeros(node.max() + 2 if n else 1, np.int64)
    for v in node:
        start[v + 1] += 1
    start = np.cumsum(start)
    order, fill = np.empty(n, np.int64), start[:-1].copy()
    for i in range(n):
        order[fill[node[i]]] = i
        fill[node[i]] += 1
    for v in range(start.size - 1):
        lo, hi = start[v], start[v + 1]
        if hi - lo < 2:
            continue
        rising, falling, nan = True, True, np.isnan(price[order[lo]])
        for i in range(lo + 1, hi):
            a, b = price[order[i - 1]], price[order[i]]
            rising = rising and not a > b
            falling = falling and a > b
            nan = nan or np.isnan(b)
        long = hi - lo > SHORT_RUN
        if not (long and nan):
            if rising:  # insertion would move nothing
                continue
            if falling:  # insertion would reverse the run
                order[lo:hi] = order[lo:hi][::-1].copy()
                continue
            if _insertion(order, price, lo, hi, LONG_RUN_MOVES * (hi - lo) if long else -1):
                continue
        run = order[lo:hi].copy()  # its ties still in book order
        order[lo:hi] = run[np.argsort(price[run], kind="mergesort")]
    first = np.ones(n, dtype=np.bool_)
    for i in range(1, n):
        a, b = order[i], order[i - 1]
        first[i] = node[a] != node[b] or price[a] != price[b]
    return order, first


@compiled
def _pools(
    node: IntArray, qty: FloatArray, price: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """:func:`pool_side` of at least two orders; ``group`` empty when no two share a pool."""
    order, first = tie_groups(node, price)
    return _pools_of(order, first, node, qty, price)


@compiled
def _pools_of(
    order: IntArray, first: NDArray[np.bool_], node: IntArray, qty: FloatArray, price: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """:func:`_pools` given the side's :func:`tie_groups`."""
    n = node.size
    n_pools = np.count_nonzero(first)
    if n_pools == n:
        return np.zeros(0, np.int64), node, qty, price
    lead = order[first]  # each pool's first member, pools in (node, price) order
    rank = np.argsort(lead)  # pools in book order of their first members
    renumber = np.empty(n_pools, dtype=np.int64)
    renumber[rank] = np.arange(n_pools)
    group = np.empty(n, dtype=np.int64)
    g = -1
    for i in range(n):
        g += first[i]
        group[order[i]] = renumber[g]
    total = np.zeros(n_pools)
    for i in range(n):  # np.bincount's order: each order added in book order
        total[group[i]] += qty[i]
    members = lead[rank]
    return group, node[members], total, price[members]


def pool_side(
    node: IntArray, qty: FloatArray, price: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray] | None:
    """Pool one side's orders by (node, price); None when no two orders share both.

    Returns
    -------
    group, node, qty, price : ndarray
        The pool of each order, and the node, total quantity and price of each pool,
        the pools in the book order of their first members.
    """
    if node.size < 2:
        return None
    pooled = _pools(node, qty, price)
    return pooled if pooled[0].size else None


@compiled
def _largest_member(group: IntArray, qty: FloatArray, n_pools: int) -> FloatArray:
    """The largest member's quantity of each pool."""
    out = np.zeros(n_pools)
    for i in range(group.size):
        if qty[i] > out[group[i]]:
            out[group[i]] = qty[i]
    return out


def _largest(group: IntArray | None, qty: FloatArray, n_pools: int) -> FloatArray:
    """The largest member's quantity of each pool (``qty`` itself for a side not pooled)."""
    if group is None:
        return qty
    return _largest_member(group, qty, n_pools)


@dataclass(frozen=True)
class Pooled:
    """A book with its tied orders pooled, and how to map fills back.

    Attributes
    ----------
    book : OrderBook
        The pooled book (the links as in the original).
    offer_group, bid_group : ndarray or None
        The pool of each original offer and bid (None: that side is not pooled).
    largest : ndarray
        The largest member's quantity of each pooled offer, then bid: what the solvers
        scale a market by (:func:`market.scaling.column_units`), so that the pooled book
        is solved in the original book's units and to its tolerances.
    """

    book: OrderBook
    offer_group: IntArray | None
    bid_group: IntArray | None
    largest: FloatArray

    def spread(self, original: OrderBook, fill: FloatArray) -> FloatArray:
        """Column values of ``original`` from the pooled book's (offers, bids, links):
        each pool's fill shared among its members in proportion to their quantities."""
        n_o, n_b = self.book.n_offers, self.book.n_bids
        parts = (
            _spread(self.offer_group, original.offers[1], self.book.offers[1], fill[:n_o]),
            _spread(self.bid_group, original.bids[1], self.book.bids[1], fill[n_o : n_o + n_b]),
            fill[n_o + n_b :],
        )
        return np.concatenate(parts)

    def gather(self, fill: FloatArray) -> FloatArray:
        """The pooled book's column values from the original's (offers, bids, links):
        each pool's fill the sum of its members' (the inverse of :meth:`spread`)."""
        n_o = self.offer_group.size if self.offer_group is not None else self.book.n_offers
        n_b = self.bid_group.size if self.bid_group is not None else self.book.n_bids
        parts = (
            _gather(self.offer_group, fill[:n_o], self.book.n_offers),
            _gather(self.bid_group, fill[n_o : n_o + n_b], self.book.n_bids),
            fill[n_o + n_b :],
        )
        return np.concatenate(parts)


def _gather(group: IntArray | None, fill: FloatArray, n_pools: int) -> FloatArray:
    """Each pool's total of its members' ``fill`` (``fill`` if not pooled)."""
    if group is None:
        return fill
    return np.bincount(group, weights=fill, minlength=n_pools)


def _spread(
    group: IntArray | None, qty: FloatArray, total: FloatArray, fill: FloatArray
) -> FloatArray:
    """Each order's share of its pool's ``fill``, by quantity (``fill`` if not pooled)."""
    if group is None:
        return fill
    return _shares(group, qty, total, fill)


@compiled
def _shares(group: IntArray, qty: FloatArray, total: FloatArray, fill: FloatArray) -> FloatArray:
    """:func:`_spread` of a pooled side: ``fill / total x qty``.

    A fill may pass its pool's total by the solver's tolerance: for a pool of a subnormal
    total, ``fill / total`` overflows, and infinity times a member's zero quantity is NaN.
    Those members are shared as ``fill x (qty / total)``, whose ratio is at most 1.
    """
    out = np.empty(group.size)
    for i in range(group.size):
        g = group[i]
        share = fill[g] / total[g] if total[g] > 0.0 else 0.0
        out[i] = share * qty[i]
        if not np.isfinite(out[i]):
            out[i] = fill[g] * (qty[i] / total[g])
    return out


TieGroups = tuple[IntArray, NDArray[np.bool_], IntArray, NDArray[np.bool_]]
""":func:`tie_groups` of a book's offers, then of its bids."""


@compiled
def _pooled_sides(
    o_node: IntArray,
    o_qty: FloatArray,
    o_price: FloatArray,
    b_node: IntArray,
    b_qty: FloatArray,
    b_price: FloatArray,
) -> tuple[
    tuple[IntArray, IntArray, FloatArray, FloatArray],
    tuple[IntArray, IntArray, FloatArray, FloatArray],
    FloatArray,
    TieGroups,
]:
    """:func:`pool_side` of the offers and of the bids (every array empty for a side not
    pooled), :attr:`Pooled.largest`, and the :func:`tie_groups` of both sides, in one
    call."""
    o_order, o_first = tie_groups(o_node, o_price)
    b_order, b_first = tie_groups(b_node, b_price)
    o_group, o_node, o_pqty, o_price = _side(o_order, o_first, o_node, o_qty, o_price)
    b_group, b_node, b_pqty, b_price = _side(b_order, b_first, b_node, b_qty, b_price)
    n_o = o_pqty.size if o_group.size else o_qty.size
    n_b = b_pqty.size if b_group.size else b_qty.size
    largest = np.empty(n_o + n_b)
    if o_group.size:
        largest[:n_o] = _largest_member(o_group, o_qty, n_o)
    else:
        largest[:n_o] = o_qty
    if b_group.size:
        largest[n_o:] = _largest_member(b_group, b_qty, n_b)
    else:
        largest[n_o:] = b_qty
    return (
        (o_group, o_node, o_pqty, o_price),
        (b_group, b_node, b_pqty, b_price),
        largest,
        (o_order, o_first, b_order, b_first),
    )


@compiled
def _side(
    order: IntArray, first: NDArray[np.bool_], node: IntArray, qty: FloatArray, price: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """:func:`pool_side` given the side's :func:`tie_groups`, with every array empty for
    None."""
    if node.size >= 2:
        pooled = _pools_of(order, first, node, qty, price)
        if pooled[0].size:
            return pooled
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)


def pool_orders(book: OrderBook) -> Pooled | None:
    """``book`` with each side's orders at one node and one price pooled; None when no
    two orders on a side share both (see the module docstring)."""
    return pooled_with_ties(book)[0]


def pooled_with_ties(book: OrderBook) -> tuple[Pooled | None, TieGroups]:
    """:func:`pool_orders`, and the :func:`tie_groups` of the book's offers, then of its
    bids (``order, first`` of each), which it computes on the way."""
    offers, bids, largest, ties = _pooled_sides(*book.offers, *book.bids)
    o_group, b_group = offers[0], bids[0]
    if not o_group.size and not b_group.size:
        return None, ties
    pooled = OrderBook._trusted(
        book.n_nodes,
        *(offers[1:] if o_group.size else book.offers),
        *(bids[1:] if b_group.size else book.bids),
        *book.links,
        copy=False,
    )
    return Pooled(
        pooled, o_group if o_group.size else None, b_group if b_group.size else None, largest
    ), ties
