"""Tidy DataFrames from a run's recorded rows, contracts and ledgers.

Columns are declared in :mod:`agents.columns`; this module only assembles them. The tables
speak in names and calendar dates rather than codes: contract kinds, chip families, regions
and parties by name, ``date`` (a ``datetime64`` month start) next to every ``month``, and
missing values (``<NA>``, ``NaT``, NaN) where a number does not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from agents.accounts import OUTSIDE, Accounts
from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS
from agents.contracting import party
from agents.firm import Firm
from agents.lab import LabArrays
from agents.phases.record import Recorder
from agents.population import KIND_NAMES
from agents.scenario import FAMILIES
from market.contracts import KINDS, ContractTable

__all__ = ["OUTSIDE_NAME", "build_tables", "model_frame", "month_starts"]

OUTSIDE_NAME = "outside"
"""Name of the outside world's account (investors, end customers, lenders, suppliers)."""


def month_starts(start: str | None, months: ArrayLike) -> pd.Series:
    """Calendar month starts (``datetime64``) of model months counted from ``start``.

    ``NaT`` where the month is missing or no start is known yet.

    >>> month_starts("2026-11", [0, 3]).dt.strftime("%Y-%m").tolist()
    ['2026-11', '2027-02']
    """
    m = pd.Series(months, dtype="Int64").reset_index(drop=True)
    out = np.full(len(m), np.datetime64("NaT", "M"))
    valid = m.notna().to_numpy(dtype=bool)
    if start is not None:
        steps = m[valid].to_numpy(dtype=np.int64).astype("timedelta64[M]")
        out[valid] = np.datetime64(start, "M") + steps
    return pd.Series(out.astype("datetime64[ns]"))


def _with_date(frame: pd.DataFrame, start: str | None) -> pd.DataFrame:
    """``frame`` with a ``date`` column right after ``month``."""
    if "month" not in frame.columns:
        return frame
    frame = frame.drop(columns=["date"], errors="ignore")
    frame.insert(
        list(frame.columns).index("month") + 1,
        "date",
        month_starts(start, frame["month"]).to_numpy(),
    )
    return frame


def model_frame(rec: Recorder) -> pd.DataFrame:
    """One row per month recorded so far, columns as :data:`agents.columns.MODEL_COLUMNS`.

    ``date`` is the month's first day as ``datetime64``.
    """
    frame = pd.DataFrame(rec.rows, columns=[c.name for c in MODEL_COLUMNS])
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m").astype("datetime64[ns]")
    return frame


def _missing_below_zero(codes: ArrayLike) -> pd.Series:
    """Integer ``codes`` as nullable integers, ``<NA>`` where negative (none)."""
    c = pd.Series(np.asarray(codes, dtype=np.int64), dtype="Int64")
    return c.mask(c < 0)


def _names(codes: ArrayLike, names: Sequence[str]) -> pd.Series:
    """Names of integer ``codes`` (``<NA>`` where negative: any or none; or not yet known)."""
    c = np.asarray(codes, dtype=np.int64)
    known = (c >= 0) & (c < len(names))
    lookup = np.asarray([*names, ""], dtype=object)
    out = pd.Series(lookup[np.where(known, c, len(names))], dtype="string")
    out[~known] = pd.NA
    return out


def _account_names(ids: ArrayLike, agents_by_id: dict[int, Firm]) -> pd.Series:
    """Agent names of ledger account ids; the outside world is :data:`OUTSIDE_NAME`."""
    uniq, where = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
    names = {int(i): f.name for i, f in agents_by_id.items()} | {OUTSIDE: OUTSIDE_NAME}
    lookup = np.asarray([names.get(int(i), f"account-{int(i)}") for i in uniq], dtype=object)
    return pd.Series(lookup[where] if len(uniq) else [], dtype="string")


def _contracts(
    contracts: ContractTable,
    accounts: Accounts,
    agents_by_id: dict[int, Firm],
    regions: Sequence[str],
    start: str | None,
) -> pd.DataFrame:
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
    table = pd.DataFrame(
        {
            "kind": pd.Series(kinds, dtype="string"),
            "seller": pd.Series(sellers, dtype="string"),
            "buyer": pd.Series(buyers, dtype="string"),
            "volume": cols["volume"],
            "price": cols["price"],
            "start": cols["start"],
            "end": cols["end"],
            "start_date": month_starts(start, cols["start"]),
            "end_date": month_starts(start, cols["end"]),
            "take_or_pay": cols["take_or_pay"],
            "exclusive": cols["exclusive"],
            "penalty_rate": cols["penalty_rate"],
            "family": _names(cols["family"], FAMILIES),
            "region": _names(cols["region"], regions),
            "deal": _missing_below_zero(cols["deal"]),
            "delivered_total": cols["delivered_total"],
            "paid_total": cols["paid_total"],
            "penalty_total": cols["penalty_total"],
        }
    )
    return table[[c.name for c in TABLE_COLUMNS["contracts"]]]


def _cashflows(
    accounts: Accounts, agents_by_id: dict[int, Firm], start: str | None
) -> pd.DataFrame:
    """Dollars per month, reason, payer and payee (grouped on ids, then named)."""
    ent = accounts.usd.entries()
    codes = accounts.usd.reasons
    reasons = np.asarray([codes[i] for i in range(len(codes))], dtype=object)
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
    flows["reason"] = pd.Series(reasons[flows["reason"].to_numpy(dtype=np.int64)], dtype="string")
    flows["payer"] = _account_names(flows["payer"], agents_by_id)
    flows["payee"] = _account_names(flows["payee"], agents_by_id)
    if len(set(_account_names(list(agents_by_id), agents_by_id))) < len(agents_by_id):
        # two agents share a name: their rows are one payer or payee
        flows = cast(pd.DataFrame, flows.groupby(keys, as_index=False, sort=False)["amount"].sum())
    return _with_date(flows, start)


def build_tables(
    rec: Recorder,
    contracts: ContractTable,
    accounts: Accounts,
    labs: LabArrays,
    lab_names: Sequence[str],
    agents_by_id: dict[int, Firm],
) -> dict[str, pd.DataFrame]:
    """Tidy tables: regions, agents, deals, contracts, labs, cashflows.

    Columns as :data:`agents.columns.TABLE_COLUMNS`; dates and region names come from the
    scenario the recorder saw (before the first month nothing is dated).
    """
    start = rec.start
    exit_month = _missing_below_zero(labs.exit_month)
    labs_table = pd.DataFrame(
        {
            "name": pd.Series(list(lab_names), dtype="string"),
            "kind": pd.Series([KIND_NAMES[k] for k in labs.kind.tolist()], dtype="string"),
            "active": labs.active,
            "exit_month": exit_month,
            "exit_date": month_starts(start, exit_month),
            "capability": labs.capability,
            "cash": accounts.cash(labs.account),
            "raised_usd": labs.raised_total,
        }
    )
    deals = pd.DataFrame(
        rec.deal_rows, columns=[c.name for c in TABLE_COLUMNS["deals"] if c.name != "date"]
    )
    return {
        "regions": _with_date(pd.DataFrame(rec.region_rows), start),
        "agents": _with_date(pd.DataFrame(rec.agent_rows), start),
        "deals": _with_date(deals, start),
        "contracts": _contracts(contracts, accounts, agents_by_id, rec.regions, start),
        "labs": labs_table,
        "cashflows": _cashflows(accounts, agents_by_id, start),
    }
