"""One trade pattern among equally good ones: proportional shares on the optimal face.

A welfare-maximising clearing fixes prices and welfare but not always the flows. When
two sellers both sell to two buyers at equilibrium prices, quantity can move around the
cycle of links between them at no cost. Prices are unique in a spatial price
equilibrium, trade flows in general are not (Samuelson, "Spatial price equilibrium and
linear programming", *American Economic Review* 42(3), 1952). A simplex solver returns
one vertex of the set of optima. Which one depends on its pivoting, not on the market.

:func:`proportional_pattern` replaces that vertex by one point chosen by a stated rule.
The optimal face is the set of feasible fills that satisfy complementary slackness at
the book's prices (the canonical prices of :mod:`market.prices`):

- a column whose reduced cost exceeds :data:`FACE_TOLERANCE` stays at zero;
- one below minus the tolerance stays at its bound;
- the others (*free* columns) may take any values that keep every node balanced and
  every column within its bounds.

Among those, the rule takes the point nearest proportional shares. It minimises
``sum(x_j**2 / w_j)``, whose weights are the sizes of each column's two sides:

- a link ``s -> d``: ``size[s] * size[d]``;
- an order: its quantity times the quantity of all orders of the other side in its
  market (the nodes its links connect): bids for an offer, offers for a bid.

A node's size is the quantity of all its orders. An offer's weight is then the sum of the
weights of the links it would feed if it reached every buyer of its market, so orders and
links are weighed on one scale. Take a tied group in which every seller can reach every
buyer and no bound binds. Where no order is marginal, the solution is the independence
(gravity) split ``x_sd = S_s * D_d / T``: each buyer buys from each indifferent seller in
proportion to the seller's size. That is proportional rationing among indifferent
sellers, and the frictionless gravity equation of trade (Anderson, "A theoretical
foundation for the gravity equation", *AER* 69(1), 1979). Where the tied sellers are
themselves marginal (they could sell more) and each is its node's only offer, each sells
the same share ``r`` of its offer, the pro rata rule of an exchange's tied orders, and
each buyer buys from them in that proportion: one buyer of 20 between sellers of 10 and
30 at one price buys 5 and 15. (On every route from an offer of quantity ``q`` to a buyer
``d`` the objective then grows at the same rate: ``2 r q / (q D) + 2 (r q D_d / D) /
(q D_d) = 4 r / D``, ``D`` the market's bids.) Where a bound binds, the rule takes the
nearest point that keeps it. Order fills count in the objective too, so a trade that adds
no surplus (an offer and a bid at one delivered price) is left out as far as the balances
allow. Orders tied at one node and one price are still filled in book order afterwards
(:func:`market.clearing._finish_columns`), so the rule decides only between routes and
nodes. Both callers (:func:`market.clearing.clear` and :class:`market.warm.Clearer`)
apply it to the book with such orders pooled into one of their total quantity
(:mod:`market.tied_orders`), so the point does not depend on how a quantity is split
into orders, even where the weights below are floored.

The objective is strictly convex, so the point is unique: the same book gives the
same flows whichever optimum the solver started from, to rounding. The quadratic
program is solved by DAQP's dual active-set method, exact up to rounding (Arnström,
Bemporad and Axehill, "A dual active-set solver for embedded quadratic programming
using recursive LDLᵀ updates", *IEEE Trans. Automatic Control* 67(8), 2022), run to the
simplex solver's primal tolerance (:data:`FACE_TOLERANCE`) instead of DAQP's default 1e-6,
which let a point cross a bound by that much and, clipped, leave a node out of balance.
Weights further apart than :data:`WELL_CONDITIONED` are raised to :data:`WEIGHT_FLOOR`
first, a choice made from the book's weights alone. If DAQP reports no optimum, or a
point that is not finite or leaves a node unbalanced, it is tried once more with the
weights floored. The balances it keeps are the given optimum's, and a simplex solver keeps
its bounds only to its tolerance: a flow of -9e-10 can ask balances that no point within
the bounds meets. So if both tries fail, they are made again with the balances of that
optimum moved onto its bounds (each node then off by at most the solver's own tolerance);
if that fails too, the solver's optimum is kept and the caller is told.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, get_args

import daqp
import numpy as np
from numpy.typing import NDArray

from market.compiled import add_reduce, clip, compiled, maximum, minimum
from market.highs import TOLERANCE
from market.lp import Columns
from market.scaling import link_components

__all__ = [
    "CYCLE_TOL_RETRY",
    "FACE_TOLERANCE",
    "MAX_FREE_COLUMNS",
    "NOT_APPLIED",
    "PATTERNS",
    "WEIGHT_FLOOR",
    "WELL_CONDITIONED",
    "PatternError",
    "TradePattern",
    "check_pattern",
    "node_sizes",
    "proportional_pattern",
    "reduced_costs",
]

TradePattern = Literal["solver", "proportional"]
"""Which optimum a clearing returns when a book has several: the one the simplex solver
stops at, or :func:`proportional_pattern`'s (see :class:`market.warm.Clearer`)."""
PATTERNS: tuple[str, ...] = get_args(TradePattern)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

