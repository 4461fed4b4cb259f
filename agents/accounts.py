"""The model's books: one ledger per asset, account ids, and batched posting.

Money, chips, power and compute each have a :class:`market.ledger.Ledger`; a transfer of
a good and its payment are rows in two ledgers. Account :data:`OUTSIDE` is the outside
world (investors, end customers, fuel suppliers); every agent gets the account equal to
its Mesa ``unique_id`` (Mesa numbers agents from 1, so the ids never meet ``OUTSIDE``;
:meth:`Accounts.open` checks it).

Phases queue transfers with :meth:`Accounts.post` and the model books the queue with
:meth:`Accounts.flush` (one :meth:`market.ledger.Ledger.post_formed_runs` per ledger),
which keeps the ledger's per-call cost out of the hot path; anything that reads balances
flushes first.
A posting is copied into the ledger's queue buffers when it is made (payers and payees in
one array, amounts in another, scalars spread by the copy). Several postings of one
ledger that follow each other may be queued by one call (:meth:`Accounts.pay_each`,
:meth:`Accounts.post_each`): the same postings one by one, with less Python each. Transfers of zero in
postings of more than 64 rows (:data:`JOURNAL_EVERY_ROW`) are not journalled (they
change no balance; in scale mode most rows of a month's interest, borrowing and
write-offs are zero), except one row per call, so every reason posted in a month still
appears in the month's cash flows.

Scale mode's populations (small labs, enterprise buyers) are pooled in the journal
(:meth:`market.ledger.Ledger.pool`): each population gets an account of its own that
stands for its members in the journal (and in the cashflows table, by the population's
name), while their balances stay account by account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from market.compiled import compiled, maximum
from market.ledger import OUTSIDE, Ledger

__all__ = [
    "ASSETS",
    "JOURNAL_EVERY_ROW",
    "OUTSIDE",
    "OUTSIDE_NAME",
    "AccountError",
    "Accounts",
    "Posting",
]

OUTSIDE_NAME = "outside"
"""Name of the outside world's account (investors, end customers, lenders, suppliers;
:data:`OUTSIDE`) in the tables: no agent may take it."""

ASSETS = ("usd", "chips", "power_mwh", "compute_h100e_hours")
"""The assets booked: dollars, accelerator units, MWh, H100e-hours."""

JOURNAL_EVERY_ROW: Final = 64
"""Most rows of a posting the queue journals row for row, zeros included; of a longer
one only the rows other than zero are journalled (one row if all are zero)."""

IntArray = NDArray[np.int64]
Posting = tuple[IntArray, IntArray, NDArray[np.float64]]
"""A posting of :meth:`Accounts.pay_each`: payer ids, payee ids, amounts."""


class AccountError(ValueError):
    """Agent ids that would collide with the outside world's account."""


