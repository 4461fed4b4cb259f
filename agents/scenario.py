"""The scenario schema: the typed, validated configuration the model consumes.

A scenario is a tree of pydantic models. Everything is checked before a run starts, so a
bad input fails at load time with a :class:`ScenarioError` naming the dotted key path, the
value and the fix, never mid-run:

- extra keys are forbidden; types are strict (no ``true`` for a number, no ``"5"`` for
  a number or a boolean; an int is accepted for a float, and a whole float such as
  ``36.0`` for an int);
- every number, including every value of the ``built_mw``, ``family_mix`` and
  ``affinity`` maps, is finite and bounded; each bound says why in its field's
  description (the reason is repeated in the error message);
- names are slugs (:data:`NAME_RULE`), unique within their list and, for agents, across
  all agents (utilities are named ``utility-<region>``); references resolve to names;
- ``start`` is a real month, ``YYYY-MM`` with the year in 2000-2100.

Defaults are the calibrated 2026 market: the comments of
``experiments/scenarios/baseline.toml`` cite the rows of ``docs/calibration.md`` (as
``[id]``) that each value comes from.

``LEVERS`` lists the policy and uncertainty knobs that sweeps and the browser app move.
"""

from __future__ import annotations

import copy
import numbers
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from agents.levers import LEVERS, Lever
from agents.scenario_messages import ScenarioError, explain, set_path, short

__all__ = [
    "FAMILIES",
    "LEVERS",
    "MAX_EXTENDS_DEPTH",
    "NAME_RULE",
    "SCENARIO_NAME_RULE",
    "CapitalCfg",
    "ChipGenCfg",
    "ChipsCfg",
    "ContractCfg",
    "DataCentreCfg",
    "DealCfg",
    "DemandCfg",
    "FinanceCfg",
    "GenUnitCfg",
    "HyperscalerCfg",
    "JurisdictionCfg",
    "LabCfg",
    "Lever",
    "LockinCfg",
    "PowerCfg",
    "ProjectCfg",
    "RegionCfg",
    "RegulationCfg",
    "ScaleCfg",
    "Scenario",
    "ScenarioError",
    "VendorCfg",
]

FAMILIES = ("nvidia", "trainium", "tpu")
"""Chip families a lab's software can target (platform affinity is per family)."""

Family = Literal["nvidia", "trainium", "tpu"]

NAME_RULE = (
    "a slug of 1-64 characters: lower-case letters, digits, '-' or '_', starting with a "
    "letter (names become override paths such as labs.<name>.cash and table keys)"
)
"""The rule for the names of regions, units, generations, vendors, hyperscalers, labs."""

SCENARIO_NAME_RULE = (
    "a slug of 1-64 characters: lower-case letters, digits, '.', '-' or '_', starting with "
    "a letter or digit, no '/' (the name becomes a run folder name)"
)
"""The rule for a scenario's own ``name``."""

_NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_SCENARIO_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_START_RE = re.compile(r"(\d{4})-(\d{2})")
_TEXT_RE = re.compile(r"[^\x00-\x08\x0b-\x1f\x7f]*")

MAX_TFLOPS_PER_WATT = 20.0
"""Most dense TFLOP/s per chip watt a generation may claim: 14x an H100 ([acc-h100]: 989 at
700 W), beyond a decade of the 2x-per-generation gains ([acc-b200], [est-chip-specs])."""

MAX_EXTENDS_DEPTH = 16
"""How many ``extends`` links a scenario file may chain (see ``experiments.scenarios``)."""


# ---------------------------------------------------------------- field types
def _no_bool(value: Any, kind: str) -> None:
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"input should be a valid {kind}, not a boolean")


def _real(value: Any) -> Any:
    """A float field takes Python and numpy ints and floats (as float); never a bool."""
    _no_bool(value, "number")
    if isinstance(value, np.integer | np.floating):
        return float(value)
    return value


def _whole(value: Any) -> Any:
    """Accept whole floats (``36.0``) and numpy integers for an int field; never a bool."""
    _no_bool(value, "integer")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return value


def _boolean(value: Any) -> Any:
    """A numpy bool is a bool; numbers and strings are not."""
    return bool(value) if isinstance(value, np.bool_) else value


