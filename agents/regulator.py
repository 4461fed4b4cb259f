"""Regulators: merger-style review of deals and the switching-fee rules in force.

DESIGN.md, "Agents": a regulator reviews each proposed deal in its jurisdiction with
the 2023 US Merger Guidelines' presumption (post-deal HHI > 1,800 and change > 100, or a
share > 30% with a change > 100; CALIBRATION.md "US Merger Guidelines") applied to cloud
revenue shares, plus the scenario's own rules: exclusivity bans, switching-fee caps and
bans (CALIBRATION.md "EU Data Act"), and a review lag. Minority stakes are reviewed only
when ``regulation.review_minority_stakes`` is set (CALIBRATION.md "UK CMA on
Amazon-Anthropic": not a qualifying merger).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from market.metrics import delta_hhi, merger_guidelines_presumption

if TYPE_CHECKING:
    from agents.model import GigawattModel

__all__ = ["Regulator", "Review"]


@dataclass(frozen=True)
class Review:
    """A regulator's decision on one deal."""

    decision: str  # "approved", "approved with conditions", "blocked"
    reasons: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    pre_hhi: float = float("nan")
    post_hhi: float = float("nan")
    post_share: float = float("nan")


class Regulator(mesa.Agent):
    """A competition authority with a jurisdiction (region indices)."""

    def __init__(self, model: GigawattModel, name: str, regions: list[int]) -> None:
        super().__init__(model)
        self.name = name
        self.kind = "regulator"
        self.regions = regions

    def in_jurisdiction(self, region: int) -> bool:
        return region in self.regions

    def switching_fee(self, month: int, fee: float) -> float:
        """The egress fee allowed in ``month``: capped, or zero once banned."""
        rules = self.model.config.regulation
        if rules.switching_fee_ban_month is not None and month >= rules.switching_fee_ban_month:
            return 0.0
        if rules.switching_fee_cap is not None:
            return min(fee, rules.switching_fee_cap)
        return fee

    def review(
        self,
        revenue: np.ndarray,
        fringe: np.ndarray,
        investor: int,
        moved: np.ndarray,
        added: float,
        equity_share: float,
        exclusive: bool,
    ) -> Review:
        """Decide on a deal from cloud revenue by hyperscaler and the spend it shifts.

        Parameters
        ----------
        revenue : ndarray
            Annual cloud revenue per hyperscaler (AI compute plus other cloud).
        moved : ndarray
            Annual spend the lab would move from each hyperscaler to the investor.
        added : float
            New annual spend the deal adds at the investor.
        equity_share : float
            Investor's stake in the lab after the deal.
        """
        rules = self.model.config.regulation
        reasons: list[str] = []
        base = revenue.astype(float).copy()
        base[investor] += 0.0
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
        if rules.switching_fee_cap is not None or rules.switching_fee_ban_month is not None:
            conditions.append("switching fees capped per regulation")
        decision = "approved with conditions" if conditions else "approved"
        return Review(decision, [], conditions, pre, post, share)
