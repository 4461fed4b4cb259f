"""The arithmetic and copies of a month's row of :func:`agents.phases.record.record`, in
one compiled call.

:func:`month_row` writes row ``t`` of the recorder's arrays: the scalars of
:data:`agents.recorder.SCALARS` (sums, counts and weighted means over the population), the
major labs' figures of :data:`agents.recorder.LAB_FIELDS` (with
:func:`agents.phases.record.owed_commitments`), and the arrays recorded as they stand or
gathered by the layout's indices. Each figure is numpy's arithmetic in numpy's order: sums
are :func:`market.compiled.add_reduce`'s (a 1-d sum, or a C-ordered array's along its last
axis), sums down a column :func:`market.compiled.sum_rows`' (the rows in order from
``+0.0``), ``np.bincount`` adds in index order from ``0.0``, and weighted means
are :func:`market.metrics.weighted_mean`'s.
The einsums of the fleet's FLOP/s and watts stay numpy's (their order of summation is
einsum's own) and are passed in.
"""

from __future__ import annotations

import numpy as np

from agents.state import BoolArray, FloatArray, IntArray
from agents.units import MONTHS_PER_YEAR
from market.compiled import add_reduce, compiled, sum_rows
from market.metrics import weighted_sums

__all__ = [
    "month_row",
    "owed_by_lab",
    "region_sums",
    "trade_flows",
]


@compiled
def _mean(v: FloatArray, w: FloatArray, default: float) -> float:
    """:func:`market.metrics.weighted_mean` of 1-d ``v`` and ``w`` with a float ``default``."""
    total, weighted = weighted_sums(v, w)
    return weighted / total if total > 0 else default


@compiled
def region_sums(x: FloatArray, y: FloatArray, out: FloatArray) -> None:
    """``out[:] = (x * y).sum(axis=(0, 2))`` of C-ordered (H, R, F) arrays: each node's
    (row's) products summed by :func:`market.compiled.add_reduce`, added into ``out`` from
    ``+0.0`` over the first axis in order."""
    out[:] = 0.0
    xy = np.empty(x.shape[2])
    for h in range(x.shape[0]):
        for r in range(x.shape[1]):
            for f in range(x.shape[2]):
                xy[f] = x[h, r, f] * y[h, r, f]
            out[r] += add_reduce(xy)


@compiled
def owed_by_lab(
    month: int,
    n_labs: int,
    start: IntArray,
    end: IntArray,
    kind: IntArray,
    compute: int,
    take_or_pay: BoolArray,
    price: FloatArray,
    volume: FloatArray,
    buyer: IntArray,
) -> FloatArray:
    """:func:`agents.phases.record.owed_commitments`: ``np.bincount(buyer, owed,
    minlength=n_labs)[:n_labs]``, ``owed = price * volume * np.minimum(12, end - (month +
    1))`` on the compute rows owed next month, 0 on the others (added in row order)."""
    nxt = month + 1
    out = np.zeros(n_labs)
    for i in range(buyer.size):
        owed = 0.0
        if start[i] <= nxt and nxt < end[i] and kind[i] == compute and take_or_pay[i]:
            owed = price[i] * volume[i] * float(min(MONTHS_PER_YEAR, end[i] - nxt))
        if buyer[i] < n_labs:
            out[buyer[i]] += owed
    return out


