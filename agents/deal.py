"""Infrastructure-for-equity deals: terms, running state and their measures.

The investor pays tranches (an upfront one, the rest on revenue milestones) for equity
at the lab's valuation (``capital.valuation_multiple`` x annual revenue); the lab
commits to spend ``committed_spend_usd`` over ``term_months`` on the investor's cloud
(a take-or-pay compute contract, optionally on the investor's silicon, up to
``reserved_mw``), optionally exclusive (``docs/calibration.md``: the Amazon-Anthropic
deal). The monthly logic is :mod:`agents.phases.deals`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.scenario import DealCfg
from agents.state import History
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

    def revenue_so_far(self, history: History) -> float:
        """All compute spend of the lab with the investor since the deal started, USD.

        This counts every dollar the lab spent at the investor's cloud after the deal,
        including spend it would have made without the deal.
        """
        if self.start_month < 0:
            return 0.0
        return float(history.lab_spend_cum[self.lab, self.investor] - self.spend_at_start)

    def round_trip_ratio(self, history: History) -> float:
        """:meth:`revenue_so_far` divided by the investment so far (nan before any).

        See :func:`market.metrics.round_trip_ratio`; a gross ratio, not the revenue the
        deal adds.
        """
        return float(round_trip_ratio(self.revenue_so_far(history), self.invested))
