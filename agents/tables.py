"""Tidy DataFrames from a run's recorded rows, contracts and ledgers.

Columns are declared in :mod:`agents.columns`; this module only assembles them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import pandas as pd

from agents.accounts import Accounts
from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS
from agents.contracting import party
from agents.firm import Firm
from agents.lab import LabArrays
from agents.phases.record import Recorder
from agents.population import KIND_NAMES
from market.contracts import ContractTable

__all__ = ["build_tables", "model_frame"]


def model_frame(rec: Recorder) -> pd.DataFrame:
    """One row per month recorded so far, columns as :data:`agents.columns.MODEL_COLUMNS`."""
    return pd.DataFrame(rec.rows, columns=[c.name for c in MODEL_COLUMNS])


def build_tables(
    rec: Recorder,
    contracts: ContractTable,
    accounts: Accounts,
    labs: LabArrays,
    lab_names: Sequence[str],
    agents_by_id: dict[int, Firm],
) -> dict[str, pd.DataFrame]:
    """Tidy tables: regions, agents, deals, contracts, labs, cashflows."""
    cols = contracts.columns()
    table = pd.DataFrame(dict(cols.items()))
    if len(table):
        table["seller_name"] = [
            agents_by_id[party(accounts, k, int(s), seller=True)].name
            for k, s in zip(table.kind_name, table.seller, strict=True)
        ]
        table["buyer_name"] = [
            agents_by_id[party(accounts, k, int(b), seller=False)].name
            for k, b in zip(table.kind_name, table.buyer, strict=True)
        ]
    ent = accounts.usd.entries()
    reasons = accounts.usd.reasons
    cash = pd.DataFrame(
        {
            "month": ent["step"],
            "reason": [reasons[int(r)] for r in ent["reason"]],
            "amount": ent["amount"],
        }
    )
    cashflows = cast(
        pd.DataFrame, cash.groupby(["month", "reason"], as_index=False)["amount"].sum()
    )
    labs_table = pd.DataFrame(
        {
            "name": list(lab_names),
            "kind": [KIND_NAMES[k] for k in labs.kind.tolist()],
            "active": labs.active,
            "exit_month": labs.exit_month,
            "capability": labs.capability,
            "cash": accounts.cash(labs.account),
            "raised_usd": labs.raised_total,
        }
    )
    return {
        "regions": pd.DataFrame(rec.region_rows),
        "agents": pd.DataFrame(rec.agent_rows),
        "deals": pd.DataFrame(rec.deal_rows, columns=[c.name for c in TABLE_COLUMNS["deals"]]),
        "contracts": table,
        "labs": labs_table,
        "cashflows": cashflows,
    }
