"""The contracts and cashflows tables: what was signed and what was paid, by name.

Built from the run's :class:`market.contracts.ContractTable` and its dollar ledger
(:class:`agents.accounts.Accounts`) rather than from the recorder: one row per contract,
and the ledger's transfers summed per month, reason, payer and payee. Parties are named
(the outside world, which funds and is paid by the firms, is :data:`OUTSIDE_NAME`); dates
and missing values as in the other tables, the columns made by :mod:`agents.table_arrays`
(the cashflows grouped on four keys dated by :func:`agents.table_labels.with_date`).
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
from agents.table_arrays import code_strings, month_dates, nullable, string_column
from agents.table_labels import with_date
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

    The four keys are packed into one integer that sorts as they do, so pandas groups
    on one key (summing each group's entries in ledger order, as on four); names and
    dates are looked up once per account and month.
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
    # the accounts that appear, numbered in order of id (account ids are >= 0)
    seen = np.zeros(max(int(ent["payer"].max()), int(ent["payee"].max())) + 1, dtype=np.bool_)
    seen[ent["payer"]] = True
    seen[ent["payee"]] = True
    accts = np.flatnonzero(seen)
    code = np.cumsum(seen) - 1
    n_a = len(accts)
    steps = ent["step"]
    if steps.min() < 0 or (int(steps.max()) + 1) * n_r * n_a * n_a >= 2**62:
        return _cashflows_by_frame(
            ent, reasons, agents_by_id, start, accounts.pool_names, shared_names
        )
    key = ((steps * n_r + ent["reason"]) * n_a + code[ent["payer"]]) * n_a + code[ent["payee"]]
    sums = pd.Series(ent["amount"]).groupby(key, sort=True).sum()
    key = sums.index.to_numpy()
    key, payee = np.divmod(key, n_a)
    key, payer = np.divmod(key, n_a)
    month, reason = np.divmod(key, n_r)
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
            "amount": sums.to_numpy(),
        }
    )


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
