"""AI labs and enterprise buyers: demand for compute, cash, capability, lock-in.

DESIGN.md, "Agents": a lab bids for inference compute (to serve its share of end
demand) and training compute (which raises its capability, log-scaling), raises capital
when its runway is short, ports its software to another chip family when the price gap
outweighs the migration cost and time, and is throttled when inference capacity falls
short. Scale mode adds thousands of small labs and enterprise buyers.

State lives in :class:`LabArrays` (one row per lab) so that every decision is one numpy
expression over all labs; :class:`AILab` agents are Mesa agents whose attributes read
and write their row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from agents.model import GigawattModel

__all__ = [
    "KIND_ENTERPRISE",
    "KIND_MAJOR",
    "KIND_SMALL",
    "PAYBACK_MONTHS",
    "AILab",
    "EnterpriseBuyer",
    "LabArrays",
]

KIND_MAJOR, KIND_SMALL, KIND_ENTERPRISE = 0, 1, 2

PAYBACK_MONTHS = 24
"""Horizon over which a port must pay for itself (est.)."""


@dataclass
class LabArrays:
    """Struct of arrays, one row per lab or buyer (major labs first)."""

    n: int
    n_families: int
    kind: np.ndarray = field(init=False)
    home: np.ndarray = field(init=False)
    primary: np.ndarray = field(init=False)
    family: np.ndarray = field(init=False)
    affinity: np.ndarray = field(init=False)
    capability0: np.ndarray = field(init=False)
    capability: np.ndarray = field(init=False)
    cum_training: np.ndarray = field(init=False)
    opex: np.ndarray = field(init=False)
    opex_share: np.ndarray = field(init=False)
    training_ratio: np.ndarray = field(init=False)
    weight: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)
    exit_month: np.ndarray = field(init=False)
    exclusive_with: np.ndarray = field(init=False)
    porting_to: np.ndarray = field(init=False)
    porting_done: np.ndarray = field(init=False)
    demand_usd: np.ndarray = field(init=False)
    inference_need: np.ndarray = field(init=False)
    training_need: np.ndarray = field(init=False)
    served: np.ndarray = field(init=False)
    received: np.ndarray = field(init=False)
    revenue: np.ndarray = field(init=False)
    spend: np.ndarray = field(init=False)
    net_flow: np.ndarray = field(init=False)
    burn: np.ndarray = field(init=False)
    raised_total: np.ndarray = field(init=False)
    account: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n, f = self.n, self.n_families
        for name in (
            "capability0",
            "capability",
            "cum_training",
            "opex",
            "opex_share",
            "training_ratio",
            "weight",
            "demand_usd",
            "inference_need",
            "training_need",
            "served",
            "received",
            "revenue",
            "spend",
            "net_flow",
            "burn",
            "raised_total",
        ):
            setattr(self, name, np.zeros(n))
        for name in ("kind", "home", "primary", "family", "account"):
            setattr(self, name, np.zeros(n, dtype=np.int64))
        self.affinity = np.zeros((n, f))
        self.active = np.ones(n, dtype=bool)
        self.exit_month = np.full(n, -1, dtype=np.int64)
        self.exclusive_with = np.full(n, -1, dtype=np.int64)
        self.porting_to = np.full(n, -1, dtype=np.int64)
        self.porting_done = np.full(n, -1, dtype=np.int64)


class AILab(mesa.Agent):
    """An AI lab; attributes are views of row ``index`` of the model's :class:`LabArrays`."""

    kind = "lab"

    def __init__(self, model: GigawattModel, index: int, name: str) -> None:
        super().__init__(model)
        self.index = index
        self.name = name

    @property
    def _a(self) -> LabArrays:
        return self.model.labs

    @property
    def cash(self) -> float:
        return float(self.model.usd.balances[self.unique_id])

    @property
    def capability(self) -> float:
        return float(self._a.capability[self.index])

    @property
    def active(self) -> bool:
        return bool(self._a.active[self.index])

    @property
    def affinity(self) -> np.ndarray:
        return self._a.affinity[self.index]

    @property
    def throttled_share(self) -> float:
        need = self._a.inference_need[self.index]
        return float(1.0 - self._a.served[self.index] / need) if need > 0 else 0.0


class EnterpriseBuyer(AILab):
    """A buyer of inference compute for its own products (scale mode); never trains."""

    kind = "enterprise"


