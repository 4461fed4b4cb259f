"""A simplex basis carried from one month's book to the next one's columns.

:class:`market.warm.Clearer` re-solves a month's book from the previous month's optimal
basis. When orders or links came or went, the basis is moved onto the new book's
columns: each new column is matched to the old column at the same place (an order by
its side, node and rank among that node's orders; a link by its ends and rank among
parallel links), unmatched columns start nonbasic at their lower bound, and the count of
basic variables is restored with row logicals (as in a crash basis: Bixby, "Implementing
the simplex method: the initial basis", *ORSA J. Computing* 4(3), 1992).

Reading HiGHS's basis object converts every column's status to a Python object (about
0.2 ms on a 600-column book, more than the re-solve itself); :func:`solved_basis` rebuilds
the same statuses from the solution's arrays instead, by HiGHS's own rule
(``HEkk::getHighsBasis``): the basic variables as HiGHS lists them; a nonbasic column
with finite distinct bounds is at the bound its value equals; a nonbasic fixed column
or row (lower = upper, every node balance) is "lower" when its dual is >= 0 and "upper"
otherwise. If any nonbasic column is found off its bounds the statuses are read from
HiGHS instead, so the carried basis is always HiGHS's.
"""

from __future__ import annotations

import highspy
import numpy as np
from numpy.typing import NDArray

from market.highs import floats

