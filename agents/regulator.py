"""Regulators: merger-style review of deals and the switching-fee rules, per jurisdiction.

Each authority governs a set of regions (``regulation.jurisdictions``, or one per region
name prefix) and applies its own rules (``RegulationCfg.rules_of``) to what happens
there: it reviews deals whose lab is homed in its regions, and caps the switching fees
charged to labs homed there (the EU Data Act protects customers in the EU,
``docs/calibration.md`` [reg-eu-data-act]; a US lab's fees follow US rules).

The review applies the 2023 US Merger Guidelines' presumption (post-deal HHI > 1,800
and a change > 100, or a share > 30% with a change > 100; [reg-merger-2023]) to the
relevant market, AI accelerator-hours sold by clouds (a cloud's other business is not a
substitute for AI compute). Minority stakes are reviewed only when
``review_minority_stakes`` is set (the UK CMA found Amazon-Anthropic not a qualifying
merger in 2024, [reg-cma-amazon]). Remedies: a ban on exclusive terms strikes the
clause and approves the rest on conditions (as behavioural remedies do; FTC 6(b) study
of AI partnerships, [reg-ftc-6b]); only the HHI test blocks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.state import FloatArray
from agents.units import month_date, months_between
from market.metrics import delta_hhi, merger_guidelines_presumption

if TYPE_CHECKING:
    from agents.scenario import RegulationCfg

__all__ = [
    "EXCLUSIVITY_STRUCK",
    "EgressFees",
    "Regulator",
    "Review",
    "egress_fees",
    "jurisdictions",
    "regulators_of",
    "review_deal",
    "switching_fee",
]

EXCLUSIVITY_STRUCK = "exclusivity struck"
"""The condition a ban on exclusive terms attaches: the contract is signed non-exclusive."""


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


def regulators_of(
    rules: RegulationCfg, names: list[str]
) -> list[tuple[str, list[int], RegulationCfg]]:
    """The authorities of a scenario: (name, region indices, rules in force) each.

    The configured ``rules.jurisdictions`` come first (``<key>-regulator``); regions none
    of them lists are grouped by :func:`jurisdictions` under the flat rules (a group whose
    name is taken becomes ``<prefix>-rest-regulator``).

    >>> from agents.scenario import RegulationCfg
    >>> reg = RegulationCfg(jurisdictions={"eu": {"regions": ["europe"], "switching_fee_cap": 0.0}})
    >>> [(n, r, x.switching_fee_cap) for n, r, x in regulators_of(reg, ["us-east", "europe"])]
    [('eu-regulator', [1], 0.0), ('us-regulator', [0], None)]
    """
    out = [
        (f"{key}-regulator", [names.index(r) for r in j.regions], rules.rules_of(key))
        for key, j in rules.jurisdictions.items()
    ]
    covered = {r for _, regions, _ in out for r in regions}
    rest = [i for i in range(len(names)) if i not in covered]
    flat = rules.rules_of(None)
    taken = {name for name, _, _ in out}
    for name, idx in jurisdictions([names[i] for i in rest]).items():
        unique = name if name not in taken else name.replace("-regulator", "-rest-regulator")
        out.append((unique, [rest[i] for i in idx], flat))
    return out


def egress_fees(
    governed: list[tuple[list[int], RegulationCfg]], n_regions: int, date: str, fee: float
) -> FloatArray:
    """(R,) egress fee allowed to customers homed in each region: the lowest of its authorities'.

    >>> from agents.scenario import RegulationCfg
    >>> egress_fees([([1], RegulationCfg(switching_fee_cap=0.05))], 2, "2026-01", 0.25).tolist()
    [0.25, 0.05]
    """
    out = np.full(n_regions, float(fee))
    for regions, rules in governed:
        for r in regions:
            out[r] = min(out[r], switching_fee(rules, date, fee))
    return out


class EgressFees:
    """:func:`egress_fees` month by month for one run, computed once per span of months.

    The fees change only in the month a switching-fee ban takes effect, so each span
    between two such months shares one (read-only) array.

    Parameters
    ----------
    regulators : sequence of Regulator
        The run's authorities (their regions and rules).
    n_regions : int
        Number of regions.
    start : str
        The scenario's first month, ``"YYYY-MM"``.
    fee : float
        The egress fee where no rule caps it, $/H100e-h.

    Examples
    --------
    >>> from agents.scenario import RegulationCfg
    >>> reg = Regulator(mesa.Model(), "eu", [1], RegulationCfg(switching_fee_ban="2026-03"))
    >>> fees = EgressFees([reg], 2, "2026-01", 0.25)
    >>> fees(1).tolist(), fees(2).tolist()
    ([0.25, 0.25], [0.25, 0.0])
    """

    def __init__(
        self, regulators: Sequence[Regulator], n_regions: int, start: str, fee: float
    ) -> None:
        self._governed = [(reg.regions, reg.rules) for reg in regulators]
        self._n, self._start, self._fee = n_regions, start, fee
        bans = {r.switching_fee_ban for _, r in self._governed if r.switching_fee_ban is not None}
        self._bans = sorted(months_between(start, ban) for ban in bans)
        self._spans: dict[int, FloatArray] = {}

    def __call__(self, month: int) -> FloatArray:
        """(R,) egress fee allowed in each region in ``month`` (read-only)."""
        span = bisect_right(self._bans, month)
        out = self._spans.get(span)
        if out is None:
            date = month_date(self._start, month)
            out = self._spans[span] = egress_fees(self._governed, self._n, date, self._fee)
            out.flags.writeable = False
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
    firms: FloatArray,
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
        Annual sales per hyperscaler in the relevant market (the model passes AI
        accelerator-hours; any unit works if ``moved`` and ``added`` use it too).
    firms : ndarray
        How many equal firms each hyperscaler counts as (:func:`market.metrics.hhi`;
        ``inf`` for an atomistic fringe).
    investor : int
        Index of the investing hyperscaler.
    moved : ndarray
        Annual sales the lab would move from each hyperscaler to the investor.
    added : float
        New annual sales the deal adds at the investor.
    equity_share : float
        Investor's stake in the lab after the deal.
    exclusive : bool
        The lab's spend-back is exclusive.

    Returns
    -------
    Review
        Blocked only when the merger-guidelines presumption holds (for a qualifying
        stake); otherwise approved, with the condition :data:`EXCLUSIVITY_STRUCK` when
        exclusive terms are banned and switching-fee conditions when fees are regulated.
    """
    reasons: list[str] = []
    base = revenue.astype(float).copy()
    grown = base.copy()
    grown[investor] += added
    pre, _, _ = delta_hhi(base, investor, np.zeros_like(base), firms)
    _, post, share = delta_hhi(grown, investor, moved, firms)
    change = post - pre
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
    conditions = [EXCLUSIVITY_STRUCK] if exclusive and rules.exclusivity_ban else []
    if rules.switching_fee_cap is not None or rules.switching_fee_ban is not None:
        conditions.append("switching fees capped per regulation")
    decision = "approved with conditions" if conditions else "approved"
    return Review(decision, [], conditions, pre, post, share)


class Regulator(mesa.Agent):  # type: ignore[misc]  # Mesa ships no type hints
    """A competition authority with a jurisdiction (region indices) and its rules."""

    kind = "regulator"

    def __init__(
        self, model: mesa.Model, name: str, regions: list[int], rules: RegulationCfg
    ) -> None:
        super().__init__(model)
        self.name = name
        self.regions = regions
        self.rules = rules

    def in_jurisdiction(self, region: int) -> bool:
        """Whether ``region`` is under this authority."""
        return region in self.regions
