"""Build the world of a scenario: agents, state arrays, accounts, contracts, graph.

Every default comes from the scenario (whose shipped values cite CALIBRATION.md);
the only choices made here are the initial fleet (85% of built MW filled, older and
newer generations of each family 60/40 by MW, est.) and scale-mode populations drawn
from the run's generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.chipvendor import ChipVendor
from agents.hyperscaler import Hyperscaler
from agents.lab import KIND_ENTERPRISE, KIND_MAJOR, KIND_SMALL, AILab, EnterpriseBuyer, LabArrays
from agents.regulator import Regulator
from agents.scenario import FAMILIES
from agents.utility import HOURS_PER_MONTH, Utility
from market.ledger import Ledger

if TYPE_CHECKING:
    from agents.model import GigawattModel

__all__ = ["INITIAL_FILL", "build_world", "jurisdictions"]

INITIAL_FILL = 0.85
"""Share of built IT MW holding chips at the start (est.)."""


def jurisdictions(names: list[str]) -> dict[str, list[int]]:
    """Group regions into competition authorities: US, EU, and one for the rest."""
    out: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        key = (
            "us-regulator"
            if n.startswith("us")
            else "eu-regulator"
            if n.startswith("eu")
            else f"{n}-regulator"
        )
        out.setdefault(key, []).append(i)
    return out


def build_world(m: GigawattModel) -> None:
    cfg = m.config
    regions = [r.name for r in cfg.regions]
    m.region_names = regions
    m.n_r, m.n_h, m.n_f = len(regions), len(cfg.hyperscalers), len(FAMILIES)
    gens = cfg.chips.generations
    m.gen_names = [g.name for g in gens]
    m.gen_family = np.array([FAMILIES.index(g.family) for g in gens])
    m.gen_release = np.array([g.release_month for g in gens])
    m.gen_h100e = np.array([g.tflops for g in gens]) / 989.0
    m.gen_watts = np.array([g.watts for g in gens])
    m.gen_it_watts = m.gen_watts * cfg.datacentres.server_overhead
    m.gen_cost = np.array([g.unit_cost for g in gens])
    w = np.array([r.demand_weight for r in cfg.regions])
    m.region_weight = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
    horizon = cfg.months + 130
    m.built = np.array([[h.built_mw.get(r, 0.0) for r in regions] for h in cfg.hyperscalers])
    m.interconnected = m.built.copy()
    m.fleet = np.zeros((m.n_h, m.n_r, len(gens)))
    m.pipeline_built = np.zeros((m.n_h, m.n_r, horizon))
    m.pipeline_power = np.zeros((m.n_h, m.n_r, horizon))

    m.utilities = [Utility(m, i, r) for i, r in enumerate(cfg.regions)]
    hnames = [h.name for h in cfg.hyperscalers]
    m.hyperscaler_index = {n: i for i, n in enumerate(hnames)}
    m.vendors = [
        ChipVendor(m, i, v, FAMILIES.index(v.family), hnames.index(v.owner) if v.owner else -1)
        for i, v in enumerate(cfg.chips.vendors)
    ]
    m.hyperscalers = [Hyperscaler(m, i, h) for i, h in enumerate(cfg.hyperscalers)]
    _build_labs(m, regions, hnames)
    m.regulators = [Regulator(m, n, rs) for n, rs in jurisdictions(regions).items()]

    n_acc = max(a.unique_id for a in m.agents) + 1
    m.usd = Ledger(n_acc, asset="usd")
    m.chips = Ledger(n_acc, asset="chips")
    m.power = Ledger(n_acc, asset="power_mwh")
    m.compute = Ledger(n_acc, asset="compute_h100e_hours")
    m.hs_accounts = np.array([h.unique_id for h in m.hyperscalers])
    m.ut_accounts = np.array([u.unique_id for u in m.utilities])
    m.vd_accounts = np.array([v.unique_id for v in m.vendors])
    m.labs.account[:] = [a.unique_id for a in m.lab_agents]
    m.post_usd(0, m.hs_accounts, [h.cash for h in cfg.hyperscalers], "endowment")
    m.post_usd(0, m.labs.account, m.lab_cash0, "endowment")

    m.hs_can_buy = np.zeros((m.n_h, m.n_f))
    for v in m.vendors:
        if v.owner >= 0:
            m.hs_can_buy[v.owner, v.family] = 1.0
        else:
            m.hs_can_buy[:, v.family] = 1.0
    _initial_fleet(m)
    m.post(m.chips, 0, m.hs_accounts, m.fleet.sum(axis=(1, 2)), "initial_fleet")

    m.hs_fringe = np.array([h.fringe for h in cfg.hyperscalers])
    m.hs_non_ai_revenue = np.array([h.non_ai_cloud_revenue_per_year for h in cfg.hyperscalers])
    m.hs_revenue_hist = np.zeros((12, m.n_h))
    m.lab_spend_cum = np.zeros((m.labs.n, m.n_h))
    m.lab_spend_hist = np.zeros((12, m.labs.n, m.n_h))
    m.demand_level = cfg.demand.initial_usd_per_month
    m.demand_usd = m.demand_level
    m.expected_growth = cfg.demand.growth_per_year
    m.egress_fee = cfg.lockin.egress_fee_per_h100e_hour
    m.power_price_last = np.array([_merit_price(u, m) for u in m.utilities])
    m.last_settlement = None
    m._update_capacity()
    m.node_sold = 0.7 * m.node_capacity
    m.node_price_last = m.node_cost.copy()
    m.expected_compute_price = float(np.median(m.node_cost[m.node_capacity > 0]))
    m.funding_gap = {}
    m.family_price = _family_price(m, m.node_cost)
    m.free_mw = np.zeros((m.n_h, m.n_r))
    _contracts(m)
    _graph(m)
    m.flush()


def _family_price(m: GigawattModel, price: np.ndarray) -> np.ndarray:
    ok = m.node_capacity > 0
    p = np.where(ok, price, np.inf).min(axis=(0, 1))
    return np.where(np.isfinite(p), p, np.nan)


def _merit_price(u: Utility, m: GigawattModel) -> float:
    qty, price = u.offers(0)
    order = np.argsort(price, kind="stable")
    cum = np.cumsum(qty[order])
    load = u.non_ai_load_mw * HOURS_PER_MONTH
    k = min(int(np.searchsorted(cum, load)), len(order) - 1)
    return float(price[order][k])


def _build_labs(m: GigawattModel, regions: list[str], hnames: list[str]) -> None:
    cfg = m.config
    n_major = len(cfg.labs)
    n_small, n_ent = cfg.scale.small_labs, cfg.scale.enterprise_buyers
    n = n_major + n_small + n_ent
    a = LabArrays(n, len(FAMILIES))
    cash = np.zeros(n)
    for i, lab in enumerate(cfg.labs):
        a.kind[i] = KIND_MAJOR
        a.home[i] = regions.index(lab.home_region)
        a.primary[i] = hnames.index(lab.primary)
        a.affinity[i] = [lab.affinity.get(f, 0.0) for f in FAMILIES]
        a.family[i] = int(np.argmax(a.affinity[i]))
        a.capability0[i] = a.capability[i] = lab.capability
        a.opex[i] = lab.opex_per_month
        a.opex_share[i] = lab.opex_share_of_revenue
        a.training_ratio[i] = lab.training_ratio
        cash[i] = lab.cash
    if n_small + n_ent:
        rng = m.rng
        rest = slice(n_major, n)
        k = n_small + n_ent
        a.kind[n_major : n_major + n_small] = KIND_SMALL
        a.kind[n_major + n_small :] = KIND_ENTERPRISE
        a.home[rest] = rng.choice(len(regions), size=k, p=m.region_weight)
        # family by accelerator market share (CALIBRATION.md "accelerator market": 80-90% NVIDIA)
        a.family[rest] = rng.choice(len(FAMILIES), size=k, p=[0.85, 0.05, 0.10])
        a.affinity[np.arange(n_major, n), a.family[rest]] = 1.0
        can = np.zeros((len(hnames), len(FAMILIES)), dtype=bool)
        for v in cfg.chips.vendors:
            if v.owner:
                can[hnames.index(v.owner), FAMILIES.index(v.family)] = True
            else:
                can[:, FAMILIES.index(v.family)] = True
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
        small = a.kind == KIND_SMALL
        a.opex[small] = 0.3 * share[:n_small]
        a.training_ratio[small] = 0.3
        cash[small] = share[:n_small] * rng.uniform(3.0, 24.0, size=n_small)
        cash[a.kind == KIND_ENTERPRISE] = share[n_small:] * 1e3
    m.labs = a
    m.lab_cash0 = cash
    m.lab_agents = [AILab(m, i, lab.name) for i, lab in enumerate(cfg.labs)]
    m.lab_agents += [
        AILab(m, i, f"small-lab-{i - n_major}") for i in range(n_major, n_major + n_small)
    ]
    m.lab_agents += [
        EnterpriseBuyer(m, i, f"enterprise-{i - n_major - n_small}")
        for i in range(n_major + n_small, n)
    ]
    m.lab_index = {lab.name: i for i, lab in enumerate(cfg.labs)}


def _initial_fleet(m: GigawattModel) -> None:
    for h, cfg_h in zip(m.hyperscalers, m.config.hyperscalers, strict=True):
        mix = np.array([cfg_h.family_mix.get(f, 0.0) for f in FAMILIES]) * m.hs_can_buy[h.index]
        if mix.sum() <= 0:
            continue
        mix = mix / mix.sum()
        for f in range(m.n_f):
            released = np.flatnonzero((m.gen_family == f) & (m.gen_release <= 0))
            if mix[f] <= 0 or released.size == 0:
                continue
            order = released[np.argsort(m.gen_release[released])][-2:]
            split = [1.0] if order.size == 1 else [0.6, 0.4]
            for g, s in zip(order, split, strict=True):
                mw = m.built[h.index] * INITIAL_FILL * mix[f] * s
                m.fleet[h.index, :, g] += mw * 1e6 / m.gen_it_watts[g]


def _contracts(m: GigawattModel) -> None:
    cfg = m.config
    for c in cfg.contracts:
        if c.kind == "compute":
            seller, buyer = m.hyperscaler_index[c.seller], m.lab_index[c.buyer]
        elif c.kind == "power":
            seller = m.region_names.index(c.seller.removeprefix("utility-"))
            buyer = m.hyperscaler_index[c.buyer]
        else:
            seller = [v.name for v in m.vendors].index(c.seller)
            buyer = m.hyperscaler_index[c.buyer]
        region = (
            m.region_names.index(c.region) if c.region else (seller if c.kind == "power" else -1)
        )
        m.add_contract(
            kind=c.kind,
            seller=seller,
            buyer=buyer,
            volume=c.volume_per_month,
            price=c.price,
            start=c.start_month,
            end=c.end_month,
            take_or_pay=c.take_or_pay,
            exclusive=c.exclusive,
            penalty_rate=c.penalty_rate,
            family=FAMILIES.index(c.family) if c.family else -1,
            region=region,
        )


def _graph(m: GigawattModel) -> None:
    g = m._graph
    for agent in m.agents:
        g.add_node(agent.unique_id, name=agent.name, kind=agent.kind)
    for u in m.utilities:
        for h in m.hyperscalers:
            g.add_edge(
                u.unique_id,
                h.unique_id,
                key="power",
                kind="trade",
                good="power",
                region=m.region_names[u.region],
                flow=0.0,
            )
    for v in m.vendors:
        for h in m.hyperscalers:
            if v.owner < 0 or v.owner == h.index:
                g.add_edge(
                    v.unique_id, h.unique_id, key="chips", kind="trade", good="chips", flow=0.0
                )
    a = m.labs
    for lab in m.lab_agents:
        i = lab.index
        sellers = m.hyperscalers if a.kind[i] == KIND_MAJOR else [m.hyperscalers[a.primary[i]]]
        for h in sellers:
            g.add_edge(
                h.unique_id, lab.unique_id, key="compute", kind="trade", good="compute", flow=0.0
            )
    for reg in m.regulators:
        for r in reg.regions:
            g.add_edge(
                reg.unique_id, m.utilities[r].unique_id, key="jurisdiction", kind="jurisdiction"
            )
