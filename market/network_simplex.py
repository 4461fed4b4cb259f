"""The clearing LP re-solved as a network: a compiled dual network simplex from last month's tree.

The clearing LP (:mod:`market.lp`) is a min-cost circulation on the book's nodes and a
ground node ``G`` (:mod:`market.mcf`): an offer at ``n`` is an arc ``G -> n``, a bid an
arc ``n -> G``, a link an arc ``src -> dst``, each with its column's cost and bounds
``[0, upper]`` (:func:`market.prices.column_arcs`). A basis of such an LP is a spanning
tree of arcs; the others sit at a bound (Ahuja, Magnanti and Orlin, *Network Flows*,
1993, ch. 11). Given the tree and the bounds the others sit at, the tree's flows follow
from the node balances (summed up the tree, leaves first) and the node potentials from
the tree arcs' costs (summed down from the ground, at potential 0): arc ``t -> h`` has
reduced cost ``cost + p[t] - p[h]``, zero on the tree. The potentials are the duals of
the node balances, the node prices HiGHS reports as row duals.

Consecutive months of a run change costs and bounds but keep the layout. Last month's
optimal tree is then usually still dual feasible (no arc off the tree has a reduced cost
of the wrong sign) and only a few tree arcs leave their bounds: the case of the dual
simplex method (Lemke, "The dual method of solving the linear programming problem",
*Naval Research Logistics Quarterly* 1, 1954), which in a network reads (Ahuja et al.,
section 11.8; Orlin, Plotkin and Tardos, 1993):

1. if every tree arc is within its bounds, the tree is optimal; else the arc furthest
   outside leaves, to the bound it passed;
2. removing it cuts the tree in two; of the arcs across the cut that can move in the
   direction that restores the balance, the one of least absolute reduced cost enters
   (the dual ratio test), so every reduced cost keeps its sign;
3. repeat from the new tree, flows and potentials recomputed from it.

Arcs off the tree whose reduced cost has the wrong sign at the start (the costs moved)
are first moved to their other bound, which makes the tree dual feasible (a bound
flip). An arc with no upper bound is given one no optimal flow needs: the book's
total offered quantity plus one (every unit of a circulation's flow through the ground
is an offer filled, and a cycle of links alone costs at least 0, :mod:`market.mcf`). An
optimum that leaves such an arc at that bound, or a tree that does not settle within
:data:`MAX_PIVOTS_PER_ARC` pivots an arc, is reported as a failure, and the caller solves
the book by HiGHS. A cold start is the tree of one artificial arc ``n -> G`` per node,
fixed at zero (as a simplex solver's slack basis).

Every quantity is recomputed from the tree at each pivot (a few hundred additions on a
model's book), not updated along the cycle, so the flows are sums of bounds in a fixed
order and carry no drift from earlier pivots. The answer is an optimum to the tolerances
of :data:`market.highs.TOLERANCE` (every tree arc within its bounds, every other arc's
reduced cost of the right sign), as HiGHS's is; where a book has several optima it can
be another vertex than HiGHS's, which :mod:`market.trade_pattern` and
:mod:`market.prices` then map to the same flows and prices, to rounding.

>>> import numpy as np
>>> # one offer of 10 at 5 (G -> 0), one bid of 4 at 9 (1 -> G), a link 0 -> 1 costing 1
>>> tail, head = np.array([2, 1, 0]), np.array([0, 2, 1])
>>> cost, upper = np.array([5.0, -9.0, 1.0]), np.array([10.0, 4.0, np.inf])
>>> tree = cold_tree(2, 3)
>>> flow, price, pivots, ok = solve_network(2, tail, head, cost, upper, tree)
>>> flow.tolist(), price.tolist(), ok
([4.0, 4.0, 4.0], [5.0, 6.0], True)
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from market.compiled import compiled
from market.highs import TOLERANCE

__all__ = ["MAX_PIVOTS_PER_ARC", "NetworkInputError", "cold_tree", "solve_network"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MAX_PIVOTS_PER_ARC: Final = 4
"""Pivots allowed per arc (columns and artificial arcs) before a solve counts as failed.

