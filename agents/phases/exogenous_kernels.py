"""The arithmetic of the ``exogenous`` phase (:mod:`agents.phases.exogenous`) in two
compiled calls: the month's completions and retirements (:func:`advance_sites`), and every
compute node's capacity, energy and cost (:func:`node_costs`).

Each formula is the numpy expression it replaces, evaluated element by element in numpy's
order (``np.minimum`` as :func:`market.compiled.minimum`), with the same numbers to the
bit; sums are numpy's (:func:`market.compiled.add_reduce`,
:func:`market.compiled.sum_rows`).
"""

from __future__ import annotations

import numpy as np

from agents.state import FloatArray
from agents.units import HOURS_PER_MONTH, W_PER_MW
from market.compiled import add_reduce, compiled, minimum, sum_rows

__all__ = ["advance_sites", "node_costs"]


@compiled
def advance_sites(
    pue: FloatArray,
    built: FloatArray,
    interconnected: FloatArray,
    pipeline_built: FloatArray,
    pipeline_power: FloatArray,
    month: int,
    new_pue: float,
    fleet: FloatArray,
    life_months: float,
) -> tuple[FloatArray, FloatArray]:
    """The month's completions and retirements, in place; returns the new fleet PUE and the
    (H,) units retired.

    ``added = pipeline_built[:, :, month]``: the PUE becomes
    :func:`agents.phases.exogenous.blend_pue` of ``pue``, ``built`` and ``added`` at
    ``new_pue`` (a new array), ``built += added``, ``interconnected += pipeline_power[:, :,
    month]``; ``retired = fleet / life_months``, ``fleet -= retired``, and the units
    retired by cloud are ``np.add.reduce(retired, axis=(1, 2))`` (one pairwise sum of a
    cloud's block).
    """
    n_h, n_r, n_g = fleet.shape
    out = pue.copy()
    for h in range(n_h):
        for r in range(n_r):
            added = pipeline_built[h, r, month]
            total = built[h, r] + added
            if total > 0:
                out[h, r] = (pue[h, r] * built[h, r] + new_pue * added) / total
            built[h, r] += added
            interconnected[h, r] += pipeline_power[h, r, month]
    retired = np.empty(n_h)
    block = np.empty(n_r * n_g)
    for h in range(n_h):
        for r in range(n_r):
            for g in range(n_g):
                gone = fleet[h, r, g] / life_months
                fleet[h, r, g] -= gone
                block[r * n_g + g] = gone
        retired[h] = add_reduce(block)
    return out, retired


@compiled
def node_costs(
    h100e: FloatArray,
    watts: FloatArray,
    capital: FloatArray,
    it_mw: FloatArray,
    built: FloatArray,
    interconnected: FloatArray,
    pue: FloatArray,
    power_price: FloatArray,
    markup: FloatArray,
    lerner: FloatArray,
    avail: float,
    chip_life: float,
    cost_per_mw: float,
    dc_life: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`agents.phases.exogenous.node_economics` node by node, each formula as numpy
    would evaluate it, the powered MW ``np.minimum(built, interconnected)``; the cost over
    ``1 - lerner`` of its cloud (:func:`agents.phases.exogenous.offer_prices`; exact for a
    Lerner index of 0), and the (R,) facility load
    :func:`agents.phases.exogenous.datacentre_load_mw` (the rows added in order).

    Returns ``(capacity, mwh, cost, running_share, load)``.
    """
    n_h, n_r, n_f = h100e.shape
    capacity, mwh, cost = np.empty(h100e.shape), np.empty(h100e.shape), np.empty(h100e.shape)
    running_share = np.empty((n_h, n_r))
    load = np.empty((n_h, n_r))
    hours = HOURS_PER_MONTH * avail
    for h in range(n_h):
        for r in range(n_r):
            powered = minimum(built[h, r], interconnected[h, r])
            load[h, r] = minimum(it_mw[h, r], powered) * pue[h, r]
            # an IT load below a watt counts as none (its running share is 1)
            running = powered / it_mw[h, r] if it_mw[h, r] > 1e-6 else 1.0
            share = minimum(1.0, running)
            running_share[h, r] = share
            p = pue[h, r]
            for f in range(n_f):
                units = h100e[h, r, f]
                capacity[h, r, f] = units * share * HOURS_PER_MONTH * avail
                has = units > 0
                m = watts[h, r, f] * p / W_PER_MW / units if has else 0.0
                chip = capital[h, r, f] / (units * chip_life * hours) if has else 0.0
                shell = m / p * cost_per_mw / (dc_life * hours)
                mwh[h, r, f] = m
                cost[h, r, f] = (chip + shell + m * power_price[r]) * (1.0 + markup[h])
                cost[h, r, f] = cost[h, r, f] / (1.0 - lerner[h])
    return capacity, mwh, cost, running_share, sum_rows(load)
