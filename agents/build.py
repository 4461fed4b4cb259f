"""Build the world of a scenario: agents, state arrays, accounts, contracts, graph.

Every default comes from the scenario (whose shipped values cite
``docs/calibration.md``); the only choices made here are the initial fleet (85% of
built MW filled, the two newest generations of each family 60/40 by MW, est.), the
starting node sales (70% of capacity, est.) and scale-mode populations drawn from the
run's generator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import networkx as nx
import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.chipvendor import ChipVendor
from agents.contracting import sign_contract
from agents.deal import Deal
from agents.finance import Debt
from agents.firm import Firm
from agents.hyperscaler import Hyperscaler
from agents.lab import LabArrays, LabKind, services_price
from agents.phases.exogenous import (
    cloud_lerner,
    datacentre_load_mw,
    node_economics,
    offer_prices,
    reserves,
)
from agents.phases.plan import running_cost
from agents.phases.settle_compute import family_price
from agents.population import KIND_NAMES, POPULATION_NAMES, LabAgents, pool_index, pool_node
from agents.regulator import EgressFees, Regulator, regulators_of
from agents.scenario import FAMILIES, Scenario
from agents.state import Clouds, DemandState, FloatArray, History, Market, Nodes, Sites, Tech
from agents.units import HOURS_PER_MONTH, W_PER_MW, months_between
from agents.utility import Utility, merit_price
from market.contracts import ContractTable

__all__ = ["INITIAL_FILL", "INITIAL_SALES", "SMALL_FAMILY_SHARES", "World", "build_world"]

INITIAL_FILL = 0.85
"""Share of built IT MW holding chips at the start (est.)."""

INITIAL_SALES = 0.7
"""Share of node capacity taken as last month's sales at the start (est.)."""

SMALL_FAMILY_SHARES = (0.85, 0.05, 0.10)
"""Chip family of scale-mode buyers (nvidia, trainium, tpu): ``docs/calibration.md``,
accelerator market, NVIDIA 80-90% of AI accelerators."""


@dataclass
class World:
    """Everything a run's phases read and write, built from a scenario."""

    tech: Tech
    clouds: Clouds
    sites: Sites
    nodes: Nodes
    market: Market
    demand: DemandState
    labs: LabArrays
    history: History
    accounts: Accounts
    contracts: ContractTable
    graph: nx.MultiDiGraph
    utilities: list[Utility]
    vendors: list[ChipVendor]
    hyperscalers: list[Hyperscaler]
    lab_agents: LabAgents
    """Every row's agent; scale-mode buyers are materialised when indexed."""
    regulators: list[Regulator]
    deals: list[Deal]
    debt: Debt
    egress: EgressFees
    """The egress fee allowed in each region, month by month."""

    @property
    def lab_names(self) -> Sequence[str]:
        """Names of the labs and buyers, in row order."""
        return self.lab_agents.names

    @property
    def firms(self) -> list[Firm]:
        """Every agent with an account created so far (scale-mode buyers once materialised)."""
        return [*self.utilities, *self.vendors, *self.hyperscalers, *self.lab_agents.materialised()]


def _by_family(values: Mapping[Any, float]) -> list[float]:
    """A per-family map as a list in the order of :data:`FAMILIES` (0 where absent)."""
    return [float(values.get(f, 0.0)) for f in FAMILIES]


def _clouds(cfg: Scenario) -> Clouds:
    names = tuple(h.name for h in cfg.hyperscalers)
    can = np.zeros((len(names), len(FAMILIES)))
    for v in cfg.chips.vendors:
        f = FAMILIES.index(v.family)
        if v.owner is not None:
            can[names.index(v.owner), f] = 1.0
        else:
            can[:, f] = 1.0
    return Clouds(
        names=names,
        hhi_firms=np.array([h.hhi_firms() for h in cfg.hyperscalers], dtype=float),
        markup=np.array([h.markup for h in cfg.hyperscalers], dtype=float),
        other_cash_flow=np.array(
            [h.other_cash_flow_per_month for h in cfg.hyperscalers], dtype=float
        ),
        non_ai_revenue=np.array(
            [h.non_ai_cloud_revenue_per_year for h in cfg.hyperscalers], dtype=float
        ),
        family_mix=np.array([_by_family(h.family_mix) for h in cfg.hyperscalers], dtype=np.float64),
        can_buy=can,
    )


