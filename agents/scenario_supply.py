"""The supply chain's sections of a scenario: power, chips and data centres.

The grid regions with their generation units and the grid's build and prices
(:class:`PowerCfg`), the accelerator generations and their vendors (:class:`ChipsCfg`),
and the data-centre shells (:class:`DataCentreCfg`). Each is a frozen, strict pydantic
model (:class:`agents.scenario_fields.Section`) with bounded fields whose descriptions give
the reasons for the bounds; their defaults are the calibrated 2026 market, citing the rows
of ``docs/calibration.md`` (as ``[id]``). :mod:`agents.scenario` re-exports them.
"""

from __future__ import annotations

from pydantic import Field

from agents.scenario_fields import (
    WHY_GROWTH,
    WHY_LIST,
    WHY_MONTHS,
    WHY_PRICE_MWH,
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
    bounded,
)

__all__ = [
    "ChipGenCfg",
    "ChipsCfg",
    "DataCentreCfg",
    "GenUnitCfg",
    "PowerCfg",
    "RegionCfg",
    "VendorCfg",
]


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
        36,
        ge=1,
        le=120,
        why="months; at least one, as a connection asked for in a month comes in a later one; "
        "10 years is twice the longest median queue [pow-queue]",
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
    """MW each link from a region's utility to a cloud's site in another region carries at
    most (a cap per link, not per pair of regions) [est-grid]."""
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
        329.17, ge=0, le=5_000, why="$/MW-day; about 15x PJM's 2026/27 cap [pow-pjm-cap]"
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
    watts: Float = bounded(
        ge=1, le=1e5, why="watts per chip; >= 1 W, about 140x an H100 [acc-h100]"
    )
    unit_cost: Float = bounded(
        ge=1, le=1e8, why="US dollars per chip; >= $1, about 3,000x a B200 [acc-b200]"
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
    """Data-centre shells: cost, build time, availability of compute ([dc-*] rows), and the
    conversion of conventional data centres to AI (none as shipped, [est-conversion])."""

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
    conversion_share_per_year: Float = bounded(
        0.0,
        ge=0,
        le=0.5,
        why="share of a region's conventional data-centre load the clouds together may "
        "convert to AI a year [est-conversion]; 0 converts none",
    )
    conversion_until: Month | None = None
    """Month from which no conversion starts (none: conversions never stop)."""
    conversion_months: Int = bounded(
        6, ge=1, le=60, why="months to convert a conventional hall for AI [dc-retrofit]"
    )
    conversion_cost_per_mw: Float = bounded(
        2e6, ge=0, le=1e9, why="US dollars per MW of IT load converted [dc-retrofit]"
    )
