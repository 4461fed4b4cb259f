"""The sections of a scenario: power, chips, data centres, firms, demand, money, rules, deals.

Each is a frozen, strict pydantic model (:class:`agents.scenario_fields.Section`) with
bounded fields whose descriptions give the reasons for the bounds; their defaults are the
calibrated 2026 market, citing the rows of ``docs/calibration.md`` (as ``[id]``).
:class:`agents.scenario.Scenario` assembles them and checks the references between them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.scenario_fields import (
    FASTEST_DECLINE,
    WHY_GROWTH,
    WHY_LIST,
    WHY_MONTHS,
    WHY_PRICE_H,
    WHY_PRICE_MWH,
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
from market.metrics import DELTA_HHI_THRESHOLD, HHI_MAX, HHI_THRESHOLD, SHARE_THRESHOLD

__all__ = [
    "CapitalCfg",
    "ChipGenCfg",
    "ChipsCfg",
    "ContractCfg",
    "DataCentreCfg",
    "DatedDealCfg",
    "DealCfg",
    "DemandCfg",
    "FinanceCfg",
    "GenUnitCfg",
    "HyperscalerCfg",
    "JurisdictionCfg",
    "LabCfg",
    "LockinCfg",
    "PowerCfg",
    "ProjectCfg",
    "RegionCfg",
    "RegulationCfg",
    "RoundCfg",
    "ScaleCfg",
    "VendorCfg",
]

_WHY_HHI = f"HHI is at most {HHI_MAX:,}"
_WHY_HHI_MONOPOLY = f"{_WHY_HHI} (a monopoly)"


class GenUnitCfg(Section):
    """A block of generation in one region (merit order: offered at marginal cost)."""

    kind: Name
    mw: Mw
    marginal_cost: Float = bounded(ge=0, le=10_000, why=WHY_PRICE_MWH)
    availability: Float = bounded(0.9, ge=0, le=1, why="a share of the year the unit can run")
    capacity_credit: Float = bounded(
        1.0, ge=0, le=1, why="a share of MW counted at the peak (installed basis) [est-reserve]"
    )


class RegionCfg(Section):
    """A grid region: loads, reserve target, generation stack, share of AI end demand."""

    name: Name
    non_ai_load_mw: Mw
    demand_weight: Float = bounded(ge=0, le=1, why="a share of AI end demand (normalised)")
    units: list[GenUnitCfg] = Field(min_length=1, max_length=100, description=WHY_LIST)
    peak_to_average: Float = bounded(
        1.5, ge=1, le=3, why="peak over average non-AI load; grids run ~1.3-1.8 [est-reserve]"
    )
    reserve_target: Float = bounded(
        0.15, ge=0, le=1, why="target reserve margin at the peak; planners use 0.1-0.25"
    )
    conventional_dc_mw: Mw = 0.0


class PowerCfg(Section):
    """Grid, generation build and interconnection ([pow-queue], [pow-gas-cc], [pow-lcoe])."""

    interconnection_months: Int = bounded(
        36, ge=0, le=120, why="months; 10 years is twice the longest median queue [pow-queue]"
    )
    generation_build_months: Int = bounded(
        36, ge=1, le=120, why="months; 10 years exceeds any plant's build"
    )
    build_share_per_year: Float = bounded(
        0.04, ge=0, le=1, why="most a region can start a year, a share of its fleet"
    )
    new_unit_marginal_cost: Float = bounded(
        40.0, ge=0, le=1_000, why="$/MWh; 10x a gas plant's fuel cost"
    )
    new_unit_availability: Float = bounded(
        0.85, ge=0, le=1, why="a share of the year the unit can run"
    )
    non_ai_load_growth: Float = bounded(0.015, ge=-0.2, le=0.5, why="a yearly growth rate of load")
    non_ai_bid: Float = bounded(
        1_000.0, ge=0, le=100_000, why="$/MWh; value of lost load is ~$10-30k"
    )
    datacentre_bid: Float = bounded(
        300.0, ge=0, le=100_000, why="$/MWh; value of lost load is ~$10-30k"
    )
    transmission_cost: Float = bounded(
        12.0, ge=0, le=1_000, why="$/MWh of wheeling between regions"
    )
    transmission_cap_mw: Mw = 2_000.0
    pue: Float = bounded(
        1.3,
        ge=1.0,
        le=3.0,
        why="power usage effectiveness: >= 1 by definition, industry ~1.1-1.6 [dc-pue]",
    )
    fleet_pue: Float = bounded(
        1.58, ge=1.0, le=3.0, why="PUE of the installed fleet at the start; >= 1 [dc-pue]"
    )
    conventional_dc_growth: Float = bounded(
        0.04, ge=-0.2, le=0.5, why=WHY_GROWTH + " of conventional data-centre load"
    )
    capacity_price_cap: Float = bounded(
        329.17, ge=0, le=5_000, why="$/MW-day; 10x PJM's 2026/27 cap [pow-pjm-cap]"
    )
    capacity_price_at_target: Float = bounded(
        360.0, ge=0, le=5_000, why="$/MW-day; ~15x PJM's 2026/27 cap [est-capacity]"
    )
    capacity_curve_width: Float = bounded(
        0.03, gt=0, le=0.5, why="reserve margin above target where the price reaches zero"
    )
    capacity_net_cone: Float = bounded(
        230.0, ge=0, le=5_000, why="$/MW-day; net cost of new entry, est. [est-capacity]"
    )


class ChipGenCfg(Section):
    """One accelerator generation: effective dense TFLOP/s, watts, unit cost ([acc-*] rows)."""

    name: Name
    family: Family
    release: Month = Field(description="calendar month of first volume shipments")
    tflops: Float = bounded(
        ge=1, le=1e6, why="dense TFLOP/s; an accelerator does >= 1, 1,000x an H100 [acc-h100]"
    )
    watts: Float = bounded(ge=1, le=1e5, why="watts per chip; >= 1 W, 100x an H100 [acc-h100]")
    unit_cost: Float = bounded(
        ge=1, le=1e8, why="US dollars per chip; >= $1, 1,000x a B200 [acc-b200]"
    )


class VendorCfg(Section):
    """A chip vendor; ``owner`` names a hyperscaler for captive in-house silicon."""

    name: Name
    family: Family
    owner: Ref | None = None
    capacity_units_per_month: Float = bounded(
        ge=0, le=1e8, why="chips a month; ~500x the Hopper GPUs shipped in 2025 [dem-hopper]"
    )
    markup: Markup  # no default: merchant and in-house silicon differ tenfold [est-gpu-margin]
    backlog_markup: Markup = 0.5


class ChipsCfg(Section):
    """Accelerator generations, vendors and supply growth."""

    generations: list[ChipGenCfg] = Field(min_length=1, max_length=100, description=WHY_LIST)
    vendors: list[VendorCfg] = Field(min_length=1, max_length=50, description=WHY_LIST)
    supply_growth: Float = bounded(0.3, ge=-0.5, le=3.0, why=WHY_GROWTH + " of chip supply")
    supply_growth_decay_per_year: Share = 0.0
    life_months: Int = bounded(60, ge=6, le=240, why="months of a chip's service life")
    discount_rate: Float = bounded(
        0.10,
        ge=0,
        le=1,
        why="a year; hyperscalers' cost of capital for chip value [est-chip-value]",
    )
    buyer_surplus: Float = bounded(
        0.10,
        gt=0,
        le=0.99,
        why="share of the top bid a merchant vendor leaves to buyers [est-chip-value]",
    )
    captive_lead_months: Int = bounded(
        12,
        ge=1,
        le=120,
        why="months for in-house silicon to follow its owner's orders [est-captive]",
    )


class DataCentreCfg(Section):
    """Data-centre shells: cost, build time, availability of compute ([dc-*] rows)."""

    cost_per_mw: Float = bounded(
        11e6, ge=0, le=1e9, why="US dollars per MW; 100x the cost of a shell [dc-shell-cost]"
    )
    build_months: Int = bounded(
        21, ge=1, le=120, why="months; 10 years exceeds any build [dc-lead]"
    )
    availability: Float = bounded(0.9, ge=0.1, le=1, why="a share of capacity that can serve")
    life_months: Int = bounded(180, ge=12, le=600, why=WHY_MONTHS)
    max_build_mw_per_month: Mw = 400.0
    growth_extrapolation: Share = 0.25
    unpowered_allowance: Float = bounded(
        0.05, ge=0, le=10, why="share of shells started ahead of expected power [est-power-pacing]"
    )
    server_overhead: Float = bounded(
        1.83, ge=1.0, le=5.0, why="IT watts per chip watt: >= 1, ~1.8 measured [dc-density]"
    )
    profit_response: Float = bounded(
        0.0,
        ge=0,
        le=2,
        why="elasticity of capacity plans to the profitability of new capacity, q "
        "[est-profit-response]; 0 sizes them for expected sales alone",
    )


class HyperscalerCfg(Section):
    """A cloud provider: sites by region, fleet, cash flow from other businesses."""

    name: Name
    fringe: Bool = False
    cash: Usd
    other_cash_flow_per_month: UsdFlow = 0.0
    built_mw: dict[Ref, Mw] = Field(max_length=100)
    building_mw: dict[Ref, Mw] = Field(default_factory=dict, max_length=100)
    """IT MW under construction at the start per region, completing evenly over the next
    ``datacentres.build_months`` months with their grid connections."""
    family_mix: dict[Family, Share]
    markup: Markup  # no default: each cloud's own [est-cloud-markup]
    non_ai_cloud_revenue_per_year: Usd = 0.0


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
        why=WHY_GROWTH + "; 6x a year is above any lab's record [lab-anthropic-rev]",
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
        9, ge=0, le=120, why="months; ten years to port is never worth it"
    )
    porting_gap: Float = bounded(0.35, ge=0, le=10, why="price advantage needed to port, a ratio")


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


class ScaleCfg(Section):
    """Scale mode: many small labs and enterprise buyers (vectorized)."""

    small_labs: Int = bounded(0, ge=0, le=1_000_000, why="agents; a million fits in memory")
    enterprise_buyers: Int = bounded(0, ge=0, le=1_000_000, why="agents; a million fits in memory")
    demand_share: Float = bounded(
        0.15, ge=0, le=0.9, why="a share of end demand; the major labs keep >= 10%"
    )
