"""The sections of a scenario for its buyers and money: firms, demand, capital, lock-in, scale.

Each is a frozen, strict pydantic model (:class:`agents.scenario_fields.Section`) with
bounded fields whose descriptions give the reasons for the bounds; their defaults are the
calibrated 2026 market, citing the rows of ``docs/calibration.md`` (as ``[id]``).
:class:`agents.scenario.Scenario` assembles them and checks the references between them.

This module holds the economy's buyers and money: the firms (hyperscalers, their dated
projects, AI labs and their dated rounds), end demand, the investor pool and lenders,
switching costs and scale mode. The supply chain's sections (power, chips, data centres)
are in :mod:`agents.scenario_supply`, the rules and deals (regulation, jurisdictions,
deals, contracts) in :mod:`agents.scenario_rules`; :mod:`agents.scenario` imports all three
and re-exports every section.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.scenario_fields import (
    FASTEST_DECLINE,
    WHY_GROWTH,
    WHY_MONTHS,
    WHY_PRICE_H,
    Bool,
    Family,
    Float,
    Int,
    Markup,
    Month,
    Mw,
    Name,
    Ref,
    Section,
    Share,
    Usd,
    UsdFlow,
    bounded,
)

__all__ = [
    "CapitalCfg",
    "DemandCfg",
    "FinanceCfg",
    "HyperscalerCfg",
    "LabCfg",
    "LockinCfg",
    "ProjectCfg",
    "RoundCfg",
    "ScaleCfg",
]


class HyperscalerCfg(Section):
    """A cloud provider: sites by region, fleet, cash flow from other businesses."""

    name: Name
    fringe: Bool = False
    """Stands for the fragmented rest of the market: it strikes no deals, and in an HHI
    it counts in the total but is not squared, unless ``fringe_firms`` is set (so too in
    the clouds' margins under ``cloud_conduct``: a price-taker unless it is set)."""
    fringe_firms: Int | None = bounded(
        None,
        ge=1,
        le=1_000,
        why="equal firms a fringe counts as in an HHI (its share squared over that many) "
        "and in its margin under cloud_conduct; unset, none: atomistic "
        "[est-relevant-market]",
    )
    cash: Usd
    other_cash_flow_per_month: UsdFlow = 0.0
    built_mw: dict[Ref, Mw] = Field(max_length=100)
    building_mw: dict[Ref, Mw] = Field(default_factory=dict, max_length=100)
    """IT MW under construction at the start per region, completing evenly over the next
    ``datacentres.build_months`` months with their grid connections."""
    family_mix: dict[Family, Share]
    markup: Markup  # no default: each cloud's own [est-cloud-markup]
    non_ai_cloud_revenue_per_year: Usd = 0.0

    def hhi_firms(self) -> float:
        """How many equal firms this cloud counts as in an HHI (:func:`market.metrics.hhi`).

        1 for a cloud; for the fringe ``fringe_firms``, or ``inf`` (atomistic) when unset.
        """
        if not self.fringe:
            return 1.0
        return float("inf") if self.fringe_firms is None else float(self.fringe_firms)


class ProjectCfg(Section):
    """A named data-centre project with a dated completion (history or an announcement)."""

    name: Name
    owner: Ref
    region: Ref
    mw: Mw
    online: Month
    """Month the project's IT capacity is built and connected (before the start: built)."""


class RoundCfg(Section):
    """An equity round a lab raises at a date whatever its runway (history, or a what-if)."""

    lab: Ref
    month: Month
    usd: Usd


class LabCfg(Section):
    """An AI lab: cash, capability, platform affinity per chip family, spending."""

    name: Name
    home_region: Ref
    cash: Usd
    capability: Float = bounded(
        0.0, ge=0, le=100, why="a logit score; 100 means e^100 times the demand"
    )
    capability_drift_per_year: Float = bounded(
        0.0,
        ge=-3,
        le=3,
        why="capability gained (lost) a year besides training's, the lab's unobserved "
        "quality trend; 3 a year is 20x its demand share in a year [est-quality-drift]",
    )
    capability_drift_until: Month | None = None
    """Month the drift stops, the capability it reached then kept (none: never)."""
    affinity: dict[Family, Share]
    primary: Ref
    opex_per_month: UsdFlow = 0.0
    opex_share_of_revenue: Share = 0.35
    training_ratio: Float = bounded(0.6, ge=0, le=10, why="training compute per unit of inference")
    max_cloud_share: Float = bounded(
        1.0,
        gt=0,
        le=1,
        why="largest share of its planned compute the lab buys from one cloud, contracts "
        "included (second sourcing); 1 sets no limit [est-multi-homing]",
    )


class DemandCfg(Section):
    """End demand for AI services: trend, price response, capability response."""

    initial_usd_per_month: Usd = 3.5e9
    growth_per_year: Float = bounded(
        0.6,
        ge=FASTEST_DECLINE,
        le=5.0,
        why=WHY_GROWTH + "; 6x a year for the whole market, twice its 2023-25 pace [est-history]",
    )
    growth_decay_per_year: Share = 0.12
    ceiling_usd_per_month: UsdFlow = bounded(
        463e9,
        gt=0,
        why="spending on AI services at which the trend stops growing (logistic), at "
        "``ceiling_month``; the default is all worldwide IT spending of 2025, a month "
        "[est-demand-ceiling]",
    )
    ceiling_month: Month = "2025-07"
    """Month at which the ceiling is ``ceiling_usd_per_month`` (mid-2025: a year's spending)."""
    ceiling_growth_per_year: Float = bounded(
        0.06,
        ge=0,
        le=1,
        why="nominal growth of the ceiling a year; the default is that of the IT spending "
        "AI inflates least, 2025 [est-demand-ceiling]",
    )
    shock_persistence: Float = bounded(
        0.9, ge=0, le=0.99, why="month-to-month persistence of the demand shock [est-demand-shock]"
    )
    services_markup: Float = bounded(
        1.6, ge=0, le=20, why="price of AI services over compute cost, minus 1 [est-lab-economics]"
    )
    price_elasticity: Float = bounded(
        1.3, ge=0, le=5, why="constant price elasticity of AI services demand [est-elasticity]"
    )
    capability_demand: Float = bounded(
        0.5, ge=0, le=10, why="demand growth per unit of frontier capability [est-capability]"
    )
    training_bid_share: Float = bounded(
        0.5,
        ge=0,
        le=1,
        why="a share of the AI services price labs pay for training [est-lab-economics]",
    )
    training_bid_rule: Literal["services_share", "capability_value"] = "services_share"
    """How a major lab sets the top of its training bid: ``services_share`` bids
    ``training_bid_share`` of the services price; ``capability_value`` bids what an hour of
    training is worth to it under this demand, at most the services price
    (:mod:`agents.training_bids`, [est-capability-value])."""
    capability_value_months: Float = bounded(
        60.0,
        gt=0,
        le=600,
        why="months over which a capability gain's margin is counted under the "
        "capability_value rule: 12 / the annual discount rate [est-capability-value]",
    )
    reinvest_months: Float = bounded(
        24.0, ge=1, le=1_000, why="months over which spare cash is spent"
    )
    training_bid_steps: Int = bounded(
        24, ge=1, le=60, why="tranches of the training budget curve [est-training-schedule]"
    )
    training_bid_floor: Float = bounded(
        0.4,
        ge=0.05,
        le=1,
        why="lowest training bid over the top: 20x the need at most [est-training-schedule]",
    )
    non_ai_cloud_growth_per_year: Float = bounded(0.15, ge=-0.5, le=2.0, why=WHY_GROWTH)
    capability_beta: Float = bounded(
        1.0, ge=0, le=50, why="logit sensitivity of demand to capability"
    )
    scaling_exponent: Float = bounded(
        0.5, ge=0, le=5, why="exponent of capability in training compute"
    )


class CapitalCfg(Section):
    """The outside investor pool: when labs raise, at what valuation, how likely."""

    valuation_multiple: Float = bounded(15.0, ge=0.1, le=1_000, why="a revenue multiple")
    runway_months: Float = bounded(
        6.0, ge=0, le=120, why="months; ten years of runway never triggers a raise"
    )
    round_months: Float = bounded(18.0, ge=0, le=120, why="months of burn a round covers")
    vc_success_prob: Share = 0.85
    min_revenue_for_vc: UsdFlow = 0.0
    strategic_deals: Bool = False
    strategic_spend_multiple: Float = bounded(
        2.0, ge=0, le=100, why="committed spend per dollar invested"
    )
    strategic_term_months: Int = bounded(60, ge=1, le=600, why=WHY_MONTHS)


class FinanceCfg(Section):
    """Lenders and payouts: debt rates, borrowing limits, cash buffer ([est-debt-*] rows)."""

    debt_rate_hyperscaler: Float = bounded(
        0.05, ge=0, le=0.5, why="a yearly interest rate; 50% is far above any bond yield"
    )
    debt_rate_lab: Float = bounded(
        0.10, ge=0, le=0.5, why="a yearly interest rate; 50% is far above any bond yield"
    )
    debt_multiple_hyperscaler: Float = bounded(
        3.0, ge=0, le=20, why="debt over annual operating cash flow; 20x is beyond any lender"
    )
    debt_multiple_lab: Float = bounded(
        1.0, ge=0, le=20, why="debt over annual revenue; 20x is beyond any lender"
    )
    cash_buffer_months: Float = bounded(
        6.0, ge=0, le=120, why="months of capex and operating costs kept before payouts"
    )


class LockinCfg(Section):
    """Switching costs: egress fees and porting software to another chip family."""

    egress_fee_per_h100e_hour: Float = bounded(0.25, ge=0, le=100, why=WHY_PRICE_H)
    platform_penalty_per_h100e_hour: Float = bounded(1.2, ge=0, le=100, why=WHY_PRICE_H)
    porting_cost_usd: UsdFlow = 3e8
    porting_months: Int = bounded(
        9,
        ge=1,
        le=120,
        why="months; at least one, as a port begun in a month ends in a later one; ten years "
        "to port is never worth it",
    )
    porting_gap: Float = bounded(0.35, ge=0, le=10, why="price advantage needed to port, a ratio")


class ScaleCfg(Section):
    """Scale mode: many small labs and enterprise buyers (vectorized)."""

    small_labs: Int = bounded(0, ge=0, le=1_000_000, why="agents; a million fits in memory")
    enterprise_buyers: Int = bounded(0, ge=0, le=1_000_000, why="agents; a million fits in memory")
    demand_share: Float = bounded(
        0.15, ge=0, le=0.9, why="a share of end demand; the major labs keep >= 10%"
    )