FACE_TOLERANCE = TOLERANCE
"""A column is free when its reduced cost is within this of zero, on the book scaled to
units near one: the simplex solver's dual feasibility tolerance
(:data:`market.highs.TOLERANCE`)."""

_EQUALITY = 5  # DAQP's sense flag for an equality row
_DAQP_INF = 1e30  # DAQP reads bounds at or beyond this as infinite
_EXIT_CYCLE = -2  # DAQP's exit flag when it stops on cycling (its constants.h)
_EXIT_OVERDETERMINED = -6  # ... when its working set holds more equalities than it can
_DAQP_ZERO_TOL = 1e-11  # DAQP's zero tolerance: a bound range below it is an equality
_BIG = float(np.finfo(np.float64).max)  # np.nan_to_num's infinity

CYCLE_TOL_RETRY = 1_000
"""Cycling steps DAQP is allowed when a first solve stopped on cycling (its default is 10).
A face whose balances are nearly all zero (a market where next to nothing trades) is so
degenerate that DAQP's active set revisits working sets before it settles; given more room
it reaches the optimum (month 25 of a random valid scenario: 59 of 63 balances zero, the
largest 3e-4, solved to 1e-22). Only a solve that stopped on cycling is tried again, so no
other point changes; the iteration limit (10,000) still bounds it."""
WELL_CONDITIONED = 1e-9
"""Weights are taken relative to the largest; when every one is at least this, the quadratic
program is solved with them as they are. Every shipped run's are (the least, over 1,920
months of the shipped scenarios on seeds 7 and 3, was 4.5e-7)."""

WEIGHT_FLOOR = 1e-6
"""Otherwise every weight is raised to at least this. Weights a trillion times apart (a
market where one node is next to nothing beside another) leave the quadratic program too
ill-conditioned for DAQP's active set to settle (it stops at its iteration limit, 10,000);
a million apart it settles, and a column whose sides are a thousand times smaller than the
largest ones is still held near zero, as its weight asks. The choice is made from the
weights, which are the book's, not from whether DAQP settles: that depends on the
balances it is given, the solver's (equal to its tolerance), so a floor tried only when a
first try failed gave points that followed the solver's path, by up to 8e-4 of the
market's largest quantity in stressed model books (``benchmarks/clearing_stress.py``)."""


MAX_FREE_COLUMNS = 4_000
"""Largest optimal face (free columns) the rule is applied to. DAQP takes its Hessian and
constraint rows dense: a face of 4,000 columns costs 128 MB and about 0.1 s (a transport face
of 300 nodes), one of 500,000 (a scenario of 50 regions, 50 clouds and 200 labs whose clouds
are alike, so that most routes tie) would need terabytes. A larger face keeps the solver's
optimum, as when DAQP gives no usable point. The shipped scenarios' faces have at most 91
columns (each scenario on seeds 7 and 3, 120 months)."""

