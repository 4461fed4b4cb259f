"""Regulators: merger-style review of deals and the switching-fee rules in force.

A regulator reviews each proposed deal in its jurisdiction with the 2023 US Merger
Guidelines' presumption (post-deal HHI > 1,800 and a change > 100, or a share > 30%
with a change > 100; ``docs/calibration.md``) applied to cloud revenue shares, plus the
scenario's own rules: exclusivity bans, switching-fee caps and bans (EU Data Act), and
a review lag. Minority stakes are reviewed only when
``regulation.review_minority_stakes`` is set (the UK CMA found Amazon-Anthropic not a
qualifying merger in 2024).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.state import BoolArray, FloatArray
from market.metrics import delta_hhi, merger_guidelines_presumption

if TYPE_CHECKING:
    from agents.scenario import RegulationCfg

__all__ = ["Regulator", "Review", "jurisdictions", "review_deal", "switching_fee"]


@dataclass(frozen=True)
class Review:
    """A regulator's decision on one deal."""

    decision: str
    """``"approved"``, ``"approved with conditions"`` or ``"blocked"``."""
    reasons: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    pre_hhi: float = float("nan")
    post_hhi: float = float("nan")
    post_share: float = float("nan")


def jurisdictions(names: list[str]) -> dict[str, list[int]]:
    """Group regions into competition authorities: US, EU, and one for each other region.

    >>> jurisdictions(["us-east", "us-west", "europe", "asia"])
    {'us-regulator': [0, 1], 'eu-regulator': [2], 'asia-regulator': [3]}
    """
    out: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        if n.startswith("us"):
            key = "us-regulator"
        elif n.startswith("eu"):
            key = "eu-regulator"
        else:
            key = f"{n}-regulator"
        out.setdefault(key, []).append(i)
    return out


def switching_fee(rules: RegulationCfg, date: str, fee: float) -> float:
    """The egress fee allowed in calendar month ``date``: zero once banned, else capped.

    >>> from agents.scenario import RegulationCfg
    >>> switching_fee(RegulationCfg(switching_fee_cap=0.1), "2026-01", 0.25)
    0.1
    """
    if rules.switching_fee_ban is not None and date >= rules.switching_fee_ban:
        return 0.0
    if rules.switching_fee_cap is not None:
        return min(fee, rules.switching_fee_cap)
    return fee


def review_deal(
    rules: RegulationCfg,
    revenue: FloatArray,
    fringe: BoolArray,
    investor: int,
    moved: FloatArray,
    added: float,
    equity_share: float,
    exclusive: bool,
) -> Review:
    """Decide on a deal from cloud revenue by hyperscaler and the spend it shifts.

    Parameters
    ----------
    rules : RegulationCfg
        Thresholds and the scenario's own rules.
    revenue : ndarray
        Annual cloud revenue per hyperscaler (AI compute plus other cloud).
    fringe : ndarray of bool
        Hyperscalers standing for many small clouds.
    investor : int
        Index of the investing hyperscaler.
    moved : ndarray
        Annual spend the lab would move from each hyperscaler to the investor.
    added : float
        New annual spend the deal adds at the investor.
    equity_share : float
        Investor's stake in the lab after the deal.
    exclusive : bool
        The lab's spend-back is exclusive.
    """
    reasons: list[str] = []
    base = revenue.astype(float).copy()
    grown = base.copy()
    grown[investor] += added
    pre, _, _ = delta_hhi(base, investor, np.zeros_like(base), fringe)
    _, post, share = delta_hhi(grown, investor, moved, fringe)
    change = post - pre
    if exclusive and rules.exclusivity_ban:
        reasons.append("exclusive spend-back terms are banned")
    qualifies = equity_share >= 0.5 or rules.review_minority_stakes
    if qualifies and merger_guidelines_presumption(
        post,
        change,
        share,
        hhi_threshold=rules.hhi_threshold,
        delta_threshold=rules.delta_hhi,
        share_threshold=rules.share_threshold,
    ):
        reasons.append(
            f"post-deal HHI {post:.0f} (change {change:+.0f}), investor share {share:.0%}"
        )
    if reasons:
        return Review("blocked", reasons, [], pre, post, share)
    conditions = []
    if rules.switching_fee_cap is not None or rules.switching_fee_ban is not None:
        conditions.append("switching fees capped per regulation")
    decision = "approved with conditions" if conditions else "approved"
    return Review(decision, [], conditions, pre, post, share)


class Regulator(mesa.Agent):  # type: ignore[misc]  # Mesa ships no type hints
    """A competition authority with a jurisdiction (region indices)."""

    kind = "regulator"

    def __init__(self, model: mesa.Model, name: str, regions: list[int]) -> None:
        super().__init__(model)
        self.name = name
        self.regions = regions

    def in_jurisdiction(self, region: int) -> bool:
        """Whether ``region`` is under this authority."""
        return region in self.regions
