"""Tidy DataFrames from a run's recorded rows, contracts and ledgers.

Columns are declared in :mod:`agents.columns`; this module only assembles them. The tables
speak in names and calendar dates rather than codes: contract kinds, chip families, regions
and parties by name, ``date`` (a ``datetime64`` month start) next to every ``month``, and
missing values (``<NA>``, ``NaT``, NaN) where a number does not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from agents.accounts import OUTSIDE, Accounts
from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS
from agents.contracting import party
from agents.firm import Firm
from agents.lab import LabArrays, runway_months
from agents.phases.record import dc_energy_rows, switching_lockin
from agents.population import KIND_NAMES
from agents.recorder import LAB_FIELDS, SCALARS, UTILITY_FIELDS, Layout, Recorder
from agents.scenario import FAMILIES
from agents.state import FloatArray, IntArray
from agents.units import HOURS_PER_MONTH
from market.contracts import KINDS, ContractTable
from market.metrics import hhi_rows, weighted_mean, weighted_mean_rows

__all__ = ["OUTSIDE_NAME", "build_tables", "model_frame", "month_starts"]

OUTSIDE_NAME = "outside"
"""Name of the outside world's account (investors, end customers, lenders, suppliers)."""


def month_starts(start: str | None, months: ArrayLike) -> pd.Series:
    """Calendar month starts (``datetime64``) of model months counted from ``start``.

    ``NaT`` where the month is missing or no start is known yet.

    >>> month_starts("2026-11", [0, 3]).dt.strftime("%Y-%m").tolist()
    ['2026-11', '2027-02']
    """
    if isinstance(months, np.ndarray) and months.dtype.kind in "iu":
        valid, steps = np.ones(len(months), dtype=bool), months.astype(np.int64)
    else:
        m = pd.array(pd.Series(months), dtype="Int64")  # type: ignore[call-overload]  # stubs too narrow
        valid, steps = ~m.isna(), m.to_numpy(dtype=np.int64, na_value=0)
    out = np.full(len(valid), np.datetime64("NaT", "M"))
    if start is not None:
        out[valid] = np.datetime64(start, "M") + steps[valid].astype("timedelta64[M]")
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


def _strings(values: Sequence[str], codes: ArrayLike | None = None, dtype: str = "str") -> Any:
    """A pandas string array of ``values`` (taken at ``codes``): each name converted once."""
    names = pd.array(list(values), dtype=dtype)  # type: ignore[call-overload]  # stubs lack str dtypes by name
    return names if codes is None else names.take(np.asarray(codes, dtype=np.int64))


def _per_month(rec: Recorder, name: str) -> FloatArray:
    """Recorded rows of array ``name`` as (T, k): one row of numbers a month."""
    data = rec.column(name)
    return data.reshape(len(data), -1)


def _months(rec: Recorder) -> tuple[IntArray, Any]:
    """The recorded months and their first days (``datetime64[ns]``)."""
    month = rec.column("month").copy()
    return month, month_starts(rec.start, month).to_numpy()