def _labs(
    model: mesa.Model,
    cfg: Scenario,
    rng: np.random.Generator,
    region_weight: FloatArray,
    clouds: Clouds,
) -> tuple[LabArrays, FloatArray, LabAgents]:
    """Lab rows and agents (scale-mode ones lazy); scale-mode populations drawn from ``rng``."""
    regions = [r.name for r in cfg.regions]
    hnames = list(clouds.names)
    n_major = len(cfg.labs)
    n_small, n_ent = cfg.scale.small_labs, cfg.scale.enterprise_buyers
    n = n_major + n_small + n_ent
    a = LabArrays(n, len(FAMILIES))
    cash = np.zeros(n)
    for i, lab in enumerate(cfg.labs):
        a.kind[i] = LabKind.MAJOR
        a.home[i] = regions.index(lab.home_region)
        a.primary[i] = hnames.index(lab.primary)
        a.affinity[i] = _by_family(lab.affinity)
        a.family[i] = int(np.argmax(a.affinity[i]))
        a.capability0[i] = a.capability[i] = lab.capability
        a.drift[i] = lab.capability_drift_per_year
        if lab.capability_drift_until is not None:
            a.drift_months[i] = max(0, months_between(cfg.start, lab.capability_drift_until))
        a.opex[i] = lab.opex_per_month
        a.opex_share[i] = lab.opex_share_of_revenue
        a.training_ratio[i] = lab.training_ratio
        a.max_cloud_share[i] = lab.max_cloud_share
        cash[i] = lab.cash
    names = [lab.name for lab in cfg.labs]
    dated = sorted(
        (months_between(cfg.start, r.month), names.index(r.lab), r.usd) for r in cfg.rounds
    )
    a.round_month = np.array([d[0] for d in dated], dtype=np.int64)
    a.round_row = np.array([d[1] for d in dated], dtype=np.int64)
    a.round_usd = np.array([d[2] for d in dated], dtype=float)
    if n_small + n_ent:
        rest = slice(n_major, n)
        k = n_small + n_ent
        a.kind[n_major : n_major + n_small] = LabKind.SMALL
        a.kind[n_major + n_small :] = LabKind.ENTERPRISE
        a.home[rest] = rng.choice(len(regions), size=k, p=region_weight)
        sold = (clouds.can_buy > 0).any(axis=0)  # families some cloud can buy
        odds = np.where(sold, SMALL_FAMILY_SHARES, 0.0)
        a.family[rest] = rng.choice(len(FAMILIES), size=k, p=odds / odds.sum())
        a.affinity[np.arange(n_major, n), a.family[rest]] = 1.0
        can = clouds.can_buy > 0
        u = rng.random(k)
        choices = can[:, a.family[rest]].T  # (k, H)
        cum = np.cumsum(choices, axis=1) / np.maximum(1, choices.sum(axis=1, keepdims=True))
        a.primary[rest] = (u[:, None] > cum).sum(axis=1)
        a.weight[rest] = rng.lognormal(0.0, 1.0, size=k)
        share = (
            cfg.scale.demand_share
            * cfg.demand.initial_usd_per_month
            * a.weight[rest]
            / a.weight[rest].sum()
        )
        small = a.kind == LabKind.SMALL
        a.opex[small] = 0.3 * share[:n_small]
        a.training_ratio[small] = 0.3
        cash[small] = share[:n_small] * rng.uniform(3.0, 24.0, size=n_small)
        cash[a.kind == LabKind.ENTERPRISE] = share[n_small:] * 1e3
    return a, cash, LabAgents(model, a, [lab.name for lab in cfg.labs], n_small)