@dataclass
class Accounts:
    """Ledgers and the account ids of each kind of agent.

    Attributes
    ----------
    usd, chips, power, compute : Ledger
        One ledger per asset of :data:`ASSETS`.
    hyperscaler, utility, vendor, lab : ndarray of int
        Account id of each agent, in the order of the model's agent lists.
    """

    usd: Ledger
    chips: Ledger
    power: Ledger
    compute: Ledger
    hyperscaler: IntArray
    utility: IntArray
    vendor: IntArray
    lab: IntArray
    pool_names: dict[int, str] = field(default_factory=dict)
    """Name of each population's journal account (scale mode), by account id."""
    month_start_turnover: float = 0.0
    """Dollars booked before the current month (``usd.turnover`` at :meth:`set_step`): what
    the month's own transfers, and so the rounding of its balances, are measured from."""
    peak_month_turnover: float = 0.0
    """The largest month's dollar turnover among the months before the current one: the
    scale of rounding that earlier months left in balances nothing brings back to zero."""
    _queue: dict[str, _Queue] = field(default_factory=dict, repr=False)
    _usd_queue: _Queue | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def open(
        cls,
        hyperscaler: ArrayLike,
        utility: ArrayLike,
        vendor: ArrayLike,
        lab: ArrayLike,
        *,
        n_accounts: int | None = None,
        pools: Sequence[tuple[str, ArrayLike]] = (),
    ) -> Accounts:
        """Ledgers with accounts ``0..n_accounts-1`` (default: up to the largest id), at zero.

        Ids of other agents (regulators) may lie below ``n_accounts``; they hold nothing.
        Each ``(name, members)`` of ``pools`` (lab accounts of one population) gets one
        more account, after all others, that stands for the members in every journal.
        """
        ids = [
            np.asarray(x, dtype=np.int64).reshape(-1) for x in (hyperscaler, utility, vendor, lab)
        ]
        every = np.concatenate(ids)
        if every.size and (every <= OUTSIDE).any():
            raise AccountError(
                f"agent account ids must be > {OUTSIDE} (the outside world's account); "
                f"got {sorted(every[every <= OUTSIDE].tolist())}"
            )
        n = int(every.max()) + 1 if every.size else OUTSIDE + 1
        n = max(n, n_accounts or 0)
        out = cls(
            Ledger(n + len(pools), asset="usd"),
            Ledger(n + len(pools), asset="chips"),
            Ledger(n + len(pools), asset="power_mwh"),
            Ledger(n + len(pools), asset="compute_h100e_hours"),
            ids[0],
            ids[1],
            ids[2],
            ids[3],
        )
        for k, (name, members) in enumerate(pools):
            for led in out.ledgers:
                led.pool(members, into=n + k)
            out.pool_names[n + k] = name
        return out

    @property
    def ledgers(self) -> tuple[Ledger, Ledger, Ledger, Ledger]:
        """The four ledgers, in the order of :data:`ASSETS`."""
        return self.usd, self.chips, self.power, self.compute

    @cached_property
    def hyperscaler_utility(self) -> tuple[IntArray, IntArray]:
        """Hyperscaler and utility account of every pair, hyperscaler-major (built once)."""
        n_h, n_u = self.hyperscaler.size, self.utility.size
        return np.repeat(self.hyperscaler, n_u), np.tile(self.utility, n_h)

    @cached_property
    def outside(self) -> IntArray:
        """:data:`OUTSIDE` as a one-element array: the id of every row of a posting of
        :meth:`pay_each` or :meth:`post_each` (built once; read it, never write it)."""
        return np.array([OUTSIDE], dtype=np.int64)

    @cached_property
    def firms(self) -> IntArray:
        """Accounts of every firm: hyperscalers, labs, utilities, vendors (built once)."""
        return np.concatenate([self.hyperscaler, self.lab, self.utility, self.vendor])

    def set_step(self, month: int) -> None:
        """Stamp the rows booked from now on with ``month`` (and note the turnover so far,
        and the month just ended's if it is the largest yet)."""
        for led in self.ledgers:
            led.step = month
        self.peak_month_turnover = max(self.peak_month_turnover, self.month_turnover)
        self.month_start_turnover = self.usd.turnover

    @property
    def month_turnover(self) -> float:
        """Dollars booked since the month began (flushed transfers only)."""
        return self.usd.turnover - self.month_start_turnover

    def cash(self, ids: ArrayLike) -> NDArray[np.float64]:
        """Dollar balances of ``ids`` (flush first to include queued transfers)."""
        return self.usd.balance_of(np.asarray(ids, dtype=np.int64))

    def pay(self, payer: ArrayLike, payee: ArrayLike, amount: ArrayLike, reason: str) -> None:
        """Queue dollar transfers; negative amounts are booked as zero."""
        (self._usd_queue or self._open(self.usd)).put(payer, payee, amount, reason, True)

    def post(
        self, ledger: Ledger, payer: ArrayLike, payee: ArrayLike, amount: ArrayLike, reason: str
    ) -> None:
        """Queue transfers for ``ledger`` (broadcast like ``Ledger.post``)."""
        queue = self._queue.get(ledger.asset) or self._open(ledger)
        queue.put(payer, payee, amount, reason, False)

    def pay_each(self, postings: tuple[Posting, ...], reasons: tuple[str, ...]) -> None:
        """:meth:`pay` of each posting ``(payer, payee, amount)`` of ``postings``, with its
        reason of ``reasons``, in turn, in one call: the same rows, reasons and balances.

        Each amount is a float64 vector, each payer and payee an int64 vector of as many
        elements, or of one (the id of every row: :attr:`outside` for the outside world).

        Raises
        ------
        ValueError
            If ``postings`` and ``reasons`` differ in length (nothing is queued), or an id
            vector in size from its amounts (the postings before it are queued, as by
            :meth:`pay` one by one).
        """
        (self._usd_queue or self._open(self.usd)).put_each(postings, reasons, True)

    def post_each(
        self, ledger: Ledger, postings: tuple[Posting, ...], reasons: tuple[str, ...]
    ) -> None:
        """:meth:`post` of each posting ``(payer, payee, amount)`` of ``postings`` to
        ``ledger``, with its reason of ``reasons``, in turn, in one call (vectors as
        :meth:`pay_each` takes them)."""
        queue = self._queue.get(ledger.asset) or self._open(ledger)
        queue.put_each(postings, reasons, False)

    def _open(self, ledger: Ledger) -> _Queue:
        """The queue of ``ledger`` (made on its first posting)."""
        queue = self._queue.get(ledger.asset) or _Queue(ledger)
        self._queue[ledger.asset] = queue
        if ledger is self.usd:
            self._usd_queue = queue
        return queue

    def flush(self) -> None:
        """Book every queued transfer, one ``Ledger.post_formed_runs`` call per ledger."""
        for queue in self._queue.values():
            if queue.rows:
                queue.book()


