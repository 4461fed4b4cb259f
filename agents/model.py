"""The Gigawatt model: builds the world from a scenario and runs the monthly phases.

DESIGN.md, "The monthly step": ``exogenous``, ``plan``, ``deals``, ``orders``,
``clear``, ``settle``, ``record``, each a method that can be called (and tested) alone,
in that order; :meth:`GigawattModel.step` runs all seven. The model holds the agents'
state as numpy arrays (rows per hyperscaler, lab, region...) so each phase is a few
vectorized expressions; the Mesa agents expose their rows.

Our scenario is ``model.config`` (Mesa reserves ``model.scenario`` for its own).
"""

from __future__ import annotations

from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from agents.chipvendor import ChipVendor
from agents.deals import Deal, deals_phase
from agents.hyperscaler import Hyperscaler
from agents.lab import KIND_MAJOR, AILab, LabArrays, allocate_demand, plan_labs
from agents.orders import assemble_orders
from agents.record import Recorder
from agents.regulator import Regulator
from agents.scenario import FAMILIES, Scenario
from agents.settle import settle_month
from agents.settlement import clear_month
from agents.utility import HOURS_PER_MONTH, Utility
from agents.world import build_world
from market.contracts import ContractTable
from market.ledger import Ledger

__all__ = ["PHASES", "GigawattModel", "InvariantError"]

PHASES = ("exogenous", "plan", "deals", "orders", "clear", "settle", "record")
"""The seven phases of a month, in order."""

CHIP_BID_PREMIUM = 1.5
"""Hyperscalers pay up to 1.5x list price in a shortage (est.; allocation premia 2023-24)."""

H100_TFLOPS = 989.0
"""Dense BF16 TFLOP/s of one H100 SXM: the unit of compute (CALIBRATION.md "H100 SXM")."""


class InvariantError(RuntimeError):
    """Money or goods not conserved, a negative stock, or a contract neither honoured nor penalised."""