def _name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise ValueError(f"must be {NAME_RULE}")
    return value


def _scenario_name(value: str) -> str:
    if not _SCENARIO_NAME_RE.fullmatch(value):
        raise ValueError(f"must be {SCENARIO_NAME_RULE}")
    return value


def _start(value: str) -> str:
    m = _START_RE.fullmatch(value)
    if m is None or not (2000 <= int(m[1]) <= 2100 and 1 <= int(m[2]) <= 12):
        raise ValueError(
            "must be a month 'YYYY-MM' with the month 01-12 and the year 2000-2100 "
            "(the modelled market starts in 2026)"
        )
    return value


Month = Annotated[str, AfterValidator(_start)]
"""A calendar month ``"YYYY-MM"`` (dates in a scenario are absolute)."""


def _text(value: str) -> str:
    if not _TEXT_RE.fullmatch(value):
        raise ValueError("must be printable text (no NUL or other control characters)")
    return value


Float = Annotated[float, BeforeValidator(_real)]
"""A float field: strict (no bool, no string), ints and numpy numbers taken as floats."""

Int = Annotated[int, BeforeValidator(_whole)]
"""An integer field: strict, but ``36.0`` and numpy integers are taken as whole numbers."""

Bool = Annotated[bool, BeforeValidator(_boolean)]
"""A boolean field: ``true``/``false`` (or a numpy bool), never ``1`` or ``"yes"``."""

Name = Annotated[str, AfterValidator(_name)]
"""A name: see :data:`NAME_RULE`."""

Ref = Annotated[str, AfterValidator(_name)]
"""A reference to a name elsewhere in the scenario: a slug, resolved by :class:`Scenario`."""

_WHY_USD = "US dollars; $10 trillion exceeds any firm's value"
_WHY_USD_FLOW = "US dollars; $1 trillion exceeds any firm's yearly revenue"
_WHY_MW = "megawatts; 1 TW is more than the US or EU peak load"
_WHY_SHARE = "a share"
_WHY_PRICE_MWH = "$/MWh; the scale of the highest scarcity price caps"
_WHY_PRICE_H = "$/H100e-hour; far above the 2023 peak rental of ~$12 [acc-h100-rent]"
_WHY_MONTHS = "months; the model runs at most 50 years"
_WHY_MARKUP = "a markup over cost; 20x is far above any chip or cloud gross margin"
_WHY_GROWTH = "a yearly growth rate"
_WHY_LIST = "a scenario lists the market's main firms; many small ones go in scale mode"

Usd = Annotated[Float, Field(ge=0, le=1e13, description=_WHY_USD)]
UsdFlow = Annotated[Float, Field(ge=0, le=1e12, description=_WHY_USD_FLOW)]
Mw = Annotated[Float, Field(ge=0, le=1e6, description=_WHY_MW)]
Share = Annotated[Float, Field(ge=0, le=1, description=_WHY_SHARE)]
Markup = Annotated[Float, Field(ge=0, le=20, description=_WHY_MARKUP)]


def _f(
    default: Any = ...,
    *,
    why: str,
    ge: Float | None = None,
    gt: Float | None = None,
    le: Float | None = None,
) -> Any:
    """A bounded field whose description gives the reason for its bounds."""
    return Field(default, description=why, ge=ge, gt=gt, le=le)


class _Cfg(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_default=True,
        strict=True,
        allow_inf_nan=False,
    )


class GenUnitCfg(_Cfg):
    """A block of generation in one region (merit order: offered at marginal cost)."""

    kind: Name
    mw: Mw
    marginal_cost: Float = _f(ge=0, le=10_000, why=_WHY_PRICE_MWH)
    availability: Float = _f(0.9, ge=0, le=1, why="a share of the year the unit can run")
    capacity_credit: Float = _f(
        1.0, ge=0, le=1, why="a share of MW counted at the peak (installed basis) [est-reserve]"
    )


