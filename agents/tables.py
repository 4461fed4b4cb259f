"""The run's tidy tables: regions, agents and deals from the recorder, labs at the end.

Columns are declared in :data:`agents.columns.TABLE_COLUMNS`; this module only assembles
them, each table with one DataFrame constructor from whole columns (all months at once).
The tables speak in names and calendar dates rather than codes: chip families, regions and
parties by name, ``date`` (a ``datetime64`` month start) next to every ``month``, and
missing values (``<NA>``, ``NaT``, NaN) where a number does not apply
(:mod:`agents.table_arrays`). The contracts and cashflows tables are built from the
contracts and the ledger (:mod:`agents.ledger_tables`), the model frame in
:mod:`agents.model_frame`; :func:`build_tables` gathers them all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

from agents.accounts import Accounts
from agents.columns import TABLE_COLUMNS
from agents.firm import Firm
from agents.lab import LabArrays, runway_months
from agents.ledger_tables import cashflows_table, contracts_table
from agents.model_frame import recorded_layout, recorded_lockin
from agents.population import KIND_NAMES
from agents.recorder import LAB_FIELDS, SCALARS, UTILITY_FIELDS, Recorder
from agents.state import FloatArray
from agents.table_arrays import month_dates, nullable, string_column
from agents.units import HOURS_PER_MONTH
from market.contracts import ContractTable
from market.metrics import weighted_mean_rows

__all__ = ["TableError", "build_tables", "table_names"]


class TableError(ValueError):
    """Tables asked for by a name that is not one (the message names the known ones)."""


def table_names(names: Collection[str] | None = None) -> list[str]:
    """``names`` checked against the tables a run builds (default: all of them, in order).

    >>> table_names(["agents"]), len(table_names())
    (['agents'], 6)

    Raises
    ------
    TableError
        If ``names`` is a single string, or holds a name that is not a table's.
    """
    if names is None:
        return list(TABLE_COLUMNS)
    if isinstance(names, str):  # it would be read letter by letter
        raise TableError(f"tables = {names!r}: give a list of table names, e.g. [{names!r}]")
    unknown = [n for n in names if n not in TABLE_COLUMNS]
    if unknown:
        raise TableError(
            f"tables = {list(names)!r}: {unknown[0]!r} is not a table; choose names from "
            f"{list(TABLE_COLUMNS)}"
        )
    return list(names)


def build_tables(
    rec: Recorder,
    contracts: ContractTable,
    accounts: Accounts,
    labs: LabArrays,
    lab_names: Sequence[str],
    agents_by_id: dict[int, Firm],
    names: Collection[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Tidy tables: regions, agents, deals, contracts, labs, cashflows.

    Columns as :data:`agents.columns.TABLE_COLUMNS`; dates and region names come from the
    scenario the recorder saw (before the first month nothing is dated). ``names``: the
    tables to build, in that order (default: all, the keys of ``TABLE_COLUMNS``), checked
    by :func:`table_names`.
    """
    start = rec.start
    build: dict[str, Callable[[], pd.DataFrame]] = {
        "regions": lambda: _regions(rec),
        "agents": lambda: _agents(rec),
        "deals": lambda: _deals(rec),
        "contracts": lambda: contracts_table(contracts, accounts, agents_by_id, rec.regions, start),
        "labs": lambda: _labs(labs, lab_names, accounts, start),
        "cashflows": lambda: cashflows_table(accounts, agents_by_id, start),
    }
    return {name: build[name]() for name in table_names(names)}


def _labs(
    labs: LabArrays, lab_names: Sequence[str], accounts: Accounts, start: str | None
) -> pd.DataFrame:
    exit_month = nullable(labs.exit_month)
    return pd.DataFrame(
        {
            "name": string_column(lab_names, dtype="string"),
            "kind": string_column(KIND_NAMES, labs.kind, dtype="string"),
            "active": labs.active,
            "exit_month": exit_month,
            "exit_date": month_dates(start, labs.exit_month, exit_month.isna()),
            "capability": labs.capability,
            "cash": accounts.cash(labs.account),
            "raised_usd": labs.raised_total,
        }
    )


