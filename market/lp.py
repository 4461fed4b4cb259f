"""The clearing problem as a linear program, and the reference solver (the oracle).

Each spot market is a welfare-maximising transport
problem. With offer fills ``x``, bid fills ``y`` and link flows ``f``::

    maximise   bid_price @ y - offer_price @ x - link_cost @ f
    subject to for every node n:
                 sum(x at n) + sum(f into n) - sum(y at n) - sum(f out of n) = 0
               0 <= x <= offer_qty,  0 <= y <= bid_qty,  0 <= f <= link_cap

Node prices are the duals of the node balances (locational marginal prices, as in
electricity markets: Schweppe et al., *Spot Pricing of Electricity*, 1988). The
reference solver hands the whole program to HiGHS through ``scipy.optimize.linprog``
(Huangfu and Hall, "Parallelizing the dual revised simplex method", 2018).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from market.book import OrderBook

__all__ = ["Columns", "LPSolution", "SolverFailure", "columns", "solve_lp"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Columns = tuple[FloatArray, FloatArray, FloatArray, IntArray, IntArray, FloatArray]
"""``(cost, lower, upper, start, index, value)`` of :func:`columns`."""


class SolverFailure(RuntimeError):
    """HiGHS did not report an optimal solution (should not happen on a valid book)."""


@dataclass(frozen=True)
class LPSolution:
    """Raw primal and dual values of one solve, in book order."""

    offer_fill: FloatArray
    bid_fill: FloatArray
    link_flow: FloatArray
    node_price: FloatArray
    iterations: int = 1


def columns(book: OrderBook, links: IntArray | None = None, *, orders: bool = True) -> Columns:
    """Column-wise (CSC) data of the clearing LP as a cost minimisation.

    Columns are the offers and the bids (unless ``orders`` is False), then the links
    ``links`` (all links when None).
    Returns ``(cost, lower, upper, start, index, value)``: objective coefficients,
    column bounds, and the constraint matrix in compressed sparse column form with one
    row per node.
    """
    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, dst, l_cost, l_cap = book.links
    if links is not None:
        src, dst, l_cost, l_cap = src[links], dst[links], l_cost[links], l_cap[links]
    if not orders:
        o_node, o_qty, o_price = o_node[:0], o_qty[:0], o_price[:0]
        b_node, b_qty, b_price = b_node[:0], b_qty[:0], b_price[:0]
    n_o, n_b, n_l = o_node.size, b_node.size, src.size
    cost = np.concatenate([o_price, -b_price, l_cost])
    lower = np.zeros(n_o + n_b + n_l)
    upper = np.concatenate([o_qty, b_qty, l_cap])
    counts = np.concatenate([np.ones(n_o + n_b, np.int64), np.full(n_l, 2, np.int64)])
    start = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    index = np.concatenate([o_node, b_node, np.column_stack([src, dst]).ravel()])
    value = np.concatenate([np.ones(n_o), -np.ones(n_b), np.tile(np.array([-1.0, 1.0]), n_l)])
    return cost, lower, upper, start, index.astype(np.int64), value


def solve_lp(book: OrderBook) -> LPSolution:
    """Solve the whole clearing LP with HiGHS (``scipy.optimize.linprog``).

    This is the oracle the fast solver is tested against: no screening, no
    decomposition, every column at once.
    """
    # imported here: scipy.optimize costs about 70 ms at import, and a run that never
    # falls back to the oracle need not pay it
    from scipy.optimize import linprog

    cost, lower, upper, start, index, value = columns(book)
    n_cols = cost.size
    a_eq = sp.csc_matrix((value, index, start), shape=(book.n_nodes, n_cols))
    res = linprog(
        cost,
        A_eq=a_eq,
        b_eq=np.zeros(book.n_nodes),
        bounds=np.column_stack([lower, upper]),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9},
    )
    if res.status != 0:
        raise SolverFailure(f"HiGHS (linprog) stopped with status {res.status}: {res.message}")
    x = np.asarray(res.x, dtype=np.float64)
    n_o, n_b = book.n_offers, book.n_bids
    # linprog's eqlin marginals are d(cost)/d(b_eq). Raising b_eq[n] by one means one
    # more unit must be supplied at n than is consumed there: the price at n.
    duals = np.asarray(res.eqlin.marginals, dtype=np.float64)
    return LPSolution(x[:n_o], x[n_o : n_o + n_b], x[n_o + n_b :], duals, int(res.nit))
