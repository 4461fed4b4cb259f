"""Phase 7, ``record``: one row of model metrics a month, plus the rows of tidy tables.

Columns and their definitions are in :mod:`agents.columns`; formulas for HHI, lock-in
and weighted means are in :mod:`market.metrics`. ``flop_per_joule`` is the fleet's dense
FLOP/s over its facility power (IT watts x PUE), "intelligence per watt".
Data-centre energy counts the power AI sites used (compute delivered x facility MWh per
H100e-hour; what they bought and resold is not theirs) plus the conventional data
centres' load; ``us_dc_power_share`` is its share of the electricity of the US regions
(names starting ``us``, as in :func:`agents.regulator.jurisdictions`), comparable with
the published 4.4% of 2023 (``docs/calibration.md`` [hist-us-dc-twh]).
``lockin_index`` is the spend-weighted mean over major labs of switching cost over
annual spend, where switching cost = a year of the lab's egress fees on the volume
bought + porting cost x (1 - mean platform affinity) + up to a year of take-or-pay
commitments still owed (:func:`lab_lockin`); the regions table gives it over the labs
homed in each region. ``ai_compute_hhi`` is the HHI of accelerator-hours the clouds sold
over the trailing year, the relevant market for AI compute (``cloud_hhi`` adds clouds'
other business and so barely moves).

We collect rows ourselves rather than with Mesa's ``DataCollector``: every metric is one
numpy expression over arrays, whereas ``DataCollector`` calls a reporter per agent and
per variable, which would cost more than the rest of the month in scale mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.chipvendor import ChipVendor
from agents.deal import Deal
from agents.finance import Debt
from agents.hyperscaler import Hyperscaler
from agents.lab import AILab, LabArrays, LabKind, runway_months
from agents.phases.clear import Cleared
from agents.phases.settle import Settled
from agents.population import pool_index, pool_node
from agents.scenario import Scenario
from agents.state import (
    BoolArray,
    Clouds,
    DemandState,
    FloatArray,
    History,
    IntArray,
    Market,
    Nodes,
    Sites,
    Tech,
)
from agents.units import H100_TFLOPS, HOURS_PER_MONTH, month_date
from agents.utility import Utility
from market.contracts import ContractTable
from market.metrics import hhi, lockin_index, weighted_mean

__all__ = ["Recorder", "dc_energy", "edge_flows", "lab_lockin", "lockin_of_labs", "record"]


@dataclass
class Recorder:
    """Rows collected month by month (lists of dicts, turned into frames on demand).

    ``start`` and ``regions`` (the scenario's start month and region names) are set by the
    first :func:`record`, so the tables can give dates and names instead of codes.
    """

    start: str | None = None
    regions: tuple[str, ...] = ()
    rows: list[dict[str, Any]] = field(default_factory=list)
    region_rows: list[dict[str, Any]] = field(default_factory=list)
    agent_rows: list[dict[str, Any]] = field(default_factory=list)
    deal_rows: list[dict[str, Any]] = field(default_factory=list)


def dc_energy(
    served_mwh: FloatArray, conventional_mwh: FloatArray, ai_used_mwh: FloatArray, us: BoolArray
) -> tuple[float, float]:
    """``(us_dc_power_share, dc_energy_twh_per_year)`` from a month's energy by region.

    ``served_mwh`` is the load served first (non-AI plus conventional data centres),
    ``conventional_mwh`` its data-centre part, ``ai_used_mwh`` what AI sites used; the
    US share is all data centres' energy over all energy in the regions ``us``; the
    annual figure is the month's data-centre energy x 12, in TWh.

    >>> dc_energy(np.array([100.0, 50.0]), np.array([4.0, 1.0]), np.array([6.0, 9.0]), np.array([True, False]))
    (0.09433962264150944, 0.00024)
    """
    dc = conventional_mwh + ai_used_mwh
    total = served_mwh + ai_used_mwh
    share = float(dc[us].sum() / total[us].sum()) if total[us].sum() > 0 else 0.0
    return share, float(dc.sum()) * 12.0 / 1e6


def lab_lockin(
    month: int,
    cfg: Scenario,
    labs: LabArrays,
    contracts: ContractTable,
    egress_fee: FloatArray | float,
) -> FloatArray:
    """(L,) each lab's switching cost over its annual spend (0 where it spends nothing).

    ``egress_fee`` is per lab (its home regulators' cap) or one number for all.
    """
    a, ct = labs, contracts
    fee = np.broadcast_to(np.asarray(egress_fee, dtype=float), (a.n,))
    rows = ct.active(month + 1, "compute")
    rows = rows[ct.take_or_pay[rows]]
    owed = np.zeros(a.n)
    np.add.at(
        owed,
        ct.buyer[rows],
        ct.price[rows] * ct.volume[rows] * np.minimum(12, ct.end[rows] - month - 1),
    )
    switch = (
        fee * 12 * a.received + cfg.lockin.porting_cost_usd * (1.0 - a.affinity.mean(axis=1)) + owed
    )
    out: FloatArray = lockin_index(switch, 12 * a.spend)
    return out


def lockin_of_labs(
    month: int,
    cfg: Scenario,
    labs: LabArrays,
    contracts: ContractTable,
    egress_fee: FloatArray | float,
    among: IntArray | None = None,
    default: float = 0.0,
) -> float:
    """Spend-weighted mean of :func:`lab_lockin` over active major labs (or ``among`` them).

    ``default`` when none of them spends anything.
    """
    a = labs
    majors = np.flatnonzero(a.major & a.active)
    if among is not None:
        majors = np.intersect1d(majors, among)
    lock = lab_lockin(month, cfg, a, contracts, egress_fee)[majors]
    return weighted_mean(lock, a.spend[majors], default=default)


def record(
    month: int,
    cfg: Scenario,
    rec: Recorder,
    tech: Tech,
    clouds: Clouds,
    sites: Sites,
    nodes: Nodes,
    market: Market,
    demand: DemandState,
    labs: LabArrays,
    history: History,
    contracts: ContractTable,
    cleared: Cleared,
    settled: Settled,
    deals: Sequence[Deal],
    cash: Any,
    utilities: Sequence[Utility],
    hyperscalers: Sequence[Hyperscaler],
    lab_agents: Sequence[AILab],
    vendors: Sequence[ChipVendor],
    debt: Debt,
) -> None:
    """Append this month's rows to ``rec`` (``cash`` maps agent ids to balances)."""
    rec.start, rec.regions = cfg.start, tuple(r.name for r in cfg.regions)
    a, c = labs, settled.compute
    spot = weighted_mean(c.spot_price, c.spot_volume, default=float(np.nanmean(nodes.price)))
    cs = c.contract
    contract = weighted_mean(contracts.price[cs.index], cs.delivered)
    load = np.array([u.served_load_mw() for u in utilities]) * HOURS_PER_MONTH
    non_ai = np.array([u.non_ai_load_mw for u in utilities]) * HOURS_PER_MONTH
    conv = load - non_ai
    dc = settled.power_bought.sum(axis=0)
    dc_used = (c.sold * nodes.mwh).sum(axis=(0, 2))
    us = np.array([r.name.startswith("us") for r in cfg.regions])
    us_share, dc_twh = dc_energy(load, conv, dc_used, us)
    h100e = tech.h100e[settled.chip_gen]
    need = a.inference_need[a.active].sum()
    throttled = 1.0 - a.served[a.active].sum() / need if need > 0 else 0.0
    fleet_flops = float(np.einsum("hrg,g->", sites.fleet, tech.h100e)) * (H100_TFLOPS * 1e12)
    fleet_watts = float(np.einsum("hrg,g,hr->", sites.fleet, tech.it_watts, sites.pue))
    delivered = float(c.sold.sum())
    powered = sites.powered
    majors = np.flatnonzero(a.major & a.active)
    lab_lock = lab_lockin(month, cfg, a, contracts, market.egress_fee)
    row = {
        "month": month,
        "date": month_date(cfg.start, month),
        "compute_spot_price": spot,
        "compute_contract_price": contract,
        "power_price": weighted_mean(settled.power_price, load + dc),
        "capacity_price": weighted_mean(market.capacity_price, load + dc),
        "chip_price": weighted_mean(settled.chip_paid / h100e, settled.chip_flow * h100e),
        "capacity_gw_built": float(sites.built.sum()) / 1e3,
        "capacity_gw_powered": float(powered.sum()) / 1e3,
        "utilisation": delivered / max(1.0, float(nodes.capacity.sum())),
        "throttled_share": float(throttled),
        "cloud_hhi": hhi(
            clouds.cloud_revenue_year(history, month, cfg.demand.non_ai_cloud_growth_per_year),
            clouds.fringe,
        ),
        "ai_compute_hhi": hhi(history.hs_hours.sum(axis=0), clouds.fringe),
        "chip_hhi": hhi(history.vendor_sales.sum(axis=0)),
        "lockin_index": weighted_mean(lab_lock[majors], a.spend[majors], default=0.0),
        "flop_per_joule": fleet_flops / fleet_watts if fleet_watts > 0 else float("nan"),
        "labs_active": int((a.active & (a.kind != LabKind.ENTERPRISE)).sum()),
        "ai_demand_usd": float(a.demand_usd.sum()),
        "ai_revenue_usd": float(a.revenue.sum()),
        "ai_services_price": demand.services_price,
        "ai_services_demand": demand.quantity,
        "compute_h100e_hours": delivered,
        "dc_power_share": float(dc.sum() / max(1.0, (load + dc).sum())),
        "us_dc_power_share": us_share,
        "dc_energy_twh_per_year": dc_twh,
        "egress_fee": weighted_mean(
            market.egress_fee[majors],
            a.spend[majors],
            default=float(np.mean(market.egress_fee[majors])) if majors.size else float("nan"),
        ),
        "hhi_threshold": cfg.regulation.hhi_threshold,
        "debt_usd": float(debt.hs.sum() + debt.lab.sum()),
        "labs_exited": int(((a.exit_month >= 0) & (a.kind != LabKind.ENTERPRISE)).sum()),
        "capex_usd": float(debt.capex_dc.sum() + debt.capex_chips.sum()),
        "payout_usd": float(debt.payout.sum()),
    }
    rec.rows.append(row)
    for u in utilities:
        r = u.region
        rec.region_rows.append(
            {
                "month": month,
                "region": cfg.regions[r].name,
                "power_price": float(settled.power_price[r]),
                "non_ai_load_mw": u.non_ai_load_mw,
                "conventional_dc_mw": u.conventional_dc_mw,
                "dc_load_mw": float(dc[r]) / HOURS_PER_MONTH,
                "dc_share": float(dc[r] / max(1.0, load[r] + dc[r])),
                "generation_mw": u.capacity_mw(month),
                "generation_building_mw": u.mw_building,
                "reserve_margin": float(market.reserve_margin[r]),
                "capacity_price": float(market.capacity_price[r]),
                "built_mw": float(sites.built[:, r].sum()),
                "powered_mw": float(powered[:, r].sum()),
                "egress_fee": float(market.region_egress_fee[r]),
                "lockin_index": weighted_mean(
                    lab_lock[majors[a.home[majors] == r]], a.spend[majors[a.home[majors] == r]]
                ),
            }
        )
    for h in hyperscalers:
        hi = h.index
        rec.agent_rows.append(
            {
                "month": month,
                "agent_id": h.unique_id,
                "name": h.name,
                "kind": "hyperscaler",
                "cash": float(cash[h.unique_id]),
                "revenue": float(c.sales[hi]),
                "built_mw": float(sites.built[hi].sum()),
                "powered_mw": float(powered[hi].sum()),
                "compute_h100e_hours": float(nodes.sold[hi].sum()),
                "debt": float(debt.hs[hi]),
            }
        )
    vol = c.volume
    runway = runway_months(np.asarray(cash, dtype=float)[a.account], a.burn)
    # facility MW per H100e-hour a month: the fleet's MWh per H100e-h over the month's hours
    mwh = weighted_mean(nodes.mwh, nodes.capacity, default=0.0)
    gw = a.received * mwh / HOURS_PER_MONTH / 1e3
    for i in np.flatnonzero(a.major):
        lab = lab_agents[int(i)]
        tot = vol[i].sum()
        row_l: dict[str, Any] = {
            "month": month,
            "agent_id": lab.unique_id,
            "name": lab.name,
            "kind": "lab",
            "cash": float(cash[lab.unique_id]),
            "revenue": float(a.revenue[i]),
            "spend": float(a.spend[i]),
            "active": bool(a.active[i]),
            "capability": float(a.capability[i]),
            "inference_need": float(a.inference_need[i]),
            "served": float(a.served[i]),
            "received": float(a.received[i]),
            "throttled_share": float(1 - a.served[i] / a.inference_need[i])
            if a.inference_need[i] > 0
            else 0.0,
            "compute_gw": float(gw[i]),
            "runway_months": float(runway[i]),
            "debt": float(debt.lab[i]),
            "egress_fee": float(market.egress_fee[i]),
            "lockin_index": float(lab_lock[i]),
        }
        for h in hyperscalers:
            row_l[f"share_{h.name}"] = float(vol[i, h.index] / tot) if tot > 0 else 0.0
        for h in hyperscalers:
            row_l[f"spend_{h.name}"] = float(history.lab_spend[month % 12, i, h.index])
        rec.agent_rows.append(row_l)
    for v in vendors:
        rec.agent_rows.append(
            {
                "month": month,
                "agent_id": v.unique_id,
                "name": v.name,
                "kind": "vendor",
                "cash": float(cash[v.unique_id]),
                "units_sold": float(settled.vendor_units[v.index]),
            }
        )
    for d in deals:
        rec.deal_rows.append(
            {
                "month": month,
                "deal": d.id,
                "investor": hyperscalers[d.investor].name,
                "lab": lab_agents[d.lab].name,
                "status": d.status,
                "invested_usd": d.invested,
                "equity_share": d.equity,
                "cloud_revenue_usd": d.revenue_so_far(history),
                "round_trip_ratio": d.round_trip_ratio(history),
                "contract_payments_usd": d.contract_payments(contracts),
                "payments_to_investment": d.payments_to_investment(contracts),
                "exclusive": bool(d.contract >= 0 and contracts.exclusive[d.contract]),
                "tranches_paid": d.tranches_paid,
                "post_hhi": d.post_hhi,
                "conditions": "; ".join(d.conditions),
                "reasons": "; ".join(d.reasons),
            }
        )


def edge_flows(
    cleared: Cleared,
    settled: Settled,
    labs: LabArrays,
    utilities: Sequence[Utility],
    hyperscalers: Sequence[Hyperscaler],
    lab_agents: Sequence[AILab],
    vendors: Sequence[ChipVendor],
) -> dict[tuple[int, int, str], float]:
    """This month's volume on every trade edge ``(seller id, buyer id, good)``."""
    flows: dict[tuple[int, int, str], float] = {}
    n_r = len(utilities)
    pf = cleared.result.link_flow[cleared.index.links["power"]]
    per = np.zeros((n_r, len(hyperscalers)))
    np.add.at(per, (cleared.p_util, cleared.p_site // n_r), pf)
    for u in utilities:
        for h in hyperscalers:
            flows[(u.unique_id, h.unique_id, "power")] = float(per[u.region, h.index])
    for v in vendors:
        for h in hyperscalers:
            flows[(v.unique_id, h.unique_id, "chips")] = float(
                settled.chips_bought[h.index, v.generation]
            )
    vol = settled.compute.volume
    for i in np.flatnonzero(labs.major):
        for h in hyperscalers:
            flows[(h.unique_id, lab_agents[int(i)].unique_id, "compute")] = float(vol[i, h.index])
    pool = pool_index(labs, n_r)
    rows = np.flatnonzero(pool >= 0)
    if rows.size:
        per_pool = np.stack(
            [np.bincount(pool[rows], vol[rows, h.index], 2 * n_r) for h in hyperscalers], axis=1
        )
        for p in np.flatnonzero(np.bincount(pool[rows], minlength=2 * n_r)):
            for h in hyperscalers:
                flows[(h.unique_id, pool_node(int(p)), "compute")] = float(per_pool[p, h.index])
    return flows
