"""The contracts and cashflows tables: what was signed and what was paid, by name.

Built from the run's :class:`market.contracts.ContractTable` and its dollar ledger
(:class:`agents.accounts.Accounts`) rather than from the recorder: one row per contract,
and the ledger's transfers summed per month, reason, payer and payee. Parties are named
(the outside world, which funds and is paid by the firms, is :data:`OUTSIDE_NAME`); dates
and missing values as in :mod:`agents.table_labels`, the columns made by
:mod:`agents.table_arrays`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from agents.accounts import OUTSIDE, OUTSIDE_NAME, Accounts
from agents.columns import TABLE_COLUMNS
from agents.contracting import party
from agents.firm import Firm
from agents.scenario import FAMILIES
from agents.state import FloatArray, IntArray
from agents.table_arrays import code_strings, month_dates, nullable, string_column
from agents.table_labels import with_date
from market.compiled import compiled
from market.contracts import KINDS, ContractTable

__all__ = ["OUTSIDE_NAME", "cashflows_table", "contracts_table"]


def _account_names(
    ids: ArrayLike, agents_by_id: dict[int, Firm], pool_names: dict[int, str]
) -> pd.Series:
    """Agent names of ledger account ids; the outside world is :data:`OUTSIDE_NAME`, a
    scale-mode population's journal account the population's name."""
    uniq, where = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
    names = _names(agents_by_id, pool_names)
    lookup = np.asarray([names.get(int(i), f"account-{int(i)}") for i in uniq], dtype=object)
    return pd.Series(lookup[where] if len(uniq) else [], dtype="string")


def _names(agents_by_id: dict[int, Firm], pool_names: dict[int, str]) -> dict[int, str]:
    """Ledger account id -> name: agents, scale-mode populations and the outside world."""
    return {int(i): f.name for i, f in agents_by_id.items()} | pool_names | {OUTSIDE: OUTSIDE_NAME}


def contracts_table(
    contracts: ContractTable,
    accounts: Accounts,
    agents_by_id: dict[int, Firm],
    regions: Sequence[str],
    start: str | None,
) -> pd.DataFrame:
    """One row per contract signed so far: kind, parties by name, terms and totals to date.

    A chip family or region that does not apply (or any) is ``<NA>``, as is a contract that
    came from no deal.
    """
    cols = contracts.columns()
    kinds = [KINDS[int(k)] for k in cols["kind"]]
    sellers = [
        agents_by_id[party(accounts, k, int(s), seller=True)].name
        for k, s in zip(kinds, cols["seller"], strict=True)
    ]
    buyers = [
        agents_by_id[party(accounts, k, int(b), seller=False)].name
        for k, b in zip(kinds, cols["buyer"], strict=True)
    ]
    columns = {
        "kind": string_column(kinds, dtype="string"),
        "seller": string_column(sellers, dtype="string"),
        "buyer": string_column(buyers, dtype="string"),
        "volume": cols["volume"],
        "price": cols["price"],
        "start": cols["start"],
        "end": cols["end"],
        "start_date": month_dates(start, cols["start"]),
        "end_date": month_dates(start, cols["end"]),
        "take_or_pay": cols["take_or_pay"],
        "exclusive": cols["exclusive"],
        "penalty_rate": cols["penalty_rate"],
        "family": code_strings(cols["family"], FAMILIES),
        "region": code_strings(cols["region"], regions),
        "deal": nullable(cols["deal"]),
        "delivered_total": cols["delivered_total"],
        "paid_total": cols["paid_total"],
        "penalty_total": cols["penalty_total"],
    }
    return pd.DataFrame({c.name: columns[c.name] for c in TABLE_COLUMNS["contracts"]})


def cashflows_table(
    accounts: Accounts, agents_by_id: dict[int, Firm], start: str | None
) -> pd.DataFrame:
    """Dollars per month, reason, payer and payee (grouped on ids, then named).

    The four keys are packed into one integer that sorts as they do, and one compiled
    call (:func:`_flow_sums`) sums each group's entries in ledger order as pandas'
    groupby does (on one key as on four); names and dates are looked up once per account
    and month.
    """
    ent = cast(dict[str, Any], accounts.usd.entries())
    codes = accounts.usd.reasons
    reasons = [codes[i] for i in range(len(codes))]
    n_e, n_r = len(ent["amount"]), max(1, len(reasons))
    shared_names = len({f.name for f in agents_by_id.values()}) < len(agents_by_id)
    if n_e == 0 or shared_names:
        return _cashflows_by_frame(
            ent, reasons, agents_by_id, start, accounts.pool_names, shared_names
        )
    month, reason, payer, payee, amount, accts = _flow_sums(
        ent["step"], ent["reason"], ent["payer"], ent["payee"], ent["amount"], _bits(n_r)
    )
    if accts.size == 0:  # a negative step, or too many months or accounts for one key
        return _cashflows_by_frame(
            ent, reasons, agents_by_id, start, accounts.pool_names, shared_names
        )
    names = _names(agents_by_id, accounts.pool_names)
    account_names = [names.get(int(i), f"account-{int(i)}") for i in accts]
    dates = month_dates(start, np.arange(month[-1] + 1))  # each month's once (sorted, >= 0)
    return pd.DataFrame(
        {
            "month": month,
            "date": dates[month],
            "reason": string_column(reasons, reason, dtype="string"),
            "payer": string_column(account_names, payer, dtype="string"),
            "payee": string_column(account_names, payee, dtype="string"),
            "amount": amount,
        }
    )


RADIX_BITS = 11
"""Bits of the packed key sorted in one pass of :func:`_flow_sums` (2048 buckets)."""


def _bits(n: int) -> int:
    """Bits that hold the numbers ``0 .. n - 1`` (0 for one number)."""
    return max(0, (n - 1).bit_length())


@compiled
def _flow_sums(
    step: IntArray,
    reason: IntArray,
    payer: IntArray,
    payee: IntArray,
    amount: FloatArray,
    reason_bits: int,
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray, IntArray]:
    """The ledger's amounts summed per month, reason, payer and payee, in that order.

    Returns each sum's month, reason, payer and payee (numbered among the accounts that
    appear), the sums, and the ids of the accounts that appear, ascending (nothing at all
    when a step is negative or the packed key below would pass 62 bits). The sums are
    ``pd.Series(amount).groupby(key, sort=True).sum()``, to the bit, of the key
    ``((step * R + reason) * A + a[payer]) * A + a[payee]``, with ``a[id]`` the account's
    number (``np.cumsum(seen) - 1`` of the ids seen), ``R = 2**reason_bits`` and ``A`` the
    power of two that holds the accounts' numbers: the key sorts as the four numbers do.

    The keys are sorted with their amounts by a stable least-significant-digit radix
    sort (:data:`RADIX_BITS` a pass), so each group's amounts come in their rows' order;
    each group is summed as pandas does, with Kahan's compensation (pandas' ``group_sum``,
    the compensation reset to zero where it is NaN, as after an infinity).
    """
    n = step.size
    top_id = 0
    top_step = 0
    for i in range(n):
        top_id = max(top_id, payer[i], payee[i])
        top_step = max(top_step, step[i])
        if step[i] < 0:
            top_step = -1
            break
    seen = np.zeros(top_id + 1, np.bool_)
    for i in range(n):
        seen[payer[i]] = True
        seen[payee[i]] = True
    number = np.empty(top_id + 1, np.int64)
    accts = np.empty(top_id + 1, np.int64)
    n_a = 0
    for i in range(top_id + 1):
        if seen[i]:
            accts[n_a] = i
            n_a += 1
        number[i] = n_a - 1
    a_bits = 0
    while (1 << a_bits) < n_a:
        a_bits += 1
    shift = reason_bits + 2 * a_bits
    none = np.empty(0, np.int64)
    if top_step < 0 or shift > 62 or top_step >= (1 << (62 - shift)):
        return none, none, none, none, np.empty(0), none
    key, val = np.empty(n, np.int64), np.empty(n)  # sorted in place: the amounts copied
    top = 0
    for i in range(n):
        k = (((step[i] << reason_bits) | reason[i]) << a_bits | number[payer[i]]) << a_bits
        key[i] = k | number[payee[i]]
        val[i] = amount[i]
        top = max(top, key[i])
    passes = 0
    while (top >> (passes * RADIX_BITS)) > 0:
        passes += 1
    mask = (1 << RADIX_BITS) - 1
    count = np.zeros((max(passes, 1), mask + 2), np.int64)
    for i in range(n):  # every pass's digit counts in one read
        for p in range(passes):
            count[p, ((key[i] >> (p * RADIX_BITS)) & mask) + 1] += 1
    spare_key, spare_val = np.empty(n, np.int64), np.empty(n)
    for p in range(passes):
        at = count[p]
        for d in range(mask + 1):
            at[d + 1] += at[d]
        for i in range(n):
            d = (key[i] >> (p * RADIX_BITS)) & mask
            j = at[d]
            at[d] = j + 1
            spare_key[j] = key[i]
            spare_val[j] = val[i]
        key, spare_key = spare_key, key
        val, spare_val = spare_val, val
    keys = np.empty(n, np.int64)
    sums = np.empty(n)
    g = -1
    total = 0.0
    carry = 0.0
    for i in range(n):
        if g < 0 or key[i] != keys[g]:
            if g >= 0:
                sums[g] = total
            g += 1
            keys[g] = key[i]
            total = 0.0
            carry = 0.0
        y = val[i] - carry
        t = total + y
        carry = t - total - y
        if carry != carry:
            carry = 0.0
        total = t
    if g >= 0:
        sums[g] = total
    m = g + 1
    month = np.empty(m, np.int64)
    why = np.empty(m, np.int64)
    by = np.empty(m, np.int64)
    to = np.empty(m, np.int64)
    a_mask = (1 << a_bits) - 1
    for k in range(m):
        to[k] = keys[k] & a_mask
        by[k] = (keys[k] >> a_bits) & a_mask
        why[k] = (keys[k] >> (2 * a_bits)) & ((1 << reason_bits) - 1)
        month[k] = keys[k] >> shift
    return month, why, by, to, sums[:m], accts[:n_a]


def _cashflows_by_frame(
    ent: dict[str, Any],
    reasons: list[str],
    agents_by_id: dict[int, Firm],
    start: str | None,
    pool_names: dict[int, str],
    shared_names: bool,
) -> pd.DataFrame:
    """:func:`cashflows_table` grouped on four keys (no entries, many accounts, or shared names).

    ``shared_names``: two agents of ``agents_by_id`` have one name, so their rows are summed
    once named.
    """
    keys = ["month", "reason", "payer", "payee"]
    ids = pd.DataFrame(
        {
            "month": ent["step"],
            "reason": ent["reason"],
            "payer": ent["payer"],
            "payee": ent["payee"],
            "amount": ent["amount"],
        }
    )
    flows = cast(pd.DataFrame, ids.groupby(keys, as_index=False, sort=True)["amount"].sum())
    lookup = np.asarray(reasons, dtype=object)
    flows["reason"] = pd.Series(lookup[flows["reason"].to_numpy(dtype=np.int64)], dtype="string")
    flows["payer"] = _account_names(flows["payer"], agents_by_id, pool_names)
    flows["payee"] = _account_names(flows["payee"], agents_by_id, pool_names)
    if shared_names:  # two agents' rows are one payer or payee
        flows = cast(pd.DataFrame, flows.groupby(keys, as_index=False, sort=False)["amount"].sum())
    return with_date(flows, start)