NOT_APPLIED = (
    "the proportional trade pattern's quadratic program gave no usable point (DAQP found no "
    "optimum, or its point was not finite or left a node unbalanced), or the book ties more "
    f"than {MAX_FREE_COLUMNS:,} routes and orders (market.trade_pattern.MAX_FREE_COLUMNS); "
    "the solver's optimum is returned, which depends on the solver's path"
)
"""What a caller warns when :func:`proportional_pattern` returns the solver's point."""


class PatternError(ValueError):
    """An unknown trade pattern rule."""


def check_pattern(pattern: str, where: str) -> None:
    """Raise :class:`PatternError` naming ``where`` unless ``pattern`` is a known rule."""
    if pattern not in PATTERNS:
        raise PatternError(
            f"{where}(pattern={pattern!r}): the trade pattern rule must be one of "
            f"{', '.join(map(repr, PATTERNS))}"
        )


@compiled
def reduced_costs(cols: Columns, price: FloatArray) -> FloatArray:
    """Each column's cost less the value of its matrix entries at the node ``price``.

    Each column's entries are summed in order, as ``np.add.reduceat`` does.
    """
    cost, _, _, start, index, value = cols
    out = np.empty(cost.size)
    for j in range(cost.size):
        k = start[j]
        total = value[k] * price[index[k]]
        for k in range(start[j] + 1, start[j + 1]):
            total += value[k] * price[index[k]]
        out[j] = cost[j] - total
    return out


@compiled
def node_sizes(n_nodes: int, cols: Columns, n_orders: int) -> FloatArray:
    """Quantity of all orders at each node (the first ``n_orders`` columns are orders,
    one matrix entry each), summed in column order as ``np.bincount`` does."""
    upper, index = cols[2], cols[4]
    out = np.zeros(n_nodes)
    for j in range(n_orders):
        out[index[j]] += upper[j]
    return out


@compiled
def _weights(
    cols: Columns, n_orders: int, free: IntArray, label: IntArray, size: FloatArray, mean: float
) -> FloatArray:
    """``w_j`` of the module docstring for the ``free`` columns, given the node sizes
    (:func:`node_sizes`) and their mean over the nodes with orders; a node without
    orders, and a market without orders on an order's other side, count that mean.

    An order's other side is the quantity of all orders of the other side in its market
    (``label``: each node's market): bids for an offer, offers for a bid.
    """
    upper, start, index, val = cols[2], cols[3], cols[4], cols[5]
    size = np.where(size > 0, size, mean)
    n_free_orders = np.searchsorted(free, n_orders)
    out = np.empty(free.size)
    for i in range(n_free_orders, free.size):  # a link: the sizes of its two ends
        k = start[free[i]]
        out[i] = size[index[k]] * size[index[k + 1]]
    if n_free_orders == 0:
        return out
    n_markets = label.max() + 1
    offered, bid = np.zeros(n_markets), np.zeros(n_markets)
    for j in range(n_orders):  # each side's quantity in each market, in column order
        offer = val[start[j]] > 0
        offered[label[index[j]]] += upper[j] * offer
        bid[label[index[j]]] += upper[j] * (not offer)
    for i in range(n_free_orders):
        j = free[i]
        market = label[index[start[j]]]
        other = bid[market] if val[start[j]] > 0 else offered[market]
        out[i] = upper[j] * (other if other > 0 else mean)
    return out


