"""Shortest paths from and to one node by Bellman-Ford: SciPy's numbers to the last bit, compiled.

:mod:`market.prices` reads the range of each node's equilibrium price off shortest paths
from and to the ground node of a graph of difference constraints with negative weights.
The reference is SciPy's Bellman-Ford (``scipy.sparse.csgraph.shortest_path``, method
``"BF"``) on :func:`merged_graph`: parallel arcs merged to the shortest, zero weights
stored as the smallest normal float, ``N - 1`` passes over the arcs in node order
(Gauss-Seidel: each row's distance read once at the row's start, its arcs in column
order), then a negative cycle reported if an arc still shortens a distance by more than
``1e-15``. Building its sparse matrices and calling it twice costs about 0.1 ms a month;
:func:`bellman_ford` runs the same relaxations in the same order as one compiled loop
(:mod:`market.compiled`) over the merged arcs and their reverse.

Why they are the same numbers. The compiled loop performs SciPy's relaxations, in SciPy's
order, on the same floats (IEEE 754 addition and comparison, as SciPy's Cython does), and
stops early only after a pass that changed nothing: every later pass would repeat the
same comparisons on the same distances and change nothing either, so the distances are
those SciPy's ``N - 1`` passes end with. Within the passes, a row whose distance has not
moved since its arcs were last relaxed is skipped: each of its arcs left its head's
distance at most the same sum ``d + w``, and distances only fall, so SciPy's comparisons
there change nothing either (nor do those of a row still at ``inf``). A graph with a
cycle of negative rounded length (distances fall by an ulp a pass for ever) runs all
``N - 1`` passes, as SciPy does, and ends where SciPy's last pass leaves it. SciPy's final check follows, with its ``1e-15``.
``tests/market/test_bellman.py`` holds the two to the bit on random graphs.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from market.compiled import compiled

__all__ = [
    "bellman_ford",
    "both_searches",
    "by_tail_then_head",
    "merged_graph",
    "merged_in_order",
    "merged_searches",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TINY = float(np.finfo(float).tiny)
"""What a zero weight is stored as: an explicit zero would be read as no arc."""

NEGATIVE_CYCLE_EPS = 1e-15
"""How much an arc must still shorten a distance after the passes for SciPy to report a
negative cycle (``DTYPE_EPS`` of ``scipy/sparse/csgraph/_shortest_path.pyx``)."""


def merged_graph(n: int, t: IntArray, h: IntArray, w: FloatArray) -> sp.csr_matrix:
    """``n x n`` sparse graph of the arcs ``t -> h``, parallel arcs merged to the shortest.

    A sparse matrix would add parallel arcs up; zero weights become :data:`TINY`.
    """
    key = t * n + h
    order = np.argsort(key)  # by tail, then head: parallel arcs side by side
    k_s = key[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = k_s[1:] != k_s[:-1]
    starts = np.flatnonzero(first)
    keep = order[starts]
    # the shortest of each run of parallel arcs (one sort on the key is several times
    # faster than sorting by key and weight)
    data = np.minimum.reduceat(w[order], starts) if order.size else w[keep]
    data[data == 0.0] = TINY
    # the kept arcs are in row-major order already: the sparse matrix's own arrays
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(t[keep], minlength=n), out=indptr[1:])
    return sp.csr_matrix((data, h[keep].astype(np.int32), indptr), shape=(n, n))


@compiled
def by_tail_then_head(n: int, t: IntArray, h: IntArray) -> IntArray:
    """The arcs ``t -> h`` over ``n`` nodes in the order of their tails, then heads, and
    parallel arcs in their given order (``np.argsort(t * n + h, kind="stable")``, by two
    counting sorts); an empty array if a node is out of ``range(n)``."""
    m = t.size
    for i in range(m):
        if not (0 <= t[i] < n and 0 <= h[i] < n):
            return np.zeros(0, np.int64)
    first = np.zeros(n + 1, np.int64)  # where each head's arcs start
    for i in range(m):
        first[h[i] + 1] += 1
    for v in range(n):
        first[v + 1] += first[v]
    by_head = np.empty(m, np.int64)
    for i in range(m):
        by_head[first[h[i]]] = i
        first[h[i]] += 1
    first[:] = 0  # where each tail's arcs start
    for i in range(m):
        first[t[i] + 1] += 1
    for v in range(n):
        first[v + 1] += first[v]
    order = np.empty(m, np.int64)
    for a in by_head:
        order[first[t[a]]] = a
        first[t[a]] += 1
    return order


@compiled
def _merged_arcs(
    n: int, t: IntArray, h: IntArray, w: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """The arcs of :func:`merged_graph`: sorted by tail then head, one per pair at the
    shortest weight, zeros as :data:`TINY`.

    The arcs are put in that order by :func:`by_tail_then_head`; parallel arcs may come
    in another order than ``np.argsort``'s of the key, which the shortest weight does not
    depend on unless a weight is nan (a nan first stays, later ones are passed over):
    then, and if a node is out of range, by that argsort as before.
    """
    order = by_tail_then_head(n, t, h)
    nan = False
    for x in w:
        nan = nan or np.isnan(x)
    if nan or order.size < t.size:
        order = np.argsort(t * n + h)
    return merged_in_order(n, t, h, w, order, np.ones(t.size, np.bool_))


@compiled
def merged_in_order(
    n: int, t: IntArray, h: IntArray, w: FloatArray, order: IntArray, keep: NDArray[np.bool_]
) -> tuple[IntArray, IntArray, FloatArray]:
    """The arcs ``t -> h`` that ``keep`` marks, taken in ``order`` (by tail then head, as
    :func:`by_tail_then_head` gives), merged as :func:`merged_graph` merges them: one per
    pair of nodes at the shortest weight (a nan first stays, later ones are passed over),
    zeros as :data:`TINY`."""
    tails, heads = np.empty(t.size, np.int64), np.empty(t.size, np.int64)
    weights = np.empty(t.size)
    k = -1
    for a in order:
        if not keep[a]:
            continue
        if k < 0 or t[a] * n + h[a] != tails[k] * n + heads[k]:
            k += 1
            tails[k], heads[k], weights[k] = t[a], h[a], w[a]
        elif w[a] < weights[k]:
            weights[k] = w[a]
    k += 1
    for i in range(k):
        if weights[i] == 0.0:
            weights[i] = TINY
    return tails[:k], heads[:k], weights[:k]


@compiled
def _row_starts(n: int, row: IntArray) -> IntArray:
    """Where each of the ``n`` rows starts among the arcs sorted by row, and where the
    last ends (``indptr`` of compressed rows): the running count of arcs per row."""
    indptr = np.zeros(n + 1, np.int64)
    for r in row:
        indptr[r + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    return indptr


@compiled
def _rows(
    n: int, row: IntArray, col: IntArray, w: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Compressed rows (``indptr, indices, data``) of the arcs ``row -> col``, each row's
    arcs in their given order (a stable counting sort by row)."""
    indptr = _row_starts(n, row)
    fill = indptr[:-1].copy()
    indices, data = np.empty_like(col), np.empty_like(w)
    for i in range(row.size):
        p = fill[row[i]]
        indices[p], data[p] = col[i], w[i]
        fill[row[i]] = p + 1
    return indptr, indices, data


