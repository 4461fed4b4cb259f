"""Phase 1, ``exogenous``: demand, technology, policy and pipelines for the month.

End demand grows at a rate that decays over time, with a small lognormal shock (2%,
est.); non-AI load grows; vendors' capacity grows and they offer their newest released
generation; data centres and grid connections due this month complete; each lab's
egress fee is the lowest the authorities of its home region allow
(:func:`agents.regulator.egress_fees`); chips retire at ``1 / chips.life_months``
a month (straight-line, five years by default, est.); and the compute nodes' capacity,
energy and cost are recomputed from the fleet (:func:`node_economics`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.chipvendor import ChipVendor
from agents.regulator import Regulator, egress_fees
from agents.scenario import FAMILIES, Scenario
from agents.state import Clouds, DemandState, FloatArray, IntArray, Market, Nodes, Sites, Tech
from agents.units import HOURS_PER_MONTH
from agents.utility import Utility

__all__ = ["demand_growth", "exogenous", "node_economics", "update_nodes"]


def demand_growth(growth_per_year: float, decay_per_year: float, month: int) -> float:
    """Expected growth of end demand a year at ``month``: decays geometrically.

    >>> round(demand_growth(0.6, 0.5, 12), 12)
    0.3
    """
    return float(growth_per_year * (1.0 - decay_per_year) ** (month / 12.0))


def node_economics(
    tech: Tech, sites: Sites, power_price: FloatArray, markup: FloatArray, cfg: Scenario
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Capacity, energy and cost of every compute node (H, R, F) from the fleet.

    Returns ``(capacity, mwh, cost, running_share)``:

    - ``running_share`` (H, R): powered MW over the fleet's IT MW, at most 1;
    - ``capacity``: H100e of chips x running share x hours a month x availability;
    - ``mwh``: facility MWh per H100e-hour (IT watts x PUE);
    - ``cost``: per H100e-hour, chips (list price over life) + shell
      (``datacentres.cost_per_mw`` over its life) + power at last month's price, times
      ``1 + markup``.
    """
    avail = cfg.datacentres.availability
    fam = np.eye(len(FAMILIES))[tech.family]  # (G, F)
    h100e = np.einsum("hrg,g,gf->hrf", sites.fleet, tech.h100e, fam)
    it_mw = sites.it_mw(tech)
    running = np.divide(sites.powered, it_mw, out=np.ones_like(it_mw), where=it_mw > 0)
    running_share = np.minimum(1.0, running)
    capacity = h100e * running_share[:, :, None] * HOURS_PER_MONTH * avail
    watts = np.einsum("hrg,g,gf->hrf", sites.fleet, tech.it_watts, fam)
    mwh = np.divide(watts * cfg.power.pue / 1e6, h100e, out=np.zeros_like(h100e), where=h100e > 0)
    capital = np.einsum("hrg,g,gf->hrf", sites.fleet, tech.cost, fam)
    hours = HOURS_PER_MONTH * avail
    chip_cost = np.divide(
        capital, h100e * cfg.chips.life_months * hours, out=np.zeros_like(h100e), where=h100e > 0
    )
    shell = (
        mwh / cfg.power.pue * cfg.datacentres.cost_per_mw / (cfg.datacentres.life_months * hours)
    )
    power = mwh * power_price[None, :, None]
    cost = (chip_cost + shell + power) * (1.0 + markup[:, None, None])
    return capacity, mwh, cost, running_share


def update_nodes(
    nodes: Nodes, tech: Tech, sites: Sites, market: Market, clouds: Clouds, cfg: Scenario
) -> None:
    """Refresh ``nodes`` capacity, energy, cost and running share in place."""
    nodes.capacity, nodes.mwh, nodes.cost, nodes.running_share = node_economics(
        tech, sites, market.power_price, clouds.markup, cfg
    )


def exogenous(
    month: int,
    cfg: Scenario,
    rng: np.random.Generator,
    demand: DemandState,
    tech: Tech,
    clouds: Clouds,
    sites: Sites,
    nodes: Nodes,
    market: Market,
    utilities: Sequence[Utility],
    vendors: Sequence[ChipVendor],
    accounts: Accounts,
    regulators: Sequence[Regulator],
    labs_home: IntArray,
) -> None:
    """Advance the exogenous environment to ``month`` (see the module docstring)."""
    d = cfg.demand
    g = demand_growth(d.growth_per_year, d.growth_decay_per_year, month)
    demand.expected_growth = g
    shock = float(np.exp(rng.normal(0.0, 0.02)))
    if month > 0:
        demand.level *= (1.0 + g) ** (1.0 / 12.0)
    demand.usd = demand.level * shock
    for u in utilities:
        u.grow_load(month, cfg.power.non_ai_load_growth)
    for v in vendors:
        v.advance(month, cfg.chips.supply_growth, tech)
    sites.reach(month + 1)
    sites.built += sites.pipeline_built[:, :, month]
    sites.interconnected += sites.pipeline_power[:, :, month]
    governed = [(reg.regions, reg.rules) for reg in regulators]
    fee = egress_fees(governed, len(utilities), month, cfg.lockin.egress_fee_per_h100e_hour)
    market.region_egress_fee = fee
    market.egress_fee = fee[labs_home]
    retired = sites.fleet / cfg.chips.life_months
    sites.fleet -= retired
    accounts.post(accounts.chips, accounts.hyperscaler, OUTSIDE, retired.sum(axis=(1, 2)), "retire")
    update_nodes(nodes, tech, sites, market, clouds, cfg)