def _starting_price(
    cost: FloatArray, capacity: FloatArray, tech: Tech, power_price: FloatArray, cfg: Scenario
) -> float:
    """The labs' first expected compute price: the median cost of the nodes with capacity.

    With no capacity at all (nothing built or no chip released yet), the cost of an
    H100e-hour on the cheapest generation: its price over its life plus power and building
    (:func:`agents.phases.plan.running_cost`), with the median cloud markup.
    """
    if (capacity > 0).any():
        return float(np.median(cost[capacity > 0]))
    dc = cfg.datacentres
    hours = HOURS_PER_MONTH * dc.availability
    chip = tech.cost / (tech.h100e * cfg.chips.life_months * hours)
    power = float(np.mean(power_price))
    run = np.array([running_cost(tech, g, power, cfg) for g in range(tech.cost.size)])
    markup = float(np.median([h.markup for h in cfg.hyperscalers]))
    return float((chip + run).min() * (1.0 + markup))


def _initial_pipelines(cfg: Scenario, sites: Sites, clouds: Clouds) -> None:
    """Capacity under construction at the start, and dated projects.

    ``building_mw`` completes evenly over months 1..``datacentres.build_months`` (a
    pipeline started at a steady pace); its grid connections come with it, and when
    connections take longer than a build, the same pace of connections already requested
    is due in the months after (queue positions held for shells not yet started, as
    :func:`agents.hyperscaler.power_room` paces them); a project completes in its
    ``online`` month, or counts as built if that is before the start. Both are paid for
    as they are built (:meth:`agents.state.Sites.commit_building`): a shell completing in
    month ``j`` was started ``build_months`` earlier, and only its instalments from month
    0 on fall in the run.
    """
    regions = [r.name for r in cfg.regions]
    dc = cfg.datacentres
    k = dc.build_months
    queue = max(k, cfg.power.interconnection_months)
    sites.reach(queue + 1)
    for h, hc in enumerate(cfg.hyperscalers):
        for name, mw in hc.building_mw.items():
            r = regions.index(name)
            sites.pipeline_built[h, r, 1 : k + 1] += mw / k
            sites.pipeline_power[h, r, 1 : queue + 1] += mw / k
    # the shells completing in month j were started in month j - k: their instalments
    # from month 0 on are still to pay
    per_month = np.array([sum(hc.building_mw.values()) for hc in cfg.hyperscalers]) / k
    for j in range(1, k + 1):
        sites.commit_building(per_month, j - k, k, dc.cost_per_mw)
    for p in cfg.projects:
        h, r = clouds.names.index(p.owner), regions.index(p.region)
        month = months_between(cfg.start, p.online)
        if month <= 0:
            sites.built[h, r] += p.mw
            sites.interconnected[h, r] += p.mw
        else:
            sites.reach(month + 1)
            sites.pipeline_built[h, r, month] += p.mw
            sites.pipeline_power[h, r, month] += p.mw
            owner = np.zeros(len(cfg.hyperscalers))
            owner[h] = p.mw
            sites.commit_building(owner, month - k, k, dc.cost_per_mw)


def _initial_fleet(cfg: Scenario, tech: Tech, clouds: Clouds, sites: Sites) -> None:
    for h in range(len(clouds.names)):
        mix = clouds.family_mix[h] * clouds.can_buy[h]
        if mix.sum() <= 0:
            continue
        mix = mix / mix.sum()
        for f in range(len(FAMILIES)):
            released = np.flatnonzero((tech.family == f) & (tech.release <= 0))
            if mix[f] <= 0 or released.size == 0:
                continue
            order = released[np.argsort(tech.release[released])][-2:]
            split = [1.0] if order.size == 1 else [0.6, 0.4]
            for g, s in zip(order, split, strict=True):
                mw = sites.built[h] * INITIAL_FILL * mix[f] * s
                sites.fleet[h, :, g] += mw * W_PER_MW / tech.it_watts[g]