__all__ = [
    "ColumnLayout",
    "Layout",
    "carry_basis",
    "column_keys",
    "match_columns",
    "solved_basis",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

BASIC = int(highspy.HighsBasisStatus.kBasic)
LOWER = int(highspy.HighsBasisStatus.kLower)
UPPER = int(highspy.HighsBasisStatus.kUpper)
_STATUS = np.empty(len(highspy.HighsBasisStatus.__members__), dtype=object)
for _status in highspy.HighsBasisStatus.__members__.values():
    _STATUS[int(_status)] = _status  # the status objects by code, to index with arrays

Layout = tuple[int, IntArray, IntArray, IntArray, IntArray]
"""Node count and the node arrays of offers, bids, link sources and link ends."""


def column_keys(o_node: IntArray, b_node: IntArray, src: IntArray, dst: IntArray) -> IntArray:
    """One key per column, equal for columns of the same kind at the same place.

    Offers are keyed by their node (below ``2**31``), bids by ``2**31`` + node, links by
    ``(source + 2) * 2**31 + end`` (node ids are below ``2**31``): the kinds never share
    a key, so two books with equal key arrays have the same orders and links in the same
    places.
    """
    return np.concatenate((o_node, b_node + 2**31, (src + 2) * 2**31 + dst))


class ColumnLayout:
    """Node count and column keys of a book's LP (what a basis rests on), sorted once.

    A month's layout is matched against the previous month's and then kept to be
    matched against the next one's, so each key array is sorted once
    (:meth:`sorted`, on first use).

    Parameters
    ----------
    n_nodes : int
        Rows of the LP.
    keys : ndarray
        :func:`column_keys` of the book.
    """

    __slots__ = ("_sorted", "keys", "n_nodes")

    def __init__(self, n_nodes: int, keys: IntArray) -> None:
        self.n_nodes = n_nodes
        self.keys = keys
        self._sorted: tuple[IntArray, IntArray] | None = None

    @classmethod
    def of(cls, layout: Layout) -> ColumnLayout:
        """The column layout of a :data:`Layout`."""
        return cls(layout[0], column_keys(*layout[1:]))

    def same(self, other: ColumnLayout) -> bool:
        """True when both books have the same nodes, orders and links in the same places."""
        a, b = self.keys, other.keys
        return self.n_nodes == other.n_nodes and a.shape == b.shape and bool((a == b).all())

    def sorted(self) -> tuple[IntArray, IntArray]:
        """The stable order of the keys, and the keys in that order with a -1 appended."""
        if self._sorted is None:
            order = np.argsort(self.keys, kind="stable")
            self._sorted = order, np.append(self.keys[order], -1)
        return self._sorted

    def match(self, old: ColumnLayout) -> IntArray:
        """For each column, the index of ``old``'s column with the same key and rank.

        The rank of a key is the number of earlier entries with the same value, so the
        k-th column with a key matches the old k-th column with it, or none (-1).
        """
        o_order, o_sorted = old.sorted()
        n_order, n_sorted = self.sorted()
        n_sorted = n_sorted[:-1]
        # rank: the distance to the first entry with the same key
        rank = np.arange(n_sorted.size) - np.searchsorted(n_sorted, n_sorted, "left")
        pos = np.searchsorted(o_sorted[:-1], n_sorted, "left") + rank
        np.minimum(pos, o_order.size, out=pos)  # past the end: the -1, which no key equals
        hit = o_sorted[pos] == n_sorted
        out = np.full(n_sorted.size, -1, np.int64)
        out[n_order[hit]] = o_order[pos[hit]]
        return out


def match_columns(old: Layout, new: Layout) -> IntArray:
    """For each column of the ``new`` book's LP, the matching column of the ``old`` one.

    Columns are offers, bids, then links (:func:`market.lp.columns`). An offer matches
    the old offer at the same node with the same rank among that node's offers, a bid
    likewise, a link the old link with the same ends and rank among parallel links;
    -1 where there is none. (One match over keys that tell the kinds apart, so the
    old column index comes out directly: :meth:`ColumnLayout.match`.)
    """
    return ColumnLayout.of(new).match(ColumnLayout.of(old))


def carry_basis(
    col_status: IntArray,
    row_status: IntArray,
    matched: IntArray,
    upper: FloatArray,
    n_rows: int,
    node_of_column: tuple[IntArray, IntArray, IntArray, IntArray],
) -> highspy.HighsBasis:
    """The previous basis moved onto a new book's columns, with as many basic as rows.

    ``matched`` is :func:`match_columns`, ``upper`` the new columns' upper bounds and
    ``node_of_column`` the new book's offer nodes, bid nodes, link sources and ends.

    The basis is marked not alien: with as many basic variables as rows, HiGHS's
    ``setBasis`` then takes it as it is instead of factorizing it to check and repair it
    (``accommodateAlienBasis``), which leaves a nonsingular basis unchanged anyway; a
    singular one is repaired by the simplex solver's own first factorization
    (``HEkk::handleRankDeficiency``).
    """
    cols = np.append(col_status, LOWER)[matched]  # unmatched (-1): the LOWER appended
    rows = np.full(n_rows, BASIC, np.int64)  # new nodes: their logical is basic
    keep = min(n_rows, row_status.size)
    rows[:keep] = row_status[:keep]
    # A column at an upper bound that is now infinite cannot stay there.
    cols[(cols == UPPER) & (upper == np.inf)] = LOWER
    excess = int((cols == BASIC).sum() + (rows == BASIC).sum()) - n_rows
    if excess > 0:  # drop logicals first, then columns, from the basis
        for status in (rows, cols):
            basic = np.flatnonzero(status == BASIC)[:excess]
            status[basic] = LOWER
            excess -= basic.size
    elif excess < 0:  # nodes no basic column touches get their logical back first
        o_node, b_node, src, dst = node_of_column
        n_orders = o_node.size + b_node.size
        ends = np.concatenate([o_node, b_node, src, dst])  # every column's node(s)
        column = np.concatenate([np.arange(n_orders + src.size), n_orders + np.arange(src.size)])
        covered = np.zeros(n_rows, dtype=bool)
        covered[ends[cols[column] == BASIC]] = True
        free = rows != BASIC
        candidates = np.concatenate(
            [np.flatnonzero(free & ~covered), np.flatnonzero(free & covered)]
        )
        rows[candidates[:-excess]] = BASIC
    basis = highspy.HighsBasis()
    basis.alien = False  # as many basic as rows: HiGHS takes it as it is (see above)
    basis.col_status = _STATUS[cols].tolist()
    basis.row_status = _STATUS[rows].tolist()
    return basis


def highs_basis(h: highspy.Highs) -> tuple[IntArray, IntArray]:
    """Column and row statuses of ``h``'s basis as read from HiGHS (slow: see above)."""
    prev = h.getBasis()
    col_status = np.array([int(s) for s in prev.col_status], np.int64)
    row_status = np.array([int(s) for s in prev.row_status], np.int64)
    return col_status, row_status


def solved_basis(
    h: highspy.Highs,
    upper: FloatArray,
    x: FloatArray | None = None,
    row_dual: FloatArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Statuses of ``h``'s optimal basis from its solution (see the module docstring).

    ``upper`` holds the model's column upper bounds (lower bounds are all zero); ``x``
    and ``row_dual``, the solution's column values and row duals if already read. Falls
    back to :func:`highs_basis` when a nonbasic column is not at a bound.
    """
    basic = h.getBasicVariables()[1].astype(np.int64)  # type: ignore[attr-defined]
    sol = h.getSolution()
    if x is None or row_dual is None:
        x = floats(sol.col_value)
        row_dual = floats(sol.row_dual)
    at_upper = x == upper
    cols = np.where(at_upper, UPPER, LOWER)
    fixed = upper == 0.0
    if fixed.any():
        dual = floats(sol.col_dual)
        cols[fixed] = np.where(dual[fixed] >= 0.0, LOWER, UPPER)
    # Node balances are fixed rows; HiGHS reports row duals with the opposite sign.
    rows = np.where(row_dual <= 0.0, LOWER, UPPER)
    structural = basic >= 0
    cols[basic[structural]] = BASIC
    rows[-1 - basic[~structural]] = BASIC
    if ((cols != BASIC) & ~(at_upper | (x == 0.0))).any():  # a nonbasic column off its bounds
        return highs_basis(h)
    return cols, rows
