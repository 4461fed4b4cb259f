"""The order book of one clearing: offers, bids and links as numpy arrays.

A book describes every spot market of a month at once (docs/architecture.md,
"Market"): offers ``(node, qty, price)``, bids ``(node, qty, price)`` and directed
links ``src -> dst`` with a per-unit cost and a capacity. Separate goods and regions
are separate connected components of the same book.

Validation happens once, here, so the solvers can trust their input. Every problem
raises :class:`BookError` naming the field, the offending index and value, and the fix.
The book keeps read-only *copies* of its inputs: the caller's arrays stay writable, and
changing them (or the base of a view passed in) later cannot reach a solver.

Limits, and why
---------------
- ``|price|``, ``link_cost``, quantities and finite capacities must stay below
  :data:`MAX_VALUE` = 1e15. Float64 holds every whole number only up to
  ``2**53`` (about 9.0e15; IEEE 754-2008, binary64): beyond it a node's balance, a sum of
  fills, can no longer be checked to one unit, and HiGHS treats bounds and costs of
  1e20 and more as infinite (HiGHS documentation, option ``infinite_bound``), which once
  turned a huge quantity into an "unbounded" book. Use ``np.inf`` for a link without a
  bound.
- ``n_nodes`` may exceed the largest node id the arrays use by at most
  :data:`MAX_IDLE_NODES` (2**20): idle nodes carry no market, but each costs a row in
  the solver and an entry in the price array, so a mistyped ``n_nodes = 10**12`` is
  refused here instead of exhausting memory in the solver. ``n_nodes`` is at most
  ``2**31 - 1`` in any case, the largest row index HiGHS (32-bit indices) can address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from market.compiled import compiled

__all__ = ["MAX_IDLE_NODES", "MAX_NODES", "MAX_VALUE", "BookError", "OrderBook", "check_book"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_FIELDS = (
    "offer_node",
    "offer_qty",
    "offer_price",
    "bid_node",
    "bid_qty",
    "bid_price",
    "link_src",
    "link_dst",
    "link_cost",
    "link_cap",
)

_INT64, _FLOAT64 = np.dtype(np.int64), np.dtype(np.float64)

MAX_VALUE = 1e15
"""Bound on ``|price|``, ``link_cost``, quantities and finite capacities (see above)."""
MAX_IDLE_NODES = 2**20
"""Most node ids beyond the largest one the arrays use (see above)."""
MAX_NODES = 2**31 - 1
"""Most nodes a book may have: HiGHS indexes rows with 32-bit integers."""


class BookError(ValueError):
    """An order book that cannot be cleared: the message names field, index and fix."""


def _first_bad(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _as_float(name: str, values: ArrayLike) -> FloatArray:
    try:
        arr = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise BookError(
            f"{name}: cannot be read as numbers ({exc}); pass a 1-D numeric array"
        ) from exc
    if arr.ndim != 1:
        raise BookError(f"{name}: has shape {arr.shape}; pass a 1-D array")
    return arr


def _as_node(name: str, values: ArrayLike, n_nodes: int) -> IntArray:
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise BookError(f"{name}: has shape {raw.shape}; pass a 1-D array of node ids")
    if raw.size and not (
        np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)
    ):
        raise BookError(f"{name}: has dtype {raw.dtype}; pass integer node ids")
    if raw.size and np.issubdtype(raw.dtype, np.floating):
        bad = ~np.isfinite(raw) | (raw != np.round(raw))
        if bad.any():
            i = _first_bad(bad)
            raise BookError(f"{name}[{i}] = {raw[i]}: a node id must be a whole number")
    arr = raw.astype(np.int64, copy=True)
    bad = (arr < 0) | (arr >= n_nodes)
    if bad.any():
        i = _first_bad(bad)
        raise BookError(
            f"{name}[{i}] = {arr[i]}: node id out of range; use 0 <= id < n_nodes = {n_nodes}"
        )
    return arr


def _check_finite(name: str, arr: FloatArray, *, what: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_bad(bad)
        raise BookError(f"{name}[{i}] = {float(arr[i])!r}: {what} must be finite")


def _check_nonneg(name: str, arr: FloatArray) -> None:
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        i = _first_bad(bad)
        raise BookError(f"{name}[{i}] = {float(arr[i])!r}: must be >= 0; drop or zero the entry")


def _check_below(name: str, arr: FloatArray, *, what: str) -> None:
    bad = np.isfinite(arr) & (np.abs(arr) >= MAX_VALUE)
    if bad.any():
        i = _first_bad(bad)
        raise BookError(
            f"{name}[{i}] = {float(arr[i])!r}: {what} must lie below {MAX_VALUE:.0e} in "
            "absolute value (float64 holds whole units only up to 2**53); "
            "measure it in larger units"
        )


def _plainly_valid(arr: FloatArray, *, nonneg: bool, inf_ok: bool = False) -> bool:
    """True when every entry passes the checks at once (the common case, one pass).

    Finite and below :data:`MAX_VALUE` in absolute value (``np.inf`` too if ``inf_ok``),
    and >= 0 if ``nonneg``; NaN fails. Otherwise the separate checks find the entry.
    """
    if nonneg:
        ok = (arr >= 0.0) & (arr < MAX_VALUE)
    else:
        ok = np.abs(arr) < MAX_VALUE
    if inf_ok:
        ok |= arr == np.inf
    return bool(ok.all())


@compiled
def _all_in_range(arr: FloatArray, nonneg: bool, inf_ok: bool) -> bool:
    """:func:`_plainly_valid` in one compiled pass, stopping at the first entry that fails
    (NaN fails every comparison)."""
    for x in arr:
        if inf_ok and x == np.inf:
            continue
        if not ((x >= 0.0 if nonneg else x > -MAX_VALUE) and x < MAX_VALUE):
            return False
    return True


@compiled
def _values_valid(
    offer_qty: FloatArray,
    offer_price: FloatArray,
    bid_qty: FloatArray,
    bid_price: FloatArray,
    link_cost: FloatArray,
    link_cap: FloatArray,
) -> bool:
    """Every quantity, price, cost and capacity of a book passes :func:`_plainly_valid`:
    quantities, costs and capacities at least 0, prices above ``-MAX_VALUE``, all below
    :data:`MAX_VALUE`, capacities also ``np.inf``."""
    return (
        _all_in_range(offer_qty, True, False)
        and _all_in_range(bid_qty, True, False)
        and _all_in_range(offer_price, False, False)
        and _all_in_range(bid_price, False, False)
        and _all_in_range(link_cost, True, False)
        and _all_in_range(link_cap, True, True)
    )


def _check_lengths(group: str, **arrays: NDArray[Any]) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise BookError(
            f"{group} arrays have unequal lengths ({listed}); give one entry per {group[:-1]}"
        )


@dataclass(frozen=True)
class OrderBook:
    """Offers, bids and links of every spot market in one month, as arrays.

    Parameters
    ----------
    n_nodes : int
        Number of market nodes (agents' locations: a utility, a site, a lab...).
    offer_node, offer_qty, offer_price : array_like
        One entry per offer: where it stands, how much, at what price per unit.
    bid_node, bid_qty, bid_price : array_like
        One entry per bid, likewise.
    link_src, link_dst, link_cost, link_cap : array_like, optional
        One entry per directed link: flow ``src -> dst`` costs ``link_cost`` per unit
        and is bounded by ``link_cap`` (``np.inf`` for no bound).

    Raises
    ------
    BookError
        On unequal lengths, node ids out of range, NaN or infinite prices or costs,
        negative or non-finite quantities, negative capacities, or self-loops.
    """

    n_nodes: int
    offer_node: ArrayLike
    offer_qty: ArrayLike
    offer_price: ArrayLike
    bid_node: ArrayLike
    bid_qty: ArrayLike
    bid_price: ArrayLike
    link_src: ArrayLike = field(default_factory=lambda: np.zeros(0, np.int64))
    link_dst: ArrayLike = field(default_factory=lambda: np.zeros(0, np.int64))
    link_cost: ArrayLike = field(default_factory=lambda: np.zeros(0))
    link_cap: ArrayLike = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n = self.n_nodes
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise BookError(f"n_nodes = {n!r}: must be a whole number >= 0")
        n = int(n)
        if n > MAX_NODES:
            raise BookError(
                f"n_nodes = {n}: more than the solver can address ({MAX_NODES} = 2**31 - 1); "
                "number only the nodes that hold orders or links"
            )
        put = object.__setattr__
        put(self, "n_nodes", n)
        used_ids: list[IntArray] = []
        for side in ("offer", "bid"):
            qty = _as_float(f"{side}_qty", getattr(self, f"{side}_qty"))
            price = _as_float(f"{side}_price", getattr(self, f"{side}_price"))
            node_raw = np.asarray(getattr(self, f"{side}_node"))
            _check_lengths(
                f"{side}s", **{f"{side}_node": node_raw, f"{side}_qty": qty, f"{side}_price": price}
            )
            node = _as_node(f"{side}_node", node_raw, n)
            if not _plainly_valid(price, nonneg=False):
                _check_finite(f"{side}_price", price, what="a price")
                _check_below(f"{side}_price", price, what="a price")
            if not _plainly_valid(qty, nonneg=True):
                _check_nonneg(f"{side}_qty", qty)
                _check_finite(f"{side}_qty", qty, what="a quantity")
                _check_below(f"{side}_qty", qty, what="a quantity")
            put(self, f"{side}_node", node)
            used_ids.append(node)
            put(self, f"{side}_qty", qty)
            put(self, f"{side}_price", price)
        cost = _as_float("link_cost", self.link_cost)
        cap = _as_float("link_cap", self.link_cap)
        src_raw, dst_raw = np.asarray(self.link_src), np.asarray(self.link_dst)
        _check_lengths("links", link_src=src_raw, link_dst=dst_raw, link_cost=cost, link_cap=cap)
        src = _as_node("link_src", src_raw, n)
        dst = _as_node("link_dst", dst_raw, n)
        if not _plainly_valid(cost, nonneg=True):
            _check_finite("link_cost", cost, what="a link cost")
            _check_nonneg("link_cost", cost)
            _check_below("link_cost", cost, what="a link cost")
        if not _plainly_valid(cap, nonneg=True, inf_ok=True):
            _check_nonneg("link_cap", cap)
            _check_below("link_cap", cap, what="a finite capacity (np.inf: no bound)")
        loop = src == dst
        if loop.any():
            i = _first_bad(loop)
            raise BookError(f"link_src[{i}] = link_dst[{i}] = {src[i]}: a link must join two nodes")
        used = max([-1] + [int(a.max()) for a in (*used_ids, src, dst) if a.size])
        if n - (used + 1) > MAX_IDLE_NODES:
            raise BookError(
                f"n_nodes = {n}: the arrays use node ids up to {used}, leaving {n - used - 1} "
                f"idle nodes (at most {MAX_IDLE_NODES} = 2**20 allowed); "
                f"pass n_nodes = {used + 1} or renumber the nodes"
            )
        put(self, "link_src", src)
        put(self, "link_dst", dst)
        put(self, "link_cost", cost)
        put(self, "link_cap", cap)
        for name in _FIELDS:
            getattr(self, name).setflags(write=False)

    @classmethod
    def _trusted(cls, n_nodes: int, *arrays: NDArray[Any], copy: bool = True) -> OrderBook:
        """A book from arrays already validated (a rescaled copy of a valid book).

        With ``copy=False`` the arrays are the caller's to hand over: new arrays no one
        else holds, or another book's (read-only) arrays, which are shared.
        """
        book = object.__new__(cls)
        fields = book.__dict__  # frozen: filled in directly, as __post_init__ does by name
        fields["n_nodes"] = n_nodes
        for name, arr in zip(_FIELDS, arrays, strict=True):
            if copy:
                arr = np.array(arr)  # a private array
            arr.setflags(write=False)  # not arr.flags: that builds a flags object each time
            fields[name] = arr
        return book

    @classmethod
    def assembled(
        cls,
        n_nodes: int,
        offer_node: IntArray,
        offer_qty: FloatArray,
        offer_price: FloatArray,
        bid_node: IntArray,
        bid_qty: FloatArray,
        bid_price: FloatArray,
        link_src: IntArray,
        link_dst: IntArray,
        link_cost: FloatArray,
        link_cap: FloatArray,
    ) -> OrderBook:
        """A book from arrays a program assembled itself: its node ids are trusted.

        For code that numbers the nodes and links by construction (the monthly book of
        a simulation) and builds new arrays for each book. The arrays are kept without
        a copy and made read-only, so the caller hands them over: it must not write to
        them afterwards (read-only arrays, such as parts shared by several books, are
        fine). Node ids are not checked (nor self-loops or idle nodes); the quantities,
        prices, costs and capacities, which carry the agents' decisions, are, in one
        pass each. When an array is not already 1-D ``int64`` (nodes) or ``float64``
        (values), the lengths differ or a value fails, the book is built by the
        ordinary constructor instead, which converts or raises :class:`BookError`
        naming the entry.
        """
        arrays = (
            offer_node,
            offer_qty,
            offer_price,
            bid_node,
            bid_qty,
            bid_price,
            link_src,
            link_dst,
            link_cost,
            link_cap,
        )
        n_o, n_b, n_l = len(offer_node), len(bid_node), len(link_src)
        i64, f64 = _INT64, _FLOAT64
        plain = (
            isinstance(n_nodes, int)
            and 0 <= n_nodes <= MAX_NODES
            and offer_node.dtype == bid_node.dtype == link_src.dtype == link_dst.dtype == i64
            and offer_qty.dtype == offer_price.dtype == bid_qty.dtype == bid_price.dtype == f64
            and link_cost.dtype == link_cap.dtype == f64
            and offer_node.ndim == offer_qty.ndim == offer_price.ndim == 1
            and bid_node.ndim == bid_qty.ndim == bid_price.ndim == 1
            and link_src.ndim == link_dst.ndim == link_cost.ndim == link_cap.ndim == 1
            and len(offer_qty) == len(offer_price) == n_o
            and len(bid_qty) == len(bid_price) == n_b
            and len(link_dst) == len(link_cost) == len(link_cap) == n_l
            and _values_valid(offer_qty, offer_price, bid_qty, bid_price, link_cost, link_cap)
        )
        if not plain:
            return cls(n_nodes, *arrays)
        return cls._trusted(n_nodes, *arrays, copy=False)

    # Typed views: after __post_init__ every field is a validated numpy array.
    @property
    def offers(self) -> tuple[IntArray, FloatArray, FloatArray]:
        """``(node, qty, price)`` of the offers."""
        return self.offer_node, self.offer_qty, self.offer_price  # type: ignore[return-value]

    @property
    def bids(self) -> tuple[IntArray, FloatArray, FloatArray]:
        """``(node, qty, price)`` of the bids."""
        return self.bid_node, self.bid_qty, self.bid_price  # type: ignore[return-value]

    @property
    def links(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
        """``(src, dst, cost, cap)`` of the links."""
        return self.link_src, self.link_dst, self.link_cost, self.link_cap  # type: ignore[return-value]

    @property
    def n_offers(self) -> int:
        """Number of offers."""
        return len(self.offers[0])

    @property
    def n_bids(self) -> int:
        """Number of bids."""
        return len(self.bids[0])

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self.links[0])

    def is_bipartite(self) -> bool:
        """True when no link enters a node that a link leaves (seller -> buyer trade)."""
        src, dst, _, _ = self.links
        leaves = np.zeros(self.n_nodes, dtype=bool)
        leaves[src] = True
        return not bool(leaves[dst].any())

    def price_scale(self) -> float:
        """Largest absolute price or link cost (at least 1), the scale of tolerances."""
        parts = [np.abs(a) for a in (self.offers[2], self.bids[2], self.links[2]) if a.size]
        return max([1.0] + [float(p.max()) for p in parts])


def check_book(book: object, where: str) -> OrderBook:
    """``book`` itself if it is an :class:`OrderBook`.

    Raises
    ------
    BookError
        Naming ``where`` (the function called), what was given and the fix.
    """
    if not isinstance(book, OrderBook):
        raise BookError(
            f"{where}: book is a {type(book).__name__}, not an OrderBook; build one with "
            "market.book.OrderBook(offer_node=..., offer_qty=..., offer_price=..., ...)"
        )
    return book
