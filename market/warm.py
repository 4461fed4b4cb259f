"""Clear a sequence of related books, each re-solved from the previous optimum.

A model clears one book a month, and consecutive months differ mostly in numbers
(prices, costs, quantities, capacities), rarely in layout (an order or a link more or
less). :class:`Clearer` keeps one HiGHS model and its optimal basis for a run. When the
next book has the same layout it only changes the model's costs and bounds and
re-solves from the kept basis: the basis stays a basis (the constraint matrix is
unchanged) and the simplex method needs only the pivots that the changes call for
(warm start; Bixby, "Solving real-world linear programs: a decade and more of
progress", *Operations Research* 50(1), 2002). On books the fast solver sends through
a min-cost flow (over :data:`market.mcf.DIRECT_LINKS` links) the kept LEMON network is
re-solved from its previous spanning tree instead, and its tree becomes HiGHS's basis
(see :mod:`market.mcf`). When a few orders or links come or go on a smaller book,
the kept basis is carried over by matching columns (an order by its side, node and
rank among that node's orders; a link by its ends and rank among parallel links), with
new columns starting at zero and the count of basic variables restored with row
logicals. When the layout changed too much (fewer than ``min_match`` of the new
columns matched; any change on a larger book) or HiGHS refuses the carried basis, the
book is solved cold (as :func:`market.mcf.solve_mcf`), which leaves the model, basis
and network for the next month.

Every answer is an optimum of the book itself, found by the simplex method to the same
tolerances as :func:`market.clearing.clear`, on the book scaled the same way: it has
the same welfare, feasible fills and equilibrium prices (where prices are not unique,
possibly other valid ones).

>>> from market.clearing import OrderBook
>>> clearer = Clearer()
>>> for price in (30.0, 31.0):
...     book = OrderBook(2, [0], [5.0], [10.0], [1], [4.0], [price], [0], [1], [1.0], [9.0])
...     res = clearer.clear(book)
>>> res.welfare, res.method, clearer.warm_solves
(80.0, 'warm', 1)
"""

from __future__ import annotations

import highspy
import numpy as np
from numpy.typing import NDArray

from market.book import OrderBook
from market.clearing import ClearingResult, _finish
from market.highs import load_book, new_highs, read_solution, run_optimal
from market.lp import LPSolution, SolverFailure, columns
from market.mcf import DIRECT_LINKS, LemonNetwork, solve_mcf, try_flow_basis
from market.scaling import components, scale_book