def _regions(rec: Recorder) -> pd.DataFrame:
    """One row per month and utility (the regions table)."""
    if rec.n == 0:
        return pd.DataFrame()
    lay = recorded_layout(rec)
    month = rec.column("month").copy()
    n_t, n_u = len(month), lay.utility_region.size
    reg = lay.utility_region
    util = rec.column("utilities")
    load = util[:, :, UTILITY_FIELDS.index("served_load_mw")] * HOURS_PER_MONTH
    dc = rec.column("power_bought").sum(axis=1)
    share_of = load[:, reg] + dc[:, reg]  # as the regions' loads are indexed
    # each region's MW summed over clouds, as a contiguous row per (month, region)
    built = np.ascontiguousarray(rec.column("built").transpose(0, 2, 1)).sum(axis=2)
    powered = np.minimum(rec.column("built"), rec.column("interconnected"))
    powered = np.ascontiguousarray(powered.transpose(0, 2, 1)).sum(axis=2)
    labs = rec.column("labs")
    lock, spend = recorded_lockin(rec), labs[:, LAB_FIELDS.index("spend")]
    active = labs[:, LAB_FIELDS.index("active")] > 0
    lockin = np.stack(
        [weighted_mean_rows(lock, spend, active & (lay.major_home == r)) for r in reg], axis=1
    )

    def cell(x: FloatArray) -> FloatArray:
        return np.ascontiguousarray(x).ravel()

    def field_(name: str) -> FloatArray:
        return cell(util[:, :, UTILITY_FIELDS.index(name)])

    columns = {
        "month": np.repeat(month, n_u),
        "date": np.repeat(month_dates(rec.start, month), n_u),
        "region": string_column(rec.regions, np.tile(reg, n_t)),
        "power_price": cell(rec.column("power_price")[:, reg]),
        "non_ai_load_mw": field_("non_ai_load_mw"),
        "conventional_dc_mw": field_("conventional_dc_mw"),
        "converted_mw": field_("converted_mw"),
        "dc_load_mw": cell(dc[:, reg] / HOURS_PER_MONTH),
        "dc_share": cell(dc[:, reg] / np.where(share_of > 1.0, share_of, 1.0)),
        "generation_mw": field_("generation_mw"),
        "generation_building_mw": field_("generation_building_mw"),
        "reserve_margin": cell(rec.column("reserve_margin")[:, reg]),
        "capacity_price": cell(rec.column("capacity_price")[:, reg]),
        "built_mw": cell(built[:, reg]),
        "powered_mw": cell(powered[:, reg]),
        "egress_fee": cell(rec.column("region_egress_fee")[:, reg]),
        "lockin_index": cell(lockin),
    }
    return pd.DataFrame(columns)