@compiled
def trade_flows(
    p_util: IntArray,
    p_site: IntArray,
    power_flow: FloatArray,
    n_r: int,
    n_h: int,
    pool_bins: IntArray,
    volume: FloatArray,
    pool_rows: IntArray,
) -> tuple[FloatArray, FloatArray]:
    """The power each utility delivered to each cloud, ``np.bincount(p_util * n_h + p_site
    // n_r, power_flow, minlength=n_r * n_h).reshape(n_r, n_h)``, and what each pool of
    buyers received from each cloud, ``np.bincount(pool_bins, volume[pool_rows].ravel(),
    minlength=2 * n_r * n_h).reshape(2 * n_r, n_h)`` (each added in index order from 0.0)."""
    power = np.zeros(n_r * n_h)
    for i in range(p_util.size):
        power[p_util[i] * n_h + p_site[i] // n_r] += power_flow[i]
    pools = np.zeros(2 * n_r * n_h)
    k = 0
    for r in pool_rows:
        for h in range(volume.shape[1]):
            pools[pool_bins[k]] += volume[r, h]
            k += 1
    return power.reshape(n_r, n_h), pools.reshape(2 * n_r, n_h)


@compiled
def month_row(
    t: int,
    month: int,
    month_out: IntArray,
    scalars: FloatArray,
    labs_out: FloatArray,
    affinity_out: FloatArray,
    lab_volume_out: FloatArray,
    lab_spend_out: FloatArray,
    built_out: FloatArray,
    interconnected_out: FloatArray,
    power_bought_out: FloatArray,
    sold_out: FloatArray,
    node_sold_out: FloatArray,
    node_capacity_out: FloatArray,
    dc_used_out: FloatArray,
    power_price_out: FloatArray,
    capacity_price_out: FloatArray,
    reserve_margin_out: FloatArray,
    region_egress_fee_out: FloatArray,
    hs_hours_out: FloatArray,
    vendor_sales_out: FloatArray,
    sales_out: FloatArray,
    hs_debt_out: FloatArray,
    vendor_debt_out: FloatArray,
    vendor_units_out: FloatArray,
    cash_out: FloatArray,
    capacity_q: float,
    services_price: float,
    services_quantity: float,
    hhi_threshold: float,
    porting_cost: float,
    fleet_flops: float,
    fleet_watts: float,
    spot_price: FloatArray,
    spot_volume: FloatArray,
    node_price: FloatArray,
    node_capacity: FloatArray,
    node_mwh: FloatArray,
    node_sold: FloatArray,
    contract_price: FloatArray,
    contract_index: IntArray,
    contract_delivered: FloatArray,
    h100e: FloatArray,
    chip_gen: IntArray,
    chip_paid: FloatArray,
    chip_value: FloatArray,
    chip_flow: FloatArray,
    majors: IntArray,
    non_enterprise: BoolArray,
    exit_month: IntArray,
    demand_usd: FloatArray,
    revenue: FloatArray,
    spend: FloatArray,
    active: BoolArray,
    capability: FloatArray,
    inference_need: FloatArray,
    served: FloatArray,
    received: FloatArray,
    burn: FloatArray,
    debt_lab: FloatArray,
    egress_fee: FloatArray,
    training_bid: FloatArray,
    contract_start: IntArray,
    contract_end: IntArray,
    contract_kind: IntArray,
    compute: int,
    take_or_pay: BoolArray,
    contract_volume: FloatArray,
    contract_buyer: IntArray,
    affinity: FloatArray,
    volume: FloatArray,
    lab_spend: FloatArray,
    debt_hs: FloatArray,
    debt_vendor: FloatArray,
    capex_dc: FloatArray,
    capex_chips: FloatArray,
    payout: FloatArray,
    built: FloatArray,
    interconnected: FloatArray,
    power_bought: FloatArray,
    sold: FloatArray,
    power_price: FloatArray,
    capacity_price: FloatArray,
    reserve_margin: FloatArray,
    region_egress_fee: FloatArray,
    hs_hours: FloatArray,
    vendor_sales: FloatArray,
    sales: FloatArray,
    hs_index: IntArray,
    vendor_units: FloatArray,
    vendor_index: IntArray,
    cash: FloatArray,
    cash_ids: IntArray,
) -> None:
    """Row ``t`` of every array ``*_out`` (module docstring), as :func:`record` wrote it,
    ``month`` into ``month_out``.

    The scalars in the order of :data:`agents.recorder.SCALARS` (the spot price's mean
    falls back on the node prices weighted by capacity, as
    :func:`agents.phases.record.spot_price`); the figures of
    :data:`agents.recorder.LAB_FIELDS` of the labs ``majors`` (``owed``: :func:`owed_by_lab`
    of the contracts, ``compute`` their kind code of compute); the hyperscalers', vendors'
    and accounts' figures gathered at ``hs_index``, ``vendor_index`` and ``cash_ids``; the
    other arrays copied.
    """
    month_out[t] = month
    every = True
    for i in range(active.size):
        every &= active[i]
    need = add_reduce(inference_need) if every else add_reduce(inference_need[active])
    got = add_reduce(served) if every else add_reduce(served[active])
    h = h100e[chip_gen]
    row = scalars[t]
    total, weighted = weighted_sums(spot_price, spot_volume)
    if total > 0:
        row[0] = weighted / total
    else:
        row[0] = _mean(node_price.ravel(), node_capacity.ravel(), np.nan)
    row[1] = _mean(contract_price[contract_index], contract_delivered, np.nan)
    row[2] = _mean(chip_paid / h, chip_flow * h, np.nan)
    row[3] = _mean(chip_value / h, chip_flow * h, np.nan)
    row[4] = capacity_q
    row[5] = 1.0 - got / need if need > 0 else 0.0
    row[6] = fleet_flops / fleet_watts if fleet_watts > 0 else np.nan
    n_active = n_exited = 0
    for i in range(active.size):
        if active[i] and non_enterprise[i]:
            n_active += 1
        if exit_month[i] >= 0 and non_enterprise[i]:
            n_exited += 1
    row[7], row[8] = n_active, n_exited
    row[9], row[10] = add_reduce(demand_usd), add_reduce(revenue)
    row[11], row[12], row[13] = services_price, services_quantity, hhi_threshold
    row[14] = add_reduce(debt_hs) + add_reduce(debt_lab) + add_reduce(debt_vendor)
    row[15] = add_reduce(capex_dc) + add_reduce(capex_chips)
    row[16] = add_reduce(payout)
    row[17] = _mean(node_mwh.ravel(), node_capacity.ravel(), 0.0)
    row[18] = porting_cost
    # the major labs' figures, in the order of LAB_FIELDS
    owed = owed_by_lab(
        month,
        active.size,
        contract_start,
        contract_end,
        contract_kind,
        compute,
        take_or_pay,
        contract_price,
        contract_volume,
        contract_buyer,
    )
    labs = labs_out[t]
    for j in range(majors.size):
        r = majors[j]
        labs[0, j], labs[1, j] = revenue[r], spend[r]
        labs[2, j] = 1.0 if active[r] else 0.0
        labs[3, j], labs[4, j], labs[5, j] = capability[r], inference_need[r], served[r]
        labs[6, j], labs[7, j], labs[8, j] = received[r], burn[r], debt_lab[r]
        labs[9, j], labs[10, j], labs[11, j] = egress_fee[r], owed[r], training_bid[r]
        affinity_out[t, j] = affinity[r]
        lab_volume_out[t, j] = volume[r]
        lab_spend_out[t, j] = lab_spend[r]
    built_out[t] = built
    interconnected_out[t] = interconnected
    power_bought_out[t] = power_bought
    sold_out[t] = sold
    node_sold_out[t] = node_sold
    node_capacity_out[t] = node_capacity
    region_sums(sold, node_mwh, dc_used_out[t])
    power_price_out[t] = power_price
    capacity_price_out[t] = capacity_price
    reserve_margin_out[t] = reserve_margin
    region_egress_fee_out[t] = region_egress_fee
    hs_hours_out[t] = sum_rows(hs_hours)
    vendor_sales_out[t] = sum_rows(vendor_sales)
    for k in range(hs_index.size):
        sales_out[t, k] = sales[hs_index[k]]
        hs_debt_out[t, k] = debt_hs[hs_index[k]]
    for k in range(vendor_index.size):
        vendor_debt_out[t, k] = debt_vendor[vendor_index[k]]
        vendor_units_out[t, k] = vendor_units[vendor_index[k]]
    for k in range(cash_ids.size):
        cash_out[t, k] = cash[cash_ids[k]]