__all__ = ["Clearer"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_BASIC = int(highspy.HighsBasisStatus.kBasic)
_LOWER = int(highspy.HighsBasisStatus.kLower)
_UPPER = int(highspy.HighsBasisStatus.kUpper)
_STATUS = list(highspy.HighsBasisStatus.__members__.values())


Layout = tuple[int, IntArray, IntArray, IntArray, IntArray]


def _layout(book: OrderBook) -> Layout:
    """Node count and the node arrays of offers, bids and links: what a basis rests on."""
    return (book.n_nodes, book.offers[0], book.bids[0], book.links[0], book.links[1])


def _same_layout(a: Layout, b: Layout) -> bool:
    return a[0] == b[0] and all(
        x.shape == y.shape and bool((x == y).all()) for x, y in zip(a[1:], b[1:], strict=True)
    )


def _column_keys(layout: Layout) -> NDArray[np.int64]:
    """One row ``(kind, a, b, rank)`` per LP column, in column order.

    Offers are ``(0, node, 0, rank)``, bids ``(1, node, 0, rank)``, links
    ``(2, src, dst, rank)``; ``rank`` counts earlier columns with the same first three.
    """
    _, o_node, b_node, src, dst = layout
    kind = np.concatenate(
        [np.zeros(o_node.size), np.ones(b_node.size), np.full(src.size, 2)]
    ).astype(np.int64)
    a = np.concatenate([o_node, b_node, src])
    b = np.concatenate([np.zeros(o_node.size + b_node.size, np.int64), dst])
    order = np.lexsort((np.arange(kind.size), b, a, kind))
    same = np.zeros(kind.size, dtype=bool)
    same[1:] = (
        (kind[order][1:] == kind[order][:-1])
        & (a[order][1:] == a[order][:-1])
        & (b[order][1:] == b[order][:-1])
    )
    run_start = np.maximum.accumulate(np.where(same, 0, np.arange(kind.size)))
    rank = np.empty(kind.size, np.int64)
    rank[order] = np.arange(kind.size) - run_start
    return np.column_stack([kind, a, b, rank])


def _match(old: NDArray[np.int64], new: NDArray[np.int64]) -> IntArray:
    """For each row of ``new``, the index of the equal row of ``old`` (or -1).

    Rows are unique within each array (the rank makes them so), so after sorting both
    together an equal pair sits side by side, the old row first.
    """
    both = np.concatenate([old, new])
    origin = np.concatenate([np.zeros(len(old), np.int64), np.ones(len(new), np.int64)])
    order = np.lexsort((origin, *both.T[::-1]))
    s = both[order]
    pair = np.zeros(len(order), dtype=bool)
    pair[1:] = (s[1:] == s[:-1]).all(axis=1)  # row i equals row i - 1 (old, then new)
    out = np.full(len(new), -1, np.int64)
    hit = np.flatnonzero(pair)
    out[order[hit] - len(old)] = order[hit - 1]
    return out


def _carry_basis(
    col_status: IntArray, row_status: IntArray, matched: IntArray, book: OrderBook
) -> highspy.HighsBasis:
    """The previous basis moved onto ``book``'s columns, with as many basic as rows."""
    n_rows = book.n_nodes
    cols = np.where(matched >= 0, col_status[np.maximum(matched, 0)], _LOWER)
    cols = np.where(matched < 0, _LOWER, cols)
    rows = np.full(n_rows, _BASIC, np.int64)  # new nodes: their logical is basic
    keep = min(n_rows, row_status.size)
    rows[:keep] = row_status[:keep]
    # A column at an upper bound that is now infinite cannot stay there.
    upper = columns(book)[2]
    cols = np.where((cols == _UPPER) & ~np.isfinite(upper), _LOWER, cols)
    excess = int((cols == _BASIC).sum() + (rows == _BASIC).sum()) - n_rows
    if excess > 0:  # drop logicals first, then columns, from the basis
        for status in (rows, cols):
            basic = np.flatnonzero(status == _BASIC)[:excess]
            status[basic] = _LOWER
            excess -= basic.size
    elif excess < 0:  # nodes no basic column touches get their logical back first
        o_node, b_node = book.offers[0], book.bids[0]
        src, dst = book.links[0], book.links[1]
        n_orders = o_node.size + b_node.size
        ends = np.concatenate([o_node, b_node, src, dst])  # every column's node(s)
        column = np.concatenate([np.arange(n_orders + src.size), n_orders + np.arange(src.size)])
        covered = np.zeros(n_rows, dtype=bool)
        covered[ends[cols[column] == _BASIC]] = True
        free = rows != _BASIC
        candidates = np.concatenate(
            [np.flatnonzero(free & ~covered), np.flatnonzero(free & covered)]
        )
        rows[candidates[:-excess]] = _BASIC
    basis = highspy.HighsBasis()
    basis.col_status = [_STATUS[s] for s in cols.tolist()]
    basis.row_status = [_STATUS[s] for s in rows.tolist()]
    return basis


def _same_links(
    old: tuple[IntArray, IntArray], new: tuple[IntArray, IntArray], n_nodes: int, book: OrderBook
) -> bool:
    return (
        n_nodes == book.n_nodes
        and old[0].shape == new[0].shape
        and bool((old[0] == new[0]).all() and (old[1] == new[1]).all())
    )


class Clearer:
    """Clears a run's monthly books, each warm-started from the previous optimum.

    Parameters
    ----------
    min_match : float
        Least share of the new book's columns that must match the previous book's for
        its basis to be carried over; below it the book is solved cold.
    direct_links : int
        Books with more links go through the min-cost flow (as in
        :func:`market.mcf.solve_mcf`); tests lower it to run that path on small books.

    Attributes
    ----------
    warm_solves, cold_solves : int
        Books re-solved from a kept basis, and books solved from scratch.
    """

    def __init__(self, *, min_match: float = 0.5, direct_links: int = DIRECT_LINKS) -> None:
        self.min_match = min_match
        self.direct_links = direct_links
        self.warm_solves = 0
        self.cold_solves = 0
        self._h = new_highs()
        self._layout: Layout | None = None
        self._n_nodes = -1
        self._links: tuple[IntArray, IntArray] | None = None
        self._labels: IntArray = np.zeros(0, np.int64)
        self._network: LemonNetwork | None = None

    def reset(self) -> None:
        """Forget the kept model: the next book is solved cold."""
        self._layout = None
        self._links = None

    def clear(self, book: OrderBook) -> ClearingResult:
        """Clear ``book`` like :func:`market.clearing.clear`, from the kept basis if any."""
        if book.n_offers + book.n_bids + book.n_links == 0:
            self.reset()
            empty = LPSolution(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(book.n_nodes), 0)
            return _finish(book, empty, "warm")
        layout = _layout(book)
        links = book.links[:2]
        if self._links is None or not _same_links(self._links, links, self._n_nodes, book):
            self._labels = components(book)
        scaled, units = scale_book(book, self._labels)
        self._links = links
        self._layout, old = None, self._layout  # forgotten unless this solve succeeds
        sol = self._warm(scaled, layout, old)
        method = "warm"
        if sol is None:
            sol = self._cold(scaled)
            self.cold_solves += 1
            method = "fast"
        else:
            self.warm_solves += 1
        self._layout, self._n_nodes = layout, book.n_nodes
        return _finish(book, units.unscale(sol, book), method)

    def _cold(self, book: OrderBook) -> LPSolution:
        """:func:`market.mcf.solve_mcf`, keeping the flow's network for a re-solve."""
        if book.n_links <= self.direct_links:
            self._network = None
            return solve_mcf(book, self._h, direct_links=self.direct_links)
        basis, self._network = try_flow_basis(book, "lemon")
        load_book(self._h, book)
        if basis is not None:
            self._h.setBasis(basis)
        run_optimal(self._h)
        return read_solution(self._h, book)

    def _warm(self, book: OrderBook, layout: Layout, old: Layout | None) -> LPSolution | None:
        """Re-solve from the kept basis; None when a cold solve is needed."""
        h = self._h
        if old is None:
            return None
        cost, lower, upper = columns(book)[:3]
        upper = np.where(np.isinf(upper), highspy.kHighsInf, upper)
        same = _same_layout(old, layout)
        large = book.n_links > self.direct_links
        if large and not same:
            return None  # a new layout: the flow is faster than carrying the basis
        try:
            if same:
                idx = np.arange(cost.size, dtype=np.int32)
                h.changeColsCost(cost.size, idx, cost)
                h.changeColsBounds(cost.size, idx, lower, upper)
                if large:  # the network simplex re-solved from its tree gives the basis
                    basis, self._network = try_flow_basis(book, "lemon", self._network)
                    if basis is None:
                        return None
                    h.setBasis(basis)
            else:
                matched = _match(_column_keys(old), _column_keys(layout))
                if (matched >= 0).mean() < self.min_match:
                    return None
                prev = h.getBasis()
                col_status = np.array([int(s) for s in prev.col_status], np.int64)
                row_status = np.array([int(s) for s in prev.row_status], np.int64)
                load_book(h, book)
                if h.setBasis(_carry_basis(col_status, row_status, matched, book)) not in (
                    highspy.HighsStatus.kOk,
                    highspy.HighsStatus.kWarning,
                ):
                    return None
            run_optimal(h)
        except SolverFailure:
            return None
        return read_solution(h, book)
