"""The fast clearing solver: vectorized link pricing around a small restricted LP.

In the books the model produces (DESIGN.md: few seller nodes, many buyers) a buyer
node trades over a handful of its links at most; the rest carry nothing. The solver
therefore works on a *restricted* book that holds every offer and bid but only a few
links per buyer node, and lets numpy price every other link against the restricted
optimum's node prices in one vectorized pass. A link whose reduced profit
``price[dst] - price[src] - cost`` is positive would raise welfare; those links enter
the restricted book and it is re-solved from the previous basis (a hot start). When no
link outside prices positive, the restricted optimum is optimal for the whole book:
its node prices are dual-feasible for every column, so primal and dual objectives
agree (column generation, Dantzig and Wolfe, *Operations Research* 8(1), 1960; also
"sifting", Bixby et al., *Operations Research* 40(5), 1992).

The combinatorial core is HiGHS's dual simplex on the restricted book (a well-kept
compiled solver, not a hand-written stand-in); all O(links) work (screening, pricing,
assembling) is numpy with no Python loop over orders or links.
"""

from __future__ import annotations

import os
import threading

import highspy
import numpy as np
from numpy.typing import NDArray

from market.book import OrderBook
from market.lp import LPSolution, SolverFailure, columns

__all__ = ["solve_colgen"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def _top_k_per_group(group: IntArray, score: FloatArray, k: int) -> IntArray:
    """Indices of the ``k`` lowest scores within each group (ties: lower index first)."""
    if group.size == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((np.arange(group.size), score, group))
    g = group[order]
    first = np.ones(g.size, dtype=bool)
    first[1:] = g[1:] != g[:-1]
    start_of_run = np.maximum.accumulate(np.where(first, np.arange(g.size), 0))
    rank = np.arange(g.size) - start_of_run
    return np.sort(order[rank < k]).astype(np.int64)


def _initial_links(book: OrderBook, per_buyer: int) -> IntArray:
    """A few cheapest-looking links into each buyer node.

    A link's score is its cost plus the cheapest offer at its source (the lowest
    price the buyer could possibly pay through it); links from nodes without offers
    score +inf and are left to pricing.
    """
    o_node, _, o_price = book.offers
    src, dst, cost, _ = book.links
    cheapest = np.full(book.n_nodes, np.inf)
    np.minimum.at(cheapest, o_node, o_price)
    return _top_k_per_group(dst, cost + cheapest[src], per_buyer)


_LOCAL = threading.local()


def _highs(tol: float) -> highspy.Highs:
    """This thread's HiGHS instance, emptied, silent, with tolerances ``tol``.

    HiGHS prints a banner on stdout when an instance is constructed, before any option
    can silence it; the instance is therefore built once per thread with stdout
    redirected, then reused (``clearModel``) for every clearing.
    """
    h: highspy.Highs | None = getattr(_LOCAL, "highs", None)
    if h is None:
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships no annotation
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        h.setOptionValue("output_flag", False)
        _LOCAL.highs = h
    h.clearModel()
    h.clearSolver()
    h.setOptionValue("primal_feasibility_tolerance", tol)
    h.setOptionValue("dual_feasibility_tolerance", tol)
    return h


def _add_columns(
    h: highspy.Highs,
    cost: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    start: IntArray,
    index: IntArray,
    value: FloatArray,
) -> None:
    """Append CSC columns (as built by :func:`market.lp.columns`) to a HiGHS model."""
    upper = np.where(np.isinf(upper), highspy.kHighsInf, upper)
    h.addCols(
        cost.size,
        cost,
        lower,
        upper,
        index.size,
        start[:-1].astype(np.int32),
        index.astype(np.int32),
        value,
    )


def solve_colgen(
    book: OrderBook,
    *,
    per_buyer: int = 1,
    add_per_buyer: int = 1,
    direct_links: int = 2000,
    max_rounds: int = 1000,
) -> LPSolution:
    """Solve the clearing LP by column generation over links.

    Parameters
    ----------
    book : OrderBook
        Any valid book; exact whatever its structure (structure only changes speed).
    per_buyer : int
        Links per buyer node in the first restricted book.
    add_per_buyer : int
        Most violated links per buyer node added in each round.
    direct_links : int
        Books with at most this many links are solved whole in one call.
    max_rounds : int
        Safety bound on rounds; each round adds at least one link, so the loop ends
        after at most ``n_links`` rounds in any case.

    Returns
    -------
    LPSolution
        Fills, flows (zero on links never admitted) and node prices; ``iterations`` is
        the number of restricted solves.
    """
    n_o, n_b = book.n_offers, book.n_bids
    src, dst, l_cost, _ = book.links
    scale = book.price_scale()
    tol = 1e-9 * scale
    # A small book (a baseline month's is a few hundred links) is solved whole: one
    # HiGHS call beats any screening there, since the fixed cost per call dominates.
    whole = book.n_links <= direct_links
    active = np.arange(book.n_links, dtype=np.int64) if whole else _initial_links(book, per_buyer)
    in_set = np.zeros(book.n_links, dtype=bool)
    in_set[active] = True

    cost, lower, upper, start, index, value = columns(book, active)
    h = _highs(1e-9)
    # One row per node balance (= 0); columns are added to it.
    h.addRows(
        book.n_nodes,
        np.zeros(book.n_nodes),
        np.zeros(book.n_nodes),
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )
    _add_columns(h, cost, lower, upper, start, index, value)
    rounds = 0
    while True:
        rounds += 1
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # Badly scaled books (quantities ~1e9 beside prices ~1) can defeat the tight
            # tolerances; retry once from scratch at HiGHS's defaults (1e-7).
            h.clearSolver()
            h.setOptionValue("primal_feasibility_tolerance", 1e-7)
            h.setOptionValue("dual_feasibility_tolerance", 1e-7)
            h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise SolverFailure(
                f"HiGHS stopped with status {h.modelStatusToString(h.getModelStatus())}"
            )
        # HiGHS's row duals are d(cost)/d(row bound), the price at each node (see lp.py).
        price = np.asarray(h.getSolution().row_dual, dtype=np.float64)
        profit = price[dst] - price[src] - l_cost
        violated = np.flatnonzero(~in_set & (profit > tol))
        if violated.size == 0 or rounds >= max_rounds:
            break
        pick = violated[_top_k_per_group(dst[violated], -profit[violated], add_per_buyer)]
        in_set[pick] = True
        active = np.concatenate([active, pick])
        _add_columns(h, *columns(book, pick, orders=False))
    if violated.size:
        raise SolverFailure(f"column generation did not converge in {max_rounds} rounds")
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    flow = np.zeros(book.n_links)
    flow[active] = x[n_o + n_b :]
    return LPSolution(x[:n_o], x[n_o : n_o + n_b], flow, price, rounds)
