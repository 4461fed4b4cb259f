"""Column generation (``method="colgen"``): vectorized link pricing around a small restricted LP.

In the books the model produces (few seller nodes, many buyers) a buyer
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

Which links start in the restricted book decides the speed, never the answer. For a
large book the seller prices are first estimated by clearing a small replica (every
k-th buyer, sellers' quantities scaled to match), and each buyer starts with the links
that are cheapest, delivered, at those prices. Small books are solved whole.

The combinatorial core is HiGHS's dual simplex on the restricted book (a well-kept
compiled solver, not a hand-written stand-in), with presolve off; all O(links) work
(screening, pricing, assembling) is numpy with no Python loop over orders or links.
"""

from __future__ import annotations

import threading

import highspy
import numpy as np
from numpy.typing import NDArray

from market.book import OrderBook
from market.highs import add_columns, new_highs
from market.lp import LPSolution, SolverFailure, columns
from market.scaling import book_columns, component_peaks, components

__all__ = ["solve_colgen"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def _top_k_per_group(group: IntArray, score: FloatArray, k: int) -> IntArray:
    """Indices of the ``k`` lowest scores within each group (ties: lower index first)."""
    order, rank, _ = _group_rank(group, score)
    return np.sort(order[rank < k])


def _group_rank(group: IntArray, score: FloatArray) -> tuple[IntArray, IntArray, NDArray[np.bool_]]:
    """Sort order by (group, score, index), each entry's rank in its group, group starts."""
    order = np.lexsort((np.arange(group.size), score, group))
    g = group[order]
    first = np.ones(g.size, dtype=bool)
    first[1:] = g[1:] != g[:-1]
    start_of_run = np.maximum.accumulate(np.where(first, np.arange(g.size), 0))
    return order.astype(np.int64), np.arange(g.size) - start_of_run, first


def _initial_links(book: OrderBook, seller_price: FloatArray, per_buyer: int) -> IntArray:
    """The links a buyer node most likely trades over, given estimated seller prices.

    A link's score is its delivered price ``seller_price[src] + cost``. Into each buyer
    go its best link, then (up to ``per_buyer`` links) those within 2% of the best and
    those needed for their capacities to cover the buyer's bids.
    """
    src, dst, cost, cap = book.links
    b_node, b_qty, _ = book.bids
    demand = np.zeros(book.n_nodes)
    np.add.at(demand, b_node, b_qty)
    score = seller_price[src] + cost
    order, rank, first = _group_rank(dst, score)
    s, d, c = score[order], dst[order], cap[order]
    best = s[first][np.cumsum(first) - 1]
    c = np.minimum(c, demand[d])  # finite, so that no inf - inf arises below
    cap_before = np.cumsum(c) - c
    cap_before -= cap_before[first][np.cumsum(first) - 1]
    near = s <= best + 0.02 * np.abs(best) + 1e-12
    short = cap_before < demand[d]
    keep = (rank == 0) | ((rank < per_buyer) & (near | short))
    return np.sort(order[keep])


def _seller_price_estimate(book: OrderBook, sample_links: int) -> FloatArray:
    """Seller-node prices from a clearing of an evenly spaced sample of buyer nodes.

    Every ``k``-th buyer node keeps its orders and links; orders at seller nodes are
    scaled by the sampled share of buyers, so the sample is a small replica of the
    market whose prices approximate the whole book's (a warm start only: the column
    generation that follows is exact whatever the estimate). Small books, and nodes
    without offers, get the cheapest offer at the node instead.
    """
    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, dst, cost, cap = book.links
    cheapest = np.full(book.n_nodes, np.inf)
    np.minimum.at(cheapest, o_node, o_price)
    if book.n_links <= 2 * sample_links:
        return cheapest
    buyers = np.unique(dst)
    stride = int(np.ceil(book.n_links / sample_links))
    sampled = np.zeros(book.n_nodes, dtype=bool)
    sampled[buyers[::stride]] = True
    seller = np.zeros(book.n_nodes, dtype=bool)
    seller[src] = True
    share = sampled.sum() / buyers.size
    keep_o = seller[o_node] | sampled[o_node]
    keep_b = seller[b_node] | sampled[b_node]
    keep_l = sampled[dst]
    scale_o = np.where(seller[o_node[keep_o]], share, 1.0)
    scale_b = np.where(seller[b_node[keep_b]], share, 1.0)
    sample = OrderBook(
        book.n_nodes,
        o_node[keep_o], o_qty[keep_o] * scale_o, o_price[keep_o],
        b_node[keep_b], b_qty[keep_b] * scale_b, b_price[keep_b],
        src[keep_l], dst[keep_l], cost[keep_l], cap[keep_l],
    )  # fmt: skip
    price = solve_colgen(sample).node_price
    return np.where(seller & np.isfinite(price), price, cheapest)


_LOCAL = threading.local()


def _highs(tol: float) -> highspy.Highs:
    """This thread's HiGHS instance (built once, silent), emptied, tolerances ``tol``."""
    h: highspy.Highs | None = getattr(_LOCAL, "highs", None)
    if h is None:
        h = _LOCAL.highs = new_highs()
    h.clearModel()
    h.clearSolver()
    h.setOptionValue("primal_feasibility_tolerance", tol)
    h.setOptionValue("dual_feasibility_tolerance", tol)
    return h


def solve_colgen(
    book: OrderBook,
    *,
    per_buyer: int = 2,
    add_per_buyer: int = 1,
    direct_links: int = 2000,
    sample_links: int = 20_000,
    max_rounds: int = 1000,
) -> LPSolution:
    """Solve the clearing LP by column generation over links.

    Parameters
    ----------
    book : OrderBook
        Any valid book; exact whatever its structure (structure only changes speed).
    per_buyer : int
        Most links per buyer node in the first restricted book.
    add_per_buyer : int
        Most violated links per buyer node added in each round.
    direct_links : int
        Books with at most this many links are solved whole in one call.
    sample_links : int
        Size of the buyer sample whose clearing estimates seller prices for the
        first restricted book (books over twice this size only).
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
    # A link is violated when its profit beats 1e-9 of its own market's price scale (the
    # market: its component of the link graph, at least 1): one book-wide scale from $30,000
    # chips would pass over a compute link worth $0.00001 an H100e-hour.
    label = components(book)
    _, p_peak = component_peaks(label, *book_columns(book))
    tol = 1e-9 * np.maximum(p_peak, 1.0)[label[src]]
    # A small book (a baseline month's is a few hundred links) is solved whole: one
    # HiGHS call beats any screening there, since the fixed cost per call dominates.
    whole = book.n_links <= direct_links
    if whole:
        active = np.arange(book.n_links, dtype=np.int64)
    else:
        active = _initial_links(book, _seller_price_estimate(book, sample_links), per_buyer)
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
    add_columns(h, cost, lower, upper, start, index, value)
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
        add_columns(h, *columns(book, pick, orders=False))
    if violated.size:
        raise SolverFailure(f"column generation did not converge in {max_rounds} rounds")
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    flow = np.zeros(book.n_links)
    flow[active] = x[n_o + n_b :]
    return LPSolution(x[:n_o], x[n_o : n_o + n_b], flow, price, rounds)