class GigawattModel(mesa.Model):
    """The AI compute economy of one scenario, stepped month by month.

    Parameters
    ----------
    scenario : Scenario
        The validated world and rules (see :mod:`agents.scenario`).
    rng : int or numpy.random.Generator, optional
        The run's single random generator (or its seed).
    check : bool
        Check invariants in every ``record`` phase (raise :class:`InvariantError`).

    Attributes
    ----------
    month : int
        Months completed so far (the month the next step simulates).
    graph : networkx.MultiDiGraph
        Agents as nodes (by ``unique_id``); trade, contract and equity edges.
    """

    def __init__(
        self,
        scenario: Scenario,
        rng: int | np.random.Generator | None = None,
        *,
        check: bool = True,
    ) -> None:
        super().__init__(rng=rng)
        self.config = scenario
        self.month = 0
        self.check = check
        self.deal_list: list[Deal] = []
        self.fallbacks = 0
        self._queue: dict[str, tuple[Ledger, list[tuple[np.ndarray, ...]]]] = {}
        self._goods_turnover = {"power_mwh": 0.0, "compute_h100e_hours": 0.0}
        self.contracts = ContractTable()
        self.usd: Ledger
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.utilities: list[Utility] = []
        self.vendors: list[ChipVendor] = []
        self.hyperscalers: list[Hyperscaler] = []
        self.lab_agents: list[AILab] = []
        self.regulators: list[Regulator] = []
        self.labs: LabArrays
        build_world(self)
        self.recorder = Recorder(self)
        self.book: Any = None
        self.result: Any = None

    # ------------------------------------------------------------ accessors
    def post_usd(self, payer: Any, payee: Any, amount: Any, reason: str) -> None:
        """Queue a dollar transfer (vectorized) for the money ledger."""
        self.post(self.usd, payer, payee, np.maximum(amount, 0.0), reason)

    def post(self, ledger: Ledger, payer: Any, payee: Any, amount: Any, reason: str) -> None:
        """Queue transfers for ``ledger``; :meth:`flush` books the queue in one call.

        Batching keeps the ledger's per-call cost out of the hot path; every phase
        ends with a flush, and anything that reads balances flushes first.
        """
        p, q, a = np.broadcast_arrays(
            np.asarray(payer, dtype=np.int64),
            np.asarray(payee, dtype=np.int64),
            np.asarray(amount, dtype=float),
        )
        if a.size == 0:
            return
        code = ledger.reason_code(reason)
        self._queue.setdefault(ledger.asset, (ledger, []))[1].append(
            (p.ravel(), q.ravel(), a.ravel(), np.full(a.size, code, dtype=np.int64))
        )

    def flush(self) -> None:
        """Book every queued transfer, one ``Ledger.post`` call per ledger."""
        for ledger, parts in self._queue.values():
            if parts:
                p, q, a, r = (np.concatenate(c) for c in zip(*parts, strict=True))
                ledger.post(p, q, a, r)
        self._queue = {}

    def newest_generation(self, family: int, month: int) -> int:
        """Index of the newest generation of ``family`` released by ``month``."""
        ok = (self.gen_family == family) & (self.gen_release <= month)
        idx = np.flatnonzero(ok) if ok.any() else np.flatnonzero(self.gen_family == family)
        return int(idx[np.argmax(self.gen_release[idx])])

    def cloud_revenue_year(self) -> np.ndarray:
        """Annual cloud revenue per hyperscaler: trailing AI compute plus other cloud."""
        ai = self.hs_revenue_hist.sum(axis=0) * (12.0 / max(1, min(12, self.month)))
        growth = (1.0 + self.config.demand.non_ai_cloud_growth_per_year) ** (self.month / 12.0)
        return ai + self.hs_non_ai_revenue * growth

    @property
    def lab_spend_year(self) -> np.ndarray:
        """Trailing annual compute spend of each lab at each hyperscaler, (labs, H)."""
        return self.lab_spend_hist.sum(axis=0) * (12.0 / max(1, min(12, self.month)))

    def add_contract(self, *, kind: str, seller: int, buyer: int, **terms: Any) -> int:
        """Add a contract row and its graph edge; returns the row id."""
        row = self.contracts.add(kind=kind, seller=seller, buyer=buyer, **terms)
        src = self._party(kind, seller, seller_side=True)
        dst = self._party(kind, buyer, seller_side=False)
        self._graph.add_edge(
            src,
            dst,
            key=f"contract-{row}",
            kind="contract",
            good=kind,
            row=row,
            volume=terms.get("volume"),
            price=terms.get("price"),
            exclusive=terms.get("exclusive", False),
        )
        return row

    def _party(self, kind: str, index: int, *, seller_side: bool) -> int:
        return int(self.agent_by_role(kind, index, seller_side).unique_id)

    def agent_by_role(self, kind: str, index: int, seller: bool) -> Any:
        """The agent on one side of a contract of ``kind`` (role-local index)."""
        if kind == "compute":
            return self.hyperscalers[index] if seller else self.lab_agents[index]
        if kind == "power":
            return self.utilities[index] if seller else self.hyperscalers[index]
        return self.vendors[index] if seller else self.hyperscalers[index]

    def graph_equity(self, deal: Deal) -> None:
        """Write a deal's equity stake onto the graph."""
        src = self.hyperscalers[deal.investor].unique_id
        dst = self.lab_agents[deal.lab].unique_id
        self._graph.add_edge(
            src,
            dst,
            key=f"equity-{deal.id}",
            kind="equity",
            share=deal.equity,
            invested=deal.invested,
        )

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The trade graph, with last month's flows written onto the trade edges."""
        flows = self.recorder.last_edge_flows
        for (u, v, key), flow in flows.items():
            if self._graph.has_edge(u, v, key):
                self._graph.edges[u, v, key]["flow"] = flow
        return self._graph

    # ------------------------------------------------------------ phases
    def exogenous(self) -> None:
        """Demand, technology, policy and pipelines for the month."""
        t = self.month
        d = self.config.demand
        g = d.growth_per_year * (1.0 - d.growth_decay_per_year) ** (t / 12.0)
        self.expected_growth = g
        shock = float(np.exp(self.rng.normal(0.0, 0.02)))
        if t > 0:
            self.demand_level *= (1.0 + g) ** (1.0 / 12.0)
        self.demand_usd = self.demand_level * shock
        for u in self.utilities:
            u.exogenous(t)
        for v in self.vendors:
            v.exogenous(t)
        self.built += self.pipeline_built[:, :, t]
        self.interconnected += self.pipeline_power[:, :, t]
        self.egress_fee = min(
            [
                r.switching_fee(t, self.config.lockin.egress_fee_per_h100e_hour)
                for r in self.regulators
            ]
            or [self.config.lockin.egress_fee_per_h100e_hour]
        )
        # chips retire at 1/life a month (CALIBRATION.md: chip life, est. 5 years)
        retired = self.fleet / self.config.chips.life_months
        self.fleet -= retired
        per_h = retired.sum(axis=(1, 2))
        self.post(self.chips, self.hs_accounts, 0, per_h, "retire")
        self._update_capacity()

    def _update_capacity(self) -> None:
        """Compute capacity, energy and cost per H100e-hour at every (h, r, f) node."""
        cfg = self.config
        avail = cfg.datacentres.availability
        fam = np.eye(len(FAMILIES))[self.gen_family]  # (G, F)
        h100e = np.einsum("hrg,g,gf->hrf", self.fleet, self.gen_h100e, fam)
        it_mw = np.einsum("hrg,g->hr", self.fleet, self.gen_it_watts) / 1e6
        powered = np.minimum(self.built, self.interconnected)
        running = np.divide(powered, it_mw, out=np.ones_like(it_mw), where=it_mw > 0)
        self.running_share = np.minimum(1.0, running)
        self.node_capacity = h100e * self.running_share[:, :, None] * HOURS_PER_MONTH * avail
        watts = np.einsum("hrg,g,gf->hrf", self.fleet, self.gen_it_watts, fam)
        self.node_mwh = np.divide(
            watts * cfg.power.pue / 1e6, h100e, out=np.zeros_like(h100e), where=h100e > 0
        )
        capital = np.einsum("hrg,g,gf->hrf", self.fleet, self.gen_cost, fam)
        hours = HOURS_PER_MONTH * avail
        chip_cost = np.divide(
            capital,
            h100e * cfg.chips.life_months * hours,
            out=np.zeros_like(h100e),
            where=h100e > 0,
        )
        shell = (
            self.node_mwh
            / cfg.power.pue
            * cfg.datacentres.cost_per_mw
            / (cfg.datacentres.life_months * hours)
        )
        power = self.node_mwh * self.power_price_last[None, :, None]
        markup = np.array([h.markup for h in self.hyperscalers])[:, None, None]
        self.node_cost = (chip_cost + shell + power) * (1.0 + markup)

    def plan(self) -> None:
        """Agents' decisions: generation build, lab funding/porting, capex, chip targets."""
        t = self.month
        for u in self.utilities:
            u.plan(t)
        allocate_demand(self, self.demand_usd)
        plan_labs(self, t)
        cfg = self.config
        avail = cfg.datacentres.availability
        # H100e-hours a month -> IT MW: x (MWh per H100e-h / PUE) / (730 h x availability)
        mw_per_h = self.node_mwh / cfg.power.pue / (HOURS_PER_MONTH * avail)
        sold_mw = (self.node_sold * mw_per_h).sum(axis=(1, 2))
        contracted = self._contracted_h100e_hours(t + 24)
        fleet_mw_per_h100e_h = np.divide(
            (mw_per_h * self.node_capacity).sum(axis=(1, 2)),
            self.node_capacity.sum(axis=(1, 2)),
            out=np.full(self.n_h, 1.3e-3 / (HOURS_PER_MONTH * avail)),
            where=self.node_capacity.sum(axis=(1, 2)) > 0,
        )
        contracted_mw = contracted.sum(axis=1) * fleet_mw_per_h100e_h
        self.flush()
        for h in self.hyperscalers:
            h.plan(t, float(sold_mw[h.index]), float(contracted_mw[h.index]), self.expected_growth)
        self._chip_targets(t, contracted, contracted_mw)

    def _contracted_h100e_hours(self, month: int) -> np.ndarray:
        """Compute-contract volume per (hyperscaler, family) in force at ``month``."""
        out = np.zeros((self.n_h, len(FAMILIES)))
        rows = self.contracts.active(month, "compute")
        if rows.size:
            fam = self.contracts.family[rows]
            for f in range(len(FAMILIES)):
                sel = (fam == f) | ((fam < 0) & (f == 0))
                np.add.at(
                    out[:, f], self.contracts.seller[rows][sel], self.contracts.volume[rows][sel]
                )
        return out

    def _chip_targets(self, t: int, contracted: np.ndarray, contracted_mw: np.ndarray) -> None:
        """Units of chips each hyperscaler bids for, per family, to fill powered MW."""
        it_mw = np.einsum("hrg,g->hr", self.fleet, self.gen_it_watts) / 1e6
        powered_next = np.minimum(
            self.built + self.pipeline_built[:, :, t + 1],
            self.interconnected + self.pipeline_power[:, :, t + 1],
        )
        free = np.maximum(0.0, powered_next - it_mw)
        self.free_mw = free
        total_free = free.sum(axis=1)
        want = np.zeros((self.n_h, len(FAMILIES)))
        price = np.zeros((self.n_h, len(FAMILIES)))
        share_contract = np.divide(contracted, contracted.sum(axis=1, keepdims=True) + 1e-9)
        for h in self.hyperscalers:
            mix = h.family_mix * self.hs_can_buy[h.index]
            tot_c = contracted_mw[h.index]
            built_mw = max(1.0, float(self.built[h.index].sum()))
            boost = min(1.0, tot_c / built_mw) * share_contract[h.index] * self.hs_can_buy[h.index]
            mix = np.maximum(mix, boost)
            mix = mix / mix.sum() if mix.sum() > 0 else mix
            for f in range(len(FAMILIES)):
                if mix[f] <= 0:
                    continue
                g = self.newest_generation(f, t)
                want[h.index, f] = total_free[h.index] * mix[f] * 1e6 / self.gen_it_watts[g]
                price[h.index, f] = self.gen_cost[g] * CHIP_BID_PREMIUM
        self.chip_want, self.chip_bid_price = want, price

    def deals(self) -> None:
        """Deal proposals, regulator review, tranches and new contracts."""
        deals_phase(self, self.month)

    def orders(self) -> None:
        """Every agent posts offers and bids, gathered into arrays per market."""
        self.gross = assemble_orders(self)

    def clear(self) -> None:
        """Contracts settle first, then one vectorized clearing of every spot market."""
        clear_month(self)

    def settle(self) -> None:
        """Payments, deliveries, capability, exits."""
        settle_month(self)

    def record(self) -> None:
        """Collect this month's data and check the invariants."""
        self.flush()
        self.recorder.record()
        if self.check:
            self.check_invariants()

    def step(self) -> None:
        """Run the seven phases of one month."""
        self.usd.step = self.chips.step = self.power.step = self.compute.step = self.month
        for name in PHASES:
            getattr(self, name)()
            self.flush()
        self.month += 1

    # ------------------------------------------------------------ checks
    def check_invariants(self) -> None:
        """Raise :class:`InvariantError` if any invariant is broken this month."""
        for led in (self.usd, self.chips, self.power, self.compute):
            try:
                led.check()
            except ValueError as exc:
                raise InvariantError(str(exc)) from exc
        if (self.fleet < -1e-6).any():
            raise InvariantError("negative chip stock in a hyperscaler fleet")
        held = self.chips.balances[self.hs_accounts]
        if not np.allclose(held, self.fleet.sum(axis=(1, 2)), rtol=1e-6, atol=1e-3):
            raise InvariantError("chip ledger balances differ from the installed fleets")
        self._goods_turnover["power_mwh"] += float(self.power_bought.sum())
        self._goods_turnover["compute_h100e_hours"] += self.compute_delivered
        for led in (self.power, self.compute):
            inner = np.delete(led.balances, 0)
            if (np.abs(inner) > 1e-9 * max(1.0, self._goods_turnover[led.asset])).any():
                raise InvariantError(f"{led.asset} left in an agent's account: goods not conserved")
        s = self.last_settlement
        if s is not None and s.index.size:
            vol = self.contracts.volume[s.index]
            need = (
                self.contracts.penalty_rate[s.index]
                * self.contracts.price[s.index]
                * (vol - s.delivered)
            )
            if not np.allclose(s.penalty, need, rtol=1e-9, atol=1e-6):
                raise InvariantError("a contract delivered short without its penalty booked")

    # ------------------------------------------------------------ data
    def model_frame(self) -> pd.DataFrame:
        """One row per month recorded so far (see issue 3 for the columns)."""
        return self.recorder.model_frame()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tidy tables: regions, agents, deals, contracts, labs."""
        return self.recorder.tables()

    @property
    def major_labs(self) -> list[AILab]:
        return [a for a in self.lab_agents if self.labs.kind[a.index] == KIND_MAJOR]
