"""A small stand-in for the world model, with the interface the browser app reads.

It lets the app's components, its page and the browser test run without the full economy:
a Mesa model with a trade graph (utilities, chip vendors, hyperscalers, labs, a regulator,
and optionally many small labs as in scale mode), a model frame and tidy tables. Its numbers
follow simple deterministic rules so that tests can predict them by hand:

- like the world model, nothing is recorded before the first step, and the row of month ``t``
  (0 = 2026-01) is recorded by the step that simulates it;
- month ``t`` power price in region ``r`` (index ``i``) is ``50 + 5 i + t * growth`` with
  ``growth = interconnection_months / 12``, its capacity price ``50 i + 10 t`` $/MW-day
  (the frame's mean: ``75 + 10 t``; ``power.capacity_price_cap`` is 300); the compute spot
  price is ``2.0 + 0.01 t``;
- each major lab spends 1.5 $B and earns 0.5 $B a month, so its cash falls by 1 $B a month
  (its ``runway_months`` = cash / 1 $B);
- when the scenario has the deal, its cumulative investment in month ``t`` is the deal
  investment lever + 0.1 $B ``t`` and the cloud revenue from the lab 0.2 $B ``t``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from viz.session import Backend, LeverSpec, VizRun

__all__ = ["LEVERS", "StandInBackend", "StandInModel", "StandInRun", "StandInScenario"]

REGIONS = ("us-east", "us-west", "europe", "asia")
LEVERS = {
    "power.interconnection_months": LeverSpec(
        "power.interconnection_months", "Interconnection lead time", 6, 96, 6, "months"
    ),
    "demand.growth": LeverSpec("demand.growth", "Demand growth", 0.0, 2.0, 0.05, "per year"),
    "deal.investment_usd": LeverSpec(
        "deal.investment_usd", "Deal investment", 0.0, 40.0, 1.0, "$B", scale=1e9
    ),
}


def _values(months: float = 36.0) -> dict[str, float]:
    return {
        "power.interconnection_months": months,
        "demand.growth": 0.5,
        "deal.investment_usd": 8e9,
        "regulation.hhi_threshold": 2500.0,
        "power.capacity_price_cap": 300.0,
    }


@dataclass(frozen=True)
class StandInScenario:
    """Scenario stand-in: a name, lever values by dotted path, a size, a horizon, a start."""

    name: str = "baseline"
    values: Mapping[str, float] = field(default_factory=_values)
    n_small_labs: int = 0
    months: int = 120
    start: str = "2026-01"
    deal_enabled: bool = True

    def with_overrides(self, overrides: Mapping[str, float]) -> StandInScenario:
        unknown = set(overrides) - set(self.values)
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        return replace(self, values={**self.values, **overrides})

    def get(self, path: str) -> float | bool:
        if path == "deal.enabled":
            return self.deal_enabled
        return float(self.values[path])


SCENARIOS = {
    "baseline": StandInScenario(),
    "power-crunch": StandInScenario("power-crunch", _values(60.0)),
    "no-deal": StandInScenario("no-deal", deal_enabled=False, start="2027-07"),
    "scale": StandInScenario("scale", n_small_labs=2000),
}


class StandInModel(mesa.Model):
    """Stand-in world: fixed graph, rule-based prices and flows (see module docstring)."""

    def __init__(self, scenario: StandInScenario, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.scn = scenario
        self.month = 0
        self.growth = scenario.get("power.interconnection_months") / 12.0
        # the model's graph schema (agents.graph): nodes with name and kind; trade edges keyed
        # by the good with kind="trade"; contract-/equity- keyed edges; jurisdiction edges
        g = nx.MultiDiGraph()
        for i, r in enumerate(REGIONS):
            g.add_node(
                f"util-{r}", name=f"utility-{r}", kind="utility", capacity_mw=1000.0 * (i + 1)
            )
        g.add_node("nvidia", name="nvidia", kind="vendor", cash=5e10)
        g.add_node("trainium", name="annapurna", kind="vendor", cash=1e9)
        for h in ("aws", "azure", "gcp"):
            g.add_node(h, name=h, kind="hyperscaler", cash=1e11, capacity_mw=3000.0)
            for r in REGIONS:
                g.add_edge(
                    f"util-{r}", h, key="power", kind="trade", good="power", region=r, flow=0.0
                )
            g.add_edge("nvidia", h, key="chips", kind="trade", good="chips", flow=0.0)
        g.add_edge("trainium", "aws", key="chips", kind="trade", good="chips", flow=0.0)
        self.labs = ["anthropic", "openai", "lab-c"]
        for j, lab in enumerate(self.labs):
            g.add_node(lab, name=lab, kind="lab", cash=1e10 * (j + 1))
            for h in ("aws", "azure", "gcp"):
                g.add_edge(h, lab, key="compute", kind="trade", good="compute", flow=0.0)
        g.add_edge(
            "aws", "anthropic", key="contract-0", kind="contract", good="compute", row=0, flow=0.0
        )
        g.add_edge("aws", "anthropic", key="equity-0", kind="equity", share=0.1, flow=0.0)
        g.add_node("ftc", name="us-regulator", kind="regulator")
        for r in REGIONS:
            g.add_edge("ftc", f"util-{r}", key="jurisdiction", kind="jurisdiction")
        for k in range(scenario.n_small_labs):
            name = f"small-{k}"
            g.add_node(
                name,
                name=f"small-lab-{k}",
                kind="lab",
                region=REGIONS[k % 4],
                cash=1e6 * (1 + k % 7),
            )
            g.add_edge(
                ("aws", "azure", "gcp")[k % 3],
                name,
                key="compute",
                kind="trade",
                good="compute",
                flow=0.0,
            )
        self.graph = g
        self.spend, self.revenue = 1.5e9, 0.5e9
        self.rows: list[dict] = []
        self.region_rows: list[dict] = []
        self.agent_rows: list[dict] = []
        self.deal_rows: list[dict] = []

    def step(self) -> None:
        for _u, _v, data in self.graph.edges(data=True):
            if data["kind"] in {"trade", "contract"}:
                data["flow"] = float(self.rng.uniform(1, 100))
        for lab in self.labs:
            self.graph.nodes[lab]["cash"] -= self.spend - self.revenue
        self._record()
        self.month += 1
        if self.month >= self.scn.months:
            self.running = False

    def _record(self) -> None:
        t = self.month
        self.rows.append(
            {
                "month": t,
                "compute_spot_price": 2.0 + 0.01 * t,
                "compute_contract_price": 1.8 + 0.005 * t,
                "power_price": 60.0 + self.growth * t,
                "capacity_price": 75.0 + 10.0 * t,
                "chip_price": 30000.0 - 50.0 * t,
                "capacity_gw_built": 10.0 + 0.2 * t,
                "capacity_gw_powered": 9.0 + 0.15 * t,
                "utilisation": 0.8,
                "throttled_share": min(0.01 * t, 1.0),
                "cloud_hhi": 1500.0 + t,
                "chip_hhi": 7000.0 - t,
            }
        )
        for i, r in enumerate(REGIONS):
            self.region_rows.append(
                {
                    "month": t,
                    "region": r,
                    "power_price": 50.0 + 5 * i + t * self.growth,
                    "capacity_price": 50.0 * i + 10.0 * t,
                }
            )
        for node in (*self.labs, "aws", "azure", "gcp"):
            data = self.graph.nodes[node]
            lab = data["kind"] == "lab"
            self.agent_rows.append(
                {
                    "month": t,
                    "agent_id": node,
                    "name": node,
                    "kind": data["kind"],
                    "cash": data["cash"],
                    "spend": self.spend if lab else np.nan,
                    "revenue": self.revenue if lab else 1e9,
                    "runway_months": data["cash"] / (self.spend - self.revenue) if lab else np.nan,
                    "built_mw": np.nan if lab else data["capacity_mw"],
                }
            )
        if self.scn.deal_enabled:
            self.deal_rows.append(
                {
                    "month": t,
                    "deal": "aws-anthropic",
                    "invested_usd": self.scn.get("deal.investment_usd") + 1e8 * t,
                    "cloud_revenue_usd": 2e8 * t,
                }
            )

    def model_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "regions": pd.DataFrame(self.region_rows),
            "agents": pd.DataFrame(self.agent_rows),
            "deals": pd.DataFrame(self.deal_rows),
        }


class StandInBackend(Backend):
    """Backend serving :class:`StandInModel` runs."""

    def scenario_names(self) -> list[str]:
        return list(SCENARIOS)

    def levers(self) -> dict[str, LeverSpec]:
        return dict(LEVERS)

    def load(self, name: str) -> StandInScenario:
        return SCENARIOS[name]

    def build(self, scenario: StandInScenario, seed: int) -> StandInModel:
        return StandInModel(scenario, rng=seed)

    def horizon(self, scenario: StandInScenario) -> int:
        return scenario.months

    def scale_overrides(self, extra_agents: int) -> dict[str, float]:
        return {"n_small_labs": float(extra_agents)} if extra_agents else {}

    def override(self, scenario: StandInScenario, overrides) -> StandInScenario:
        small = int(overrides.get("n_small_labs", scenario.n_small_labs))
        levers = {k: v for k, v in overrides.items() if k != "n_small_labs"}
        return replace(scenario.with_overrides(levers), n_small_labs=small)


class StandInRun(VizRun):
    """A :class:`viz.session.VizRun` over the stand-in model."""

    backend = StandInBackend()