def _model_columns(rec: Recorder) -> dict[str, Any]:
    """Every model-frame column, for all recorded months at once.

    The numbers are those a row-by-row computation gives (see :mod:`market.metrics`).
    """
    lay = _layout(rec)
    month, date = _months(rec)
    sc = rec.column("scalars").T
    s = dict(zip(SCALARS, sc, strict=True))
    util = rec.column("utilities")
    load = util[:, :, UTILITY_FIELDS.index("served_load_mw")] * HOURS_PER_MONTH
    non_ai = util[:, :, UTILITY_FIELDS.index("non_ai_load_mw")] * HOURS_PER_MONTH
    dc = rec.column("power_bought").sum(axis=1)
    demand = load + dc
    built = _per_month(rec, "built")
    powered = np.minimum(built, _per_month(rec, "interconnected"))
    delivered = _per_month(rec, "sold").sum(axis=1)
    capacity = _per_month(rec, "node_capacity").sum(axis=1)
    us_share, dc_twh = dc_energy_rows(load, load - non_ai, rec.column("dc_used"), lay.us)
    labs = rec.column("labs")
    lock, spend = _lab_lockin(rec), labs[:, LAB_FIELDS.index("spend")]
    active = labs[:, LAB_FIELDS.index("active")] > 0
    fee = labs[:, LAB_FIELDS.index("egress_fee")]
    egress = weighted_mean_rows(fee, spend, active)
    for t in np.flatnonzero(np.isnan(egress)):
        # no major lab spends: their mean fee (nan when none is active)
        fees = fee[t][active[t]]
        fallback = float(np.mean(fees)) if fees.size else float("nan")
        egress[t] = weighted_mean(fees, spend[t][active[t]], default=fallback)
    total_demand = demand.sum(axis=1)
    return {
        "month": month,
        "date": date,
        "compute_spot_price": s["compute_spot_price"],
        "compute_contract_price": s["compute_contract_price"],
        "power_price": weighted_mean_rows(rec.column("power_price"), demand),
        "capacity_price": weighted_mean_rows(rec.column("capacity_price"), demand),
        "chip_price": s["chip_price"],
        "capacity_gw_built": built.sum(axis=1) / 1e3,
        "capacity_gw_powered": powered.sum(axis=1) / 1e3,
        "utilisation": delivered / np.where(capacity > 1.0, capacity, 1.0),
        "throttled_share": s["throttled_share"],
        "cloud_hhi": hhi_rows(rec.column("cloud_revenue"), lay.fringe),
        "ai_compute_hhi": hhi_rows(rec.column("hs_hours"), lay.fringe),
        "chip_hhi": hhi_rows(rec.column("vendor_sales")),
        "lockin_index": weighted_mean_rows(lock, spend, active, default=0.0),
        "flop_per_joule": s["flop_per_joule"],
        "labs_active": s["labs_active"].astype(np.int64),
        "ai_demand_usd": s["ai_demand_usd"],
        "ai_revenue_usd": s["ai_revenue_usd"],
        "ai_services_price": s["ai_services_price"],
        "ai_services_demand": s["ai_services_demand"],
        "compute_h100e_hours": delivered,
        "dc_power_share": dc.sum(axis=1) / np.where(total_demand > 1.0, total_demand, 1.0),
        "us_dc_power_share": us_share,
        "dc_energy_twh_per_year": dc_twh,
        "egress_fee": egress,
        "hhi_threshold": s["hhi_threshold"],
        "debt_usd": s["debt_usd"],
        "labs_exited": s["labs_exited"].astype(np.int64),
        "capex_usd": s["capex_usd"],
        "payout_usd": s["payout_usd"],
    }


def _lab_lockin(rec: Recorder) -> FloatArray:
    """(T, M) each major lab's switching cost over annual spend, month by month."""
    labs = rec.column("labs")

    def field(name: str) -> FloatArray:
        return labs[:, LAB_FIELDS.index(name)]

    porting = rec.column("scalars")[:, SCALARS.index("porting_cost_usd"), None]
    return switching_lockin(
        field("egress_fee"),
        field("received"),
        porting,
        rec.column("affinity"),
        field("owed"),
        field("spend"),
    )


def _layout(rec: Recorder) -> Layout:
    if rec.layout is None:
        raise ValueError("recorder: nothing recorded yet; run a month first")
    return rec.layout


def model_frame(rec: Recorder) -> pd.DataFrame:
    """One row per month recorded so far, columns as :data:`agents.columns.MODEL_COLUMNS`.

    ``date`` is the month's first day as ``datetime64``.
    """
    names = [c.name for c in MODEL_COLUMNS]
    if rec.n == 0:
        frame = pd.DataFrame([], columns=names)
        frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
        return frame
    return pd.DataFrame(_model_columns(rec))


def _regions(rec: Recorder) -> pd.DataFrame:
    """One row per month and utility (the regions table)."""
    if rec.n == 0:
        return pd.DataFrame()
    lay = _layout(rec)
    month, date = _months(rec)
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
    lock, spend = _lab_lockin(rec), labs[:, LAB_FIELDS.index("spend")]
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
        "region": _strings(rec.regions, np.tile(reg, n_t)),
        "power_price": cell(rec.column("power_price")[:, reg]),
        "non_ai_load_mw": field_("non_ai_load_mw"),
        "conventional_dc_mw": field_("conventional_dc_mw"),
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
    return _dated(columns, np.repeat(date, n_u))


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


