"""The rules and deals of a scenario: competition review, jurisdictions, deals, contracts.

The merger-style review and the scenario's own rules (:class:`RegulationCfg`) with the
authorities that set them differently in their regions (:class:`JurisdictionCfg`), the
headline infrastructure-for-equity deal (:class:`DealCfg`) and the other dated ones
(:class:`DatedDealCfg`), and the contracts in force at the start (:class:`ContractCfg`).
Each is a frozen, strict pydantic model (:class:`agents.scenario_fields.Section`) with
bounded fields whose descriptions give the reasons for the bounds; their defaults cite the
rows of ``docs/calibration.md`` (as ``[id]``). :mod:`agents.scenario` re-exports
them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.scenario_fields import (
    WHY_MONTHS,
    WHY_PRICE_H,
    Bool,
    Family,
    Float,
    Int,
    Month,
    Mw,
    Name,
    Ref,
    Section,
    Share,
    Usd,
    bounded,
)
from market.metrics import DELTA_HHI_THRESHOLD, HHI_MAX, HHI_THRESHOLD, SHARE_THRESHOLD

__all__ = [
    "ContractCfg",
    "DatedDealCfg",
    "DealCfg",
    "JurisdictionCfg",
    "RegulationCfg",
]

_WHY_HHI = f"HHI is at most {HHI_MAX:,}"
_WHY_HHI_MONOPOLY = f"{_WHY_HHI} (a monopoly)"


class JurisdictionCfg(Section):
    """A competition authority: the regions it governs and the rules it sets differently.

    A rule left out (``None``) is the ``regulation`` table's. Its rules apply to deals
    whose lab is homed in its regions and to sales to labs homed there ([reg-eu-data-act]:
    the Data Act protects customers in the EU).
    """

    regions: list[Ref] = Field(min_length=1, max_length=50)
    hhi_threshold: Float | None = bounded(None, ge=0, le=HHI_MAX, why=_WHY_HHI)
    delta_hhi: Float | None = bounded(None, ge=0, le=HHI_MAX, why=_WHY_HHI)
    share_threshold: Share | None = None
    review_minority_stakes: Bool | None = None
    exclusivity_ban: Bool | None = None
    switching_fee_cap: Float | None = bounded(None, ge=0, le=100, why=WHY_PRICE_H)
    switching_fee_ban: Month | None = None


class RegulationCfg(Section):
    """Merger-style review ([reg-merger-2023]) and the scenario's own rules ([reg-eu-data-act]).

    These rules hold in every region; ``jurisdictions`` names authorities (``us``, ``eu``...)
    with the regions they govern and the rules they set differently. Regions no
    jurisdiction lists get one authority per name prefix (``us-*``, ``eu*``) or region.
    """

    hhi_threshold: Float = bounded(HHI_THRESHOLD, ge=0, le=HHI_MAX, why=_WHY_HHI_MONOPOLY)
    delta_hhi: Float = bounded(DELTA_HHI_THRESHOLD, ge=0, le=HHI_MAX, why=_WHY_HHI_MONOPOLY)
    share_threshold: Share = SHARE_THRESHOLD
    review_minority_stakes: Bool = False
    exclusivity_ban: Bool = False
    switching_fee_cap: Float | None = bounded(None, ge=0, le=100, why=WHY_PRICE_H)
    switching_fee_ban: Month | None = None
    """Month from which switching fees are banned (none: never)."""
    review_lag_months: Int = bounded(3, ge=0, le=60, why="months; five years exceeds any review")
    jurisdictions: dict[Name, JurisdictionCfg] = Field(default_factory=dict, max_length=50)

    def rules_of(self, jurisdiction: str | None) -> RegulationCfg:
        """The rules in force in ``jurisdiction``: this table with its overrides applied.

        >>> reg = RegulationCfg(jurisdictions={"eu": {"regions": ["europe"], "exclusivity_ban": True}})
        >>> reg.rules_of("eu").exclusivity_ban, reg.rules_of(None).exclusivity_ban
        (True, False)
        """
        j = self.jurisdictions.get(jurisdiction) if jurisdiction is not None else None
        rules = j.model_dump(exclude={"regions"}) if j is not None else {}
        over = {k: v for k, v in rules.items() if v is not None}
        return self.model_copy(update={**over, "jurisdictions": {}})


class DealCfg(Section):
    """The headline infrastructure-for-equity deal (off unless ``enabled``; [deal-*] rows)."""

    enabled: Bool = False
    investor: Ref = "amazon"
    lab: Ref = "anthropic"
    propose: Month = "2026-04"
    """Month the deal is proposed."""
    investment_usd: Usd = 5e9
    milestone_usd: Usd = 20e9
    milestone_tranches: Int = bounded(
        4, ge=0, le=40, why="tranches; 40 is one every quarter for ten years"
    )
    milestone_revenue_step: Usd = 15e9
    committed_spend_usd: Float = bounded(
        100e9, ge=0, le=1e14, why="US dollars; 1,000x the April 2026 commitment [deal-spend]"
    )
    term_months: Int = bounded(120, ge=1, le=600, why=WHY_MONTHS)
    price_per_h100e_hour: Float = bounded(2.0, ge=0.01, le=1_000, why=WHY_PRICE_H)
    silicon: Family | None = "trainium"
    reserved_mw: Mw = 5_000.0
    exclusive: Bool = True
    take_or_pay: Bool = True
    penalty_rate: Float = bounded(0.25, ge=0, le=10, why="penalty per dollar of shortfall")


class DatedDealCfg(DealCfg):
    """Another infrastructure-for-equity deal (``[[other_deals]]``), proposed in its month
    beside the headline ``[deal]`` and reviewed, paid and contracted the same way
    (:mod:`agents.phases.deals`).

    Who, when, how much, for how long, on how much capacity and whether exclusive are
    stated; the headline deal's defaults are the Amazon-Anthropic deal's and would not fit
    another. Milestone tranches are none and the silicon any unless stated; the contract
    price, take-or-pay and penalty default as the headline deal's ([est-deal-terms]).
    """

    enabled: Bool = True
    investor: Ref
    lab: Ref
    propose: Month
    investment_usd: Usd
    committed_spend_usd: Float = bounded(
        ge=0, le=1e14, why="US dollars; 1,000x the April 2026 commitment [deal-spend]"
    )
    term_months: Int = bounded(ge=1, le=600, why=WHY_MONTHS)
    reserved_mw: Mw
    exclusive: Bool
    milestone_usd: Usd = 0.0
    milestone_tranches: Int = bounded(
        0, ge=0, le=40, why="tranches; 40 is one every quarter for ten years"
    )
    silicon: Family | None = None


class ContractCfg(Section):
    """A pre-existing contract (compute commitment, power PPA, chip supply)."""

    kind: Literal["compute", "power", "chips"]
    seller: Ref
    buyer: Ref
    volume_per_month: Float = bounded(
        ge=0, le=1e15, why="units a month (H100e-hours, MWh or chips)"
    )
    price: Float = bounded(ge=0, le=1e9, why="US dollars per unit")
    start: Month = Field(description="first month of deliveries")
    end: Month = Field(description="month after the last delivery")
    take_or_pay: Bool = True
    exclusive: Bool = False
    penalty_rate: Float = bounded(0.25, ge=0, le=10, why="penalty per dollar of shortfall")
    family: Family | None = None
    region: Ref | None = None
