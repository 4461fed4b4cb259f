"""Contracts in force: signing (a table row and a graph edge) and committed volumes.

Contracts live in :class:`market.contracts.ContractTable` (vectorized rows); each also
appears on the trade graph as a ``contract-<row>`` edge between the two agents.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from agents.accounts import Accounts
from agents.scenario import FAMILIES
from agents.state import FloatArray
from market.contracts import ContractTable

__all__ = ["contract_mix", "contracted_h100e_hours", "party", "sign_contract"]


def party(accounts: Accounts, kind: str, index: int, *, seller: bool) -> int:
    """Agent id on one side of a contract of ``kind``, from its role-local ``index``.

    Compute: cloud sells to lab; power: utility sells to cloud; chips: vendor to cloud.
    """
    if kind == "compute":
        ids = accounts.hyperscaler if seller else accounts.lab
    elif kind == "power":
        ids = accounts.utility if seller else accounts.hyperscaler
    else:
        ids = accounts.vendor if seller else accounts.hyperscaler
    return int(ids[index])


def sign_contract(
    contracts: ContractTable,
    graph: nx.MultiDiGraph,
    accounts: Accounts,
    *,
    kind: str,
    seller: int,
    buyer: int,
    **terms: Any,
) -> int:
    """Add a contract row and its graph edge; return the row id."""
    row = contracts.add(kind=kind, seller=seller, buyer=buyer, **terms)
    graph.add_edge(
        party(accounts, kind, seller, seller=True),
        party(accounts, kind, buyer, seller=False),
        key=f"contract-{row}",
        kind="contract",
        good=kind,
        row=row,
        volume=terms.get("volume"),
        price=terms.get("price"),
        exclusive=terms.get("exclusive", False),
    )
    return row


def contracted_h100e_hours(contracts: ContractTable, month: int, n_h: int) -> FloatArray:
    """(H, F) compute-contract volume in force at ``month`` per seller and chip family.

    Contracts without a family count as the first family (merchant GPUs). The table keeps
    the result while the same contracts are in force (:meth:`ContractTable.cached`); it is
    read-only.
    """
    key = ("h100e_hours", contracts.period(month), n_h)
    return contracts.cached(key, lambda: _contracted(contracts, month, n_h))


def _contracted(contracts: ContractTable, month: int, n_h: int) -> FloatArray:
    n_f = len(FAMILIES)
    rows = contracts.active(month, "compute")
    if not rows.size:
        out: FloatArray = np.zeros((n_h, n_f))
    else:
        fam = np.maximum(contracts.family[rows], 0)
        ok = fam < n_f
        cell = contracts.seller[rows][ok] * n_f + fam[ok]
        out = np.bincount(cell, contracts.volume[rows][ok], minlength=n_h * n_f).reshape(n_h, n_f)
    out.flags.writeable = False
    return out


def contract_mix(contracts: ContractTable, month: int, n_h: int) -> tuple[FloatArray, FloatArray]:
    """(H,) compute-contract volume in force at ``month`` per seller, and (H, F) its family mix.

    The mix is each family's volume over the seller's total plus 1e-9 (zeros for a seller
    without contracts) of :func:`contracted_h100e_hours`. Kept by the table while the same
    contracts are in force; both are read-only.
    """
    key = ("mix", contracts.period(month), n_h)
    return contracts.cached(key, lambda: _mix(contracted_h100e_hours(contracts, month, n_h)))


def _mix(volume: FloatArray) -> tuple[FloatArray, FloatArray]:
    total = np.add.reduce(volume, axis=1)
    share: FloatArray = volume / (total[:, None] + 1e-9)
    total.flags.writeable = share.flags.writeable = False
    return total, share
