"""The fast clearing solver: a compiled min-cost flow, then an exact simplex polish.

The clearing LP (:mod:`market.lp`) is a min-cost circulation. Add one *ground* node
``G``; an offer at node ``n`` is an arc ``G -> n`` (capacity its quantity, cost its
price), a bid an arc ``n -> G`` (capacity its quantity, cost minus its price), a link
an arc ``src -> dst``; maximum welfare is the circulation of least cost (Ahuja,
Magnanti and Orlin, *Network Flows*, 1993, ch. 9). A compiled solver finds it on
integer data: by default LEMON's network simplex (Kovacs, "Minimum-cost flow
algorithms: an experimental evaluation", *Optimization Methods and Software* 30, 2015)
through ``pylmcf``, which also returns node potentials; or OR-Tools'
``SimpleMinCostFlow`` (cost scaling, Goldberg, *J. Algorithms* 22, 1997), which does not.

Scaling rule
    On the book scaled so each market's largest quantity and price are near one
    (:mod:`market.scaling`), quantities and finite capacities are rounded to the grid
    ``2**-QTY_BITS``, prices and costs to ``2**-PRICE_BITS[engine]``. Capacity
    ``np.inf`` becomes the total offered quantity, which no arc of an optimal
    circulation exceeds since every cycle passes through ``G`` (link costs are >= 0);
    every link is further bounded by what can enter its tail and leave its head.
Error bound
    The rounded problem differs from the book by at most half a grid step per entry,
    so the flow is feasible for the book to ``2**-QTY_BITS`` of the market's quantity
    unit per order at a node, and its welfare is within ``2**-PRICE_BITS`` of the price
    unit times the traded volume (plus the quantity rounding) of the book's optimum.
    Using decimal data exactly (cents times 100) was tried with cost scaling: the flow
    took longer (the cost range is wider) and the polish was barely shorter.

That bound is not the answer. The flow is only a warm start: its arcs strictly between
bounds, completed to a spanning tree (a network basis: Ahuja et al., ch. 11) with arcs
of zero reduced cost at the potentials, then any others, become the starting basis of
HiGHS's simplex on the book's exact LP, which moves to the exact optimum and returns
the node prices as the duals of the node balances. On a general 100k-link book the
network simplex's tree needed 61 simplex iterations; cost scaling's flow, without
potentials, some 2,900. Every answer is therefore an optimum of the unrounded book, as
exact as the ``"lp"`` oracle, and the rounding decides only the speed. Non-bipartite
books (transshipment) are circulations too and need no fallback.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import pylmcf
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import minimum_spanning_tree

from market.book import OrderBook
from market.highs import load_book, new_highs, read_solution, run_optimal
from market.lp import LPSolution, SolverFailure

__all__ = [
    "DIRECT_LINKS",
    "ENGINES",
    "PRICE_BITS",
    "QTY_BITS",
    "Flow",
    "LemonNetwork",
    "network_basis",
    "solve_flow",
    "solve_mcf",
    "try_flow_basis",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Engine = Literal["lemon", "ortools"]
ENGINES: tuple[Engine, ...] = ("lemon", "ortools")

QTY_BITS = 20
"""Quantities are rounded to ``2**-QTY_BITS`` of their market's unit (about 1e-6)."""
PRICE_BITS: dict[Engine, int] = {"lemon": 16, "ortools": 10}
"""Prices and costs are rounded to ``2**-PRICE_BITS[engine]`` of their market's unit.

Cost scaling (OR-Tools) takes time in proportion to the logarithm of the cost range: on
a general 100k-link book (one run) its flow took 0.43 s at 12 bits against 1.03 s at
30, and the polish made both exact (1,671 against 1,365 simplex iterations, about
0.1 s); among 8, 9, 10 and 12 bits, 10 gave the least total time. The network simplex
(LEMON) hardly depends on the range, so it gets a fine grid (1.5e-5 of the unit), and
its tree is then nearly always optimal for the book itself. Either way the products of
costs and flows stay far below 2**63 (2**17 times 2**21 times a million arcs)."""

_LOCAL = threading.local()


def _grid(values: FloatArray, bits: int) -> IntArray:
    return np.rint(np.ldexp(values, bits)).astype(np.int64)


@dataclass(frozen=True)
class Flow:
    """An optimal integer flow of the rounded circulation, arcs in column order.

    Attributes
    ----------
    flow, upper : ndarray of int64
        Flow and capacity of each arc (offers, bids, links) on the quantity grid.
    unbounded : ndarray of bool
        Arcs without a bound in the book (their ``upper`` is a safe stand-in).
    tight : ndarray of bool or None
        Arcs of zero reduced cost at the flow's node potentials (network simplex
        only), and ``tight_logical`` the nodes whose potential equals the ground's.
    """

    flow: IntArray
    upper: IntArray
    unbounded: BoolArray
    tight: BoolArray | None = None
    tight_logical: BoolArray | None = None