class RegionCfg(_Cfg):
    """A grid region: loads, reserve target, generation stack, share of AI end demand."""

    name: Name
    non_ai_load_mw: Mw
    demand_weight: Float = _f(ge=0, le=1, why="a share of AI end demand (normalised)")
    units: list[GenUnitCfg] = Field(min_length=1, max_length=100, description=_WHY_LIST)
    peak_to_average: Float = _f(
        1.5, ge=1, le=3, why="peak over average non-AI load; grids run ~1.3-1.8 [est-reserve]"
    )
    reserve_target: Float = _f(
        0.15, ge=0, le=1, why="target reserve margin at the peak; planners use 0.1-0.25"
    )
    conventional_dc_mw: Mw = 0.0


class PowerCfg(_Cfg):
    """Grid, generation build and interconnection ([pow-queue], [pow-gas-cc], [pow-lcoe])."""

    interconnection_months: Int = _f(
        36, ge=0, le=120, why="months; 10 years is twice the longest median queue [pow-queue]"
    )
    generation_build_months: Int = _f(
        36, ge=1, le=120, why="months; 10 years exceeds any plant's build"
    )
    build_share_per_year: Float = _f(
        0.04, ge=0, le=1, why="most a region can start a year, a share of its fleet"
    )
    new_unit_marginal_cost: Float = _f(
        40.0, ge=0, le=1_000, why="$/MWh; 10x a gas plant's fuel cost"
    )
    new_unit_availability: Float = _f(0.85, ge=0, le=1, why="a share of the year the unit can run")
    non_ai_load_growth: Float = _f(0.015, ge=-0.2, le=0.5, why="a yearly growth rate of load")
    non_ai_bid: Float = _f(1_000.0, ge=0, le=100_000, why="$/MWh; value of lost load is ~$10-30k")
    datacentre_bid: Float = _f(300.0, ge=0, le=100_000, why="$/MWh; value of lost load is ~$10-30k")
    transmission_cost: Float = _f(12.0, ge=0, le=1_000, why="$/MWh of wheeling between regions")
    transmission_cap_mw: Mw = 2_000.0
    pue: Float = _f(
        1.3,
        ge=1.0,
        le=3.0,
        why="power usage effectiveness: >= 1 by definition, industry ~1.1-1.6 [dc-pue]",
    )
    fleet_pue: Float = _f(
        1.58, ge=1.0, le=3.0, why="PUE of the installed fleet at the start; >= 1 [dc-pue]"
    )
    conventional_dc_growth: Float = _f(
        0.04, ge=-0.2, le=0.5, why=_WHY_GROWTH + " of conventional data-centre load"
    )
    capacity_price_cap: Float = _f(
        329.17, ge=0, le=5_000, why="$/MW-day; 10x PJM's 2026/27 cap [pow-pjm-cap]"
    )
    capacity_price_at_target: Float = _f(
        360.0, ge=0, le=5_000, why="$/MW-day; ~15x PJM's 2026/27 cap [est-capacity]"
    )
    capacity_curve_width: Float = _f(
        0.03, gt=0, le=0.5, why="reserve margin above target where the price reaches zero"
    )
    capacity_net_cone: Float = _f(
        230.0, ge=0, le=5_000, why="$/MW-day; net cost of new entry, est. [est-capacity]"
    )


class ChipGenCfg(_Cfg):
    """One accelerator generation: effective dense TFLOP/s, watts, unit cost ([acc-*] rows)."""

    name: Name
    family: Family
    release: Month = Field(description="calendar month of first volume shipments")
    tflops: Float = _f(
        ge=1, le=1e6, why="dense TFLOP/s; an accelerator does >= 1, 1,000x an H100 [acc-h100]"
    )
    watts: Float = _f(ge=1, le=1e5, why="watts per chip; >= 1 W, 100x an H100 [acc-h100]")
    unit_cost: Float = _f(ge=1, le=1e8, why="US dollars per chip; >= $1, 1,000x a B200 [acc-b200]")


class VendorCfg(_Cfg):
    """A chip vendor; ``owner`` names a hyperscaler for captive in-house silicon."""

    name: Name
    family: Family
    owner: Ref | None = None
    capacity_units_per_month: Float = _f(
        ge=0, le=1e8, why="chips a month; ~500x the Hopper GPUs shipped in 2025 [dem-hopper]"
    )
    markup: Markup  # no default: merchant and in-house silicon differ tenfold [est-gpu-margin]
    backlog_markup: Markup = 0.5


