"""A vectorized double-entry ledger: every payment is a row (payer, payee, amount, reason).

Money (and any good booked the same way) moves only by
transfers between accounts, so the sum of all balances, the outside world's account
included, is constant. Every account starts at zero and the outside world (account
``OUTSIDE``) funds initial endowments, so that constant is zero.

One :class:`Ledger` books one asset (``"usd"``, ``"chips"``...): a transfer of a
good and the payment for it are two rows in two ledgers. The journal keeps every row,
unless accounts are pooled with :meth:`Ledger.pool` (a scale-mode population): then it
keeps each posting summed per reason, payer and payee, a pool standing for its members
(:mod:`market.pooling`). Balances move account by account either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from market.ledger_kernels import move as _move
from market.ledger_kernels import post_rows as _post_rows
from market.pooling import JournalPools, pooled_rows

__all__ = ["OUTSIDE", "Ledger", "LedgerError"]

OUTSIDE = 0
"""Account id of the outside world (investors, end customers, fuel suppliers...)."""

_Piece = tuple[
    int,
    int,
    tuple[NDArray[np.signedinteger[Any]], NDArray[np.signedinteger[Any]]]
    | NDArray[np.signedinteger[Any]],
    NDArray[np.float64],
    Sequence[int] | NDArray[np.signedinteger[Any]],
    Sequence[int] | None,
]
"""One posting in the journal: its step, its number of rows, payers and payees (two
arrays, or one (2, n) array from :meth:`Ledger.post_runs`), amounts, and reasons: a
code per row (from :meth:`Ledger.post`) with ``None``, or runs ``codes, counts`` (from
``post_runs``), expanded only by :meth:`Ledger.entries`."""


def _ints(x: ArrayLike) -> NDArray[np.signedinteger[Any]]:
    """``x`` as an array of ints: int16/int32/int64 arrays as they are, anything else int64
    (a number that is not whole, such as an account id of 1.9, is refused, not truncated)."""
    if isinstance(x, np.ndarray) and x.dtype in (np.int16, np.int32, np.int64):
        return x
    given = np.asarray(x)
    out = given.astype(np.int64, copy=False)
    if given.dtype.kind not in "iu" and not np.array_equal(out, given):  # (ints are whole)
        raise LedgerError(f"ids {x!r}: account ids and reason codes are whole numbers")
    return out


class LedgerError(ValueError):
    """A transfer that cannot be booked, or a ledger whose books do not balance."""


class Ledger:
    """Balances of ``n_accounts`` accounts of one asset, changed only by transfers.

    Parameters
    ----------
    n_accounts : int
        Accounts to open now, the outside world (id 0) included; at least 1.
    asset : str
        Name of what is booked, for messages and reports.
    tolerance : float
        Relative tolerance of :meth:`check` (floating-point sums are not exact).

    Examples
    --------
    >>> led = Ledger(3)
    >>> led.post(OUTSIDE, [1, 2], [100.0, 50.0], led.reason_code("endowment"))
    >>> led.balances.tolist()
    [-150.0, 100.0, 50.0]
    >>> led.total()
    0.0
    """

    _view: NDArray[np.float64] = np.zeros(0)
    """The read-only view of the balances handed out by :attr:`balances`; a view of no
    ledger's balances until the first access (also in a ledger pickled before it was kept)."""

    def __init__(self, n_accounts: int, *, asset: str = "usd", tolerance: float = 1e-9) -> None:
        if isinstance(n_accounts, bool) or not isinstance(n_accounts, int) or n_accounts < 1:
            raise LedgerError(
                f"n_accounts = {n_accounts!r}: must be a whole number >= 1 (account 0 is the outside world)"
            )
        self.asset = asset
        self.tolerance = tolerance
        self.step = 0
        self._balances = np.zeros(n_accounts)
        self._turnover = 0.0
        self._reasons: dict[str, int] = {}
        self._pieces: list[_Piece] = []  # the journal, a piece per posting
        self._pools: JournalPools | None = None  # accounts journalled as their pool

    @property
    def n_accounts(self) -> int:
        """Number of open accounts, the outside world included."""
        return int(self._balances.size)

    @property
    def balances(self) -> NDArray[np.float64]:
        """Current balance of every account (a read-only view).

        One view is kept and handed out while it is a view of the current balances; a
        new one is made after accounts are opened (new balances) or in a copy of the
        ledger (``copy.deepcopy``, ``pickle``), whose kept view is no view of its own
        balances.
        """
        view = self._view
        if view.base is not self._balances:
            view = self._view = self._balances.view()
            view.setflags(write=False)
        return view

    def balance_of(self, ids: NDArray[np.signedinteger[Any]]) -> NDArray[np.float64]:
        """Balances of the accounts ``ids`` (a copy).

        >>> led = Ledger(3)
        >>> led.post(OUTSIDE, 2, 5.0, led.reason_code("x"))
        >>> led.balance_of(np.array([2, 1])).tolist()
        [5.0, 0.0]
        """
        out: NDArray[np.float64] = self._balances[ids]
        return out

    def open(self, k: int) -> NDArray[np.int64]:
        """Open ``k`` new accounts at zero balance and return their ids."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise LedgerError(
                f"k = {k!r}: the number of accounts to open must be a whole number >= 0"
            )
        start = self._balances.size
        self._balances = np.concatenate([self._balances, np.zeros(k)])
        if self._pools is not None:
            self._pools = self._pools.opened(k)
        return np.arange(start, start + k, dtype=np.int64)

    def pool(self, members: ArrayLike, into: int) -> None:
        """Journal the transfers of the accounts ``members`` as account ``into``'s.

        From now on each posting is journalled as one row per reason, payer and payee,
        ``into`` standing for the members, with the sum of the amounts
        (:func:`market.pooling.pooled_rows`); balances still move account by account, so
        :meth:`check` and :meth:`balance_of` are unchanged. For a population of accounts
        too many to journal row by row (scale mode). ``into`` is an account of its own
        (it is not a member, nor the outside world); it holds nothing.

        >>> led = Ledger(5)
        >>> led.pool([2, 3], into=4)
        >>> led.post(1, [2, 3], [5.0, 7.0], led.reason_code("sale"))
        >>> led.balance_of(np.array([2, 3])).tolist(), led.entries()["payee"].tolist()
        ([5.0, 7.0], [4])
        """
        ids = _ints(members).reshape(-1)
        n = self._balances.size
        if not (0 < into < n) or isinstance(into, bool):
            raise LedgerError(
                f"into = {into!r}: the pool's account must be an open account other than "
                f"the outside world ({OUTSIDE}); open one with Ledger.open(1)"
            )
        if ids.size and (ids.min() <= OUTSIDE or ids.max() >= n or (ids == into).any()):
            raise LedgerError(
                f"members: ids must be open accounts (0 < id < {n}) other than into = {into}; "
                f"got ids from {int(ids.min())} to {int(ids.max())}"
            )
        pools = self._pools or JournalPools.none(n)
        if pools.pooled(np.append(ids, into)).any():
            raise LedgerError(
                f"members or into = {into}: already in a pool; an account joins one pool only"
            )
        self._pools = pools.with_pool(ids, into)

    def reason_code(self, name: str) -> int:
        """The stable integer code of a transfer reason, registered on first use."""
        return self._reasons.setdefault(name, len(self._reasons))

    @property
    def reasons(self) -> dict[int, str]:
        """Code -> name of every registered reason."""
        return {code: name for name, code in self._reasons.items()}

    def post(
        self,
        payer: ArrayLike,
        payee: ArrayLike,
        amount: ArrayLike,
        reason: ArrayLike,
        *,
        copy: bool = True,
    ) -> None:
        """Book transfers ``amount`` from ``payer`` to ``payee`` (broadcast, vectorized).

        With ``copy=False`` the caller hands the arrays over (it must not change them
        afterwards) and the journal keeps them without a copy. Ids and reasons given as
        int16 or int32 arrays are journalled so (half the memory of int64);
        :meth:`entries` returns int64.

        Raises
        ------
        LedgerError
            If an account id is unknown, an amount is negative or not finite, or a
            reason code was never registered. Nothing is booked then.
        """
        p, q, a, r = _ints(payer), _ints(payee), np.asarray(amount, dtype=np.float64), _ints(reason)
        if not (p.ndim == 1 and p.shape == q.shape == a.shape == r.shape):
            p, q, a, r = np.broadcast_arrays(p, q, a, r)  # slow: only when needed
            p, q, a, r = p.ravel(), q.ravel(), a.ravel(), r.ravel()
        if a.size == 0:
            return
        n = self._balances.size
        lo, hi, total = np.minimum.reduce, np.maximum.reduce, float(np.add.reduce(a))
        if not (  # a few reductions when all is well; else name the bad entry
            min(lo(p), lo(q)) >= 0
            and max(hi(p), hi(q)) < n
            and lo(a) >= 0.0  # false for nan
            and total < np.inf  # amounts >= 0: false for inf
            and lo(r) >= 0
            and hi(r) < len(self._reasons)
        ):
            self._refuse(p, q, a, r)
        self._book(p, q, a, total, r, copy)

    def post_runs(
        self,
        ids: NDArray[np.signedinteger[Any]],
        amount: NDArray[np.float64],
        codes: Sequence[int],
        counts: Sequence[int],
        *,
        copy: bool = False,
        rows: int | None = None,
    ) -> bool:
        """Book a batch of transfers: ``ids[0]`` pays ``amount`` to ``ids[1]``, in runs of one reason.

        The fast form of :meth:`post` for a caller that collects many postings (as
        :meth:`agents.accounts.Accounts.flush` does, by :meth:`post_formed_runs`, as its
        runs need no check): ``ids`` is a (2, n) array of payer and payee ids (int32 or
        int64), ``amount`` an (n,) float64 array, and the rows
        come in runs: ``counts[k]`` rows of reason ``codes[k]``. Nothing is broadcast.
        With ``rows``, only the first ``rows`` columns are booked (the used part of a
        caller's buffers, which spares it cutting them). Returns whether the journal kept
        the arrays given (their used part), without a copy (the caller must not change
        them then): it does unless ``copy`` or accounts are pooled.

        Raises
        ------
        LedgerError
            As :meth:`post`. Nothing is booked then.
        """
        m = amount.size if rows is None else rows
        if m == 0:
            return False
        if not (
            ids.ndim == 2 and ids.shape == (2, amount.size) and sum(counts) == m <= amount.size
        ):
            raise LedgerError(
                f"ids of shape {ids.shape}, amount of shape {amount.shape} and runs of "
                f"{sum(counts)} rows: need (2, n), (n,) and n rows"
            )
        if not (min(codes) >= 0 and max(codes) < len(self._reasons)):
            self._refuse(ids[0, :m], ids[1, :m], amount[:m], np.repeat(np.asarray(codes), counts))
        return self.post_formed_runs(ids, amount, codes, counts, m, copy)

    def post_formed_runs(
        self,
        ids: NDArray[np.signedinteger[Any]],
        amount: NDArray[np.float64],
        codes: Sequence[int],
        counts: Sequence[int],
        rows: int,
        copy: bool,
    ) -> bool:
        """:meth:`post_runs` of runs known to be well formed, without checking them.

        For a caller that builds its runs so (as :meth:`agents.accounts.Accounts.flush`
        does): ``ids`` of shape (2, n) and ``amount`` of shape (n,), ``rows`` between 1
        and n, ``counts`` summing to ``rows`` and every code of ``codes`` one that
        :meth:`reason_code` gave. Ids and amounts are checked as by :meth:`post_runs`.

        Raises
        ------
        LedgerError
            As :meth:`post`. Nothing is booked then.
        """
        m = rows
        pools = self._pools
        copy = copy and pools is None  # a pooled journal keeps sums of its own
        kept_ids, kept = (np.empty((2, m), ids.dtype), np.empty(m)) if copy else (ids, amount)
        total = _post_rows(self._balances, ids, amount, m, kept_ids, kept, copy)
        if total < 0.0:  # refused, nothing moved
            self._refuse(ids[0, :m], ids[1, :m], amount[:m], np.repeat(np.asarray(codes), counts))
        self._turnover += total
        if pools is not None:
            r = np.repeat(np.asarray(codes, np.int32), counts)
            p, q, a, r = pooled_rows(pools, ids[0, :m], ids[1, :m], amount[:m], r)
            self._journal(p, q, a, r)
            return False
        if not copy and m < amount.size:
            kept_ids, kept = ids[:, :m], amount[:m]
        self._pieces.append((self.step, m, kept_ids, kept, codes, counts))
        return not copy

    def _book(
        self,
        p: NDArray[np.signedinteger[Any]],
        q: NDArray[np.signedinteger[Any]],
        a: NDArray[np.float64],
        total: float,
        r: NDArray[np.signedinteger[Any]],
        copy: bool,
    ) -> None:
        """Move the balances (payers first, in row order) and journal the checked rows
        (``r``: a reason code per row); with pools, summed (:meth:`pool`)."""
        _move(self._balances, p, q, a)
        self._turnover += total
        if self._pools is not None:  # the journal keeps sums of its own
            p, q, a, r = pooled_rows(self._pools, p, q, a, r)
        elif copy:
            p, q, a, r = p.copy(), q.copy(), a.copy(), r.copy()
        self._journal(p, q, a, r)

    def _journal(
        self,
        p: NDArray[np.signedinteger[Any]],
        q: NDArray[np.signedinteger[Any]],
        a: NDArray[np.float64],
        r: NDArray[np.signedinteger[Any]],
    ) -> None:
        """Journal rows of this step: payers ``p``, payees ``q``, amounts ``a``, a reason
        code per row ``r``."""
        self._pieces.append((self.step, a.size, (p, q), a, r, None))

    def _refuse(
        self,
        p: NDArray[np.signedinteger[Any]],
        q: NDArray[np.signedinteger[Any]],
        a: NDArray[np.float64],
        r: NDArray[np.signedinteger[Any]],
    ) -> None:
        """Raise :class:`LedgerError` naming the first bad id, amount or reason."""
        n = self._balances.size
        for name, ids in (("payer", p), ("payee", q)):
            bad = (ids < 0) | (ids >= n)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise LedgerError(
                    f"{name}[{i}] = {ids[i]}: no such account; open it with Ledger.open() first (0 <= id < {n})"
                )
        bad = ~np.isfinite(a) | (a < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LedgerError(
                f"amount[{i}] = {float(a[i])!r}: must be finite and >= 0; swap payer and payee to reverse a flow"
            )
        unknown = (r < 0) | (r >= len(self._reasons))
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise LedgerError(
                f"reason[{i}] = {r[i]}: unregistered; get codes from Ledger.reason_code(name)"
            )
        # every entry is fine alone, and their sum overflows
        with np.errstate(over="ignore"):
            total = float(np.add.reduce(a))
        raise LedgerError(
            f"amounts sum to {total!r} over {a.size} entries, past the largest float: book "
            "them in smaller units or fewer at a time"
        )

    @property
    def turnover(self) -> float:
        """Sum of every amount booked so far: the scale of the books' rounding."""
        return self._turnover

    def total(self) -> float:
        """Sum of all balances, the outside world included: zero while books balance."""
        return float(self._balances.sum())

    def check(self) -> None:
        """Raise :class:`LedgerError` unless the sum of all balances is zero (to tolerance).

        The tolerance is relative to the turnover booked so far, since every transfer
        adds one rounding error of at most one ulp of its amount to the sum.
        """
        scale = max(1.0, self._turnover)
        if not abs(self.total()) <= self.tolerance * scale:  # (a nan sum does not balance)
            raise LedgerError(
                f"{self.asset} ledger does not balance: sum of balances = {self.total():.6g} "
                f"(turnover {self._turnover:.6g}); a balance was changed outside Ledger.post"
            )

    def entries(self) -> dict[str, NDArray[np.generic]]:
        """Every booked transfer as arrays: ``step, payer, payee, amount, reason``."""
        if not self._pieces:
            empty = np.zeros(0, dtype=np.int64)
            return {
                "step": empty,
                "payer": empty,
                "payee": empty,
                "amount": np.zeros(0),
                "reason": empty,
            }
        steps, sizes, rows, amounts, reasons, runs = zip(*self._pieces, strict=True)
        if any(type(r) is tuple for r in rows):
            payer, payee = (np.concatenate(c, dtype=np.int64) for c in zip(*rows, strict=True))
        else:  # every piece's ids one (2, n) array (from post_runs): one concatenation
            payer, payee = np.concatenate(rows, axis=1, dtype=np.int64)
        return {
            "step": np.repeat(np.array(steps, dtype=np.int64), sizes),
            "payer": payer,
            "payee": payee,
            "amount": np.concatenate(amounts),
            "reason": _reason_codes(reasons, runs),
        }


def _reason_codes(
    reasons: Sequence[Sequence[int] | NDArray[np.signedinteger[Any]]],
    runs: Sequence[Sequence[int] | None],
) -> NDArray[np.int64]:
    """The journal's reason codes, row by row, from its pieces' reasons and runs (a code
    per row where ``runs`` is None, else ``codes, counts``: runs expanded together)."""
    pieces: list[NDArray[np.signedinteger[Any]]] = []
    codes: list[int] = []
    counts: list[int] = []
    for r, n in zip(reasons, runs, strict=True):
        if n is None:  # a code per row
            if codes:
                pieces.append(np.repeat(np.array(codes, dtype=np.int64), counts))
                codes, counts = [], []
            pieces.append(np.asarray(r))
        else:
            codes += r
            counts += n
    if codes:
        pieces.append(np.repeat(np.array(codes, dtype=np.int64), counts))
    return np.concatenate(pieces, dtype=np.int64)
