"""Infrastructure-for-equity deals: proposal, review, tranches, committed spend.

DESIGN.md, "Contracts and deals": the investor pays tranches (an upfront one, the rest
on revenue milestones) for equity at the lab's valuation (``capital.valuation_multiple``
x annual revenue); the lab commits to spend ``committed_spend_usd`` over ``term_months``
on the investor's cloud (a take-or-pay compute contract, optionally on the investor's
silicon, up to ``reserved_mw``), optionally exclusive. Every deal is reviewed by the
regulators of the lab's home region before it starts (``regulation.review_lag_months``).
Defaults follow CALIBRATION.md "The deal at the centre".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from agents.scenario import FAMILIES
from agents.utility import HOURS_PER_MONTH

if TYPE_CHECKING:
    from agents.model import GigawattModel
    from agents.scenario import DealCfg

__all__ = ["Deal", "deals_phase"]


@dataclass
class Deal:
    """One deal's terms and running state."""

    id: int
    investor: int
    lab: int
    cfg: DealCfg
    propose_month: int
    decision_month: int
    status: str = "proposed"
    conditions: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    contract: int = -1
    start_month: int = -1
    invested: float = 0.0
    equity: float = 0.0
    tranches_paid: int = 0
    milestone_base: float = 0.0
    spend_at_start: float = 0.0
    post_hhi: float = float("nan")

    def revenue_so_far(self, model: GigawattModel) -> float:
        """Cloud revenue the investor earned from the lab since the deal started."""
        if self.start_month < 0:
            return 0.0
        return float(model.lab_spend_cum[self.lab, self.investor] - self.spend_at_start)

    def round_trip_ratio(self, model: GigawattModel) -> float:
        """Cloud revenue from the lab so far / investment so far (nan before any)."""
        return self.revenue_so_far(model) / self.invested if self.invested > 0 else float("nan")


def deals_phase(model: GigawattModel, month: int) -> None:
    """Propose, review, start deals; pay milestone tranches; end deals of exited labs."""
    cfg = model.config.deal
    if cfg.enabled and month == cfg.propose_month and not any(d.id == 0 for d in model.deal_list):
        inv = model.hyperscaler_index[cfg.investor]
        lab = model.lab_index[cfg.lab]
        lag = model.config.regulation.review_lag_months
        model.deal_list.append(Deal(0, inv, lab, cfg, month, month + lag, status="under review"))
    if model.config.capital.strategic_deals:
        _propose_strategic(model, month)
    for deal in model.deal_list:
        if deal.status == "under review" and month >= deal.decision_month:
            _decide(model, deal, month)
        elif deal.status.startswith("approved"):
            if not model.labs.active[deal.lab]:
                deal.status = "ended (lab exited)"
                continue
            _milestones(model, deal)


def _propose_strategic(model: GigawattModel, month: int) -> None:
    """A lab the VC pool turned down gets a strategic offer from the richest cloud.

    Terms (``capital.strategic_*``, est.): the round it asked for as investment, a
    non-exclusive take-or-pay commitment of ``strategic_spend_multiple`` times it over
    ``strategic_term_months`` at the expected compute price, no milestone tranches.
    """
    from agents.scenario import DealCfg

    cap = model.config.capital
    busy = {
        d.lab
        for d in model.deal_list
        if d.status in ("under review",) or d.status.startswith("approved")
    }
    for lab, amount in getattr(model, "funding_gap", {}).items():
        if lab in busy or amount <= 0:
            continue
        cash = np.array([h.cash if not h.fringe else -np.inf for h in model.hyperscalers])
        inv = int(np.argmax(cash))
        if cash[inv] < amount:
            continue
        terms = DealCfg(
            enabled=True,
            investor=model.hyperscalers[inv].name,
            lab=model.lab_agents[lab].name,
            propose_month=month,
            investment_usd=amount,
            milestone_usd=0.0,
            milestone_tranches=0,
            committed_spend_usd=cap.strategic_spend_multiple * amount,
            term_months=cap.strategic_term_months,
            price_per_h100e_hour=max(0.5, float(model.expected_compute_price)),
            silicon=None,
            exclusive=False,
        )
        lag = model.config.regulation.review_lag_months
        next_id = 1 + max([d.id for d in model.deal_list], default=0)
        model.deal_list.append(
            Deal(next_id, inv, lab, terms, month, month + lag, status="under review")
        )
        busy.add(lab)


def _valuation(model: GigawattModel, lab: int) -> float:
    annual = float(model.labs.revenue[lab]) * 12.0
    return max(1e9, model.config.capital.valuation_multiple * annual)