class ChipsCfg(_Cfg):
    """Accelerator generations, vendors and supply growth."""

    generations: list[ChipGenCfg] = Field(min_length=1, max_length=100, description=_WHY_LIST)
    vendors: list[VendorCfg] = Field(min_length=1, max_length=50, description=_WHY_LIST)
    supply_growth: Float = _f(0.3, ge=-0.5, le=3.0, why=_WHY_GROWTH + " of chip supply")
    supply_growth_decay_per_year: Share = 0.0
    life_months: Int = _f(60, ge=6, le=240, why="months of a chip's service life")
    discount_rate: Float = _f(
        0.10,
        ge=0,
        le=1,
        why="a year; hyperscalers' cost of capital for chip value [est-chip-value]",
    )
    buyer_surplus: Float = _f(
        0.10,
        gt=0,
        le=0.99,
        why="share of the top bid a merchant vendor leaves to buyers [est-chip-value]",
    )
    captive_lead_months: Int = _f(
        12,
        ge=1,
        le=120,
        why="months for in-house silicon to follow its owner's orders [est-captive]",
    )


class DataCentreCfg(_Cfg):
    """Data-centre shells: cost, build time, availability of compute ([dc-*] rows)."""

    cost_per_mw: Float = _f(
        11e6, ge=0, le=1e9, why="US dollars per MW; 100x the cost of a shell [dc-shell-cost]"
    )
    build_months: Int = _f(21, ge=1, le=120, why="months; 10 years exceeds any build [dc-lead]")
    availability: Float = _f(0.9, ge=0.1, le=1, why="a share of capacity that can serve")
    life_months: Int = _f(180, ge=12, le=600, why=_WHY_MONTHS)
    max_build_mw_per_month: Mw = 400.0
    growth_extrapolation: Share = 0.25
    unpowered_allowance: Float = _f(
        0.05, ge=0, le=10, why="share of shells started ahead of expected power [est-power-pacing]"
    )
    server_overhead: Float = _f(
        1.83, ge=1.0, le=5.0, why="IT watts per chip watt: >= 1, ~1.8 measured [dc-density]"
    )


class HyperscalerCfg(_Cfg):
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


class ProjectCfg(_Cfg):
    """A named data-centre project with a dated completion (history or an announcement)."""

    name: Name
    owner: Ref
    region: Ref
    mw: Mw
    online: Month
    """Month the project's IT capacity is built and connected (before the start: built)."""


class LabCfg(_Cfg):
    """An AI lab: cash, capability, platform affinity per chip family, spending."""

    name: Name
    home_region: Ref
    cash: Usd
    capability: Float = _f(0.0, ge=0, le=100, why="a logit score; 100 means e^100 times the demand")
    affinity: dict[Family, Share]
    primary: Ref
    opex_per_month: UsdFlow = 0.0
    opex_share_of_revenue: Share = 0.35
    training_ratio: Float = _f(0.6, ge=0, le=10, why="training compute per unit of inference")


class DemandCfg(_Cfg):
    """End demand for AI services: trend, price response, capability response."""

    initial_usd_per_month: Usd = 5e9
    growth_per_year: Float = _f(
        0.6,
        ge=-0.5,
        le=5.0,
        why=_WHY_GROWTH + "; 6x a year is above any lab's record [lab-anthropic-rev]",
    )
    growth_decay_per_year: Share = 0.12
    shock_persistence: Float = _f(
        0.9, ge=0, le=0.99, why="month-to-month persistence of the demand shock [est-demand-shock]"
    )
    services_markup: Float = _f(
        1.6, ge=0, le=20, why="price of AI services over compute cost, minus 1 [est-lab-economics]"
    )
    price_elasticity: Float = _f(
        1.3, ge=0, le=5, why="constant price elasticity of AI services demand [est-elasticity]"
    )
    capability_demand: Float = _f(
        0.5, ge=0, le=10, why="demand growth per unit of frontier capability [est-capability]"
    )
    training_bid_share: Float = _f(
        0.5,
        ge=0,
        le=1,
        why="a share of the AI services price labs pay for training [est-lab-economics]",
    )
    reinvest_months: Float = _f(24.0, ge=1, le=1_000, why="months over which spare cash is spent")
    training_bid_steps: Int = _f(
        24, ge=1, le=60, why="tranches of the training budget curve [est-training-schedule]"
    )
    training_bid_floor: Float = _f(
        0.4,
        ge=0.05,
        le=1,
        why="lowest training bid over the top: 20x the need at most [est-training-schedule]",
    )
    non_ai_cloud_growth_per_year: Float = _f(0.15, ge=-0.5, le=2.0, why=_WHY_GROWTH)
    capability_beta: Float = _f(1.0, ge=0, le=50, why="logit sensitivity of demand to capability")
    scaling_exponent: Float = _f(0.5, ge=0, le=5, why="exponent of capability in training compute")


