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
the same welfare, feasible fills and canonical prices (:mod:`market.prices`).

Under ``pattern="proportional"`` the vertex a solver stops at does not reach the answer
(:mod:`market.trade_pattern`), so a book of up to ``direct_links`` links is re-solved
without HiGHS: a compiled dual network simplex (:mod:`market.network_simplex`) starts
from last month's optimal tree when the layout is the same, from the slack tree when it
changed, and keeps its tree for the next month. On the baseline run's 120 books that
is a median of 5 pivots a month and 44 microseconds on average (the first month's cold
start, 240 pivots, included), where HiGHS's re-solve took about 0.39 ms. A book it does
not solve (a tree that cycles past its pivot limit) goes to HiGHS's cold solve, and the
HiGHS path picks up from there (it re-solves warm only a model it solved itself the
month before).

Orders at one node and one price are pooled into one column first
(:func:`market.tied_orders.pool_orders`): the LP cannot tell them apart, and a run whose
utilities add a unit at an existing price each month then keeps one layout from month
to month, re-solved by changing costs and bounds only. The pooled book is scaled by its
members' quantities, so it is solved in the book's units and to its tolerances; each
pool's fill is shared back among its members, and tied orders are filled in book order
as by :func:`market.clearing.clear`.

The month's work outside HiGHS is kept to a few compiled calls: the pools with each
side's tie groups (:func:`market.tied_orders.pooled_with_ties`), the column keys
compared with the kept ones, the scaled LP columns built straight from the book's arrays
(:func:`market.warm_kernels.month_columns`, as :func:`market.scaling.column_units` gives
them; the links' components and matrix rows kept while the links stay the same, a scaled
book built only for a cold or flow solve), the costs and bounds that moved, the prices
computed on those columns (:func:`market.prices.column_prices`), and the fills and
prices mapped back to the book, clipped, refilled in book order and unscaled
(:func:`market.warm_kernels.finished_fills`).

>>> from market.clearing import OrderBook
>>> clearer = Clearer()
>>> for price in (30.0, 31.0):
...     book = OrderBook(2, [0], [5.0], [10.0], [1], [4.0], [price], [0], [1], [1.0], [9.0])
...     res = clearer.clear(book)
>>> res.welfare, res.method, clearer.warm_solves
(80.0, 'warm', 1)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import highspy
import numpy as np
from numpy.typing import NDArray

from market.basis import (
    ColumnLayout,
    Layout,
    carry_basis,
    highs_basis,
    solved_basis,
)
from market.book import OrderBook, check_book
from market.clearing import ClearingResult, FallbackWarning, _finish
from market.highs import (
    highs_bounds,
    load_columns,
    new_highs,
    run_optimal,
    set_options,
    solution_arrays,
)
from market.lp import Columns, LPSolution, SolverFailure
from market.mcf import DIRECT_LINKS, LemonNetwork, solve_mcf, try_flow_basis
from market.network_simplex import cold_tree, solve_network
from market.prices import arc_order, column_arcs, column_prices
from market.scaling import components, pow2_unit, scaled_columns, unscaled_columns
from market.tied_orders import pooled_with_ties
from market.trade_pattern import NOT_APPLIED, check_pattern, proportional_pattern
from market.warm_kernels import changed_columns, finished_fills, month_columns, month_layout