def _arcs(
    book: OrderBook, price_bits: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]:
    """``(tail, head, upper, unit, unbounded)`` of the circulation's integer arcs."""
    o_node, _, o_price = book.offers
    b_node, _, b_price = book.bids
    src, dst, cost, cap = book.links
    ground, n = book.n_nodes, book.n_nodes + 1
    n_o, n_b = o_node.size, b_node.size
    unbounded = np.concatenate([np.zeros(n_o + n_b, bool), ~np.isfinite(cap)])
    qty = np.concatenate([book.offers[1], book.bids[1], np.where(unbounded[n_o + n_b :], 0, cap)])
    upper = _grid(qty, QTY_BITS)
    unit = _grid(np.concatenate([o_price, -b_price, cost]), price_bits)
    total = max(int(upper[:n_o].sum()), 1)
    upper = np.where(unbounded, total, np.minimum(upper, total))
    # A link carries at most what can enter its tail and leave its head (conservation):
    # tighter bounds shorten the flow's search (cost scaling: 0.58 s against 0.74 s).
    on_link = upper[n_o + n_b :]
    can_enter = np.bincount(o_node, upper[:n_o], n) + np.bincount(dst, on_link, n)
    can_leave = np.bincount(b_node, upper[n_o : n_o + n_b], n) + np.bincount(src, on_link, n)
    bound = np.minimum(can_enter[src], can_leave[dst]).astype(np.int64)
    upper[n_o + n_b :] = np.minimum(on_link, bound)
    tail = np.concatenate([np.full(n_o, ground), b_node, src])
    head = np.concatenate([o_node, np.full(n_b, ground), dst])
    return tail, head, upper, unit, unbounded


def _flow_ortools(tail: IntArray, head: IntArray, upper: IntArray, unit: IntArray) -> IntArray:
    # imported here: OR-Tools costs about 40 ms at import, and the default engine is LEMON
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tail, head, upper, unit)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise SolverFailure(f"min-cost flow (OR-Tools) stopped with status {status}")
    return np.asarray(mcf.flows(np.arange(tail.size)), dtype=np.int64)


class LemonNetwork:
    """LEMON's network simplex (through ``pylmcf``) on one arc layout, kept for re-solves.

    LEMON takes costs >= 0 and arcs sorted by ends: an arc of negative cost (a bid)
    is saturated and reversed (flow ``upper - x`` on the arc ``head -> tail`` at the
    opposite cost, ``upper`` moved from the tail's supply to the head's), the standard
    reduction (Ahuja et al., section 2.4); the supplies still sum to zero, so LEMON's
    ``geq`` supply type means equality. A re-solve with new capacities and costs on the
    same layout starts from the previous spanning tree (a warm start).
    """

    def __init__(self, n: int, tail: IntArray, head: IntArray, unit: IntArray) -> None:
        self.n, self.tail, self.head = n, tail, head
        self.neg = unit < 0
        a = np.where(self.neg, head, tail)
        b = np.where(self.neg, tail, head)
        self.perm = np.lexsort((b, a))
        self.graph = pylmcf.Graph(
            n,
            np.ascontiguousarray(a[self.perm], np.int32),
            np.ascontiguousarray(b[self.perm], np.int32),
        )

    def fits(self, n: int, tail: IntArray, head: IntArray, unit: IntArray) -> bool:
        """Whether arcs ``tail -> head`` with costs ``unit`` have this layout."""
        return (
            n == self.n
            and tail.shape == self.tail.shape
            and bool((tail == self.tail).all() and (head == self.head).all())
            and bool(((unit < 0) == self.neg).all())
        )

    def solve(self, upper: IntArray, unit: IntArray) -> tuple[IntArray, IntArray]:
        """Optimal flow (arc order of the layout) and LEMON's raw node potentials."""
        neg, perm = self.neg, self.perm
        supply = np.zeros(self.n, np.int64)
        np.add.at(supply, self.tail[neg], -upper[neg])
        np.add.at(supply, self.head[neg], upper[neg])
        self.graph.set_node_supply(supply)
        self.graph.set_edge_capacities(np.ascontiguousarray(upper[perm]))
        self.graph.set_edge_costs(np.ascontiguousarray(np.abs(unit)[perm]))
        self.graph.solve()
        flow = np.empty(upper.size, np.int64)
        flow[perm] = np.asarray(self.graph.result(), dtype=np.int64)
        potential = np.asarray(self.graph.raw_potentials(), dtype=np.int64)
        return np.where(neg, upper - flow, flow), potential


def solve_flow(
    book: OrderBook, engine: Engine = "lemon", network: LemonNetwork | None = None
) -> tuple[Flow, LemonNetwork | None]:
    """The optimal integer flow of ``book``'s rounded circulation.

    ``book`` should be scaled (:func:`market.scaling.scale_book`). ``engine`` is
    ``"lemon"`` (network simplex, with node potentials) or ``"ortools"`` (cost
    scaling). ``network`` (LEMON) is re-solved warm when it fits the book's layout.
    Returns the flow and the LEMON network used (None for OR-Tools).
    """
    tail, head, upper, unit, unbounded = _arcs(book, PRICE_BITS[engine])
    if engine == "ortools":
        return Flow(_flow_ortools(tail, head, upper, unit), upper, unbounded), None
    n = book.n_nodes + 1
    if network is None or not network.fits(n, tail, head, unit):
        network = LemonNetwork(n, tail, head, unit)
    flow, potential = network.solve(upper, unit)
    # Reduced cost c + p[tail] - p[head] (LEMON's raw potentials); zero on tree arcs.
    tight = unit + potential[tail] - potential[head] == 0
    return Flow(flow, upper, unbounded, tight, potential[:-1] == potential[-1]), network