class _Queue:
    """One ledger's queued postings: growable buffers of ids and amounts, and reason runs.

    ``ids`` holds payers (row 0) and payees (row 1); the journal keeps ids as int32
    while they fit (half the memory of int64). Reason codes are the ledger's, looked up
    once per name (a reason is registered when first posted, as ``Ledger.reason_code``).
    """

    def __init__(self, ledger: Ledger, capacity: int = 256) -> None:
        self.ledger = ledger
        kind = np.int32 if ledger.n_accounts < 2**31 else np.int64
        self.ids: NDArray[np.signedinteger[Any]] = np.empty((2, capacity), dtype=kind)
        self.amount: NDArray[np.float64] = np.empty(capacity)
        self.capacity = capacity
        self.rows = 0
        self.codes: list[int] = []
        self.counts: list[int] = []
        self._code: dict[str, int] = {}
        self._codes: dict[tuple[str, ...], list[int | None]] = {}  # put_each's reasons
        self._one = _OneId()

    def put(
        self, payer: ArrayLike, payee: ArrayLike, amount: ArrayLike, reason: str, clip: bool
    ) -> None:
        """Copy a posting into the buffers (amounts below zero as zero if ``clip``; of more
        than 64 rows, the zero ones left out as :func:`_append` says)."""
        one = self._one  # an account id (an int) as a one-element array, spread by _append
        p: NDArray[np.signedinteger[Any]] | None = None
        q: NDArray[np.signedinteger[Any]] | None = None
        if type(amount) is np.ndarray and amount.ndim == 1:
            # the common call: a vector of amounts, each id a vector of as many or an int
            a, shape = amount, amount.shape
            if type(payer) is int:
                p = one[payer]
            elif type(payer) is np.ndarray and payer.shape == shape:
                p = payer
            if type(payee) is int:
                q = one[payee]
            elif type(payee) is np.ndarray and payee.shape == shape:
                q = payee
        if p is None or q is None:
            p, q, a = _flat(payer, payee, amount, clip)
            clip = False  # (clipped by _flat)
        n = a.size
        if not n:
            return
        code = self._code.get(reason)
        if code is None:
            code = self._code[reason] = self.ledger.reason_code(reason)
        k = self.rows
        if k + n > self.capacity:
            self._grow(k + (n if n <= JOURNAL_EVERY_ROW else _kept(a, clip)))
        n = _append(self.ids, self.amount, k, p, q, a, clip)
        self.rows = k + n
        self.codes.append(code)
        self.counts.append(n)

    def put_each(self, postings: tuple[Posting, ...], reasons: tuple[str, ...], clip: bool) -> None:
        """:meth:`put` of each posting ``(payer, payee, amount)`` in turn (vectors as
        :meth:`Accounts.pay_each` takes them), without the checks and conversions of each
        call: a reason's code is looked up once per tuple of ``reasons``."""
        m = len(reasons)
        if len(postings) != m:
            raise ValueError(f"{len(postings)} postings for {m} reasons")
        codes = self._codes.get(reasons)
        if codes is None:  # (None: a reason not posted yet, registered when it is)
            codes = self._codes[reasons] = [self._code.get(x) for x in reasons]
        ids, amount, k, cap = self.ids, self.amount, self.rows, self.capacity
        try:
            for i, (p, q, a) in enumerate(postings):
                n = a.size
                if not n:  # (an empty posting queues nothing, as by put)
                    continue
                if k + n > cap:  # grown as by put
                    self.rows = k
                    self.put(p, q, a, reasons[i], clip)
                    ids, amount, k, cap = self.ids, self.amount, self.rows, self.capacity
                    continue
                code = codes[i]
                if code is None:
                    code = codes[i] = self._code_of(reasons[i])
                c = _append(ids, amount, k, p, q, a, clip)
                self.codes.append(code)
                self.counts.append(c)
                k += c
        finally:  # (the postings before a refused one stay queued, as by put)
            self.rows = k

    def _code_of(self, reason: str) -> int:
        """The ledger's code of ``reason`` (registered on its first posting)."""
        code = self._code.get(reason)
        if code is None:
            code = self._code[reason] = self.ledger.reason_code(reason)
        return code

    def _grow(self, rows: int) -> None:
        """Buffers for at least ``rows`` rows (twice as many as now, or more, if they hold
        fewer), the used part copied."""
        if rows <= self.capacity:
            return
        k = self.rows
        size = max(2 * self.capacity, rows)
        ids, amt = np.empty((2, size), dtype=self.ids.dtype), np.empty(size)
        ids[:, :k], amt[:k] = self.ids[:, :k], self.amount[:k]
        self.ids, self.amount, self.capacity = ids, amt, size

    def book(self) -> None:
        """Post the queue to the ledger and empty it.

        Buffers at least 7/8 used are handed to the ledger's journal as they are (the
        queue takes new ones of the same size), which spares copying a million-row month;
        the used part of others is copied. A journal that pooled rows keeps sums of its
        own, and the queue keeps its buffers.
        """
        k = self.rows
        copy = 8 * k < 7 * self.capacity  # (else handed over)
        kept = self.ledger.post_formed_runs(self.ids, self.amount, self.codes, self.counts, k, copy)
        if kept:  # once booked (a refused posting leaves the queue as it was)
            self.ids, self.amount = np.empty_like(self.ids), np.empty_like(self.amount)
        self.rows, self.codes, self.counts = 0, [], []