def _dated(columns: dict[str, Any], date: Any) -> pd.DataFrame:
    """A frame of ``columns`` with ``date`` right after ``month``."""
    names = list(columns)
    at = names.index("month") + 1
    columns = {**columns, "date": date}
    names.insert(at, "date")
    return pd.DataFrame(columns, columns=names)


def _agents(rec: Recorder) -> pd.DataFrame:
    """One row per month and agent: hyperscalers, major labs, then vendors."""
    if rec.n == 0:
        return pd.DataFrame()
    lay = _layout(rec)
    month, date = _months(rec)
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
        "runway_months": runway_months(lab_account_cash, labs["burn"]),
        "debt": labs["debt"],
        "egress_fee": labs["egress_fee"],
        "lockin_index": _lab_lockin(rec),
    }
    # one column per cloud name (a name given twice is the later cloud's, as in a dict)
    by_name = {name: int(h) for name, h in zip(lay.hs_names, hi, strict=True)}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, h in by_name.items():
            lab[f"share_{name}"] = np.where(tot > 0, vol[:, :, h] / tot, 0.0)
    for name, h in by_name.items():
        lab[f"spend_{name}"] = lab_spend[:, :, h]
    vendor: dict[str, Any] = {"cash": vendor_cash, "units_sold": rec.column("vendor_units")}
    blocks = [b for b in ((hs, n_h), (lab, n_m), (vendor, n_v)) if b[1]]
    keys = list(dict.fromkeys(k for b, _ in blocks for k in b))
    ids = [*lay.hs_ids, *lay.lab_ids, *lay.vendor_ids]
    names = [*lay.hs_names, *lay.lab_names, *lay.vendor_names]
    kind = np.repeat(np.arange(len(parts)), [n for _, n in blocks])
    columns: dict[str, Any] = {
        "month": np.repeat(month, n_a),
        "agent_id": np.tile(np.asarray(ids, dtype=np.int64), n_t),
        "name": _strings(names, np.tile(np.arange(n_a), n_t)),
        "kind": _strings(parts, np.tile(kind, n_t)),
    }
    for key in keys:
        pieces = [(b.get(key), n) for b, n in blocks]
        columns[key] = _interleave(pieces, n_t)
    return _dated(columns, np.repeat(date, n_a))


def _missing_below_zero(codes: ArrayLike) -> pd.Series:
    """Integer ``codes`` as nullable integers, ``<NA>`` where negative (none)."""
    c = np.array(codes, dtype=np.int64)
    return pd.Series(pd.arrays.IntegerArray(c, c < 0))


def _names(codes: ArrayLike, names: Sequence[str]) -> pd.Series:
    """Names of integer ``codes`` (``<NA>`` where negative: any or none; or not yet known)."""
    c = np.asarray(codes, dtype=np.int64)
    known = (c >= 0) & (c < len(names))
    lookup = pd.array(list(names), dtype="string")
    return pd.Series(lookup.take(np.where(known, c, -1), allow_fill=True))


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
    columns = {
        "kind": _strings(kinds, dtype="string"),
        "seller": _strings(sellers, dtype="string"),
        "buyer": _strings(buyers, dtype="string"),
        "volume": cols["volume"],
        "price": cols["price"],
        "start": cols["start"],
        "end": cols["end"],
        "start_date": month_starts(start, cols["start"]).to_numpy(),
        "end_date": month_starts(start, cols["end"]).to_numpy(),
        "take_or_pay": cols["take_or_pay"],
        "exclusive": cols["exclusive"],
        "penalty_rate": cols["penalty_rate"],
        "family": _names(cols["family"], FAMILIES).array,
        "region": _names(cols["region"], regions).array,
        "deal": _missing_below_zero(cols["deal"]).array,
        "delivered_total": cols["delivered_total"],
        "paid_total": cols["paid_total"],
        "penalty_total": cols["penalty_total"],
    }
    return pd.DataFrame(columns, columns=[c.name for c in TABLE_COLUMNS["contracts"]])


