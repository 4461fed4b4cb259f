"""Phase 7, ``record``: this month's figures, written into the run's :class:`Recorder`.

Columns and their definitions are in :mod:`agents.columns`; formulas for HHI, lock-in
and weighted means are in :mod:`market.metrics`; :mod:`agents.model_frame` and
:mod:`agents.tables` turn what is recorded into the model frame and the tidy tables.
``flop_per_joule`` is the fleet's dense FLOP/s over its facility power (IT watts x PUE),
"intelligence per watt".
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

A month is one compiled call (:func:`agents.phases.record_kernels.month_row`): figures
that need the whole population (sums over labs, weighted means over trades) are computed
there; the rest is copied as it stands (small arrays per cloud, region, node and major
lab) into the recorder's per-run arrays, one row a month, and the tables compute their
columns from those arrays for all months at once (:mod:`agents.model_frame`,
:mod:`agents.tables`). We collect ourselves rather than with Mesa's ``DataCollector``,
which calls a reporter per agent and per variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agents.chipvendor import ChipVendor
from agents.deal import Deal
from agents.finance import Debt
from agents.hyperscaler import Hyperscaler
from agents.lab import AILab, LabArrays
from agents.phases.clear import Cleared
from agents.phases.record_kernels import month_row, owed_by_lab, trade_flows
from agents.phases.settle import Settled
from agents.population import pool_node
from agents.recorder import LAB_FIELDS, SCALARS, UTILITY_FIELDS, Layout, Recorder, TradeFlows
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
from agents.units import H100_TFLOPS, MONTHS_PER_YEAR
from agents.utility import Utility
from market.contracts import KINDS, ContractTable
from market.metrics import lockin_index, weighted_mean

__all__ = [
    "COMPUTE",
    "Recorder",
    "dc_energy",
    "dc_energy_rows",
    "edge_flows",
    "lab_lockin",
    "lockin_of_labs",
    "owed_commitments",
    "record",
    "spot_price",
    "switching_lockin",
]

COMPUTE = KINDS.index("compute")
"""Contract kind code of compute."""


def dc_energy_rows(
    served_mwh: FloatArray, conventional_mwh: FloatArray, ai_used_mwh: FloatArray, us: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`dc_energy` of each row of (T, R) arrays (same numbers as row by row)."""
    dc = conventional_mwh + ai_used_mwh
    total = served_mwh + ai_used_mwh
    us_dc, us_total = dc[:, us].sum(axis=1), total[:, us].sum(axis=1)
    share = np.divide(us_dc, us_total, out=np.zeros(len(dc)), where=us_total > 0)
    return share, dc.sum(axis=1) * MONTHS_PER_YEAR / 1e6


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
    share, twh = dc_energy_rows(
        served_mwh[None, :], conventional_mwh[None, :], ai_used_mwh[None, :], us
    )
    return float(share[0]), float(twh[0])


def owed_commitments(month: int, n_labs: int, contracts: ContractTable) -> FloatArray:
    """(L,) take-or-pay compute commitments each lab still owes for up to a year, USD.

    Summed per buyer in contract-row order; rows not owed add an exact zero.
    """
    ct = contracts
    return owed_by_lab(
        month,
        n_labs,
        ct.start,
        ct.end,
        ct.kind,
        COMPUTE,
        ct.take_or_pay,
        ct.price,
        ct.volume,
        ct.buyer,
    )


def switching_lockin(
    fee: FloatArray | float,
    received: FloatArray,
    porting_cost: FloatArray | float,
    affinity: FloatArray,
    owed: FloatArray,
    spend: FloatArray,
) -> FloatArray:
    """Switching cost over annual spend, entry by entry (any leading axes).

    Switching cost = a year of egress ``fee`` on the volume ``received`` + ``porting_cost``
    x (1 - mean platform ``affinity``, over its last axis) + ``owed`` commitments.
    """
    # numpy's mean is this sum over the count
    mean_affinity = np.add.reduce(affinity, axis=-1) / affinity.shape[-1]
    switch = fee * MONTHS_PER_YEAR * received + porting_cost * (1.0 - mean_affinity) + owed
    return lockin_index(switch, MONTHS_PER_YEAR * spend)


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
    a = labs
    return switching_lockin(
        np.asarray(egress_fee, dtype=float),
        a.received,
        cfg.lockin.porting_cost_usd,
        a.affinity,
        owed_commitments(month, a.n, contracts),
        a.spend,
    )


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


