"""A population's transfers in the journal: summed per reason, payer and payee.

A scale-mode run holds up to two million small labs and enterprise buyers as arrays, and
each of them pays or is paid a few times a month. Journalled row by row, a million of them
add about 100 MB a month to a ledger's journal (12 GB over a ten-year run), and tens of
millions of rows to the cashflows table built from it. A :class:`JournalPools` names, for
some accounts (a population's members), one account that stands for all of them in the
journal (their *pool*); :func:`pooled_rows` replaces the rows of a posting that touch a
member by their sums per reason, payer and payee, the pool in place of the member. Rows
between other accounts stay as they are, in order, ahead of the sums. Balances are not
this module's business: the ledger moves them account by account, whatever it journals.

The sums are taken in row order (``np.bincount`` adds its weights one after the other), so
the same posting always gives the same journal rows. A group's sum is journalled even when
it is zero, as a row of a reason is kept for every reason posted.

>>> pools = JournalPools.of(6, [(np.array([3, 4]), 5)])
>>> p, q, a, r = pooled_rows(pools, np.array([1, 3, 4, 4]), np.array([2, 1, 1, 0]),
...                          np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 1, 1, 1]))
>>> p.tolist(), q.tolist(), a.tolist(), r.tolist()
([1, 5, 5], [2, 0, 1], [1.0, 4.0, 5.0], [0, 1, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
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
    """Which accounts a pool stands for in the journal.

    Attributes
    ----------
    member : ndarray of bool
        (accounts,) whether each account is journalled as its pool.
    code : ndarray of int32
        (accounts,) the journal party of each account, numbered densely: a member has
        its pool's number, every other account one of its own.
    party : ndarray of int
        (parties,) the account id of each number.
    """

    member: NDArray[np.bool_]
    code: NDArray[np.int32]
    party: IntArray

    @classmethod
    def of(cls, n_accounts: int, pools: Sequence[tuple[IntArray, int]]) -> JournalPools:
        """Pools over ``n_accounts`` accounts, each given as ``(members, pool account)``.

        The caller (:meth:`market.ledger.Ledger.pool`) has checked the ids.
        """
        member = np.zeros(n_accounts, dtype=bool)
        into = np.arange(n_accounts, dtype=np.int64)
        for members, pool in pools:
            member[members] = True
            into[members] = pool
        party = np.flatnonzero(~member).astype(np.int64)
        number = np.full(n_accounts, -1, dtype=np.int64)
        number[party] = np.arange(party.size)
        return cls(member, number[into].astype(np.int32), party)

    def opened(self, k: int) -> JournalPools:
        """The same pools after ``k`` more accounts were opened (each its own party)."""
        n, m = self.member.size, self.party.size
        return JournalPools(
            np.concatenate((self.member, np.zeros(k, dtype=bool))),
            np.concatenate((self.code, np.arange(m, m + k, dtype=np.int32))),
            np.concatenate((self.party, np.arange(n, n + k))),
        )


def pooled_rows(
    pools: JournalPools, p: Ints, q: Ints, a: NDArray[np.float64], r: Ints
) -> tuple[Ints, Ints, NDArray[np.float64], Ints]:
    """Rows ``p -> q`` of amount ``a`` and reason ``r`` as the journal keeps them.

    Rows between accounts outside every pool, in order, then one row per (reason, payer,
    payee) of the rest, pools in place of their members, in the order of that key, with
    the sum of its amounts. The arrays given are returned when no row touches a pool.

    A scale-mode month posts millions of rows and nearly all touch a pool, so nothing is
    copied by mask: every row gets its group's key, the few rows outside the pools a key
    past the last group, and ``np.bincount`` sums the groups, :data:`CHUNK` rows at a
    time (temporaries small enough for the allocator to reuse month after month, where
    larger ones are fresh memory each time, slow to fault in on some machines).
    """
    m = pools.party.size
    n_groups = (int(r.max()) + 1) * m * m if r.size else 0
    if n_groups >= DENSE_GROUPS:
        return _pooled_rows_sorted(pools, p, q, a, r)
    count = np.zeros(n_groups + 1, dtype=np.int64)
    sums = np.zeros(n_groups + 1)
    rest: list[IntArray] = []
    for i in range(0, a.size, CHUNK):
        part = slice(i, i + CHUNK)
        touched = pools.member[p[part]]
        touched |= pools.member[q[part]]
        if not touched.all():
            rest.append(np.flatnonzero(~touched) + i)  # rows outside the pools, in order
        key = np.multiply(r[part], m * m, dtype=np.int32)
        key += pools.code[p[part]] * m
        key += pools.code[q[part]]
        key[~touched] = n_groups  # a bin of their own, dropped
        count += np.bincount(key, minlength=n_groups + 1)
        sums += np.bincount(key, a[part], minlength=n_groups + 1)
    if not count[:n_groups].any():
        return p, q, a, r
    groups = np.flatnonzero(count[:n_groups])
    keep = np.concatenate(rest) if rest else np.zeros(0, dtype=np.int64)
    return _with_sums(pools, (p, q, a, r), keep, groups, sums[groups])


def _pooled_rows_sorted(
    pools: JournalPools, p: Ints, q: Ints, a: NDArray[np.float64], r: Ints
) -> tuple[Ints, Ints, NDArray[np.float64], Ints]:
    """:func:`pooled_rows` with the groups found by sorting (too many for a dense count)."""
    touched = pools.member[p] | pools.member[q]
    if not touched.any():
        return p, q, a, r
    m = pools.party.size
    key = r[touched].astype(np.int64) * (m * m)
    key += pools.code[p[touched]].astype(np.int64) * m
    key += pools.code[q[touched]]
    groups, where = np.unique(key, return_inverse=True)
    sums = np.bincount(where, a[touched], minlength=groups.size)
    return _with_sums(pools, (p, q, a, r), np.flatnonzero(~touched), groups, sums)


def _with_sums(
    pools: JournalPools,
    rows: tuple[Ints, Ints, NDArray[np.float64], Ints],
    keep: IntArray,
    groups: IntArray,
    sums: NDArray[np.float64],
) -> tuple[Ints, Ints, NDArray[np.float64], Ints]:
    """The rows ``keep`` of ``rows``, then one row per group key with its sum."""
    p, q, a, r = rows
    m = pools.party.size
    reason, pair = np.divmod(groups, m * m)
    payer, payee = np.divmod(pair, m)
    return (
        np.concatenate((p[keep], pools.party[payer].astype(p.dtype))),
        np.concatenate((q[keep], pools.party[payee].astype(q.dtype))),
        np.concatenate((a[keep], sums)),
        np.concatenate((r[keep], reason.astype(r.dtype))),
    )
