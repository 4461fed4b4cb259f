"""Pinning rounds: from the extremes of the price constraints to a finite range at every node.

:mod:`market.prices` reads each node's range of equilibrium prices off the difference
constraints of a cleared book: the highest price is the node's shortest distance from a
ground node, the lowest minus its distance to it. A node that nothing bounds on one side
(an unsold offer with no buyer, an unfilled bid with no seller) has an infinite extreme,
and a midpoint needs two finite ones; so the price is pinned to its bounded side, a
little beyond it, and the extremes are searched again (:func:`pins`), one kind of pin a
round, until every extreme is finite. Small books search by Bellman-Ford
(:func:`bellman_ford_bounds`, all of it one compiled loop); larger ones by Dijkstra on
reweighted arcs, in :mod:`market.prices`, with the same pins.

Every function here is compiled (:mod:`market.compiled`) and does numpy's arithmetic
element by element, so its numbers are the ones the same steps in numpy give.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from market.bellman import both_searches
from market.compiled import compiled
from market.highs import TOLERANCE

__all__ = ["CAPS", "FLOORS", "NO_PINS", "bellman_ford_bounds", "pin_room", "pins", "touched"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

NO_PINS, FLOORS, CAPS = 0, 1, 2
"""What a round of :func:`pins` adds: nothing (every extreme is finite), floors (arcs
into the ground) or caps (arcs out of it)."""

RELAX = TOLERANCE
"""How far every constraint is relaxed (times its largest weight, at least one), once,
when the fills contradict each other: the solver's tolerance on a market scaled to units
near one, to which the fills are optimal."""


@compiled
def touched(n: int, t: IntArray, h: IntArray) -> NDArray[np.bool_]:
    """Whether an arc touches each of the ``n`` nodes (arcs may also touch node ``n``).

    A node no arc touches has no market, or only empty orders: pinning it could not move
    any other node, so it is priced at zero outright.
    """
    out = np.zeros(n + 1, dtype=np.bool_)
    for i in range(t.size):
        out[t[i]] = True
        out[h[i]] = True
    return out[:n]


@compiled
def pin_room(w: FloatArray) -> float:
    """Room given to each pin: without it, a pin at an extreme computed along another path
    can contradict the arcs by ``1e-15`` (a spurious negative cycle)."""
    return 1e-12 * max(1.0, np.abs(w).max() if w.size else 1.0)


@compiled
def pins(
    low: FloatArray, high: FloatArray, eps: float
) -> tuple[IntArray, IntArray, FloatArray, int]:
    """The next round of pins as arcs ``(tail, head, weight)``, and their kind
    (:data:`FLOORS` enter the ground, :data:`CAPS` leave it; :data:`NO_PINS` and no arcs
    when every extreme is finite).

    A side nothing bounds: the price is pinned to the bounded side, ``eps`` beyond it (an
    unsold offer with no buyer is priced at its ask, an unfilled bid with no seller at its
    bid); one kind of pin a round, so that each round stays feasible (solutions of
    difference constraints are closed under componentwise max and min). A node bounded on
    neither side (only empty orders and idle links) is capped at zero once no other pin
    is left. The ground is node ``low.size``.
    """
    n = low.size
    fin_lo, fin_hi = np.isfinite(low), np.isfinite(high)
    if fin_lo.all() and fin_hi.all():
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), NO_PINS
    pin = ~fin_lo & fin_hi
    if pin.any():  # p >= high: an arc n -> ground
        nodes = np.flatnonzero(pin)
        return nodes, np.full(nodes.size, n, np.int64), eps - high[nodes], FLOORS
    pin = fin_lo & ~fin_hi
    if pin.any():  # p <= low: an arc ground -> n
        nodes = np.flatnonzero(pin)
        return np.full(nodes.size, n, np.int64), nodes, low[nodes] + eps, CAPS
    nodes = np.flatnonzero(~fin_lo & ~fin_hi)  # bounded on neither side: p <= 0
    return np.full(nodes.size, n, np.int64), nodes, np.zeros(nodes.size), CAPS


@compiled
def _extremes(
    n: int, t: IntArray, h: IntArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, bool]:
    """Lowest and highest solution of the constraints over ``n`` nodes (ground ``n - 1``),
    by Bellman-Ford (negative weights allowed); whether they admit one."""
    if t.size == 0:
        return np.full(n, -np.inf), np.full(n, np.inf), True
    d_from, d_to, ok = both_searches(n, t, h, w, n - 1)
    return 0.0 - d_to, d_from, ok


@compiled
def bellman_ford_bounds(
    n: int, t: IntArray, h: IntArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, bool]:
    """Finite lowest and highest price of each of the ``n`` nodes, by Bellman-Ford, and
    whether there are any.

    The extremes of the constraints ``p[h] - p[t] <= w`` (ground: node ``n``), then of the
    constraints with pins (:func:`pins`) until every extreme is finite; their midpoint is
    an equilibrium. Fills optimal only to the solver's tolerance (``1e-9`` of a market's
    scale) can contradict each other by that much (a trade worth less than the tolerance
    left undone): every constraint is relaxed by :data:`RELAX` once before giving up.
    False when the constraints (or the pins) contradict each other still.
    """
    low, high, ok = _extremes(n + 1, t, h, w)
    if not ok:
        w = w + RELAX * max(1.0, np.abs(w).max())
        low, high, ok = _extremes(n + 1, t, h, w)
        if not ok:
            return low[:n], high[:n], False
    near = touched(n, t, h)
    low, high = np.where(near, low[:n], 0.0), np.where(near, high[:n], 0.0)
    eps = pin_room(w)
    for _ in range(2 * n + 2):  # each round pins at least one more node
        tail, head, weight, kind = pins(low, high, eps)
        if kind == NO_PINS:
            return low, high, True
        t, h = np.concatenate((t, tail)), np.concatenate((h, head))
        w = np.concatenate((w, weight))
        low, high, ok = _extremes(n + 1, t, h, w)
        low, high = low[:n], high[:n]
        if not ok:
            return low, high, False
    return low, high, False
