"""The model frame: one row a month of the market's headline figures, all months at once.

Columns are declared in :data:`agents.columns.MODEL_COLUMNS`; this module computes them
from the recorder's per-run arrays (:mod:`agents.recorder`) for every recorded month in
one pass, the numbers a row-by-row computation gives (see :mod:`market.metrics`). It also
holds the readers of the recorder the other recorded tables share (:mod:`agents.tables`):
the months and their dates, the run's layout, and each major lab's lock-in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from agents.columns import MODEL_COLUMNS
from agents.phases.record import dc_energy_rows, switching_lockin
from agents.recorder import LAB_FIELDS, SCALARS, UTILITY_FIELDS, Layout, Recorder
from agents.state import FloatArray, IntArray
from agents.table_labels import month_starts
from agents.units import HOURS_PER_MONTH
from market.metrics import hhi_rows, weighted_mean, weighted_mean_rows

__all__ = ["model_frame", "recorded_layout", "recorded_lockin", "recorded_months"]


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


def _model_columns(rec: Recorder) -> dict[str, Any]:
    """Every model-frame column, for all recorded months at once.

    The numbers are those a row-by-row computation gives (see :mod:`market.metrics`).
    """
    lay = recorded_layout(rec)
    month, date = recorded_months(rec)
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
    lock, spend = recorded_lockin(rec), labs[:, LAB_FIELDS.index("spend")]
    active = labs[:, LAB_FIELDS.index("active")] > 0
    fee = labs[:, LAB_FIELDS.index("egress_fee")]
    egress = weighted_mean_rows(fee, spend, active)
    for t in np.flatnonzero(np.isnan(egress)):
        # no major lab spends: their mean fee (nan when none is active)
        fees = fee[t][active[t]]
        fallback = float(np.mean(fees)) if fees.size else float("nan")
        egress[t] = weighted_mean(fees, spend[t][active[t]], default=fallback)
    total_demand = demand.sum(axis=1)
    received = np.where(active, labs[:, LAB_FIELDS.index("received")], 0.0).sum(axis=1)
    served = np.where(active, labs[:, LAB_FIELDS.index("served")], 0.0).sum(axis=1)
    trained = np.divide(
        received - served, received, out=np.zeros_like(received), where=received > 0
    )
    return {
        "month": month,
        "date": date,
        "compute_spot_price": s["compute_spot_price"],
        "compute_contract_price": s["compute_contract_price"],
        "power_price": weighted_mean_rows(rec.column("power_price"), demand),
        "capacity_price": weighted_mean_rows(rec.column("capacity_price"), demand),
        "chip_price": s["chip_price"],
        "chip_value": s["chip_value"],
        "capacity_q": s["capacity_q"],
        "capacity_gw_built": built.sum(axis=1) / 1e3,
        "capacity_gw_powered": powered.sum(axis=1) / 1e3,
        "utilisation": delivered / np.where(capacity > 1.0, capacity, 1.0),
        "throttled_share": s["throttled_share"],
        "training_share": trained,
        "cloud_hhi": hhi_rows(rec.column("cloud_revenue"), lay.hhi_firms),
        "ai_compute_hhi": hhi_rows(rec.column("hs_hours"), lay.hhi_firms),
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


def _per_month(rec: Recorder, name: str) -> FloatArray:
    """Recorded rows of array ``name`` as (T, k): one row of numbers a month."""
    data = rec.column(name)
    return data.reshape(len(data), -1)


def recorded_months(rec: Recorder) -> tuple[IntArray, Any]:
    """The recorded months and their first days (``datetime64[ns]``)."""
    month = rec.column("month").copy()
    return month, month_starts(rec.start, month).to_numpy()


def recorded_layout(rec: Recorder) -> Layout:
    """Who the run reports (read at its first month); an error before any month."""
    if rec.layout is None:
        raise ValueError("recorder: nothing recorded yet; run a month first")
    return rec.layout


def recorded_lockin(rec: Recorder) -> FloatArray:
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