A cold start on a model's book takes about one pivot per node; a warm start a few. The
limit stops a dual simplex that cycles on a degenerate book (reduced costs tied at zero),
which the caller then hands to HiGHS."""


class NetworkInputError(ValueError):
    """Arrays :func:`solve_network` cannot solve: of different lengths, or naming a node
    outside the book."""


def cold_tree(n_nodes: int, n_columns: int) -> NDArray[np.int8]:
    """The starting state of a cold solve: every node joined to the ground by its
    artificial arc, every column off the tree at zero.

    The state has one entry per column, then one per node's artificial arc: ``1`` on
    the tree, ``0`` off it at zero, ``2`` off it at its upper bound. :func:`solve_network`
    leaves the optimal tree in it, the start of the next month's solve.
    """
    state = np.zeros(n_columns + n_nodes, np.int8)
    state[n_columns:] = 1
    return state


def solve_network(
    n_nodes: int,
    tail: IntArray,
    head: IntArray,
    cost: FloatArray,
    upper: FloatArray,
    tree: NDArray[np.int8],
    tol: float = TOLERANCE,
) -> tuple[FloatArray, FloatArray, int, bool]:
    """Solve the clearing LP's circulation from the tree ``tree`` (updated in place).

    Parameters
    ----------
    n_nodes : int
        Book nodes; the ground is node ``n_nodes``.
    tail, head, cost, upper : ndarray
        Each column's arc (:func:`market.prices.column_arcs`), cost and upper bound
        (lower bounds are 0), in the LP's units.
    tree : ndarray of int8
        :func:`cold_tree`, or the state a previous solve of a book with the same columns
        left.
    tol : float
        Primal and dual feasibility tolerance.

    Returns
    -------
    flow : ndarray
        Every column's value.
    price : ndarray
        Every node's potential (the ground at 0): the duals of the node balances.
    pivots : int
        Pivots made.
    ok : bool
        Whether an optimum was found; if not, ``flow`` and ``price`` mean nothing and
        ``tree`` should be started cold.

    Raises
    ------
    NetworkInputError
        If the arrays' lengths differ (``tree``: one more per node) or an arc's end is
        not a node ``0 .. n_nodes`` (the book's nodes and the ground).
    """
    m = tail.size
    if not (head.size == cost.size == upper.size == m and tree.size == m + n_nodes):
        raise NetworkInputError(
            f"solve_network: tail, head, cost and upper have {m}, {head.size}, {cost.size} "
            f"and {upper.size} entries and tree {tree.size}: give one per column each, and "
            f"tree one more per node ({m} + {n_nodes}), e.g. cold_tree(n_nodes, len(cost))"
        )
    flow, price, pivots, ok = _solve(
        n_nodes, tail, head, cost, upper, tree, tol, MAX_PIVOTS_PER_ARC
    )
    if pivots < 0:
        raise NetworkInputError(
            f"solve_network: an arc's tail or head is outside the nodes 0..{n_nodes} (the "
            "book's nodes and the ground, n_nodes): give market.prices.column_arcs of the book"
        )
    return flow, price, pivots, ok


@compiled
def _tree_order(
    n_nodes: int,
    t: IntArray,
    h: IntArray,
    tree_arcs: IntArray,
    order: IntArray,
    parent_arc: IntArray,
    parent: IntArray,
    degree: IntArray,
    adjacent: IntArray,
    seen: NDArray[np.bool_],
) -> bool:
    """Fill ``order`` (breadth first from the ground), each node's tree arc to its parent
    and its parent, from the ``n_nodes`` arcs ``tree_arcs``; False if they do not span
    the nodes. ``degree``, ``adjacent`` and ``seen`` are work arrays."""
    n_all = n_nodes + 1
    degree[:] = 0
    for a in tree_arcs:
        degree[t[a] + 2] += 1
        degree[h[a] + 2] += 1
    for v in range(n_all):
        degree[v + 2] += degree[v + 1]
    for a in tree_arcs:  # degree[v + 1] runs from v's first slot to its last
        adjacent[degree[t[a] + 1]] = a
        degree[t[a] + 1] += 1
        adjacent[degree[h[a] + 1]] = a
        degree[h[a] + 1] += 1
    seen[:] = False
    order[0] = n_nodes
    seen[n_nodes] = True
    parent_arc[n_nodes] = -1
    parent[n_nodes] = -1
    done, found = 0, 1
    while done < found:
        v = order[done]
        done += 1
        for k in range(degree[v], degree[v + 1]):
            a = adjacent[k]
            w = h[a] if t[a] == v else t[a]
            if not seen[w]:
                seen[w] = True
                parent_arc[w] = a
                parent[w] = v
                order[found] = w
                found += 1
    return found == n_all


@compiled
def _solve(
    n_nodes: int,
    tail: IntArray,
    head: IntArray,
    cost: FloatArray,
    upper: FloatArray,
    tree: NDArray[np.int8],
    tol: float,
    per_arc: int,
) -> tuple[FloatArray, FloatArray, int, bool]:
    """:func:`solve_network` in one compiled call."""
    m = tail.size
    n_arcs = m + n_nodes
    n_all = n_nodes + 1
    t = np.empty(n_arcs, np.int64)
    h = np.empty(n_arcs, np.int64)
    c = np.empty(n_arcs)
    u = np.empty(n_arcs)
    unbounded = np.zeros(n_arcs, np.bool_)
    for j in range(m):
        if not (0 <= tail[j] <= n_nodes and 0 <= head[j] <= n_nodes):
            return np.zeros(m), np.zeros(n_nodes), -1, False
    big = 1.0
    for j in range(m):
        if np.isfinite(upper[j]):
            big += upper[j] if tail[j] == n_nodes else 0.0
    for j in range(m):
        t[j], h[j], c[j] = tail[j], head[j], cost[j]
        if np.isfinite(upper[j]):
            u[j] = upper[j]
        else:
            u[j] = big
            unbounded[j] = True
    for k in range(n_nodes):
        t[m + k], h[m + k], c[m + k], u[m + k] = k, n_nodes, 0.0, 0.0
    potential = np.zeros(n_all)
    flow = np.zeros(n_arcs)
    order = np.empty(n_all, np.int64)
    parent_arc = np.empty(n_all, np.int64)
    parent = np.empty(n_all, np.int64)
    degree = np.empty(n_all + 2, np.int64)
    adjacent = np.empty(2 * n_nodes, np.int64)
    seen = np.empty(n_all, np.bool_)
    tree_arcs = np.empty(n_nodes, np.int64)  # the tree's arcs, each at its slot
    slot = np.empty(n_arcs, np.int64)
    count = 0
    for a in range(n_arcs):
        if tree[a] == 1:
            if count == n_nodes:
                return flow[:m], potential[:n_nodes], 0, False
            tree_arcs[count] = a
            slot[a] = count
            count += 1
    if count != n_nodes:
        return flow[:m], potential[:n_nodes], 0, False
    balance = np.zeros(n_all)
    in_cut = np.zeros(n_all, np.bool_)
    max_pivots = per_arc * n_arcs
    for pivot in range(max_pivots + 1):
        if not _tree_order(
            n_nodes, t, h, tree_arcs, order, parent_arc, parent, degree, adjacent, seen
        ):
            return flow[:m], potential[:n_nodes], pivot, False
        for i in range(1, n_all):  # potentials down from the ground
            w = order[i]
            a = parent_arc[w]
            if h[a] == w:
                potential[w] = potential[t[a]] + c[a]
            else:
                potential[w] = potential[h[a]] - c[a]
        if pivot == 0:  # bound flips: every arc off the tree of the right sign
            for a in range(n_arcs):
                if tree[a] != 1 and u[a] > 0.0:
                    d = c[a] + potential[t[a]] - potential[h[a]]
                    if tree[a] == 0 and d < -tol:
                        tree[a] = 2
                    elif tree[a] == 2 and d > tol:
                        tree[a] = 0
        balance[:] = 0.0  # net inflow of each node from the arcs off the tree
        for a in range(n_arcs):
            if tree[a] == 1:
                continue
            f = u[a] if tree[a] == 2 else 0.0
            flow[a] = f
            balance[h[a]] += f
            balance[t[a]] -= f
        leave, child, worst, to_upper = -1, -1, tol, False
        for i in range(n_all - 1, 0, -1):  # flows up from the leaves
            w = order[i]
            a = parent_arc[w]
            f = balance[w] if t[a] == w else 0.0 - balance[w]
            flow[a] = f
            balance[parent[w]] += balance[w]
            if -f > worst:
                leave, child, worst, to_upper = a, w, -f, False
            if f - u[a] > worst:
                leave, child, worst, to_upper = a, w, f - u[a], True
        if leave < 0:  # primal feasible: check the optimum and report it
            for a in range(n_arcs):
                if tree[a] == 1 or u[a] <= 0.0:
                    continue
                d = c[a] + potential[t[a]] - potential[h[a]]
                if (tree[a] == 0 and d < -tol) or (tree[a] == 2 and (d > tol or unbounded[a])):
                    return flow[:m], potential[:n_nodes], pivot, False
            return flow[:m], potential[:n_nodes], pivot, True
        # the cut: the subtree below the leaving arc
        in_cut[:] = False
        in_cut[child] = True
        for i in range(1, n_all):
            w = order[i]
            if w != child and in_cut[parent[w]]:
                in_cut[w] = True
        target = u[leave] if to_upper else 0.0
        out = in_cut[t[leave]]
        # the change the other arcs across the cut must make to the cut's net outflow
        need = flow[leave] - target if out else target - flow[leave]
        enter, best = -1, np.inf
        for a in range(n_arcs):
            if tree[a] == 1 or u[a] <= 0.0:
                continue
            a_out = in_cut[t[a]]
            if a_out == in_cut[h[a]]:
                continue
            grows = tree[a] == 0
            raises = a_out == grows  # moving it raises the cut's net outflow
            if raises != (need > 0.0):
                continue
            r = abs(c[a] + potential[t[a]] - potential[h[a]])
            if r < best:
                enter, best = a, r
        if enter < 0:
            return flow[:m], potential[:n_nodes], pivot, False
        tree[leave] = 2 if to_upper else 0
        tree[enter] = 1
        k = slot[leave]
        tree_arcs[k] = enter
        slot[enter] = k
    return flow[:m], potential[:n_nodes], max_pivots, False