class CapitalCfg(_Cfg):
    """The outside investor pool: when labs raise, at what valuation, how likely."""

    valuation_multiple: Float = _f(15.0, ge=0.1, le=1_000, why="a revenue multiple")
    runway_months: Float = _f(
        6.0, ge=0, le=120, why="months; ten years of runway never triggers a raise"
    )
    round_months: Float = _f(18.0, ge=0, le=120, why="months of burn a round covers")
    vc_success_prob: Share = 0.85
    min_revenue_for_vc: UsdFlow = 0.0
    strategic_deals: Bool = False
    strategic_spend_multiple: Float = _f(
        2.0, ge=0, le=100, why="committed spend per dollar invested"
    )
    strategic_term_months: Int = _f(60, ge=1, le=600, why=_WHY_MONTHS)


class FinanceCfg(_Cfg):
    """Lenders and payouts: debt rates, borrowing limits, cash buffer ([est-debt-*] rows)."""

    debt_rate_hyperscaler: Float = _f(
        0.05, ge=0, le=0.5, why="a yearly interest rate; 50% is far above any bond yield"
    )
    debt_rate_lab: Float = _f(
        0.10, ge=0, le=0.5, why="a yearly interest rate; 50% is far above any bond yield"
    )
    debt_multiple_hyperscaler: Float = _f(
        3.0, ge=0, le=20, why="debt over annual operating cash flow; 20x is beyond any lender"
    )
    debt_multiple_lab: Float = _f(
        1.0, ge=0, le=20, why="debt over annual revenue; 20x is beyond any lender"
    )
    cash_buffer_months: Float = _f(
        6.0, ge=0, le=120, why="months of capex and operating costs kept before payouts"
    )


class LockinCfg(_Cfg):
    """Switching costs: egress fees and porting software to another chip family."""

    egress_fee_per_h100e_hour: Float = _f(0.25, ge=0, le=100, why=_WHY_PRICE_H)
    platform_penalty_per_h100e_hour: Float = _f(1.2, ge=0, le=100, why=_WHY_PRICE_H)
    porting_cost_usd: UsdFlow = 3e8
    porting_months: Int = _f(9, ge=0, le=120, why="months; ten years to port is never worth it")
    porting_gap: Float = _f(0.35, ge=0, le=10, why="price advantage needed to port, a ratio")


class JurisdictionCfg(_Cfg):
    """A competition authority: the regions it governs and the rules it sets differently.

    A rule left out (``None``) is the ``regulation`` table's. Its rules apply to deals
    whose lab is homed in its regions and to sales to labs homed there ([reg-eu-data-act]:
    the Data Act protects customers in the EU).
    """

    regions: list[Ref] = Field(min_length=1, max_length=50)
    hhi_threshold: Float | None = _f(None, ge=0, le=10_000, why="HHI is at most 10,000")
    delta_hhi: Float | None = _f(None, ge=0, le=10_000, why="HHI is at most 10,000")
    share_threshold: Share | None = None
    review_minority_stakes: Bool | None = None
    exclusivity_ban: Bool | None = None
    switching_fee_cap: Float | None = _f(None, ge=0, le=100, why=_WHY_PRICE_H)
    switching_fee_ban: Month | None = None