def network_basis(book: OrderBook, sol: Flow) -> highspy.HighsBasis:
    """A simplex basis of the clearing LP from a flow: a spanning tree of the network.

    Vertices are the nodes and the ground; edges are the columns (offers and bids join
    their node to the ground, links their two nodes) and the rows' logicals (each node
    to the ground). The tree prefers columns strictly between their bounds, then
    columns at a bound, then logicals (Kruskal's minimum spanning tree on those three
    weights); it has one edge per node, as a basis has one basic variable per row.
    Columns off the tree are nonbasic at the bound nearest their flow.
    """
    o_node, b_node = book.offers[0], book.bids[0]
    src, dst = book.links[0], book.links[1]
    flow, upper, unbounded = sol.flow, sol.upper, sol.unbounded
    n, n_cols = book.n_nodes, flow.size
    ground = n
    a = np.concatenate([np.full(o_node.size, ground), b_node, src, np.arange(n)])
    b = np.concatenate([o_node, np.full(b_node.size, ground), dst, np.full(n, ground)])
    at_lower = flow <= 0
    at_upper = ~unbounded & (flow >= upper)
    if sol.tight is None or sol.tight_logical is None:
        weight = np.concatenate([np.where(at_lower | at_upper, 2.0, 1.0), np.full(n, 3.0)])
    else:
        col_weight = np.where(at_lower | at_upper, np.where(sol.tight, 2.0, 3.0), 1.0)
        weight = np.concatenate([col_weight, np.where(sol.tight_logical, 2.0, 3.0)])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * (n + 1) + hi
    order = np.lexsort((np.arange(key.size), weight, key))
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    pick = order[first]  # the best edge between each pair of vertices
    graph = sp.csr_matrix((weight[pick], (lo[pick], hi[pick])), shape=(n + 1, n + 1))
    tree = minimum_spanning_tree(graph).tocoo()
    tree_key = np.asarray(tree.row, np.int64) * (n + 1) + np.asarray(tree.col, np.int64)
    picked_keys = key[pick]
    sort = np.argsort(picked_keys)
    basic_edges = pick[sort[np.searchsorted(picked_keys, tree_key, sorter=sort)]]
    basic = np.zeros(key.size, dtype=bool)
    basic[basic_edges] = True
    if int(basic.sum()) != n:
        raise SolverFailure(f"network basis has {int(basic.sum())} edges for {n} nodes")
    status = np.where(
        basic[:n_cols], int(highspy.HighsBasisStatus.kBasic), np.where(at_upper, 2, 0)
    )
    row_status = np.where(basic[n_cols:], int(highspy.HighsBasisStatus.kBasic), 0)
    by_value = list(highspy.HighsBasisStatus.__members__.values())
    basis = highspy.HighsBasis()
    basis.col_status = [by_value[s] for s in status.tolist()]
    basis.row_status = [by_value[s] for s in row_status.tolist()]
    return basis


DIRECT_LINKS = 500
"""Books with at most this many links skip the flow: HiGHS alone is faster there.

Measured (one run, 2-core machine): a 214-link month of the model took 0.54 ms by HiGHS
alone against 2.1 ms by flow and polish; a general 1,000-link book 3.0 ms against 2.2."""


def solve_mcf(
    book: OrderBook,
    h: highspy.Highs | None = None,
    *,
    direct_links: int = DIRECT_LINKS,
    engine: Engine = "lemon",
) -> LPSolution:
    """Solve the clearing LP of a scaled ``book`` exactly: min-cost flow, then polish.

    ``h`` (optional) is the HiGHS instance to load the book into; it is left holding
    the model and the optimal basis, so a caller may re-solve from it. By default this
    thread's instance is reused. Books with at most ``direct_links`` links are solved
    by HiGHS alone, from its slack basis, and so is any book whose flow fails (the
    answer stays exact, only slower).
    """
    if h is None:
        h = getattr(_LOCAL, "highs", None)
        if h is None:
            h = _LOCAL.highs = new_highs()
    basis = None
    if book.n_links > direct_links:
        basis = try_flow_basis(book, engine)[0]
    load_book(h, book)
    if basis is not None:
        h.setBasis(basis)
    run_optimal(h)
    return read_solution(h, book)


def try_flow_basis(
    book: OrderBook, engine: Engine = "lemon", network: LemonNetwork | None = None
) -> tuple[highspy.HighsBasis | None, LemonNetwork | None]:
    """:func:`network_basis` of :func:`solve_flow`, or ``(None, None)`` if the flow
    solver fails (an error inside a compiled library is not the book's fault)."""
    try:
        flow, network = solve_flow(book, engine, network)
        return network_basis(book, flow), network
    except (RuntimeError, ValueError, OverflowError, SolverFailure):
        return None, None