def _pay(model: GigawattModel, deal: Deal, amount: float) -> None:
    if amount <= 0:
        return
    inv_acc = model.hyperscalers[deal.investor].unique_id
    lab_acc = int(model.labs.account[deal.lab])
    value = _valuation(model, deal.lab)
    model.post_usd(inv_acc, lab_acc, amount, "deal_tranche")
    # post-money equity of this tranche, diluting earlier stakes proportionally
    deal.equity = deal.equity * value / (value + amount) + amount / (value + amount)
    deal.invested += amount
    model.graph_equity(deal)


def _decide(model: GigawattModel, deal: Deal, month: int) -> None:
    cfg = deal.cfg
    a = model.labs
    if not a.active[deal.lab]:
        deal.status = "withdrawn (lab exited)"
        return
    annual_commit = cfg.committed_spend_usd / cfg.term_months * 12.0
    spend = model.lab_spend_year[deal.lab].copy()
    others = spend.copy()
    others[deal.investor] = 0.0
    moved = others * min(1.0, annual_commit / others.sum()) if others.sum() > 0 else others
    added = max(0.0, annual_commit - moved.sum())
    value = _valuation(model, deal.lab)
    equity = cfg.investment_usd / (value + cfg.investment_usd)
    revenue = model.cloud_revenue_year()
    reviews = [
        reg.review(revenue, model.hs_fringe, deal.investor, moved, added, equity, cfg.exclusive)
        for reg in model.regulators
        if reg.in_jurisdiction(int(a.home[deal.lab]))
    ]
    blocked = [r for r in reviews if r.decision == "blocked"]
    deal.post_hhi = reviews[0].post_hhi if reviews else float("nan")
    if blocked:
        deal.status = "blocked"
        deal.reasons = [why for r in blocked for why in r.reasons]
        return
    deal.conditions = sorted({c for r in reviews for c in r.conditions})
    deal.status = "approved with conditions" if deal.conditions else "approved"
    deal.start_month = month
    deal.spend_at_start = float(model.lab_spend_cum[deal.lab, deal.investor])
    deal.milestone_base = float(a.revenue[deal.lab]) * 12.0
    _pay(model, deal, cfg.investment_usd)
    family = FAMILIES.index(cfg.silicon) if cfg.silicon is not None else -1
    volume = cfg.committed_spend_usd / cfg.term_months / cfg.price_per_h100e_hour
    gen = model.newest_generation(family if family >= 0 else 0, month)
    it_w = model.gen_it_watts[gen] / model.gen_h100e[gen]
    reserved = (
        cfg.reserved_mw * 1e6 / it_w * HOURS_PER_MONTH * model.config.datacentres.availability
    )
    deal.contract = model.add_contract(
        kind="compute",
        seller=deal.investor,
        buyer=deal.lab,
        volume=min(volume, reserved),
        price=cfg.price_per_h100e_hour,
        start=month,
        end=month + cfg.term_months,
        take_or_pay=cfg.take_or_pay,
        exclusive=cfg.exclusive,
        penalty_rate=cfg.penalty_rate,
        family=family,
        deal=deal.id,
    )


def _milestones(model: GigawattModel, deal: Deal) -> None:
    cfg = deal.cfg
    if cfg.milestone_tranches == 0 or deal.tranches_paid >= cfg.milestone_tranches:
        return
    run_rate = float(model.labs.revenue[deal.lab]) * 12.0
    threshold = deal.milestone_base + (deal.tranches_paid + 1) * cfg.milestone_revenue_step
    if run_rate >= threshold:
        deal.tranches_paid += 1
        _pay(model, deal, cfg.milestone_usd / cfg.milestone_tranches)


def deal_rows(model: GigawattModel, month: int) -> list[dict[str, object]]:
    """One tidy row per deal for this month's deals table."""
    rows = []
    for d in model.deal_list:
        rows.append(
            {
                "month": month,
                "deal": d.id,
                "investor": model.hyperscalers[d.investor].name,
                "lab": model.lab_agents[d.lab].name,
                "status": d.status,
                "invested_usd": d.invested,
                "equity_share": d.equity,
                "cloud_revenue_usd": d.revenue_so_far(model),
                "round_trip_ratio": d.round_trip_ratio(model),
                "tranches_paid": d.tranches_paid,
                "post_hhi": d.post_hhi,
                "conditions": "; ".join(d.conditions),
                "reasons": "; ".join(d.reasons),
            }
        )
    return rows