class RegulationCfg(_Cfg):
    """Merger-style review ([reg-merger-2023]) and the scenario's own rules ([reg-eu-data-act]).

    These rules hold in every region; ``jurisdictions`` names authorities (``us``, ``eu``...)
    with the regions they govern and the rules they set differently. Regions no
    jurisdiction lists get one authority per name prefix (``us-*``, ``eu*``) or region.
    """

    hhi_threshold: Float = _f(1800.0, ge=0, le=10_000, why="HHI is at most 10,000 (a monopoly)")
    delta_hhi: Float = _f(100.0, ge=0, le=10_000, why="HHI is at most 10,000 (a monopoly)")
    share_threshold: Share = 0.30
    review_minority_stakes: Bool = False
    exclusivity_ban: Bool = False
    switching_fee_cap: Float | None = _f(None, ge=0, le=100, why=_WHY_PRICE_H)
    switching_fee_ban: Month | None = None
    """Month from which switching fees are banned (none: never)."""
    review_lag_months: Int = _f(3, ge=0, le=60, why="months; five years exceeds any review")
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


class DealCfg(_Cfg):
    """The headline infrastructure-for-equity deal (off unless ``enabled``; [deal-*] rows)."""

    enabled: Bool = False
    investor: Ref = "amazon"
    lab: Ref = "anthropic"
    propose: Month = "2026-04"
    """Month the deal is proposed."""
    investment_usd: Usd = 5e9
    milestone_usd: Usd = 20e9
    milestone_tranches: Int = _f(
        4, ge=0, le=40, why="tranches; 40 is one every quarter for ten years"
    )
    milestone_revenue_step: Usd = 15e9
    committed_spend_usd: Float = _f(
        100e9, ge=0, le=1e14, why="US dollars; 1,000x the April 2026 commitment [deal-spend]"
    )
    term_months: Int = _f(120, ge=1, le=600, why=_WHY_MONTHS)
    price_per_h100e_hour: Float = _f(2.0, ge=0.01, le=1_000, why=_WHY_PRICE_H)
    silicon: Family | None = "trainium"
    reserved_mw: Mw = 5_000.0
    exclusive: Bool = True
    take_or_pay: Bool = True
    penalty_rate: Float = _f(0.25, ge=0, le=10, why="penalty per dollar of shortfall")


class ContractCfg(_Cfg):
    """A pre-existing contract (compute commitment, power PPA, chip supply)."""

    kind: Literal["compute", "power", "chips"]
    seller: Ref
    buyer: Ref
    volume_per_month: Float = _f(ge=0, le=1e15, why="units a month (H100e-hours, MWh or chips)")
    price: Float = _f(ge=0, le=1e9, why="US dollars per unit")
    start: Month = Field(description="first month of deliveries")
    end: Month = Field(description="month after the last delivery")
    take_or_pay: Bool = True
    exclusive: Bool = False
    penalty_rate: Float = _f(0.25, ge=0, le=10, why="penalty per dollar of shortfall")
    family: Family | None = None
    region: Ref | None = None


class ScaleCfg(_Cfg):
    """Scale mode: many small labs and enterprise buyers (vectorized)."""

    small_labs: Int = _f(0, ge=0, le=1_000_000, why="agents; a million fits in memory")
    enterprise_buyers: Int = _f(0, ge=0, le=1_000_000, why="agents; a million fits in memory")
    demand_share: Float = _f(
        0.15, ge=0, le=0.9, why="a share of end demand; the major labs keep >= 10%"
    )