def _cashflows(
    accounts: Accounts, agents_by_id: dict[int, Firm], start: str | None
) -> pd.DataFrame:
    """Dollars per month, reason, payer and payee (grouped on ids, then named).

    The four keys are packed into one integer that sorts as they do, so pandas groups
    on one key (summing each group's entries in ledger order, as on four); names are
    looked up once per account.
    """
    ent = cast(dict[str, IntArray], accounts.usd.entries())
    codes = accounts.usd.reasons
    reasons = [codes[i] for i in range(len(codes))]
    n_e, n_r = len(ent["amount"]), max(1, len(reasons))
    shared_names = len({f.name for f in agents_by_id.values()}) < len(agents_by_id)
    if n_e == 0 or shared_names:
        return _cashflows_by_frame(ent, reasons, agents_by_id, start)
    # the accounts that appear, numbered in order of id (account ids are >= 0)
    seen = np.zeros(max(int(ent["payer"].max()), int(ent["payee"].max())) + 1, dtype=np.bool_)
    seen[ent["payer"]] = True
    seen[ent["payee"]] = True
    accts = np.flatnonzero(seen)
    code = np.cumsum(seen) - 1
    n_a = len(accts)
    steps = ent["step"]
    if steps.min() < 0 or (int(steps.max()) + 1) * n_r * n_a * n_a >= 2**62:
        return _cashflows_by_frame(ent, reasons, agents_by_id, start)
    key = ((steps * n_r + ent["reason"]) * n_a + code[ent["payer"]]) * n_a + code[ent["payee"]]
    sums = pd.Series(ent["amount"]).groupby(key, sort=True).sum()
    key = sums.index.to_numpy()
    key, payee = np.divmod(key, n_a)
    key, payer = np.divmod(key, n_a)
    month, reason = np.divmod(key, n_r)
    account_names = _account_names(accts, agents_by_id).array
    return pd.DataFrame(
        {
            "month": month,
            "date": month_starts(start, month).to_numpy(),
            "reason": _strings(reasons, reason, dtype="string"),
            "payer": account_names.take(payer),
            "payee": account_names.take(payee),
            "amount": sums.to_numpy(),
        }
    )


def _cashflows_by_frame(
    ent: dict[str, Any], reasons: list[str], agents_by_id: dict[int, Firm], start: str | None
) -> pd.DataFrame:
    """:func:`_cashflows` grouped on four keys (no entries, many accounts, or shared names)."""
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
    flows["payer"] = _account_names(flows["payer"], agents_by_id)
    flows["payee"] = _account_names(flows["payee"], agents_by_id)
    if len(set(_account_names(list(agents_by_id), agents_by_id))) < len(agents_by_id):
        # two agents share a name: their rows are one payer or payee
        flows = cast(pd.DataFrame, flows.groupby(keys, as_index=False, sort=False)["amount"].sum())
    return _with_date(flows, start)


def _deals(rec: Recorder) -> pd.DataFrame:
    """One row per month and deal (the deals table)."""
    names = [c.name for c in TABLE_COLUMNS["deals"]]
    if not rec.deal_rows:
        # what pandas makes of no rows: object columns (and datetime64 dates)
        empty = {n: np.empty(0, dtype="datetime64[ns]" if n == "date" else object) for n in names}
        return pd.DataFrame(empty)
    deals = pd.DataFrame(rec.deal_rows, columns=[n for n in names if n != "date"])
    deals.insert(1, "date", month_starts(rec.start, deals["month"].to_numpy()).to_numpy())
    return deals


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
            "name": _strings(lab_names, dtype="string"),
            "kind": _strings(KIND_NAMES, labs.kind, dtype="string"),
            "active": labs.active,
            "exit_month": exit_month.array,
            "exit_date": month_starts(start, exit_month).to_numpy(),
            "capability": labs.capability,
            "cash": accounts.cash(labs.account),
            "raised_usd": labs.raised_total,
        }
    )
    return {
        "regions": _regions(rec),
        "agents": _agents(rec),
        "deals": _deals(rec),
        "contracts": _contracts(contracts, accounts, agents_by_id, rec.regions, start),
        "labs": labs_table,
        "cashflows": _cashflows(accounts, agents_by_id, start),
    }