@compiled
def _search(
    n: int, indptr: IntArray, indices: IntArray, data: FloatArray, source: int
) -> tuple[FloatArray, bool]:
    """SciPy's directed Bellman-Ford from ``source`` (the module docstring), skipping the
    rows whose distance did not move since their last relaxation and stopped after a
    pass that changed nothing; whether no arc shortens a distance by more than 1e-15."""
    dist = np.full(n, np.inf)
    dist[source] = 0.0
    # rows whose distance moved since their arcs were last relaxed (an infinite one
    # relaxes nothing: inf plus a weight is inf or nan, below no distance)
    moved = np.zeros(n, np.bool_)
    moved[source] = True
    for _ in range(n - 1):
        changed = False
        for j in range(n):
            if not moved[j]:
                continue  # its relaxations would change nothing (module docstring)
            moved[j] = False
            d1 = dist[j]
            for k in range(indptr[j], indptr[j + 1]):
                if d1 + data[k] < dist[indices[k]]:
                    dist[indices[k]] = d1 + data[k]
                    moved[indices[k]] = True
                    changed = True
        if not changed:
            break
    for j in range(n):
        d1 = dist[j]
        for k in range(indptr[j], indptr[j + 1]):
            if d1 + data[k] + NEGATIVE_CYCLE_EPS < dist[indices[k]]:
                return dist, False
    return dist, True


@compiled
def both_searches(
    n: int, t: IntArray, h: IntArray, w: FloatArray, source: int
) -> tuple[FloatArray, FloatArray, bool]:
    """:func:`bellman_ford` inside compiled code: distances from and to ``source`` on the
    merged arcs, and whether neither side found a negative cycle (``t``, ``h`` int64 and
    ``w`` float64 arrays, as they are in a compiled caller)."""
    tails, heads, weights = _merged_arcs(n, t, h, w)
    return merged_searches(n, tails, heads, weights, source)


@compiled
def merged_searches(
    n: int, tails: IntArray, heads: IntArray, weights: FloatArray, source: int
) -> tuple[FloatArray, FloatArray, bool]:
    """:func:`both_searches` of arcs already merged (:func:`merged_graph`'s: sorted by
    tail, then head, one per pair, zeros as :data:`TINY`)."""
    # the merged arcs are sorted by tail already: their compressed rows are themselves
    d_from, ok = _search(n, _row_starts(n, tails), heads, weights, source)
    if not ok:
        return d_from, d_from, False
    backward = _rows(n, heads, tails, weights)
    d_to, ok = _search(n, backward[0], backward[1], backward[2], source)
    return d_from, d_to, ok


def bellman_ford(
    n: int, t: IntArray, h: IntArray, w: FloatArray, source: int
) -> tuple[FloatArray, FloatArray] | None:
    """Shortest distances from ``source`` and to it over the arcs ``t -> h`` of weight ``w``.

    The numbers of SciPy's Bellman-Ford on :func:`merged_graph` (see the module
    docstring): ``inf`` where there is no path; None where SciPy reports a negative
    cycle.

    >>> t, h, w = np.array([0, 1]), np.array([1, 2]), np.array([2.0, -0.5])
    >>> [d.tolist() for d in bellman_ford(3, t, h, w, 0)]
    [[0.0, 2.0, 1.5], [0.0, inf, inf]]
    """
    d_from, d_to, ok = both_searches(
        n,
        np.ascontiguousarray(t, dtype=np.int64),
        np.ascontiguousarray(h, dtype=np.int64),
        np.ascontiguousarray(w, dtype=np.float64),
        source,
    )
    return (d_from, d_to) if ok else None