@compiled
def _face_system(
    n_nodes: int, cols: Columns, value: FloatArray, free: IntArray, n_orders: int
) -> tuple[FloatArray, FloatArray]:
    """The balances ``a @ x = b`` of the ``free`` columns at the nodes they touch: ``b``
    what they deliver at each such node in the solution ``value``.

    The matrix entries of the free columns are taken one per order and two per link:
    every column's first (its node, a link's source), then the links' second (their
    ends), each added in that order as ``np.bincount`` adds them."""
    start, index, val = cols[3], cols[4], cols[5]
    n_free_orders = np.searchsorted(free, n_orders)
    need = np.zeros(n_nodes)
    keep = np.zeros(n_nodes, dtype=np.bool_)  # the rows the free columns touch
    for i in range(free.size):
        e = start[free[i]]
        need[index[e]] += val[e] * value[free[i]]
        keep[index[e]] = True
    for i in range(n_free_orders, free.size):
        e = start[free[i]] + 1
        need[index[e]] += val[e] * value[free[i]]
        keep[index[e]] = True
    row_of = np.empty(n_nodes, np.int64)  # np.cumsum(keep) - 1
    m = 0
    for r in range(n_nodes):
        m += keep[r]
        row_of[r] = m - 1
    a, b = np.zeros((m, free.size)), np.empty(m)
    for r in range(n_nodes):
        if keep[r]:
            b[row_of[r]] = need[r]
    for i in range(free.size):
        e = start[free[i]]
        a[row_of[index[e]], i] += val[e]
    for i in range(n_free_orders, free.size):
        e = start[free[i]] + 1
        a[row_of[index[e]], i] += val[e]
    return a, b


@compiled
def _free_columns(cols: Columns, price: FloatArray) -> IntArray:
    """The free columns: those of a reduced cost within :data:`FACE_TOLERANCE` of zero at
    ``price`` (``np.nan_to_num``'s: nan as 0, infinities as the largest floats) and room
    above zero; :func:`reduced_costs` and the test in one pass."""
    cost, upper, start, index, val = cols[0], cols[2], cols[3], cols[4], cols[5]
    p = np.empty(price.size)
    for i in range(price.size):
        x = price[i]
        p[i] = 0.0 if np.isnan(x) else minimum(maximum(x, -_BIG), _BIG)
    free = np.empty(cost.size, np.int64)
    n = 0
    for j in range(cost.size):
        k = start[j]
        total = val[k] * p[index[k]]
        for k in range(start[j] + 1, start[j + 1]):
            total += val[k] * p[index[k]]
        if abs(cost[j] - total) <= FACE_TOLERANCE and upper[j] > 0.0:
            free[n] = j
            n += 1
    return free[:n].copy()