def _shapes(
    lay: Layout, sites: Sites, nodes: Nodes, history: History, labs: LabArrays, n_r: int
) -> dict[str, tuple[tuple[int, ...], type]]:
    """Shape (after the row axis) and dtype of every recorded array."""
    hr, node = sites.built.shape, nodes.capacity.shape
    n_h, n_m = hr[0], lay.majors.size
    return {
        "month": ((), np.int64),
        "scalars": ((len(SCALARS),), np.float64),
        "labs": ((len(LAB_FIELDS), n_m), np.float64),
        "utilities": ((lay.utility_region.size, len(UTILITY_FIELDS)), np.float64),
        "built": (hr, np.float64),
        "interconnected": (hr, np.float64),
        "power_bought": (hr, np.float64),
        "sold": (node, np.float64),
        "node_sold": (node, np.float64),
        "node_capacity": (node, np.float64),
        "dc_used": ((n_r,), np.float64),
        "power_price": ((n_r,), np.float64),
        "capacity_price": ((n_r,), np.float64),
        "reserve_margin": ((n_r,), np.float64),
        "region_egress_fee": ((n_r,), np.float64),
        "cloud_revenue": ((n_h,), np.float64),
        "hs_hours": ((n_h,), np.float64),
        "sales": ((n_h,), np.float64),
        "hs_debt": ((n_h,), np.float64),
        "vendor_debt": ((lay.vendor_index.size,), np.float64),
        "vendor_sales": ((history.vendor_sales.shape[1],), np.float64),
        "vendor_units": ((lay.vendor_index.size,), np.float64),
        "cash": ((lay.cash_ids.size,), np.float64),
        "lab_volume": ((n_m, n_h), np.float64),
        "lab_spend": ((n_m, n_h), np.float64),
        "affinity": ((n_m, labs.affinity.shape[1]), np.float64),
    }