class Scenario(_Cfg):
    """A complete scenario: the world the model builds and the rules it runs by."""

    name: Annotated[str, AfterValidator(_scenario_name)] = "custom"
    description: Annotated[str, Field(max_length=2_000), AfterValidator(_text)] = ""
    start: Annotated[str, AfterValidator(_start)] = "2026-01"
    months: Int = _f(120, ge=1, le=600, why=_WHY_MONTHS)
    regions: list[RegionCfg] = Field(min_length=1, max_length=50, description=_WHY_LIST)
    latency_cost: Float = _f(0.15, ge=0, le=100, why=_WHY_PRICE_H)
    power: PowerCfg = PowerCfg()
    chips: ChipsCfg
    datacentres: DataCentreCfg = DataCentreCfg()
    hyperscalers: list[HyperscalerCfg] = Field(min_length=1, max_length=50, description=_WHY_LIST)
    labs: list[LabCfg] = Field(min_length=1, max_length=200, description=_WHY_LIST)
    demand: DemandCfg = DemandCfg()
    capital: CapitalCfg = CapitalCfg()
    finance: FinanceCfg = FinanceCfg()
    lockin: LockinCfg = LockinCfg()
    regulation: RegulationCfg = RegulationCfg()
    deal: DealCfg = DealCfg()
    contracts: list[ContractCfg] = Field(
        default_factory=list, max_length=1_000, description=_WHY_LIST
    )
    projects: list[ProjectCfg] = Field(
        default_factory=list, max_length=1_000, description=_WHY_LIST
    )
    scale: ScaleCfg = ScaleCfg()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        """Names unique, references resolve, maps not all zero, contracts not empty."""
        problems: list[str] = []

        def bad(path: str, value: object, why: str) -> None:
            problems.append(f"@{path}@ = {short(value)}: {why}")

        def need(ok: bool, path: str, value: object, allowed: set[str]) -> None:
            if not ok:
                bad(path, value, f"unknown name; allowed: {sorted(allowed)}")

        lists: dict[str, list[Any]] = {
            "regions": self.regions,
            "chips.generations": self.chips.generations,
            "chips.vendors": self.chips.vendors,
            "hyperscalers": self.hyperscalers,
            "labs": self.labs,
        }
        for key, items in lists.items():
            first: dict[str, int] = {}
            for i, item in enumerate(items):
                if item.name in first:
                    bad(
                        f"{key}.{i}.name",
                        item.name,
                        f"duplicate name (also {key}.{first[item.name]}.name); "
                        "give each item its own name",
                    )
                first.setdefault(item.name, i)
        # Agents of different kinds share one name space (tables, graph, reports).
        owner_of: dict[str, str] = {}
        agents = [(f"utility-{r.name}", f"regions.{i}.name") for i, r in enumerate(self.regions)]
        agents += [(v.name, f"chips.vendors.{i}.name") for i, v in enumerate(self.chips.vendors)]
        agents += [(h.name, f"hyperscalers.{i}.name") for i, h in enumerate(self.hyperscalers)]
        agents += [(lab.name, f"labs.{i}.name") for i, lab in enumerate(self.labs)]
        for agent, path in agents:
            other = owner_of.setdefault(agent, path)
            if other != path and other.rsplit(".", 2)[0] != path.rsplit(".", 2)[0]:
                bad(path, agent, f"the agent name {agent!r} is taken by {other}; rename one")
        for i, lab in enumerate(self.labs):
            if re.fullmatch(r"(small-lab|enterprise)-\d+", lab.name):
                bad(f"labs.{i}.name", lab.name, "reserved for scale-mode agents; rename it")

        regions = {r.name for r in self.regions}
        hypers = {h.name for h in self.hyperscalers}
        labs = {lab.name for lab in self.labs}
        vendors = {v.name for v in self.chips.vendors}
        utilities = {f"utility-{r}" for r in regions}
        sellers_of = {  # who may sell each family to each hyperscaler
            (h, v.family) for v in self.chips.vendors for h in hypers if v.owner in (None, h)
        }
        for i, h in enumerate(self.hyperscalers):
            for r in h.built_mw:
                need(r in regions, f"hyperscalers.{i}.built_mw.{r}", r, regions)
            for r in h.building_mw:
                need(r in regions, f"hyperscalers.{i}.building_mw.{r}", r, regions)
            if not any(share > 0 for share in h.family_mix.values()):
                bad(
                    f"hyperscalers.{i}.family_mix",
                    dict(h.family_mix),
                    "no chip family has a positive share; give at least one family a share > 0",
                )
            for fam, share in h.family_mix.items():
                if share > 0 and (h.name, fam) not in sellers_of:
                    bad(
                        f"hyperscalers.{i}.family_mix.{fam}",
                        share,
                        f"no vendor sells {fam} chips to {h.name}; set it to 0 or add a vendor",
                    )
        for i, p in enumerate(self.projects):
            need(p.owner in hypers, f"projects.{i}.owner", p.owner, hypers)
            need(p.region in regions, f"projects.{i}.region", p.region, regions)
        for i, g in enumerate(self.chips.generations):
            if g.tflops / g.watts > MAX_TFLOPS_PER_WATT:
                bad(
                    f"chips.generations.{i}.tflops",
                    g.tflops,
                    f"{g.tflops / g.watts:.3g} TFLOP/s per watt; at most {MAX_TFLOPS_PER_WATT:g} "
                    "(14x an H100's 1.4); lower tflops or raise watts",
                )
        made = {g.family for g in self.chips.generations}
        for i, v in enumerate(self.chips.vendors):
            if v.owner is not None:
                need(v.owner in hypers, f"chips.vendors.{i}.owner", v.owner, hypers)
            if v.family not in made:
                bad(
                    f"chips.vendors.{i}.family",
                    v.family,
                    f"no generation of the {v.family} family in chips.generations; "
                    "add one or sell another family",
                )
        for i, lab in enumerate(self.labs):
            need(lab.home_region in regions, f"labs.{i}.home_region", lab.home_region, regions)
            need(lab.primary in hypers, f"labs.{i}.primary", lab.primary, hypers)
            if not any(a > 0 for a in lab.affinity.values()):
                bad(
                    f"labs.{i}.affinity",
                    dict(lab.affinity),
                    "the lab can run on no chip family; give at least one family affinity > 0",
                )
        for i, c in enumerate(self.contracts):
            sellers = {"compute": hypers, "power": utilities, "chips": vendors}[c.kind]
            buyers = {"compute": labs, "power": hypers, "chips": hypers}[c.kind]
            need(c.seller in sellers, f"contracts.{i}.seller", c.seller, sellers)
            need(c.buyer in buyers, f"contracts.{i}.buyer", c.buyer, buyers)
            if c.region is not None:
                need(c.region in regions, f"contracts.{i}.region", c.region, regions)
            if c.end <= c.start:
                bad(
                    f"contracts.{i}.end",
                    c.end,
                    f"must be after start ({c.start}); a contract lasts >= 1 month",
                )
            if c.kind == "compute" and c.family is not None and c.seller in hypers:
                if (c.seller, c.family) not in sellers_of:
                    bad(
                        f"contracts.{i}.family",
                        c.family,
                        f"no vendor sells {c.family} chips to {c.seller}; "
                        "choose a family it can buy or add a vendor",
                    )
        for key, j in self.regulation.jurisdictions.items():
            for k, r in enumerate(j.regions):
                need(r in regions, f"regulation.jurisdictions.{key}.regions.{k}", r, regions)
        if self.deal.enabled:
            need(self.deal.investor in hypers, "deal.investor", self.deal.investor, hypers)
            need(self.deal.lab in labs, "deal.lab", self.deal.lab, labs)
            silicon = self.deal.silicon
            if silicon is not None and self.deal.investor in hypers:
                if (self.deal.investor, silicon) not in sellers_of:
                    bad(
                        "deal.silicon",
                        silicon,
                        f"no vendor sells {silicon} chips to {self.deal.investor}; "
                        "choose a family the investor can buy, or none",
                    )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # ------------------------------------------------------------------ API
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Validate ``data`` into a scenario or raise :class:`ScenarioError`."""
        if not isinstance(data, Mapping):
            raise ScenarioError(
                f"invalid scenario: expected a table of keys, got {type(data).__name__}"
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ScenarioError(explain(exc, cls)) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (TOML-able apart from ``None`` values)."""
        return self.model_dump(mode="python")

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new validated scenario with dotted-path keys replaced.

        >>> scn.with_overrides({"power.interconnection_months": 72})  # doctest: +SKIP
        >>> scn.with_overrides({"labs.anthropic.cash": 35e9})  # doctest: +SKIP

        List items are addressed by their ``name`` (``"labs.anthropic.cash"``,
        ``"regions.us-east.units.0.mw"``) or by index (``"labs.0.cash"``). Unknown paths,
        unknown names and invalid values raise :class:`ScenarioError` naming the path and
        what is allowed there.
        """
        data = copy.deepcopy(self.to_dict())
        for path, value in overrides.items():
            set_path(data, path, value)
        return Scenario.from_dict(data)