class _OneId(dict[int, NDArray[np.int64]]):
    """Account ids (ints) as one-element int64 arrays, each made on first use."""

    def __missing__(self, key: int) -> NDArray[np.int64]:
        one = self[key] = np.array([key], dtype=np.int64)
        return one


@compiled
def _append(
    ids: NDArray[np.signedinteger[Any]],
    amount: NDArray[np.float64],
    k: int,
    payer: NDArray[np.signedinteger[Any]],
    payee: NDArray[np.signedinteger[Any]],
    a: NDArray[np.float64],
    clip: bool,
) -> int:
    """Write a posting's rows into the queue's buffers from row ``k`` and return how many.

    Row by row: ``ids[0, k:end] = payer``, ``ids[1, k:end] = payee`` (an id array of one
    element spread over every row) and ``amount[k:end] = a``, or ``np.maximum(a, 0.0)``
    if ``clip``. Of a posting of more than :data:`JOURNAL_EVERY_ROW` rows only the rows
    whose amount (so clipped) is not zero are written, in order, or the first row alone
    when every amount is zero (zero transfers change no balance, ``x - 0.0 == x + 0.0 ==
    x``; the one row keeps the month's reason on the books): the rows ``keep`` of the
    arrays, with ``keep = ~(a <= 0.0)`` if ``clip`` else ``a != 0.0`` (nan is kept). An
    id array of neither one element nor ``a.size`` raises ``ValueError``, nothing written.
    """
    n = a.size
    if not ((payer.size == 1 or payer.size == n) and (payee.size == 1 or payee.size == n)):
        raise ValueError(
            "a posting's payer and payee ids must each be one id or one per amount: give "
            "an int, a one-element array, or an array as long as the amounts"
        )
    step_p = 1 if payer.size == n else 0
    step_q = 1 if payee.size == n else 0
    sparse = n > JOURNAL_EVERY_ROW
    j = k
    for i in range(n):
        v = maximum(a[i], 0.0) if clip else a[i]
        if sparse and v == 0.0:
            continue
        ids[0, j] = payer[i * step_p]
        ids[1, j] = payee[i * step_q]
        amount[j] = v
        j += 1
    if j == k and n:
        ids[0, j] = payer[0]
        ids[1, j] = payee[0]
        amount[j] = maximum(a[0], 0.0) if clip else a[0]
        j += 1
    return j - k


