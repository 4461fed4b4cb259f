"""A population's transfers in the journal: summed per reason, payer and payee.

A scale-mode run holds up to two million small labs and enterprise buyers as arrays, and
each of them pays or is paid a few times a month. Journalled row by row, a million of them
add about 100 MB a month to a ledger's journal (12 GB over a ten-year run), and tens of
millions of rows to the cashflows table built from it. A :class:`JournalPools` names, for
some accounts (a population's members), one account that stands for all of them in the
journal (their *pool*); :func:`pooled_rows` turns a batch of postings into one row per
reason, payer and payee, the pool in place of each member, with the sum of the amounts.
Rows between other accounts are summed the same way (nearly every row of a scale-mode
month touches a population, and telling the others apart would cost more than it saves);
the cashflows table sums them per month, reason, payer and payee anyway. Balances are not
this module's business: the ledger moves them account by account, whatever it journals.

The sums are taken in row order (``np.bincount`` adds its weights one after the other,
:data:`CHUNK` rows at a time), so the same postings always give the same journal rows. A
group's sum is journalled even when it is zero, as a row of a reason is kept for every
reason posted.

>>> pools = JournalPools.none(6).with_pool(np.array([3, 4]), 5)
>>> p, q, a, r = pooled_rows(pools, np.array([1, 3, 4, 4]), np.array([2, 1, 1, 0]),
...                          np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 1, 1, 1]))
>>> p.tolist(), q.tolist(), a.tolist(), r.tolist()
([1, 5, 5], [2, 0, 1], [1.0, 4.0, 5.0], [0, 1, 1])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CHUNK", "DENSE_GROUPS", "JournalPools", "pooled_rows"]

IntArray = NDArray[np.int64]
Ints = NDArray[np.signedinteger[Any]]

DENSE_GROUPS = 1 << 22
"""(reason, payer, payee) groups up to which one dense ``np.bincount`` sums them (32 MB of
sums, int32 keys); beyond, the groups present are found by sorting (``np.unique``)."""

CHUNK = 1 << 20
"""Rows keyed and counted at a time (temporaries of 4 to 8 MB)."""


@dataclass(frozen=True)
class JournalPools:
    """Which account stands for each account in the journal.

    Attributes
    ----------
    into : ndarray of int
        (accounts,) the account each account is journalled as: its pool's for a member,
        its own for any other.
    code : ndarray of int32
        (accounts,) the journal party of each account, numbered densely: a member has
        its pool's number, every other account one of its own.
    party : ndarray of int
        (parties,) the account id of each number.
    """

    into: IntArray
    code: NDArray[np.int32]
    party: IntArray

    @classmethod
    def of(cls, into: IntArray) -> JournalPools:
        """The pools that journal each account ``i`` as ``into[i]`` (``i`` itself or a
        pool account that is its own)."""
        party = np.flatnonzero(into == np.arange(into.size)).astype(np.int64)
        number = np.full(into.size, -1, dtype=np.int64)
        number[party] = np.arange(party.size)
        return cls(into, number[into].astype(np.int32), party)

    @classmethod
    def none(cls, n_accounts: int) -> JournalPools:
        """``n_accounts`` accounts, each journalled as itself."""
        return cls.of(np.arange(n_accounts, dtype=np.int64))

    def with_pool(self, members: IntArray, pool: int) -> JournalPools:
        """These pools and one more: ``members`` journalled as ``pool``.

        The caller (:meth:`market.ledger.Ledger.pool`) has checked the ids.
        """
        into = self.into.copy()
        into[members] = pool
        return JournalPools.of(into)

    def pooled(self, ids: IntArray) -> NDArray[np.bool_]:
        """Whether each of ``ids`` is a member of a pool."""
        out: NDArray[np.bool_] = self.into[ids] != ids
        return out

    def opened(self, k: int) -> JournalPools:
        """The same pools after ``k`` more accounts were opened (each its own party)."""
        n = self.into.size
        return JournalPools.of(np.concatenate((self.into, np.arange(n, n + k))))


def pooled_rows(
    pools: JournalPools, p: Ints, q: Ints, a: NDArray[np.float64], r: Ints
) -> tuple[Ints, Ints, NDArray[np.float64], Ints]:
    """Rows ``p -> q`` of amount ``a`` and reason ``r`` as the journal keeps them.

    One row per (reason, payer, payee), pools in place of their members, in the order of
    that key, with the sum of its amounts. The key of each row is its parties' numbers
    and its reason, and ``np.bincount`` sums the groups :data:`CHUNK` rows at a time
    (temporaries small enough for the allocator to reuse month after month, where larger
    ones are fresh memory each time, slow to fault in on some machines).
    """
    m = pools.party.size
    n_groups = (int(r.max()) + 1) * m * m if r.size else 0
    if n_groups >= DENSE_GROUPS:
        key = r.astype(np.int64) * (m * m)
        key += pools.code[p].astype(np.int64) * m
        key += pools.code[q]
        groups, where = np.unique(key, return_inverse=True)
        sums = np.bincount(where, a, minlength=groups.size)
    else:
        count = np.zeros(n_groups, dtype=np.int64)
        total = np.zeros(n_groups)
        for i in range(0, a.size, CHUNK):
            part = slice(i, i + CHUNK)
            key = np.multiply(r[part], m * m, dtype=np.int32)
            key += pools.code[p[part]] * m
            key += pools.code[q[part]]
            count += np.bincount(key, minlength=n_groups)
            total += np.bincount(key, a[part], minlength=n_groups)
        groups = np.flatnonzero(count)
        sums = total[groups]
    reason, pair = np.divmod(groups, m * m)
    payer, payee = np.divmod(pair, m)
    # the caller's type, unless a pool's id does not fit it (int16 ids, a pool at 40,001);
    # the parties ascend (JournalPools.of), so the largest is the last
    top = int(pools.party[-1]) if pools.party.size else 0
    return (
        pools.party[payer].astype(p.dtype if top <= np.iinfo(p.dtype).max else np.int64),
        pools.party[payee].astype(q.dtype if top <= np.iinfo(q.dtype).max else np.int64),
        sums,
        reason.astype(r.dtype),
    )
