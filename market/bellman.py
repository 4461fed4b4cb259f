"""Shortest paths from and to one node by Bellman-Ford, to the last bit, in a few numpy passes.

:mod:`market.prices` reads the range of each node's equilibrium price off shortest paths
from and to the ground node of a graph of difference constraints with negative weights.
The reference is SciPy's Bellman-Ford (``scipy.sparse.csgraph.shortest_path``, method
``"BF"``): parallel arcs merged to the shortest, zero weights stored as the smallest
normal float, ``N - 1`` passes over the arcs in node order (Gauss-Seidel), then an error
if an arc still shortens a distance by more than ``1e-15``. Building its sparse matrices
and running every pass costs about 0.4 ms a month; :func:`bellman_ford` gives the same
numbers from a few passes of numpy relaxation instead.

Why they are the same numbers. A relaxation sets ``d[j] = min(d[j], fl(d[i] + w))``,
and ``fl(x + w)`` (IEEE 754 rounding) is monotone in ``x``. Every distance vector that
no arc can shorten, with the source at most zero, is a fixpoint of the relaxations;
the componentwise maximum of two fixpoints is one too, so there is a greatest fixpoint
``g``, and any sequence of relaxations started from the initial vector (0 at the
source, infinity elsewhere) stays at or above ``g`` (Cousot and Cousot, "Asynchronous
iterative methods for solving a fixed point system of monotone equations in a complete
lattice", 1977; Bertsekas and Tsitsiklis, *Parallel and Distributed Computation:
Numerical Methods*, 1989, chapter 6). Here all arcs are relaxed at once (Jacobi), over
the graph and its reverse side by side: after ``k`` passes each distance is the least
rounded sum, added up from the source, along walks of at most ``k`` arcs. When pass
``K + 1`` changes nothing, the distances are a fixpoint reached from the start, hence
``g``; and if ``K <= N - 1``, SciPy's ``N - 1`` Gauss-Seidel passes, each at least as
far along as a Jacobi pass, also end at ``g``, where its final check finds nothing. So
a fixpoint within ``N - 1`` passes is SciPy's answer bit for bit. A side that does not
settle within :data:`MAX_PASSES` (a cycle whose rounded length is negative, on which
distances keep falling by an ulp a pass and SciPy stops wherever its last pass leaves
them), and any graph with subnormal weights (where merging a zero with a parallel arc
is not the same as keeping both), get SciPy's own distances.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import NegativeCycleError, shortest_path

__all__ = ["MAX_PASSES", "bellman_ford", "merged_graph"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TINY = float(np.finfo(float).tiny)
"""What a zero weight is stored as: an explicit zero would be read as no arc."""

MAX_PASSES = 32
"""Jacobi passes tried before handing the graph to SciPy. Monthly books' graphs settle
in 4 to 26 passes; the ones that do not (a cycle of negative rounded length, about one
in ten) would not settle in any number."""


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


def _scipy_bellman_ford(
    n: int,
    t: IntArray,
    h: IntArray,
    w: FloatArray,
    source: int,
    settled: tuple[FloatArray | None, FloatArray | None] = (None, None),
) -> tuple[FloatArray, FloatArray] | None:
    """Distances from and to ``source`` by SciPy's Bellman-Ford; None on a negative cycle.

    A side given in ``settled`` is taken from there instead.
    """
    graph = merged_graph(n, t, h, w)
    d_from, d_to = settled
    try:
        if d_from is None:
            d_from = shortest_path(graph, method="BF", directed=True, indices=source)
        if d_to is None:
            d_to = shortest_path(graph.T.tocsr(), method="BF", directed=True, indices=source)
    except NegativeCycleError:
        return None
    return np.asarray(d_from, dtype=float), np.asarray(d_to, dtype=float)


def bellman_ford(
    n: int, t: IntArray, h: IntArray, w: FloatArray, source: int
) -> tuple[FloatArray, FloatArray] | None:
    """Shortest distances from ``source`` and to it over the arcs ``t -> h`` of weight ``w``.

    The numbers of SciPy's Bellman-Ford on :func:`merged_graph` (see the module
    docstring): ``inf`` where there is no path; None where SciPy reports a negative
    cycle.
    """
    weight = np.where(w == 0.0, TINY, w)
    if t.size and np.abs(weight).min() < TINY:
        return _scipy_bellman_ford(n, t, h, w, source)
    # both searches at once: the graph (nodes 0..n-1) beside its reverse (n..2n-1)
    tails = np.concatenate((t, h + n))
    heads = np.concatenate((h, t + n))
    weights = np.concatenate((weight, weight))
    dist = np.full(2 * n, np.inf)
    dist[source] = dist[n + source] = 0.0
    # passes two at a time, then a comparison: a fixpoint within n - 1 passes is SciPy's
    # answer (the last pass is at most pass n - 1 when the one after changes nothing)
    last = dist
    for _ in range(min(n, MAX_PASSES) // 2):
        last = dist.copy()
        np.minimum.at(last, heads, dist[tails] + weights)
        dist = last.copy()
        np.minimum.at(dist, heads, last[tails] + weights)
        if (dist == last).all():
            return dist[:n], dist[n:]
    # a side whose last pass changed nothing is settled; SciPy gives the other
    settled = dist == last
    forward, backward = bool(settled[:n].all()), bool(settled[n:].all())
    return _scipy_bellman_ford(
        n, t, h, w, source, (dist[:n] if forward else None, dist[n:] if backward else None)
    )