def _graph(w: World) -> None:
    g = w.graph
    for firm in w.firms:
        g.add_node(firm.unique_id, name=firm.name, kind=firm.kind)
    for reg in w.regulators:
        g.add_node(reg.unique_id, name=reg.name, kind=reg.kind)
    for u in w.utilities:
        for h in w.hyperscalers:
            g.add_edge(
                u.unique_id,
                h.unique_id,
                key="power",
                kind="trade",
                good="power",
                region=u.name.removeprefix("utility-"),
                flow=0.0,
            )
    for v in w.vendors:
        for h in w.hyperscalers:
            if v.owner < 0 or v.owner == h.index:
                g.add_edge(
                    v.unique_id, h.unique_id, key="chips", kind="trade", good="chips", flow=0.0
                )
    a = w.labs
    for i in np.flatnonzero(a.major):
        lab = w.lab_agents[int(i)]
        for h in w.hyperscalers:
            g.add_edge(
                h.unique_id, lab.unique_id, key="compute", kind="trade", good="compute", flow=0.0
            )
    regions = [u.name.removeprefix("utility-") for u in w.utilities]
    pool = pool_index(a, len(regions))
    rows = np.flatnonzero(pool >= 0)
    members = np.bincount(pool[rows], minlength=2 * len(regions))
    for p in np.flatnonzero(members):
        kind, r = LabKind(1 + int(p) // len(regions)), int(p % len(regions))
        label = "small-labs" if kind == LabKind.SMALL else "enterprise-buyers"
        node = pool_node(int(p))
        g.add_node(
            node,
            name=f"{label}-{regions[r]}",
            kind=KIND_NAMES[kind],
            region=regions[r],
            members=int(members[p]),
            pooled=True,
        )
        for h in w.hyperscalers:  # buyers move to the cheapest cloud month by month
            g.add_edge(h.unique_id, node, key="compute", kind="trade", good="compute", flow=0.0)
    for reg in w.regulators:
        for r in reg.regions:
            g.add_edge(
                reg.unique_id, w.utilities[r].unique_id, key="jurisdiction", kind="jurisdiction"
            )


def _contracts(cfg: Scenario, w: World) -> None:
    regions = [r.name for r in cfg.regions]
    labs = [lab.name for lab in cfg.labs]
    vendors = [v.name for v in w.vendors]
    hs = list(w.clouds.names)
    for c in cfg.contracts:
        if c.kind == "compute":
            seller, buyer = hs.index(c.seller), labs.index(c.buyer)
        elif c.kind == "power":
            seller, buyer = regions.index(c.seller.removeprefix("utility-")), hs.index(c.buyer)
        else:
            seller, buyer = vendors.index(c.seller), hs.index(c.buyer)
        region = regions.index(c.region) if c.region else (seller if c.kind == "power" else -1)
        sign_contract(
            w.contracts,
            w.graph,
            w.accounts,
            kind=c.kind,
            seller=seller,
            buyer=buyer,
            volume=c.volume_per_month,
            price=c.price,
            start=months_between(cfg.start, c.start),
            end=months_between(cfg.start, c.end),
            take_or_pay=c.take_or_pay,
            exclusive=c.exclusive,
            penalty_rate=c.penalty_rate,
            family=FAMILIES.index(c.family) if c.family else -1,
            region=region,
        )


def build_world(model: mesa.Model, cfg: Scenario, rng: np.random.Generator) -> World:
    """Create the agents of ``cfg`` on ``model`` and the state they act on."""
    regions = [r.name for r in cfg.regions]
    tech = Tech.from_scenario(cfg)
    clouds = _clouds(cfg)
    wts = np.array([r.demand_weight for r in cfg.regions])
    region_weight = wts / wts.sum() if wts.sum() > 0 else np.full(len(wts), 1 / len(wts))
    built = np.array([[h.built_mw.get(r, 0.0) for r in regions] for h in cfg.hyperscalers])
    sites = Sites(
        built, built.copy(), np.zeros((len(cfg.hyperscalers), len(regions), tech.cost.size))
    )
    sites.pue[:] = cfg.power.fleet_pue
    utilities = [Utility(model, i, r) for i, r in enumerate(cfg.regions)]
    hnames = list(clouds.names)
    vendors = [
        ChipVendor(model, i, v, FAMILIES.index(v.family), hnames.index(v.owner) if v.owner else -1)
        for i, v in enumerate(cfg.chips.vendors)
    ]
    hyperscalers = [Hyperscaler(model, i, h, sites) for i, h in enumerate(cfg.hyperscalers)]
    labs, lab_cash, lab_agents = _labs(model, cfg, rng, region_weight, clouds)
    regulators = [Regulator(model, *x) for x in regulators_of(cfg.regulation, regions)]
    accounts = Accounts.open(
        [x.unique_id for x in hyperscalers],
        [x.unique_id for x in utilities],
        [x.unique_id for x in vendors],
        lab_agents.ids,
        n_accounts=max(max(a.unique_id for a in model.agents), int(lab_agents.ids.max(initial=0)))
        + 1,
        pools=[
            (name, lab_agents.ids[labs.kind == kind])
            for kind, name in POPULATION_NAMES.items()
            if (labs.kind == kind).any()
        ],
    )
    # the populations' journal accounts come after every agent's: no later agent takes one
    model.agent_id_counter = max(model.agent_id_counter, accounts.usd.n_accounts)
    labs.account[:] = accounts.lab
    for firm in [*utilities, *vendors, *hyperscalers]:
        firm.attach(accounts)
    lab_agents.attach(accounts)
    hs_cash = np.array([h.cash for h in cfg.hyperscalers])  # also the cash they keep
    accounts.pay(OUTSIDE, accounts.hyperscaler, hs_cash, "endowment")
    accounts.pay(OUTSIDE, labs.account, lab_cash, "endowment")
    _initial_pipelines(cfg, sites, clouds)
    _initial_fleet(cfg, tech, clouds, sites)
    accounts.post(
        accounts.chips, OUTSIDE, accounts.hyperscaler, sites.fleet.sum(axis=(1, 2)), "initial_fleet"
    )
    power_price = np.array(
        [merit_price(*u.offers(0), u.served_load_mw() * HOURS_PER_MONTH) for u in utilities]
    )
    ai_mw = datacentre_load_mw(sites, tech)
    for u in utilities:
        u.seed_pipeline(cfg.power, float(ai_mw[u.region]))
    margin, cap_price = reserves(0, utilities, ai_mw, cfg)
    capacity, mwh, cost, running = node_economics(
        tech, sites, power_price + cap_price / 24.0, clouds.markup, cfg
    )
    sold = INITIAL_SALES * capacity
    cost = offer_prices(cost, cloud_lerner(sold, clouds, cfg))
    nodes = Nodes(capacity, mwh, cost, running, sold, cost.copy())
    egress = EgressFees(regulators, len(regions), cfg.start, cfg.lockin.egress_fee_per_h100e_hour)
    fees = egress(0)
    market = Market(
        power_price=power_price,
        expected_compute_price=_starting_price(cost, capacity, tech, power_price, cfg),
        family_price=family_price(cost, capacity > 0),
        region_egress_fee=fees,
        egress_fee=fees[labs.home],
        capacity_price=cap_price,
        reserve_margin=margin,
    )
    demand = DemandState(
        level=cfg.demand.initial_usd_per_month,
        usd=cfg.demand.initial_usd_per_month,
        expected_growth=cfg.demand.growth_per_year,
        region_weight=region_weight,
        reference_price=services_price(market.expected_compute_price, cfg.demand.services_markup),
        frontier0=float(labs.capability[labs.major].max()),
    )
    w = World(
        tech,
        clouds,
        sites,
        nodes,
        market,
        demand,
        labs,
        History.empty(len(hyperscalers), labs.n, len(vendors)),
        accounts,
        ContractTable(),
        nx.MultiDiGraph(),
        utilities,
        vendors,
        hyperscalers,
        lab_agents,
        regulators,
        [],
        Debt.start(labs.n, clouds.other_cash_flow, hs_cash, n_vendors=len(vendors)),
        egress,
    )
    _contracts(cfg, w)
    _graph(w)
    accounts.flush()
    return w
