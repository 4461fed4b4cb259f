"""Phase 1, ``exogenous``: demand, technology, policy and pipelines for the month.

End demand grows at a rate that decays over time and slows as spending on AI services
nears its ceiling (:func:`saturated_growth`; the ceiling grows in nominal terms,
:func:`demand_ceiling`), with a small persistent lognormal shock
(:func:`demand_shock`: AR(1) in logs, 2% spread, persistence ``demand.shock_persistence``,
est.); non-AI load and conventional data-centre load grow, the latter less what has been
converted to AI (its IT MW at the new-build PUE); vendors' capacity grows and
they offer their newest released generation; data centres and grid connections due this
month complete, the new MW at the new-build PUE (:func:`blend_pue`); each lab's egress
fee is the lowest the authorities of its home region allow
(:class:`agents.regulator.EgressFees`: they change only when a ban starts); chips retire
at ``1 / chips.life_months`` a month (straight-line, five years by default, est.); the compute nodes' capacity, energy
and cost are recomputed from the fleet (:func:`node_economics`, with last month's power
and capacity prices); then each region's reserve margin and this month's capacity price
are set (:func:`reserves`). A cloud's spot offer is its cost times ``1 + markup``, over
``1 - L`` where its Lerner index ``L`` answers its share of last month's compute-hours at
the clouds' conduct (:func:`cloud_lerner`; 0, none, as shipped). The sites' and nodes'
arithmetic runs in two compiled calls (:mod:`agents.phases.exogenous_kernels`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.chipvendor import ChipVendor
from agents.phases.exogenous_kernels import advance_sites, node_costs
from agents.regulator import EgressFees
from agents.scenario import Scenario
from agents.scenario_fields import FASTEST_DECLINE
from agents.scenario_sections import DemandCfg
from agents.state import Clouds, DemandState, FloatArray, IntArray, Market, Nodes, Sites, Tech
from agents.units import MONTHS_PER_YEAR, months_between
from agents.utility import Utility, capacity_price, reserve_margin
from market.conduct import lerner_index

__all__ = [
    "DEMAND_SHOCK_SD",
    "blend_pue",
    "cloud_lerner",
    "datacentre_load_mw",
    "demand_ceiling",
    "demand_growth",
    "demand_shock",
    "exogenous",
    "node_economics",
    "offer_prices",
    "reserves",
    "saturated_growth",
    "update_nodes",
]


def demand_growth(growth_per_year: float, decay_per_year: float, month: int) -> float:
    """Expected growth of end demand a year at ``month``: decays geometrically.

    >>> round(demand_growth(0.6, 0.5, 12), 12)
    0.3
    """
    return float(growth_per_year * (1.0 - decay_per_year) ** (month / MONTHS_PER_YEAR))


_months_between = functools.cache(months_between)
""":func:`agents.units.months_between` of the dates a run reads every month, parsed once."""


def demand_ceiling(d: DemandCfg, start: str, month: int) -> float:
    """The ceiling of AI spending (a month) at model ``month`` of a run from ``start``.

    ``d.ceiling_usd_per_month`` at ``d.ceiling_month``, grown (or, before it, shrunk) at
    ``d.ceiling_growth_per_year``, compounded by the month: money is nominal, and the
    spending the ceiling stands for grows in nominal terms ([est-demand-ceiling]).

    >>> d = DemandCfg(ceiling_usd_per_month=100.0, ceiling_month="2025-07",
    ...               ceiling_growth_per_year=0.21)
    >>> round(demand_ceiling(d, "2026-01", 6), 9), round(demand_ceiling(d, "2026-01", 0), 9)
    (121.0, 110.0)
    """
    years = (month - _months_between(start, d.ceiling_month)) / MONTHS_PER_YEAR
    return float(d.ceiling_usd_per_month * (1.0 + d.ceiling_growth_per_year) ** years)


def saturated_growth(growth: float, spending: float, ceiling: float) -> float:
    """Growth a year of the demand trend when AI spending is ``spending`` and saturates at
    ``ceiling`` (logistic).

    ``growth x (1 - spending / ceiling)``: Verhulst's logistic, the standard curve of a new
    technology's diffusion toward its market (Griliches, "Hybrid corn", *Econometrica*
    25(4), 1957; Mansfield, "Technical change and the rate of imitation", *Econometrica*
    29(4), 1961). Far below the ceiling the trend grows at ``growth``; at it, not at all;
    above it (cheaper compute can lift spending past it, as demand is price-elastic), it
    falls back, at most at :data:`agents.scenario_fields.FASTEST_DECLINE`. A trend that
    shrinks anyway (``growth <= 0``) is not held by a ceiling above it. A ceiling of 0 (the
    schema's least one, 5e-324, shrunk before its month, rounds to 0) acts as the least
    positive one: any spending is far above it, and none leaves the trend its own growth.

    >>> saturated_growth(0.6, 100.0, 400.0)
    0.44999999999999996
    >>> saturated_growth(0.6, 1200.0, 400.0)
    -0.5
    >>> saturated_growth(0.6, 1200.0, 0.0), saturated_growth(0.6, 0.0, 0.0)
    (-0.5, 0.6)
    """
    if growth <= 0.0:
        return growth
    if ceiling <= 0.0:  # as the least positive ceiling, without dividing by 0
        return FASTEST_DECLINE if spending > 0.0 else growth
    return max(growth * (1.0 - spending / ceiling), FASTEST_DECLINE)


def node_economics(
    tech: Tech,
    sites: Sites,
    power_price: FloatArray,
    markup: FloatArray,
    cfg: Scenario,
    it_mw: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Capacity, energy and cost of every compute node (H, R, F) from the fleet.

    ``it_mw`` is the fleet's IT MW (:meth:`agents.state.Sites.it_mw`) when the caller has
    it already.

    Returns ``(capacity, mwh, cost, running_share)``:

    - ``running_share`` (H, R): powered MW over the fleet's IT MW, at most 1;
    - ``capacity``: H100e of chips x running share x hours a month x availability;
    - ``mwh``: facility MWh per H100e-hour (IT watts x the site's fleet PUE,
      ``sites.pue``);
    - ``cost``: per H100e-hour, chips (list price over life) + shell
      (``datacentres.cost_per_mw`` over its life) + power at ``power_price`` (the
      region's cost of a MWh: last month's energy price plus its capacity charge),
      times ``1 + markup``.
    """
    capacity, mwh, cost, running_share, _ = _fleet_costs(
        tech, sites, power_price, markup, np.zeros(markup.size), cfg, it_mw
    )
    return capacity, mwh, cost, running_share


def _fleet_costs(
    tech: Tech,
    sites: Sites,
    power_price: FloatArray,
    markup: FloatArray,
    lerner: FloatArray,
    cfg: Scenario,
    it_mw: FloatArray | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`agents.phases.exogenous_kernels.node_costs` of the fleet: each node's
    capacity, energy, cost (over ``1 - lerner``) and running share, and the fleet's
    facility MW by region."""
    h100e, watts, capital = sites.family_totals(tech)
    if it_mw is None:
        it_mw = sites.it_mw(tech)
    dc = cfg.datacentres
    return node_costs(
        h100e,
        watts,
        capital,
        it_mw,
        sites.built,
        sites.interconnected,
        sites.pue,
        power_price,
        markup,
        lerner,
        float(dc.availability),
        float(cfg.chips.life_months),
        float(dc.cost_per_mw),
        float(dc.life_months),
    )


def cloud_lerner(sold: FloatArray, clouds: Clouds, cfg: Scenario) -> FloatArray:
    """(H,) each cloud's Lerner index from its share of last month's AI compute-hours.

    :func:`market.conduct.lerner_index` of the hours each cloud delivered (``sold``, (H, R,
    F): contracts and spot, the output the relevant market of ``ai_compute_hhi`` counts),
    at the clouds' conduct ``cfg.cloud_conduct`` and the demand elasticity
    ``cfg.demand.price_elasticity``, a fringe counted as ``Clouds.hhi_firms`` firms. The
    elasticity of AI services is that of the compute they use: the labs price services at
    a fixed markup on compute (:func:`agents.lab.services_price`), so a change in the
    compute price passes through in proportion ([est-cloud-conduct]). Shares are last
    month's, as this month's are the clearing's outcome.
    """
    if cfg.cloud_conduct <= 0.0:  # price-taking clouds: lerner_index's zeros, unsummed
        return np.zeros(sold.shape[0])
    return lerner_index(
        np.add.reduce(sold, axis=(1, 2)),
        clouds.hhi_firms,
        cfg.demand.price_elasticity,
        cfg.cloud_conduct,
    )


def offer_prices(cost: FloatArray, lerner: FloatArray) -> FloatArray:
    """(H, R, F) spot offer prices: each cloud's cost with markup over ``1 - lerner``.

    ``(p - c) / p = L`` gives ``p = c / (1 - L)``, ``c`` the price a price-taking cloud
    asks (:func:`node_economics`); a Lerner index of 0 leaves it as it is, to the bit.
    """
    out: FloatArray = cost / (1.0 - lerner[:, None, None])
    return out


def update_nodes(
    nodes: Nodes,
    tech: Tech,
    sites: Sites,
    market: Market,
    clouds: Clouds,
    cfg: Scenario,
    it_mw: FloatArray | None = None,
) -> FloatArray:
    """Refresh ``nodes`` capacity, energy, offer price and running share in place; returns
    the AI fleet's facility MW by region (:func:`datacentre_load_mw`).

    The cost of a MWh is last month's energy price plus the capacity price in force
    last month spread over the day (``$/MW-day / 24 h``: a flat load of 1 MW draws
    24 MWh a day). The offer price adds each cloud's market-power margin at last
    month's shares (:func:`cloud_lerner`, :func:`offer_prices`; none at the default
    conduct of 0).
    """
    per_mwh = market.power_price + market.capacity_price / 24.0
    lerner = cloud_lerner(nodes.sold, clouds, cfg)
    nodes.capacity, nodes.mwh, nodes.cost, nodes.running_share, load = _fleet_costs(
        tech, sites, per_mwh, clouds.markup, lerner, cfg, it_mw
    )
    return load


def blend_pue(pue: FloatArray, built: FloatArray, added: FloatArray, new_pue: float) -> FloatArray:
    """Fleet PUE after ``added`` MW come in at ``new_pue``: the MW-weighted mean.

    ``(pue x built + new_pue x added) / (built + added)``; unchanged where nothing is
    built ([dc-pue]: the installed fleet averages ~1.55-1.6, new large sites <= 1.3).

    >>> blend_pue(np.array([1.6]), np.array([100.0]), np.array([50.0]), 1.3)
    array([1.5])
    """
    total = built + added
    out: FloatArray = np.divide(
        pue * built + new_pue * added, total, out=pue.copy(), where=total > 0
    )
    return out


def datacentre_load_mw(sites: Sites, tech: Tech, it_mw: FloatArray | None = None) -> FloatArray:
    """(R,) facility MW the AI fleet draws: powered IT MW holding chips x fleet PUE.

    ``it_mw`` as in :func:`node_economics`.
    """
    running = np.minimum(sites.it_mw(tech) if it_mw is None else it_mw, sites.powered)
    out: FloatArray = np.add.reduce(running * sites.pue, axis=0)
    return out


def reserves(
    month: int, utilities: Sequence[Utility], ai_mw: FloatArray, cfg: Scenario
) -> tuple[FloatArray, FloatArray]:
    """(R,) reserve margins at this month's peak and the capacity prices they set."""
    ai = ai_mw.tolist()
    margins = [reserve_margin(u.firm_mw(month), u.peak_load_mw(ai[u.region])) for u in utilities]
    price = [capacity_price(margins[u.region], u.reserve_target, cfg.power) for u in utilities]
    return np.array(margins), np.array(price)


DEMAND_SHOCK_SD = 0.02
"""Stationary spread of the log demand shock (est.: a few % around the trend)."""


def demand_shock(previous: float, persistence: float, draw: float) -> float:
    """This month's log demand shock: ``rho x previous + sd x sqrt(1 - rho^2) x draw``.

    An AR(1) in logs with stationary spread :data:`DEMAND_SHOCK_SD` whatever the
    persistence ``rho``, so month-to-month changes have spread ``sd x sqrt(2 (1 - rho))``
    (0.9 -> 0.9%, against 2.8% for independent monthly shocks, ``rho = 0``): demand for
    AI services moves with news that lasts (Hamilton, 1994, *Time Series Analysis*, ch. 3;
    est. [est-demand-shock]).

    >>> round(demand_shock(0.01, 0.9, 1.0), 6)  # 0.009 + 0.02 x sqrt(0.19)
    0.017718
    """
    # math.sqrt is IEEE-exact, as np.sqrt: the same bits without an array round trip
    return persistence * previous + DEMAND_SHOCK_SD * math.sqrt(1.0 - persistence**2) * draw


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
    egress: EgressFees,
    labs_home: IntArray,
) -> FloatArray:
    """Advance the exogenous environment to ``month`` (see the module docstring).

    ``egress`` gives the run's egress fees by region (:class:`agents.regulator.EgressFees`).
    Returns the fleet's IT MW after this month's retirements
    (:meth:`agents.state.Sites.it_mw`; the ``plan`` phase reads it).
    """
    d = cfg.demand
    g = saturated_growth(
        demand_growth(d.growth_per_year, d.growth_decay_per_year, month),
        demand.spending,
        demand_ceiling(d, cfg.start, month),
    )
    demand.expected_growth = g
    demand.log_shock = demand_shock(demand.log_shock, d.shock_persistence, rng.normal())
    shock = float(np.exp(demand.log_shock))
    if month > 0:
        demand.level *= (1.0 + g) ** (1.0 / MONTHS_PER_YEAR)
    demand.usd = demand.level * shock
    sites.reach(month + 1)
    # conversions completing now take their load from the region's conventional data
    # centres (the AI sites count it from now on) [est-conversion]
    converted = sites.pipeline_converted[:, month].tolist()
    for u in utilities:
        if converted[u.region] > 0.0:
            u.converted_mw += converted[u.region] * cfg.power.pue
        u.grow_load(month, cfg.power.non_ai_load_growth, cfg.power.conventional_dc_growth)
    for v in vendors:
        v.advance(
            month,
            cfg.chips.supply_growth,
            tech,
            cfg.chips.captive_lead_months,
            cfg.chips.supply_growth_decay_per_year,
        )
    # the MW completing now join at the new-build PUE; chips retire
    sites.pue, retired = advance_sites(
        sites.pue,
        sites.built,
        sites.interconnected,
        sites.pipeline_built,
        sites.pipeline_power,
        month,
        float(cfg.power.pue),
        sites.fleet,
        float(cfg.chips.life_months),
    )
    fee = egress(month)
    market.region_egress_fee = fee
    market.egress_fee = fee[labs_home]
    accounts.post(accounts.chips, accounts.hyperscaler, OUTSIDE, retired, "retire")
    it_mw = sites.it_mw(tech)
    load = update_nodes(nodes, tech, sites, market, clouds, cfg, it_mw)
    market.reserve_margin, market.capacity_price = reserves(month, utilities, load, cfg)
    return it_mw