def _agents(rec: Recorder) -> pd.DataFrame:
    """One row per month and agent: hyperscalers, major labs, then vendors."""
    if rec.n == 0:
        return pd.DataFrame()
    lay = recorded_layout(rec)
    month = rec.column("month").copy()
    n_t = len(month)
    n_h, n_m, n_v = len(lay.hs_ids), len(lay.lab_ids), len(lay.vendor_ids)
    parts = [k for k, n in (("hyperscaler", n_h), ("lab", n_m), ("vendor", n_v)) if n]
    n_a = n_h + n_m + n_v
    cash = rec.column("cash")
    hs_cash, lab_cash = cash[:, :n_h], cash[:, n_h : n_h + n_m]
    vendor_cash, lab_account_cash = cash[:, n_h + n_m : n_a], cash[:, n_a:]
    hi = lay.hs_index
    built = rec.column("built")[:, hi]
    powered = np.minimum(built, rec.column("interconnected")[:, hi])
    node_sold = rec.column("node_sold")[:, hi]
    labs = {f: rec.column("labs")[:, k] for k, f in enumerate(LAB_FIELDS)}
    need, served = labs["inference_need"], labs["served"]
    throttled = np.zeros_like(need)
    np.subtract(1, served / np.where(need > 0, need, 1.0), out=throttled, where=need > 0)
    mwh = rec.column("scalars")[:, SCALARS.index("fleet_mwh")]
    vol = rec.column("lab_volume")
    tot = vol.sum(axis=2)
    lab_spend = rec.column("lab_spend")
    # each kind's columns in the order its rows name them; the table's columns are the
    # union in order of first appearance (hyperscalers, labs, vendors)
    hs: dict[str, Any] = {
        "cash": hs_cash,
        "revenue": rec.column("sales"),
        "built_mw": built.reshape(n_t, n_h, -1).sum(axis=2),
        "powered_mw": powered.reshape(n_t, n_h, -1).sum(axis=2),
        "compute_h100e_hours": node_sold.reshape(n_t, n_h, -1).sum(axis=2),
        "debt": rec.column("hs_debt"),
    }
    lab: dict[str, Any] = {
        "cash": lab_cash,
        "revenue": labs["revenue"],
        "spend": labs["spend"],
        "active": labs["active"] > 0,
        "capability": labs["capability"],
        "inference_need": need,
        "served": served,
        "received": labs["received"],
        "throttled_share": throttled,
        "compute_gw": labs["received"] * mwh[:, None] / HOURS_PER_MONTH / 1e3,
        # a lab that has left the market has no runway (its trailing burn still decays)
        "runway_months": np.where(
            labs["active"] > 0, runway_months(lab_account_cash, labs["burn"]), np.nan
        ),
        "debt": labs["debt"],
        "egress_fee": labs["egress_fee"],
        "training_bid": labs["training_bid"],
        "lockin_index": recorded_lockin(rec),
    }
    # one column per cloud name (a name given twice is the later cloud's, as in a dict)
    by_name = {name: int(h) for name, h in zip(lay.hs_names, hi, strict=True)}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, h in by_name.items():
            lab[f"share_{name}"] = np.where(tot > 0, vol[:, :, h] / tot, 0.0)
    for name, h in by_name.items():
        lab[f"spend_{name}"] = lab_spend[:, :, h]
    vendor: dict[str, Any] = {
        "cash": vendor_cash,
        "units_sold": rec.column("vendor_units"),
        "debt": rec.column("vendor_debt"),
    }
    blocks = [b for b in ((hs, n_h), (lab, n_m), (vendor, n_v)) if b[1]]
    keys = list(dict.fromkeys(k for b, _ in blocks for k in b))
    ids = [*lay.hs_ids, *lay.lab_ids, *lay.vendor_ids]
    names = [*lay.hs_names, *lay.lab_names, *lay.vendor_names]
    kind = np.repeat(np.arange(len(parts)), [n for _, n in blocks])
    columns: dict[str, Any] = {
        "month": np.repeat(month, n_a),
        "date": np.repeat(month_dates(rec.start, month), n_a),
        "agent_id": np.tile(np.asarray(ids, dtype=np.int64), n_t),
        "name": string_column(names, np.tile(np.arange(n_a), n_t)),
        "kind": string_column(parts, np.tile(kind, n_t)),
    }
    for key in keys:
        pieces = [(b.get(key), n) for b, n in blocks]
        columns[key] = _interleave(pieces, n_t)
    return pd.DataFrame(columns)


def _interleave(pieces: Sequence[tuple[Any, int]], n_t: int) -> Any:
    """One column of the agents table from each kind's (T, n) block (None: missing).

    Rows run month by month, each month's kinds in turn; a kind without the column gets
    NaN there. A bool column with missing entries holds ``True``, ``False`` and NaN
    (object dtype), as pandas makes of such rows.
    """
    blocks = [x for x, _ in pieces if x is not None]
    if all(x is not None for x, _ in pieces) or blocks[0].dtype != bool:
        full = [np.full((n_t, n), np.nan) if x is None else x for x, n in pieces]
        return np.concatenate(full, axis=1).ravel()
    out = np.full((n_t, sum(n for _, n in pieces)), np.nan, dtype=object)
    at = 0
    for x, n in pieces:
        if x is not None:
            out[:, at : at + n] = x.astype(object)  # Python bools
        at += n
    return out.ravel()


def _deals(rec: Recorder) -> pd.DataFrame:
    """One row per month and deal (the deals table)."""
    names = [c.name for c in TABLE_COLUMNS["deals"]]
    if not rec.deal_rows:
        # what pandas makes of no rows: object columns (and datetime64 dates)
        empty = {n: np.empty(0, dtype="datetime64[ns]" if n == "date" else object) for n in names}
        return pd.DataFrame(empty)
    deals = pd.DataFrame(rec.deal_rows, columns=[n for n in names if n != "date"])
    deals.insert(1, "date", month_dates(rec.start, deals["month"].to_numpy()))
    return deals
