"""Infrastructure-for-equity deals: terms, running state and their measures.

The investor pays tranches (an upfront one, the rest on revenue milestones) for equity
at the lab's valuation (``capital.valuation_multiple`` x annual revenue); the lab
commits to spend ``committed_spend_usd`` over ``term_months`` on the investor's cloud
(a take-or-pay compute contract, optionally on the investor's silicon, up to
``reserved_mw``), optionally exclusive (``docs/calibration.md``: the Amazon-Anthropic
deal). The monthly logic is :mod:`agents.phases.deals`.

Two measures of what the investor gets back: :meth:`Deal.payments_to_investment`, the
payments under the deal's own contract over the investment, and
:meth:`Deal.round_trip_ratio`, all the lab's spend at the investor since the deal over
the investment (gross: it includes spend the lab would have made anyway). Neither is
the revenue the deal adds; that needs a paired run without the deal
(:mod:`experiments.deal_effect`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.scenario import DealCfg
from agents.state import History
from market.contracts import ContractTable
from market.metrics import round_trip_ratio

__all__ = ["Deal", "equity_after", "valuation"]


def valuation(annual_revenue: float, multiple: float) -> float:
    """Pre-money valuation: ``multiple`` x annual revenue, at least $1B (est. floor).

    >>> valuation(2e9, 15.0)
    30000000000.0
    """
    return max(1e9, multiple * annual_revenue)


def equity_after(stake: float, value: float, amount: float) -> float:
    """Post-money stake after investing ``amount`` at pre-money ``value``.

    Earlier stakes are diluted in proportion: ``stake x value / (value + amount) +
    amount / (value + amount)``.

    >>> equity_after(0.0, 30e9, 10e9)
    0.25
    """
    return stake * value / (value + amount) + amount / (value + amount)


@dataclass
class Deal:
    """One deal's terms and running state (lab and investor are row indices)."""

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

    @property
    def live(self) -> bool:
        """Under review or approved (not blocked, withdrawn or ended)."""
        return self.status == "under review" or self.status.startswith("approved")

    def contract_payments(self, contracts: ContractTable) -> float:
        """Payments under the deal's own compute contract so far, net of penalties, USD.

        What the lab paid the investor under the take-or-pay contract the deal signed
        (``paid_total - penalty_total`` of its row); 0 before the contract is signed.
        """
        if self.contract < 0:
            return 0.0
        return float(contracts.paid_total[self.contract] - contracts.penalty_total[self.contract])

    def payments_to_investment(self, contracts: ContractTable) -> float:
        """:meth:`contract_payments` over the investment so far (nan before any)."""
        return float(round_trip_ratio(self.contract_payments(contracts), self.invested))

    def revenue_so_far(self, history: History) -> float:
        """Gross compute spend of the lab with the investor since the deal started, USD.

        Every dollar the lab spent at the investor's cloud after the deal, under the
        deal's contract or not, including spend it would have made without the deal.
        """
        if self.start_month < 0:
            return 0.0
        return float(history.lab_spend_cum[self.lab, self.investor] - self.spend_at_start)

    def round_trip_ratio(self, history: History) -> float:
        """Gross spend of the lab with the investor since the deal over the investment.

        :meth:`revenue_so_far` divided by the investment so far (nan before any); see
        :func:`market.metrics.round_trip_ratio`. Not the revenue the deal adds.
        """
        return float(round_trip_ratio(self.revenue_so_far(history), self.invested))