__all__ = ["Clearer"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_NO_LARGEST = np.zeros(0)  # no pooled book: the orders' own quantities scale it
_NOT_POOLED = np.zeros(0, np.int64)  # a side whose orders are not pooled


def _layout(book: OrderBook) -> Layout:
    """Node count and the node arrays of offers, bids and links: what a basis rests on."""
    return (book.n_nodes, book.offers[0], book.bids[0], book.links[0], book.links[1])


def _scaled_book(book: OrderBook, cols: Columns) -> OrderBook:
    """The book in the units of its scaled LP columns (``Clearer._columns``): what
    :func:`market.scaling.scale_book` gives, in the Clearer's units."""
    cost, _, upper = cols[0], cols[1], cols[2]
    n_o, ob = book.n_offers, book.n_offers + book.n_bids
    src, dst = book.links[:2]
    return OrderBook._trusted(
        book.n_nodes,
        book.offers[0], upper[:n_o], cost[:n_o],
        book.bids[0], upper[n_o:ob], -cost[n_o:ob],
        src, dst, cost[ob:], upper[ob:],
        copy=False,
    )  # fmt: skip


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
    read_basis : bool
        Read the kept basis from HiGHS's basis object instead of rebuilding it from the
        solution's arrays (:func:`market.basis.solved_basis`): the same statuses, slower;
        for tests and benchmarks.
    highs_options : mapping, optional
        HiGHS options set on top of :func:`market.highs.new_highs`'s, e.g.
        ``{"random_seed": 1}``. Every answer stays an optimum with the same welfare and
        prices; where a book has several optimal fills (equal-cost routes), which one
        HiGHS returns can change (``benchmarks/tie_sensitivity.py``).
    pattern : {"solver", "proportional"}
        Which optimum is returned when there are several: the one HiGHS stops at
        (default), or the one nearest proportional shares
        (:func:`market.trade_pattern.proportional_pattern`), which does not depend on
        the solver's path.

    Attributes
    ----------
    warm_solves, cold_solves : int
        Books re-solved from a kept basis, and books solved from scratch.
    pattern_fallbacks : int
        Books on which ``pattern="proportional"`` could not be applied and HiGHS's
        optimum was returned, each with a :class:`market.clearing.FallbackWarning`.

    Raises
    ------
    market.highs.HighsOptionError
        If HiGHS refuses an option's name or value.
    market.trade_pattern.PatternError
        If ``pattern`` is not one of the two.
    """

    def __init__(
        self,
        *,
        min_match: float = 0.5,
        direct_links: int = DIRECT_LINKS,
        read_basis: bool = False,
        highs_options: Mapping[str, bool | int | float | str] | None = None,
        pattern: str = "solver",
    ) -> None:
        check_pattern(pattern, "Clearer")
        self.pattern = pattern
        self.pattern_fallbacks = 0
        self.min_match = min_match
        self.direct_links = direct_links
        self.read_basis = read_basis
        self.warm_solves = 0
        self.cold_solves = 0
        self._options = dict(highs_options or {})
        self._h = new_highs()
        set_options(self._h, self._options)
        self._layout: ColumnLayout | None = None  # the kept model's, if it is optimal
        self._n_nodes = -1
        self._links: tuple[IntArray, IntArray] | None = None
        self._labels: IntArray = np.zeros(0, np.int64)  # the links' components
        self._link_index: IntArray = np.zeros(0, np.int64)  # and their matrix rows
        self._network: LemonNetwork | None = None
        self._tree: NDArray[np.int8] | None = None  # the network simplex's optimal tree
        self._highs_current = False  # whether HiGHS's model is the kept one, solved
        # the kept book's LP arcs (market.prices.column_arcs) and the nodes they touch:
        # the same for every book of the same layout
        self._arcs: tuple[IntArray, IntArray] | None = None
        self._arc_order: IntArray = np.zeros(0, np.int64)  # market.prices.arc_order of them
        self._touched: NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._upper: FloatArray = np.zeros(0)  # the kept model's column upper bounds
        self._cost: FloatArray = np.zeros(0)  # and costs
        self._x: FloatArray = np.zeros(0)  # and the values of its columns at the optimum
        self._price: FloatArray = np.zeros(0)  # and its row duals (scaled node prices)

    @property
    def labels(self) -> IntArray:
        """The market (connected component, :func:`market.scaling.components`) of every
        node of the last book :meth:`clear` was given, as it scaled that book; kept from
        month to month while the links stay the same."""
        return self._labels

    def reset(self) -> None:
        """Forget the kept model: the next book is solved cold."""
        self._layout = None
        self._links = None
        self._tree = None

    def __getstate__(self) -> dict[str, object]:
        """The clearer without its solvers, which cannot be copied (``copy.deepcopy`` and
        ``pickle`` of a model, e.g. to branch a run or keep it on disk).

        The copy keeps its settings and counters and solves its next book cold
        (:meth:`reset`), so where a book has several optima or price ranges it may start
        from another vertex than the original would. Under ``pattern="proportional"`` the
        answer does not depend on the vertex: runs of four shipped scenarios whose clearer
        was reset twice in 60 months kept the uninterrupted runs' numbers to 1.4e-13
        relative.
        """
        state = self.__dict__.copy()
        state.update(_h=None, _network=None, _layout=None, _links=None, _tree=None)
        state.update(_highs_current=False)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        """Restore a copy: a new HiGHS instance with the same options; see :meth:`__getstate__`."""
        self.__dict__.update(state)
        self._h = new_highs()
        set_options(self._h, self._options)

    def clear(self, book: OrderBook) -> ClearingResult:
        """Clear ``book`` like :func:`market.clearing.clear`, from the kept basis if any."""
        check_book(book, "Clearer.clear")
        if book.n_offers + book.n_bids + book.n_links == 0:
            self.reset()
            empty = LPSolution(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(book.n_nodes), 0)
            return _finish(book, empty, "warm")
        pooled, ties = pooled_with_ties(book)
        solved = book if pooled is None else pooled.book
        o_node, b_node = solved.offers[0], solved.bids[0]
        links = book.links[:2]
        old, kept = self._layout, self._links
        keys, same_keys, same_links = month_layout(
            o_node, b_node, *links,
            _NOT_POOLED if old is None else old.keys,
            *((_NOT_POOLED, _NOT_POOLED) if kept is None else kept),
        )  # fmt: skip
        layout = ColumnLayout(book.n_nodes, keys)
        # the books' layouts are the same (ColumnLayout.same)
        same = old is not None and old.n_nodes == book.n_nodes and same_keys
        if kept is None or not (self._n_nodes == book.n_nodes and same_links):
            self._labels = components(book)
            self._link_index = np.column_stack(links).ravel()
        self._links = links
        cols, _, q_col, p_node = self._columns(solved, None if pooled is None else pooled.largest)
        self._layout = None  # forgotten unless this solve succeeds
        n = book.n_nodes
        if self._arcs is None or not same:
            self._arcs = arcs = column_arcs(solved)
            self._arc_order = arc_order(n, *arcs)
            touched = np.zeros(n + 1, dtype=bool)  # every node an order or a link touches
            touched[arcs[0]] = True
            touched[arcs[1]] = True
            self._touched = touched[:n]
        arcs = self._arcs
        sol, method = None, "warm"
        if self.pattern == "proportional" and book.n_links <= self.direct_links:
            sol, method = self._network_solve(solved, cols, same)
        if sol is None:
            sol, method = self._warm(solved, cols, layout, old, same), "warm"
            if sol is None:
                sol, method = self._cold(solved, cols), "fast"
        if method == "warm":
            self.warm_solves += 1
        else:
            self.cold_solves += 1
        self._layout, self._n_nodes = layout, book.n_nodes
        self._cost, self._upper = cols[0], cols[2]
        price = column_prices(n, arcs, cols, self._x, sol.node_price, self._arc_order)
        x = self._x  # kept as the solver's, next month's start
        if self.pattern == "proportional":
            x, applied = proportional_pattern(
                n, cols, x, price, solved.n_offers + solved.n_bids, self._labels
            )
            if not applied:
                self.pattern_fallbacks += 1
                warnings.warn(NOT_APPLIED, FallbackWarning, stacklevel=2)
        o_group, o_total, b_group, b_total = _NOT_POOLED, _NO_LARGEST, _NOT_POOLED, _NO_LARGEST
        if pooled is not None:
            if pooled.offer_group is not None:
                o_group, o_total = pooled.offer_group, pooled.book.offers[1]
            if pooled.bid_group is not None:
                b_group, b_total = pooled.bid_group, pooled.book.bids[1]
        o_qty, o_price = book.offers[1:]
        b_qty, b_price = book.bids[1:]
        l_cost, l_cap = book.links[2:]
        offer_fill, bid_fill, link_flow, node_price = finished_fills(
            x, q_col, o_group, o_total, b_group, b_total, ties, o_qty, b_qty, l_cap,
            price, p_node, self._touched,
        )  # fmt: skip
        welfare = float(b_price @ bid_fill - o_price @ offer_fill - l_cost @ link_flow)
        return ClearingResult(
            offer_fill, bid_fill, link_flow, node_price, welfare, method, sol.iterations
        )

    def _columns(
        self, book: OrderBook, largest: FloatArray | None = None
    ) -> tuple[Columns, FloatArray, FloatArray, FloatArray]:
        """The LP's columns of the book scaled per market (:func:`market.lp.columns` of
        :func:`market.scaling.scale_book`), the columns' upper bounds in book units, and
        the quantity unit of each column and price unit of each node. ``largest``: the
        orders' quantities to scale by, if not their own
        (:attr:`market.tied_orders.Pooled.largest`)."""
        o_node, o_qty, o_price = book.offers
        b_node, b_qty, b_price = book.bids
        src, _, l_cost, l_cap = book.links
        orders = o_node, o_qty, o_price, b_node, b_qty, b_price, src, l_cost, l_cap
        largest = _NO_LARGEST if largest is None else largest
        cols, upper, q_col, p_node, exact = month_columns(
            *orders, largest, self._labels, self._link_index
        )
        if exact:
            return cols, upper, q_col, p_node
        # a peak next to a half power of two (or not finite): numpy's log2 decides
        upper, cost, col_label, peaks = unscaled_columns(*orders, largest, self._labels)
        unit = pow2_unit(peaks)
        cols, q_col, p_node = scaled_columns(
            cost, upper, col_label, unit, self._labels, o_node, b_node, self._link_index
        )
        return cols, upper, q_col, p_node

    def _read(self, book: OrderBook) -> LPSolution:
        """The kept model's solution, its column values and duals kept for the next book."""
        sol, self._x = solution_arrays(self._h, book)
        self._price = sol.node_price
        self._highs_current = True
        return sol

    def _network_solve(
        self, book: OrderBook, cols: Columns, same: bool
    ) -> tuple[LPSolution | None, str]:
        """The book by :func:`market.network_simplex.solve_network`, from the kept tree
        when the layout is the same (``"warm"``), else from the slack tree (``"fast"``);
        None when neither start reaches an optimum (HiGHS then solves the book)."""
        tail, head = self._arcs  # type: ignore[misc]  # set for this book by clear()
        n, n_cols = book.n_nodes, cols[0].size
        tree = self._tree if same and self._tree is not None else cold_tree(n, n_cols)
        method = "warm" if tree is self._tree else "fast"
        flow, price, pivots, ok = solve_network(n, tail, head, cols[0], cols[2], tree)
        if not ok and method == "warm":
            tree, method = cold_tree(n, n_cols), "fast"
            flow, price, pivots, ok = solve_network(n, tail, head, cols[0], cols[2], tree)
        if not ok:
            self._tree = None
            return None, method
        self._tree, self._x, self._price = tree, flow, price
        self._highs_current = False
        n_o, ob = book.n_offers, book.n_offers + book.n_bids
        return LPSolution(flow[:n_o], flow[n_o:ob], flow[ob:], price, pivots), method

    def _cold(self, book: OrderBook, cols: Columns) -> LPSolution:
        """:func:`market.mcf.solve_mcf`, keeping the flow's network for a re-solve."""
        scaled = _scaled_book(book, cols)
        if book.n_links <= self.direct_links:
            self._network = None
            solve_mcf(scaled, self._h, direct_links=self.direct_links)
            return self._read(book)
        basis, self._network = try_flow_basis(scaled, "lemon")
        load_columns(self._h, book.n_nodes, cols)
        if basis is not None:
            self._h.setBasis(basis)
        run_optimal(self._h)
        return self._read(book)

    def _warm(
        self,
        book: OrderBook,
        cols: Columns,
        layout: ColumnLayout,
        old: ColumnLayout | None,
        same: bool,
    ) -> LPSolution | None:
        """Re-solve from the kept basis; None when a cold solve is needed. ``same``:
        whether ``layout`` is ``old`` (:meth:`market.basis.ColumnLayout.same`)."""
        h = self._h
        if old is None or not self._highs_current:
            return None
        cost, lower, upper = cols[0], cols[1], cols[2]
        large = book.n_links > self.direct_links
        if large and not same:
            return None  # a new layout: the flow is faster than carrying the basis
        try:
            if same:  # the columns whose cost or bound moved (the lower bounds are 0)
                c_idx, c_val, u_idx, u_low, u_val = changed_columns(
                    cost, self._cost, lower, upper, self._upper
                )
                if c_idx.size:
                    h.changeColsCost(c_idx.size, c_idx, c_val)
                if u_idx.size:
                    h.changeColsBounds(u_idx.size, u_idx, u_low, highs_bounds(u_val))
                if large:  # the network simplex re-solved from its tree gives the basis
                    scaled = _scaled_book(book, cols)
                    basis, self._network = try_flow_basis(scaled, "lemon", self._network)
                    if basis is None:
                        return None
                    h.setBasis(basis)
            else:
                matched = layout.match(old)
                if np.count_nonzero(matched >= 0) / matched.size < self.min_match:
                    return None
                if self.read_basis:
                    col_status, row_status = highs_basis(h)
                else:
                    col_status, row_status = solved_basis(h, self._upper, self._x, self._price)
                load_columns(h, book.n_nodes, cols)
                nodes = (book.offers[0], book.bids[0], book.links[0], book.links[1])
                carried = carry_basis(
                    col_status,
                    row_status,
                    matched,
                    upper,
                    book.n_nodes,
                    nodes,
                )
                if h.setBasis(carried) not in (
                    highspy.HighsStatus.kOk,
                    highspy.HighsStatus.kWarning,
                ):
                    return None
            run_optimal(h)
        except SolverFailure:
            return None
        return self._read(book)
