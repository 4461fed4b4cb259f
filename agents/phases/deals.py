"""Phase 3, ``deals``: proposals, regulator review, tranches and new contracts.

The scenario's headline deal (id 0) is proposed in the month ``deal.propose``, and each of
``other_deals`` (ids 1, 2, ...) in its own; with ``capital.strategic_deals`` a lab the
investor pool turned down gets a strategic offer from the richest cloud
(:func:`propose_strategic`, ids after those). Each proposal is reviewed by the
regulators of the lab's home region, each with its own rules, after
``regulation.review_lag_months`` (:func:`agents.regulator.review_deal`) on the relevant
market, AI accelerator-hours (:func:`review_shift`); an approved deal pays its upfront
tranche, signs its compute contract (non-exclusive when a regulator struck the
exclusivity clause) and writes its equity edge; milestone tranches follow when the
lab's revenue run-rate passes each step. A deal whose lab exits ends.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from agents.accounts import Accounts
from agents.contracting import sign_contract
from agents.deal import Deal, equity_after, valuation
from agents.graph import add_equity_edge
from agents.hyperscaler import Hyperscaler
from agents.lab import LabArrays
from agents.regulator import EXCLUSIVITY_STRUCK, Regulator, review_deal
from agents.scenario import FAMILIES, DealCfg, Scenario
from agents.state import Clouds, FloatArray, History, Market, Tech
from agents.units import HOURS_PER_MONTH, MONTHS_PER_YEAR, W_PER_MW, month_date, months_between
from market.contracts import ContractTable


def _deal_bound(name: str) -> float:
    """The largest value :class:`agents.scenario.DealCfg` accepts for field ``name``."""
    for rule in DealCfg.model_fields[name].metadata:
        if getattr(rule, "le", None) is not None:
            return float(rule.le)
    raise KeyError(f"DealCfg.{name} has no upper bound")


MAX_DEAL_PRICE = _deal_bound("price_per_h100e_hour")
"""Highest contract price per H100e-hour a scenario accepts (``DealCfg``'s bound)."""
MAX_INVESTMENT = _deal_bound("investment_usd")
MAX_COMMITMENT = _deal_bound("committed_spend_usd")
"""The largest investment and committed spend a deal can state (``DealCfg``'s bounds)."""

__all__ = ["DealBook", "deals", "propose_strategic", "review_shift"]


class DealBook:
    """What a deal touches: the books, the contracts, the graph (passed as one argument)."""

    def __init__(
        self, accounts: Accounts, contracts: ContractTable, graph: nx.MultiDiGraph, labs: LabArrays
    ) -> None:
        self.accounts, self.contracts, self.graph, self.labs = accounts, contracts, graph, labs

    def pay(self, deal: Deal, amount: float, multiple: float) -> None:
        """Pay a tranche for equity at the lab's valuation; update the equity edge."""
        if amount <= 0:
            return
        inv_acc = int(self.accounts.hyperscaler[deal.investor])
        lab_acc = int(self.labs.account[deal.lab])
        value = valuation(float(self.labs.revenue[deal.lab]) * MONTHS_PER_YEAR, multiple)
        self.accounts.pay(inv_acc, lab_acc, amount, "deal_tranche")
        deal.equity = equity_after(deal.equity, value, amount)
        deal.invested += amount
        add_equity_edge(self.graph, inv_acc, lab_acc, deal.id, deal.equity, deal.invested)


def propose_strategic(
    month: int,
    cfg: Scenario,
    deal_list: list[Deal],
    funding_gap: dict[int, float],
    hyperscalers: Sequence[Hyperscaler],
    lab_names: Sequence[str],
    expected_price: float,
) -> None:
    """A lab the investor pool turned down gets a strategic offer from the richest cloud.

    Terms (``capital.strategic_*``, est.): the round it asked for as investment, a
    non-exclusive take-or-pay commitment of ``strategic_spend_multiple`` times it over
    ``strategic_term_months`` at the expected compute price, no milestone tranches. A round
    larger than any deal can state (:data:`MAX_INVESTMENT`, or a commitment above
    :data:`MAX_COMMITMENT`) gets no offer.
    """
    cap = cfg.capital
    busy = {d.lab for d in deal_list if d.live}
    for lab, amount in funding_gap.items():
        if lab in busy or amount <= 0:
            continue
        if amount > MAX_INVESTMENT or cap.strategic_spend_multiple * amount > MAX_COMMITMENT:
            continue
        cash = np.array([h.cash if not h.fringe else -np.inf for h in hyperscalers])
        inv = int(np.argmax(cash))
        if cash[inv] < amount:
            continue
        terms = DealCfg(
            enabled=True,
            investor=hyperscalers[inv].name,
            lab=lab_names[lab],
            propose=month_date(cfg.start, month),
            investment_usd=amount,
            milestone_usd=0.0,
            milestone_tranches=0,
            committed_spend_usd=cap.strategic_spend_multiple * amount,
            term_months=cap.strategic_term_months,
            price_per_h100e_hour=min(MAX_DEAL_PRICE, max(0.5, float(expected_price))),
            silicon=None,
            exclusive=False,
        )
        lag = cfg.regulation.review_lag_months
        # after the scenario's own deals (0, and 1.. for other_deals) and any before it
        next_id = 1 + max([d.id for d in deal_list] + [len(cfg.other_deals)])
        deal_list.append(Deal(next_id, inv, lab, terms, month, month + lag, status="under review"))
        busy.add(lab)


def review_shift(
    lab_spend: FloatArray,
    price: FloatArray,
    investor: int,
    committed_hours: float,
    exclusive: bool = False,
) -> tuple[FloatArray, float]:
    """Hours a deal moves to the investor from each cloud, and the hours it adds, a year.

    The lab's hours at each cloud are its spend there over that cloud's average price.
    After the deal the lab buys at least ``committed_hours`` from the investor: the
    shortfall over what it already buys there is first moved pro rata from the other
    clouds, the rest is new (est.: the reviewer's view that the commitment replaces
    spend before it adds any; ``docs/calibration.md`` [est-review-shift]). Under ``exclusive`` terms the lab may buy from no other
    cloud, so all its hours elsewhere move (the foreclosure a ban on exclusive terms
    removes; FTC 6(b) study of AI partnerships, ``docs/calibration.md`` [reg-ftc-6b]).

    >>> moved, added = review_shift(np.array([10.0, 30.0]), np.array([2.0, 3.0]), 0, 12.0)
    >>> moved.tolist(), added
    ([0.0, 7.0], 0.0)
    >>> moved, added = review_shift(np.array([10.0, 30.0]), np.array([2.0, 3.0]), 0, 12.0, True)
    >>> moved.tolist(), added
    ([0.0, 10.0], 0.0)
    """
    hours = np.divide(lab_spend, price, out=np.zeros_like(lab_spend), where=price > 0)
    need = max(0.0, committed_hours - float(hours[investor]))
    others = hours.copy()
    others[investor] = 0.0
    total = float(others.sum())
    if exclusive:
        return others, max(0.0, need - total)
    # a shortfall of at least what the other clouds sell moves all of it, as need / total
    # capped at 1 would, without dividing by next to nothing (1e-310 hours overflowed)
    moved = others if need >= total else others * (need / total)
    return moved, max(0.0, need - float(moved.sum()))


def _decide(
    month: int,
    cfg: Scenario,
    deal: Deal,
    book: DealBook,
    tech: Tech,
    clouds: Clouds,
    history: History,
    regulators: Sequence[Regulator],
) -> None:
    terms = deal.cfg
    a = book.labs
    if not a.active[deal.lab]:
        deal.status = "withdrawn (lab exited)"
        return
    family = FAMILIES.index(terms.silicon) if terms.silicon is not None else -1
    gen = tech.newest(family if family >= 0 else 0, month)
    it_w = tech.it_watts[gen] / tech.h100e[gen]
    reserved = terms.reserved_mw * W_PER_MW / it_w * HOURS_PER_MONTH * cfg.datacentres.availability
    volume = min(
        terms.committed_spend_usd / terms.term_months / terms.price_per_h100e_hour, reserved
    )
    hours = history.hours_year()
    revenue = history.revenue_year()
    with np.errstate(over="ignore"):  # next to no hours: inf, so the lab's hours there are 0
        price = np.divide(revenue, hours, out=np.zeros_like(hours), where=hours > 0)
    spend = history.lab_spend_year()[deal.lab]
    value = valuation(float(a.revenue[deal.lab]) * MONTHS_PER_YEAR, cfg.capital.valuation_multiple)
    equity = terms.investment_usd / (value + terms.investment_usd)
    reviews = []
    for reg in regulators:
        if not reg.in_jurisdiction(int(a.home[deal.lab])):
            continue
        # each authority reviews the deal as it would be signed under its rules: a ban on
        # exclusive terms strikes the clause first, so the remedied deal is what is tested
        exclusive = terms.exclusive and not reg.rules.exclusivity_ban
        moved, added = review_shift(
            spend, price, deal.investor, MONTHS_PER_YEAR * volume, exclusive
        )
        reviews.append(
            review_deal(
                reg.rules,
                hours,
                clouds.hhi_firms,
                deal.investor,
                moved,
                added,
                equity,
                terms.exclusive,
            )
        )
    blocked = [r for r in reviews if r.decision == "blocked"]
    deal.post_hhi = reviews[0].post_hhi if reviews else float("nan")
    if blocked:
        deal.status = "blocked"
        deal.reasons = [why for r in blocked for why in r.reasons]
        return
    deal.conditions = sorted({c for r in reviews for c in r.conditions})
    deal.status = "approved with conditions" if deal.conditions else "approved"
    deal.start_month = month
    deal.spend_at_start = float(history.lab_spend_cum[deal.lab, deal.investor])
    deal.milestone_base = float(a.revenue[deal.lab]) * MONTHS_PER_YEAR
    book.pay(deal, terms.investment_usd, cfg.capital.valuation_multiple)
    deal.contract = sign_contract(
        book.contracts,
        book.graph,
        book.accounts,
        kind="compute",
        seller=deal.investor,
        buyer=deal.lab,
        volume=volume,
        price=terms.price_per_h100e_hour,
        start=month,
        end=month + terms.term_months,
        take_or_pay=terms.take_or_pay,
        exclusive=terms.exclusive and EXCLUSIVITY_STRUCK not in deal.conditions,
        penalty_rate=terms.penalty_rate,
        family=family,
        deal=deal.id,
    )


def _milestones(deal: Deal, book: DealBook, multiple: float) -> None:
    terms = deal.cfg
    if terms.milestone_tranches == 0 or deal.tranches_paid >= terms.milestone_tranches:
        return
    run_rate = float(book.labs.revenue[deal.lab]) * MONTHS_PER_YEAR
    threshold = deal.milestone_base + (deal.tranches_paid + 1) * terms.milestone_revenue_step
    if run_rate >= threshold:
        deal.tranches_paid += 1
        book.pay(deal, terms.milestone_usd / terms.milestone_tranches, multiple)


def deals(
    month: int,
    cfg: Scenario,
    deal_list: list[Deal],
    funding_gap: dict[int, float],
    book: DealBook,
    tech: Tech,
    clouds: Clouds,
    history: History,
    market: Market,
    hyperscalers: Sequence[Hyperscaler],
    lab_names: Sequence[str],
    regulators: Sequence[Regulator],
) -> None:
    """Propose, review and start deals; pay milestone tranches; end deals of exited labs."""
    lag = cfg.regulation.review_lag_months
    for deal_id, d in enumerate((cfg.deal, *cfg.other_deals)):
        if (
            d.enabled
            and month == months_between(cfg.start, d.propose)
            and not any(x.id == deal_id for x in deal_list)
        ):
            inv = clouds.names.index(d.investor)
            lab = list(lab_names).index(d.lab)
            deal_list.append(Deal(deal_id, inv, lab, d, month, month + lag, status="under review"))
    if cfg.capital.strategic_deals:
        propose_strategic(
            month,
            cfg,
            deal_list,
            funding_gap,
            hyperscalers,
            lab_names,
            market.expected_compute_price,
        )
    for deal in deal_list:
        if deal.status == "under review" and month >= deal.decision_month:
            _decide(month, cfg, deal, book, tech, clouds, history, regulators)
        elif deal.status.startswith("approved"):
            if not book.labs.active[deal.lab]:
                deal.status = "ended (lab exited)"
                continue
            _milestones(deal, book, cfg.capital.valuation_multiple)
