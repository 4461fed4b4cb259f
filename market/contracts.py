"""A vectorized table of bilateral contracts, settled before the spot market.

A contract is a row (kind, seller, buyer, monthly
volume, price, start, end, take-or-pay, exclusivity). Each month the active rows are
settled at once: a seller's deliverable quantity is shared pro rata among its
contracts, a take-or-pay buyer pays for all the seller makes available whether it takes it
or not, and a seller that delivers short owes ``penalty_rate x price`` per unit it did not
make available. What contracts do not cover clears in the spot market. numpy and compiled
loops (:mod:`market.compiled`: a month's settlement is one call), no Mesa.

Take-or-pay puts the buyer's volume risk on the buyer: it pays for what the seller stands
ready to deliver, taken or not. It does not make the buyer pay for what the seller failed
to deliver; that shortfall is the seller's, and the seller owes the penalty on it (Masten
and Crocker, "Efficient adaptation in long-term contracts: take-or-pay provisions for
natural gas", *American Economic Review* 75(5), 1985).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from market.compiled import clip, compiled, minimum

__all__ = [
    "DELIVERY_TOLERANCE",
    "KINDS",
    "ContractError",
    "ContractTable",
    "Settlement",
    "pro_rata",
    "pro_rata_arrays",
]

KINDS = ("compute", "power", "chips")
"""Contract kinds; ``kind`` columns hold the index into this tuple."""

DELIVERY_TOLERANCE = 1e-9
"""Share of a contract's volume within which a delivery is the whole volume, and by which
it may exceed it: the clearing's own tolerance (1e-9 of a market's unit,
:data:`market.highs.TOLERANCE`). A pro-rata share that rounds a hair below the volume is
not a breach and owes no penalty."""

_FLOAT = ("volume", "price", "penalty_rate", "delivered_total", "paid_total", "penalty_total")
_INT = ("kind", "seller", "buyer", "start", "end", "family", "region", "deal")
_BOOL = ("take_or_pay", "exclusive")

T = TypeVar("T")


class ContractError(ValueError):
    """A contract row that cannot be stored; the message names column, row and fix."""


@dataclass(frozen=True)
class Settlement:
    """One month's settlement of the rows in ``index``.

    ``delivered`` is what each contract received, ``payment`` what its buyer pays the
    seller (what the seller made available under take-or-pay, else the delivered
    quantity), and ``penalty`` what its seller pays the buyer for what it did not make
    available.
    """

    index: NDArray[np.int64]
    delivered: NDArray[np.float64]
    payment: NDArray[np.float64]
    penalty: NDArray[np.float64]


def pro_rata(key: ArrayLike, demand: ArrayLike, capacity: ArrayLike) -> NDArray[np.float64]:
    """Share ``capacity[key]`` among rows pro rata to ``demand``, never above demand.

    Parameters
    ----------
    key : array_like of int
        The capacity pool each row draws on.
    demand : array_like
        Each row's requested quantity (>= 0).
    capacity : array_like
        Available quantity of each pool (>= 0).

    Examples
    --------
    >>> pro_rata([0, 0, 1], [6.0, 2.0, 5.0], [4.0, 10.0]).tolist()
    [3.0, 1.0, 5.0]
    """
    k = np.asarray(key, dtype=np.int64)
    d = np.asarray(demand, dtype=np.float64)
    cap = np.asarray(capacity, dtype=np.float64)
    if k.size == 0:
        return np.zeros(0)
    return pro_rata_arrays(k, d, cap)


@compiled
def pro_rata_arrays(
    key: NDArray[np.int64], demand: NDArray[np.float64], capacity: NDArray[np.float64]
) -> NDArray[np.float64]:
    """:func:`pro_rata` of int64 and float64 arrays, compiled: the pools' demand summed in
    row order (as ``np.bincount``), each pool's factor ``min(1, capacity / demand)`` (1
    where nothing is asked; a subnormal demand gives inf, cut to 1), times each row's
    demand."""
    total = np.zeros(capacity.size)
    for i in range(key.size):
        total[key[i]] += demand[i]
    out = np.empty(key.size)
    for i in range(key.size):
        c = key[i]
        factor = capacity[c] / total[c] if total[c] > 0 else 1.0
        out[i] = demand[i] * minimum(1.0, factor)
    return out


_OUT_OF_RANGE = (
    "{name}: must have one entry per row ({n} rows, got shape {shape}), "
    "each a number within [0, volume]"
)
_BAD_ROW, _BAD_DELIVERED, _BAD_OFFERED, _OFFERED_BELOW = 1, 2, 3, 4
"""What :func:`_settle_rows` refuses, in the order it checks (0: nothing)."""


def _in_range(x: NDArray[np.float64], vol: NDArray[np.float64]) -> bool:
    """Whether every quantity is a number within ``[0, volume]`` up to
    :data:`DELIVERY_TOLERANCE` (nan passes neither comparison, so it is tested apart)."""
    tol = DELIVERY_TOLERANCE
    return bool(
        np.isfinite(x).all() and not (x < -tol).any() and not (x > vol * (1 + tol) + tol).any()
    )


@compiled
def _within(x: float, vol: float) -> float:
    """One quantity as settled: ``vol`` where ``x >= vol x (1 - tol)`` (within tolerance of
    the volume), else ``np.clip(x, 0.0, vol)`` with an array bound."""
    return vol if x >= vol * (1 - DELIVERY_TOLERANCE) else clip(x, 0.0, vol)


@compiled
def _settle_rows(
    rows: NDArray[np.int64],
    delivered: NDArray[np.float64],
    offered: NDArray[np.float64],
    volume: NDArray[np.float64],
    price: NDArray[np.float64],
    take_or_pay: NDArray[np.bool_],
    penalty_rate: NDArray[np.float64],
    delivered_total: NDArray[np.float64],
    paid_total: NDArray[np.float64],
    penalty_total: NDArray[np.float64],
) -> tuple[int, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """:meth:`ContractTable.settle` of ``rows`` (an index may be negative, as in numpy),
    given the table's columns: ``(0, delivered, payment, penalty)`` as numpy computes them,

    - each quantity as :func:`_within` its row's volume,
    - ``payment = price * np.where(take_or_pay, offered, delivered)``,
    - ``penalty = penalty_rate * price * (volume - offered)``,

    with the running totals updated as by ``np.add.at`` (in row order). ``offered`` is
    ``delivered`` when the buyers took all they were offered. Nothing is written, and the
    first number says why, if a row is out of range (:data:`_BAD_ROW`), a quantity not
    within ``[0, volume]`` (:func:`_in_range`; delivered first) or an offer below its
    delivery.
    """
    n, tol = volume.size, DELIVERY_TOLERANCE
    none = np.zeros(0)
    idx = np.empty(rows.size, np.int64)
    for i in range(rows.size):
        idx[i] = rows[i] + n if rows[i] < 0 else rows[i]
        if not 0 <= idx[i] < n:
            return _BAD_ROW, none, none, none
    for q, err in ((delivered, _BAD_DELIVERED), (offered, _BAD_OFFERED)):
        for i in range(rows.size):
            x, vol = q[i], volume[idx[i]]
            if not np.isfinite(x) or x < -tol or x > vol * (1 + tol) + tol:
                return err, none, none, none
    d, o = np.empty(rows.size), np.empty(rows.size)
    for i in range(rows.size):
        vol = volume[idx[i]]
        d[i], o[i] = _within(delivered[i], vol), _within(offered[i], vol)
        if o[i] < d[i]:
            return _OFFERED_BELOW, none, none, none
    payment, penalty = np.empty(rows.size), np.empty(rows.size)
    for i in range(rows.size):
        k = idx[i]
        payment[i] = price[k] * (o[i] if take_or_pay[k] else d[i])
        penalty[i] = penalty_rate[k] * price[k] * (volume[k] - o[i])
        delivered_total[k] += d[i]
        paid_total[k] += payment[i]
        penalty_total[k] += penalty[i]
    return 0, d, payment, penalty


class ContractTable:
    """Growable struct-of-arrays holding every contract of a run.

    Columns: ``kind`` (index into :data:`KINDS`), ``seller``, ``buyer`` (agent ids),
    ``volume`` (units per month), ``price`` (per unit), ``start``, ``end`` (months,
    active while ``start <= month < end``), ``take_or_pay``, ``exclusive``,
    ``penalty_rate``, ``family`` and ``region`` (-1: any), ``deal`` (-1: none), and the
    running totals ``delivered_total``, ``paid_total``, ``penalty_total``.

    Which rows are in force changes only at a row's ``start`` or ``end``: between two such
    months the table answers :meth:`active` (and what :meth:`cached` builds) from a cache,
    emptied when a contract is added or ended. Only :meth:`add` and :meth:`terminate`
    may change ``kind``, ``start`` and ``end``.
    """

    def __init__(self) -> None:
        self._cols: dict[str, NDArray[np.generic]] = {}
        for name in _FLOAT:
            self._set(name, np.zeros(0))
        for name in _INT:
            self._set(name, np.zeros(0, dtype=np.int64))
        for name in _BOOL:
            self._set(name, np.zeros(0, dtype=bool))
        self._bounds: list[int] | None = None
        """Sorted months at which some row starts or ends (None: to recompute)."""
        self._memo: dict[Hashable, Any] = {}
        """What :meth:`cached` built (and :meth:`active` found) since the last change."""

    def _changed(self) -> None:
        """Forget the cached spans and results: rows were added or ended."""
        self._bounds = None
        self._memo.clear()

    def _set(self, name: str, col: NDArray[np.generic]) -> None:
        """Store column ``name``, also as a plain attribute (read without ``__getattr__``)."""
        self._cols[name] = col
        self.__dict__[name] = col

    def __len__(self) -> int:
        return int(self._cols["kind"].size)

    def __getattr__(self, name: str) -> Any:
        # columns are instance attributes (see _set): this runs only for other names
        cols = self.__dict__.get("_cols", {})
        if name in cols:
            return cols[name]
        raise AttributeError(name)

    def _i(self, name: str) -> NDArray[np.int64]:
        return cast(NDArray[np.int64], self._cols[name])

    def add(
        self,
        *,
        kind: str,
        seller: int,
        buyer: int,
        volume: float,
        price: float,
        start: int,
        end: int,
        take_or_pay: bool = True,
        exclusive: bool = False,
        penalty_rate: float = 0.25,
        family: int = -1,
        region: int = -1,
        deal: int = -1,
    ) -> int:
        """Append one contract and return its row id."""
        if kind not in KINDS:
            raise ContractError(f"kind = {kind!r}: unknown; use one of {KINDS}")
        for name, value in (("volume", volume), ("price", price), ("penalty_rate", penalty_rate)):
            if not np.isfinite(value) or value < 0:
                raise ContractError(f"{name} = {value!r}: must be finite and >= 0")
        if end < start:
            raise ContractError(
                f"end = {end} < start = {start}: a contract must end after it starts"
            )
        row = {
            "kind": KINDS.index(kind),
            "seller": seller,
            "buyer": buyer,
            "volume": volume,
            "price": price,
            "start": start,
            "end": end,
            "take_or_pay": take_or_pay,
            "exclusive": exclusive,
            "penalty_rate": penalty_rate,
            "family": family,
            "region": region,
            "deal": deal,
            "delivered_total": 0.0,
            "paid_total": 0.0,
            "penalty_total": 0.0,
        }
        for name, value in row.items():
            col = self._cols[name]
            self._set(name, np.append(col, np.asarray(value, dtype=col.dtype)))
        self._changed()
        return len(self) - 1

    def period(self, month: int) -> int:
        """Index of the span of months holding ``month`` in which no row starts or ends.

        Two months with the same index have the same rows in force.

        >>> t = ContractTable()
        >>> _ = t.add(kind="power", seller=0, buyer=0, volume=1.0, price=1.0, start=2, end=5)
        >>> [t.period(m) for m in (0, 1, 2, 4, 5, 9)]
        [0, 0, 1, 1, 2, 2]
        """
        bounds = self._bounds
        if bounds is None:
            bounds = self._bounds = sorted({*self._i("start").tolist(), *self._i("end").tolist()})
        return bisect_right(bounds, month)

    def cached(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()``, computed once and kept until a contract is added or ended.

        ``key`` must name everything the result depends on besides the table (include
        :meth:`period` for a result about the rows in force in a month). Arrays kept here
        are shared by every caller: ``build`` should return them read-only.
        """
        if key in self._memo:
            return cast(T, self._memo[key])
        out = self._memo[key] = build()
        return out

    def active(self, month: int, kind: str | None = None) -> NDArray[np.int64]:
        """Row ids of contracts in force in ``month`` (optionally of one kind); read-only."""
        return self.cached(("active", self.period(month), kind), lambda: self._active(month, kind))

    def _active(self, month: int, kind: str | None) -> NDArray[np.int64]:
        mask = (self._i("start") <= month) & (month < self._i("end"))
        if kind is not None:
            mask &= self._i("kind") == KINDS.index(kind)
        out = np.flatnonzero(mask)
        out.setflags(write=False)
        return out

    def terminate(self, rows: ArrayLike, month: int) -> None:
        """End contracts ``rows`` at ``month`` (a party exited): no further obligations."""
        r = np.asarray(rows, dtype=np.int64)
        end = self._i("end")
        end[r] = np.minimum(end[r], np.maximum(month, self._i("start")[r]))
        self._changed()

    def settle(
        self, rows: ArrayLike, delivered: ArrayLike, offered: ArrayLike | None = None
    ) -> Settlement:
        """Settle contracts ``rows`` given what each actually delivered this month.

        Parameters
        ----------
        rows : array_like of int
            The contracts settled.
        delivered : array_like
            What each buyer received, within ``[0, volume]``.
        offered : array_like, optional
            What each seller made available, within ``[delivered, volume]``; by default
            ``delivered`` (the buyer took all it was offered).

        Payment is ``price x offered`` under take-or-pay and ``price x delivered``
        otherwise; the penalty is ``penalty_rate x price x (volume - offered)`` (module
        docstring). A quantity within :data:`DELIVERY_TOLERANCE` of the volume counts as
        the volume. Running totals are updated.

        Raises
        ------
        ContractError
            If ``delivered`` or ``offered`` has not one entry per row within its range.
        """
        r = np.asarray(rows, dtype=np.int64)
        d = np.asarray(delivered, dtype=np.float64)
        o = d if offered is None else np.asarray(offered, dtype=np.float64)
        c = cast(dict[str, NDArray[np.float64]], self._cols)  # one lookup per column
        if d.shape != r.shape or o.shape != r.shape:  # refused in the order of the checks
            vol = c["volume"][r]  # an index out of range first (numpy's IndexError)
            for x, name in ((d, "delivered"), (o, "offered")):
                if x.shape != r.shape or not _in_range(x, vol):
                    raise ContractError(_OUT_OF_RANGE.format(name=name, n=r.size, shape=x.shape))
        index, shape = r, r.shape
        if r.ndim != 1:  # the kernel reads rows in order, flat
            r, d, o = r.reshape(-1), d.reshape(-1), o.reshape(-1)
        err, d, payment, penalty = _settle_rows(
            r,
            d,
            o,
            c["volume"],
            c["price"],
            cast(NDArray[np.bool_], self._cols["take_or_pay"]),
            c["penalty_rate"],
            c["delivered_total"],
            c["paid_total"],
            c["penalty_total"],
        )
        if err == _BAD_ROW:
            _ = c["volume"][r]  # numpy's IndexError
        if err in (_BAD_DELIVERED, _BAD_OFFERED):
            name = "delivered" if err == _BAD_DELIVERED else "offered"
            raise ContractError(_OUT_OF_RANGE.format(name=name, n=r.size, shape=shape))
        if err == _OFFERED_BELOW:
            raise ContractError(
                "offered: a seller cannot make available less than its buyer received; "
                "pass offered >= delivered, row by row"
            )
        if index.ndim != 1:
            d, payment, penalty = d.reshape(shape), payment.reshape(shape), penalty.reshape(shape)
        return Settlement(index, d, payment, penalty)

    def columns(self) -> dict[str, NDArray[np.generic]]:
        """A copy of every column (for tables; ``kind`` is the index into :data:`KINDS`)."""
        return {name: col.copy() for name, col in self._cols.items()}