def _kept(amount: NDArray[np.float64], clip: bool) -> int:
    """Rows :func:`_append` writes of a posting of more than :data:`JOURNAL_EVERY_ROW` rows
    ``amount``."""
    m = int(np.count_nonzero(~(amount <= 0.0) if clip else amount != 0.0))
    return max(m, 1)


def _flat(
    payer: ArrayLike, payee: ArrayLike, amount: ArrayLike, clip: bool
) -> tuple[IntArray, IntArray, NDArray[np.float64]]:
    """Payer, payee and amount as int64, int64 and float64 vectors of one length (broadcast
    like numpy), amounts below zero as zero if ``clip`` (``np.maximum(amount, 0.0)``)."""
    p = np.asarray(payer, dtype=np.int64)
    q = np.asarray(payee, dtype=np.int64)
    v = np.asarray(amount, dtype=np.float64)
    if clip:
        v = np.maximum(v, 0.0)
    if not (v.ndim == 1 and p.shape == q.shape == v.shape):  # broadcasting is slow
        p, q, v = _broadcast(p, q, v)
    return p, q, v


def _broadcast(
    p: IntArray, q: IntArray, a: NDArray[np.float64]
) -> tuple[IntArray, IntArray, NDArray[np.float64]]:
    """``np.broadcast_arrays`` of payer, payee and amount, flattened; scalars by repetition.

    ``ndarray.repeat`` of a 0-d array is a single C call, cheaper than ``np.full``.
    """
    if p.ndim <= 1 and q.ndim <= 1 and a.ndim <= 1:
        n = max(p.size if p.ndim else 1, q.size if q.ndim else 1, a.size if a.ndim else 1)
        if (
            (p.size == n or not p.ndim)
            and (q.size == n or not q.ndim)
            and (a.size == n or not a.ndim)
        ):
            # one length: only scalars to spread
            return (
                p if p.ndim else p.repeat(n),
                q if q.ndim else q.repeat(n),
                a if a.ndim else a.repeat(n),
            )
    p, q, a = np.broadcast_arrays(p, q, a)
    return p.ravel(), q.ravel(), a.ravel()