def allocate_demand(model: GigawattModel, total_usd: float) -> None:
    """Split end demand among active labs: majors by capability, the rest by weight.

    Major labs share ``1 - scale.demand_share`` (all of it without scale mode) in
    proportion to ``exp(beta * capability)`` (a logit share; est.); small labs and
    enterprise buyers share the rest in proportion to their fixed weights.
    """
    a = model.labs
    cfg = model.config
    major = (a.kind == KIND_MAJOR) & a.active
    rest = (a.kind != KIND_MAJOR) & a.active
    rest_share = cfg.scale.demand_share if rest.any() else 0.0
    logit = np.where(
        major, np.exp(cfg.demand.capability_beta * (a.capability - a.capability.max())), 0.0
    )
    a.demand_usd[:] = 0.0
    if logit.sum() > 0:
        a.demand_usd += total_usd * (1.0 - rest_share) * logit / logit.sum()
    w = np.where(rest, a.weight, 0.0)
    if w.sum() > 0:
        a.demand_usd += total_usd * rest_share * w / w.sum()
    a.inference_need[:] = a.demand_usd / cfg.demand.revenue_per_h100e_hour


def plan_labs(model: GigawattModel, month: int) -> None:
    """Funding, training targets and porting for every lab at once.

    - Runway: cash / trailing burn; below ``capital.runway_months`` a lab asks the
      outside investor pool for ``capital.round_months`` of burn, granted with
      probability ``capital.vc_success_prob`` (one draw per lab from the run's rng),
      and halves its training while short.
    - Porting: a major lab whose cheapest price on a low-affinity family is below
      ``1 - lockin.porting_gap`` times what it pays now, and whose savings over
      :data:`PAYBACK_MONTHS` less the ``lockin.porting_months`` spent porting exceed
      ``lockin.porting_cost_usd``, starts porting: it pays the cost and gets full
      affinity after ``lockin.porting_months``.
    """
    a = model.labs
    cfg = model.config
    cash = model.usd.balances[a.account]
    burn = a.burn
    short = (
        a.active
        & (burn > 0)
        & (cash < cfg.capital.runway_months * burn)
        & (a.kind != KIND_ENTERPRISE)
    )
    draw = model.rng.random(a.n)
    ok = (
        short
        & (draw < cfg.capital.vc_success_prob)
        & (a.revenue * 12 >= cfg.capital.min_revenue_for_vc)
    )
    if ok.any():
        amount = cfg.capital.round_months * burn[ok]
        model.post_usd(0, a.account[ok], amount, "vc_round")
        a.raised_total[ok] += amount
    still_short = short & ~ok
    model.funding_gap = {
        int(i): float(cfg.capital.round_months * burn[i])
        for i in np.flatnonzero(still_short & (a.kind == KIND_MAJOR))
    }
    factor = np.where(still_short, 0.5, 1.0)
    # training: a base ratio to inference, plus spare cash reinvested over
    # ``demand.reinvest_months`` at the expected compute price, an exponential average
    # of past median node prices (adaptive expectations; damps a cobweb; est.)
    spare = np.maximum(0.0, cash - cfg.capital.runway_months * burn) / cfg.demand.reinvest_months
    price = min(max(model.expected_compute_price, 0.25), cfg.demand.training_bid)
    extra = np.where(a.training_ratio > 0, spare / price, 0.0)
    base = a.training_ratio * a.inference_need
    a.training_need[:] = np.where(a.active, (base + extra) * factor, 0.0)
    # porting finished
    done = (a.porting_done == month) & (a.porting_to >= 0)
    if done.any():
        a.affinity[done, a.porting_to[done]] = 1.0
        a.porting_to[done] = -1
    _start_porting(model, month)


def _start_porting(model: GigawattModel, month: int) -> None:
    a, cfg = model.labs, model.config
    lk = cfg.lockin
    model.flush()
    major = np.flatnonzero((a.kind == KIND_MAJOR) & a.active & (a.porting_to < 0))
    if major.size == 0 or not np.isfinite(model.family_price).all():
        return
    paid = np.divide(a.spend, a.received, out=np.full(a.n, np.nan), where=a.received > 0)
    for i in major:
        if not np.isfinite(paid[i]):
            continue
        low = a.affinity[i] < 0.999
        if not low.any():
            continue
        cand = np.where(low, model.family_price, np.inf)
        f = int(np.argmin(cand))
        # savings over a two-year payback horizon, net of the months spent porting (est.)
        saving = (paid[i] - cand[f]) * a.received[i] * max(0, PAYBACK_MONTHS - lk.porting_months)
        if (
            cand[f] < (1.0 - lk.porting_gap) * paid[i]
            and saving > lk.porting_cost_usd
            and model.usd.balances[a.account[i]] > lk.porting_cost_usd
        ):
            model.post_usd(a.account[i], 0, lk.porting_cost_usd, "porting")
            a.porting_to[i] = f
            a.porting_done[i] = month + lk.porting_months