def spot_price(price: FloatArray, volume: FloatArray, nodes: Nodes) -> float:
    """Volume-weighted price of the spot compute sold this month; with none sold, this
    month's node prices weighted by the capacity behind them (nan with no capacity)."""
    return weighted_mean(
        price, volume, default=lambda: weighted_mean(nodes.price.ravel(), nodes.capacity.ravel())
    )


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
    """Write this month's row into ``rec`` (``cash`` maps agent ids to balances)."""
    if rec.layout is None:
        rec.start, rec.regions = cfg.start, tuple(r.name for r in cfg.regions)
        rec.layout = Layout.of(cfg, labs, clouds, utilities, hyperscalers, lab_agents, vendors)
        rec.allocate(_shapes(rec.layout, sites, nodes, history, labs, len(rec.regions)))
    lay = rec.layout
    t = rec.next_row()
    put = rec.arrays
    a, c = labs, settled.compute
    fleet_flops = float(np.einsum("hrg,g->", sites.fleet, tech.h100e)) * (H100_TFLOPS * 1e12)
    fleet_watts = float(np.einsum("hrg,g,hr->", sites.fleet, tech.it_watts, sites.pue))
    ct = contracts
    month_row(
        t,
        month,
        put["month"],
        put["scalars"],
        put["labs"],
        put["affinity"],
        put["lab_volume"],
        put["lab_spend"],
        put["built"],
        put["interconnected"],
        put["power_bought"],
        put["sold"],
        put["node_sold"],
        put["node_capacity"],
        put["dc_used"],
        put["power_price"],
        put["capacity_price"],
        put["reserve_margin"],
        put["region_egress_fee"],
        put["hs_hours"],
        put["vendor_sales"],
        put["sales"],
        put["hs_debt"],
        put["vendor_debt"],
        put["vendor_units"],
        put["cash"],
        float(market.capacity_q),
        float(demand.services_price),
        float(demand.quantity),
        float(cfg.regulation.hhi_threshold),
        float(cfg.lockin.porting_cost_usd),
        fleet_flops,
        fleet_watts,
        c.spot_price,
        c.spot_volume,
        nodes.price,
        nodes.capacity,
        nodes.mwh,
        nodes.sold,
        ct.price,
        c.contract.index,
        c.contract.delivered,
        tech.h100e,
        settled.chip_gen,
        settled.chip_paid,
        settled.chip_value,
        settled.chip_flow,
        lay.majors,
        lay.non_enterprise,
        a.exit_month,
        a.demand_usd,
        a.revenue,
        a.spend,
        a.active,
        a.capability,
        a.inference_need,
        a.served,
        a.received,
        a.burn,
        debt.lab,
        market.egress_fee,
        a.training_bid,
        ct.start,
        ct.end,
        ct.kind,
        COMPUTE,
        ct.take_or_pay,
        ct.volume,
        ct.buyer,
        a.affinity,
        c.volume,
        history.lab_spend[month % MONTHS_PER_YEAR],
        debt.hs,
        debt.vendor,
        debt.capex_dc,
        debt.capex_chips,
        debt.payout,
        sites.built,
        sites.interconnected,
        settled.power_bought,
        c.sold,
        settled.power_price,
        market.capacity_price,
        market.reserve_margin,
        market.region_egress_fee,
        history.hs_hours,
        history.vendor_sales,
        c.sales,
        lay.hs_index,
        settled.vendor_units,
        lay.vendor_index,
        cash,
        lay.cash_ids,
    )
    put["utilities"][t] = [  # in the order of UTILITY_FIELDS
        (
            u.non_ai_load_mw,
            u.conventional_dc_mw,
            u.converted_mw,
            u.capacity_mw(month),
            u.mw_building,
            u.served_load_mw(),
        )
        for u in utilities
    ]
    put["cloud_revenue"][t] = clouds.cloud_revenue_year(
        history, month, cfg.demand.non_ai_cloud_growth_per_year
    )
    n_r, n_h = len(lay.utility_region), len(lay.hs_index)  # one utility per region
    power, pools = trade_flows(
        cleared.p_util,
        cleared.p_site,
        cleared.result.link_flow[cleared.index.links["power"]],
        n_r,
        n_h,
        lay.pool_bins,
        c.volume,
        lay.pool_rows,
    )
    rec.flows = TradeFlows(
        power=power,
        chips=settled.chips_bought.copy(),
        compute=put["lab_volume"][t].copy(),
        pools=pools,
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
    rec: Recorder,
    utilities: Sequence[Utility],
    hyperscalers: Sequence[Hyperscaler],
    vendors: Sequence[ChipVendor],
) -> dict[tuple[int, int, str], float]:
    """The last recorded month's volume on every trade edge ``(seller id, buyer id, good)``.

    Empty before the first month.
    """
    flows: dict[tuple[int, int, str], float] = {}
    f, lay = rec.flows, rec.layout
    if f is None or lay is None:
        return flows
    for u in utilities:
        for h in hyperscalers:
            flows[(u.unique_id, h.unique_id, "power")] = float(f.power[u.region, h.index])
    for v in vendors:
        for h in hyperscalers:
            flows[(v.unique_id, h.unique_id, "chips")] = float(f.chips[h.index, v.generation])
    for k, lab_id in enumerate(lay.lab_ids):
        for h in hyperscalers:
            flows[(h.unique_id, lab_id, "compute")] = float(f.compute[k, h.index])
    for p in lay.pools_seen:
        for h in hyperscalers:
            flows[(h.unique_id, pool_node(int(p)), "compute")] = float(f.pools[p, h.index])
    return flows