@compiled
def _face(
    n_nodes: int, cols: Columns, value: FloatArray, free: IntArray, n_orders: int, label: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The ``free`` columns' quadratic program: the balances ``a @ x = b``
    (:func:`_face_system`), the weights relative to the largest, the same raised to
    :data:`WEIGHT_FLOOR`, and the columns' upper bounds.

    The node sizes' mean over the nodes with orders is numpy's (a pairwise sum over
    their count); the largest weight is numpy's too (nan if any is).
    """
    a, b = _face_system(n_nodes, cols, value, free, n_orders)
    size = node_sizes(n_nodes, cols, n_orders)
    positive = size[size > 0]
    mean = add_reduce(positive) / positive.size if positive.size else 1.0
    weight = _weights(cols, n_orders, free, label, size, mean)
    top = weight[0]
    for i in range(1, weight.size):
        top = maximum(top, weight[i])
    weight = weight / top
    floored = np.empty(weight.size)
    for i in range(weight.size):
        floored[i] = maximum(weight[i], WEIGHT_FLOOR)
    return a, b, weight, floored, cols[2][free]


@compiled
def _face_problem(
    n_nodes: int,
    cols: Columns,
    value: FloatArray,
    price: FloatArray,
    n_orders: int,
    label: IntArray,
    max_free: int,
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, float]:
    """The free columns (:func:`_free_columns`) and, when there are 2 to ``max_free`` of
    them, their quadratic program (:func:`_face`) and its least weight (``weight.min()``,
    nan if any weight is); otherwise empty arrays and nan."""
    free = _free_columns(cols, price)
    if free.size < 2 or free.size > max_free:
        empty = np.zeros(0)
        return free, np.zeros((0, 0)), empty, empty, empty, empty, np.nan
    a, b, weight, floored, bound = _face(n_nodes, cols, value, free, n_orders, label)
    lowest = weight[0]
    for i in range(1, weight.size):
        lowest = minimum(lowest, weight[i])
    return free, a, b, weight, floored, bound, lowest


def proportional_pattern(
    n_nodes: int,
    cols: Columns,
    value: FloatArray,
    price: FloatArray,
    n_orders: int,
    label: IntArray | None = None,
) -> tuple[FloatArray, bool]:
    """The optimum of the book nearest proportional shares (see the module docstring).

    Parameters
    ----------
    n_nodes : int
        Rows of the LP.
    cols : Columns
        The book's LP columns (:func:`market.lp.columns`), orders first.
    value : ndarray
        An optimal solution's column values.
    price : ndarray
        Node prices of an optimal dual solution (``nan`` where no column touches).
    n_orders : int
        How many of the columns are orders (offers and bids).
    label : ndarray, optional
        Each node's market (connected component of the links,
        :func:`market.scaling.components`), if at hand; else computed from ``cols``.

    Returns
    -------
    ndarray, bool
        The column values, and whether the rule was applied (False when DAQP did not
        report a usable optimum, or the face has more than :data:`MAX_FREE_COLUMNS`
        columns: then ``value`` as given).
    """
    if label is None:
        first = cols[3][n_orders:-1]
        label = link_components(n_nodes, cols[4][first], cols[4][first + 1])
    free, a, b, weight, floored, bound, lowest = _face_problem(
        n_nodes, cols, value, price, n_orders, label, MAX_FREE_COLUMNS
    )
    if free.size < 2:
        return value, True  # nothing to move
    if free.size > MAX_FREE_COLUMNS:
        return value, False  # too large a face for a dense quadratic program
    tries = (weight, floored) if lowest >= WELL_CONDITIONED else (floored,)
    for rhs in _balances(a, b, value[free], bound):
        for w in tries:
            x = _nearest(w, a, rhs, bound)
            if x is not None:
                out = value.copy()
                out[free] = x
                return out, True
    return value, False


def _balances(
    a: FloatArray, b: FloatArray, value: FloatArray, bound: FloatArray
) -> Iterator[FloatArray]:
    """The balances ``a @ x = b`` the rule keeps: the given optimum's, ``b``; then, if they
    differ, those of that optimum (``value``) moved onto its bounds.

    A simplex solver keeps a bound only to its tolerance (a flow of -9e-10), and balances
    only such a point meets can leave the face empty; the moved point meets its own.
    """
    yield b
    on_bounds: FloatArray = a @ np.clip(value, 0.0, bound)
    if not np.array_equal(on_bounds, b):
        yield on_bounds


def _nearest(
    weight: FloatArray, a: FloatArray, b: FloatArray, bound: FloatArray
) -> FloatArray | None:
    """DAQP's minimum of ``sum(x**2 / weight)`` with ``a @ x = b`` and ``0 <= x <= bound``;
    None when it reports no optimum (after a second solve without the columns of next to no
    range, if the first was overdetermined, and one with room to cycle,
    :data:`CYCLE_TOL_RETRY`, if a solve stopped on cycling), or its point is not finite or
    leaves a row of ``a`` unbalanced.

    DAQP keeps each bound to its primal tolerance, :data:`FACE_TOLERANCE`; the point is
    clipped to its bounds, which can move each of a row's terms by that much, so a row is
    judged balanced to the tolerance times its number of terms (as
    :func:`market.clearing.equilibrium_violations` judges a node's balance).

    A face with a column whose bound is below DAQP's zero tolerance (1e-11: an order of next
    to nothing, which DAQP takes as an equality at its bound) can hold more equalities than
    columns, and DAQP refuses it as overdetermined (exit flag -6; two months of random valid
    scenarios, each with two such orders). It is then solved with those columns at zero,
    which moves no balance by more than the tolerance a term. Only a refused solve is made
    again, so no other point changes.
    """
    x, exitflag = _daqp(weight, a, b, bound)
    use = None
    if exitflag == _EXIT_OVERDETERMINED:
        use = bound >= _DAQP_ZERO_TOL
        x, exitflag = _daqp(weight, a, b, bound, use)
    if exitflag == _EXIT_CYCLE:
        x, exitflag = _daqp(weight, a, b, bound, use, cycle_tol=CYCLE_TOL_RETRY)
    if exitflag != 1:
        return None
    point, finite = _clipped(x, bound)
    if not finite or _unbalanced(a, a @ point, b):
        return None  # DAQP's point leaves a node unbalanced
    return point


@compiled
def _clipped(x: FloatArray, bound: FloatArray) -> tuple[FloatArray, bool]:
    """``np.clip(x, 0.0, bound)``, and whether every ``x`` is finite."""
    out = np.empty(x.size)
    finite = True
    for i in range(x.size):
        finite = finite and np.isfinite(x[i])
        out[i] = clip(x[i], 0.0, bound[i])
    return out, finite


@compiled
def _unbalanced(a: FloatArray, ax: FloatArray, b: FloatArray) -> bool:
    """Whether some row's ``ax`` (``a @ x``) misses ``b`` by more than
    :data:`FACE_TOLERANCE` times its number of terms and ``max(1, |b|)``."""
    top = abs(b[0])
    for i in range(1, b.size):
        top = maximum(top, abs(b[i]))
    scale = FACE_TOLERANCE * (top if top > 1.0 else 1.0)  # Python's max(1.0, top)
    for i in range(b.size):
        terms = 0
        for j in range(a.shape[1]):
            terms += a[i, j] != 0.0
        if abs(ax[i] - b[i]) > scale * terms:
            return True
    return False


def _daqp(
    weight: FloatArray,
    a: FloatArray,
    b: FloatArray,
    bound: FloatArray,
    use: NDArray[np.bool_] | None = None,
    **settings: int,
) -> tuple[FloatArray, int]:
    """DAQP's point and exit flag for :func:`_nearest`'s problem on the columns ``use``
    (all if None: the arrays are passed as they are), the others at zero; ``settings`` as
    DAQP's."""
    if use is not None:
        x = np.zeros(weight.size)
        if not use.any():  # every column of next to no range: all at zero, judged by the caller
            return x, 1
        x[use], exitflag = _daqp(weight[use], a[:, use], b, bound[use], None, **settings)
        return x, exitflag
    hessian, upper, lower, sense = _daqp_arrays(weight, bound, b)
    point, _, flag, _ = daqp.solve(
        hessian,
        np.zeros(weight.size),
        a,
        upper,
        lower,
        sense,
        primal_tol=FACE_TOLERANCE,  # DAQP's default, 1e-6, lets a bound be crossed by that
        **settings,
    )
    return point, int(flag)


@compiled
def _daqp_arrays(
    weight: FloatArray, bound: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int32]]:
    """DAQP's Hessian (``diag(1 / weight)``), and its constraints' upper and lower bounds
    and senses: the columns' bounds (infinite as :data:`_DAQP_INF`), then the balances as
    equalities."""
    n, m = weight.size, b.size
    hessian = np.zeros((n, n))
    upper, lower = np.empty(n + m), np.zeros(n + m)
    sense = np.zeros(n + m, np.int32)
    for j in range(n):
        hessian[j, j] = 1.0 / weight[j]
        upper[j] = _DAQP_INF if np.isinf(bound[j]) else bound[j]
    for i in range(m):
        upper[n + i] = lower[n + i] = b[i]
        sense[n + i] = _EQUALITY
    return hessian, upper, lower, sense
