"""A vectorized table of bilateral contracts, settled before the spot market.

A contract is a row (kind, seller, buyer, monthly
volume, price, start, end, take-or-pay, exclusivity). Each month the active rows are
settled at once: a seller's deliverable quantity is shared pro rata among its
contracts, a take-or-pay buyer pays for all the seller makes available whether it takes it
or not, and a seller that delivers short owes ``penalty_rate x price`` per unit it did not
make available. What contracts do not cover clears in the spot market. Pure numpy, no Mesa.

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

from market.compiled import compiled, minimum

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
        out.flags.writeable = False
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
        c = cast(dict[str, NDArray[np.float64]], self._cols)  # one lookup per column
        vol = c["volume"][r]
        d = self._within(r, vol, delivered, "delivered")
        o = d if offered is None else self._within(r, vol, offered, "offered")
        if offered is not None and (o < d).any():
            raise ContractError(
                "offered: a seller cannot make available less than its buyer received; "
                "pass offered >= delivered, row by row"
            )
        price = c["price"][r]
        payment = price * np.where(c["take_or_pay"][r], o, d)
        penalty = c["penalty_rate"][r] * price * (vol - o)
        np.add.at(c["delivered_total"], r, d)
        np.add.at(c["paid_total"], r, payment)
        np.add.at(c["penalty_total"], r, penalty)
        return Settlement(r, d, payment, penalty)

    @staticmethod
    def _within(
        r: NDArray[np.int64], vol: NDArray[np.float64], q: ArrayLike, name: str
    ) -> NDArray[np.float64]:
        """``q`` as floats, a quantity within tolerance of the volume read as the volume."""
        x = np.asarray(q, dtype=np.float64)
        tol = DELIVERY_TOLERANCE
        if (
            x.shape != r.shape
            or not np.isfinite(x).all()  # nan passes both comparisons below
            or (x < -tol).any()
            or (x > vol * (1 + tol) + tol).any()
        ):
            raise ContractError(
                f"{name}: must have one entry per row ({r.size} rows, got shape {x.shape}), "
                "each a number within [0, volume]"
            )
        out: NDArray[np.float64] = np.where(x >= vol * (1 - tol), vol, x.clip(0.0, vol))
        return out

    def columns(self) -> dict[str, NDArray[np.generic]]:
        """A copy of every column (for tables; ``kind`` is the index into :data:`KINDS`)."""
        return {name: col.copy() for name, col in self._cols.items()}
