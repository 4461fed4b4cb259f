"""Every column the model reports, with its unit and definition, defined once.

The model frame (one row a month) and the tidy tables are built from these lists, the
glossary ``docs/metrics.md`` is generated from them (``python -m agents.columns``), and
a test fails if the two drift apart.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from agents.units import HOURS_PER_MONTH, MONTHS_PER_YEAR

__all__ = ["MODEL_COLUMNS", "REGION_LOAD_COLUMNS", "TABLE_COLUMNS", "Column", "glossary_markdown"]


@dataclass(frozen=True)
class Column:
    """One reported column: name, unit and definition."""

    name: str
    unit: str
    definition: str


MODEL_COLUMNS: tuple[Column, ...] = (
    Column("month", "months", "Months since the scenario's start (0 is the start month)."),
    Column("date", "date", "First day of the row's calendar month (datetime64)."),
    Column(
        "compute_spot_price",
        "$/H100e-h",
        "Volume-weighted price at the seller nodes of all spot compute sold this month (when nothing traded, this month's node prices weighted by the capacity behind them; missing when no cloud has capacity).",
    ),
    Column(
        "compute_contract_price",
        "$/H100e-h",
        "Volume-weighted price of compute delivered under contracts this month; missing when no contract delivers.",
    ),
    Column(
        "power_price",
        "$/MWh",
        "Regions' energy prices weighted by load (non-AI, conventional and AI data centres).",
    ),
    Column(
        "capacity_price",
        "$/MW-day",
        "Regions' capacity prices in force (paid by AI data centres on their load), weighted like power_price.",
    ),
    Column(
        "chip_price",
        "$/H100e",
        "Price paid per H100-equivalent of chips bought on the spot market (the vendor's ask plus the link's margin), weighted by H100e; missing when no chips are bought on the spot market.",
    ),
    Column(
        "chip_value",
        "$/H100e",
        "Buyers' node price per H100-equivalent of the chips bought on the spot market (a unit's value to the clouds that bought it; above chip_price when vendors ration their capacity at their ask), weighted by H100e; missing like chip_price.",
    ),
    Column(
        "capacity_q",
        "ratio",
        "Tobin's q of new capacity at the month's plan: the newest merchant GPU's value to a cloud at the expected compute price (its rent net of power and the shell's depreciation over its life, discounted as in the chip bids) over its list price; above 1 new capacity pays for itself (docs/calibration.md [est-profit-response]).",
    ),
    Column("capacity_gw_built", "GW", "Data-centre IT capacity built, all clouds and regions."),
    Column("capacity_gw_powered", "GW", "IT capacity built and connected to the grid."),
    Column("utilisation", "share", "Compute delivered over compute capacity this month."),
    Column(
        "throttled_share",
        "share",
        "Share of active buyers' inference need not served. Labs serve inference first, so "
        "this is inference the market left unmet (docs/calibration.md [est-throttling]).",
    ),
    Column(
        "training_share",
        "share",
        "Share of the compute active major labs received that they trained on (the rest "
        "served their users' inference, which labs serve first); 0 when they received none.",
    ),
    Column(
        "cloud_hhi",
        "HHI (0-10,000)",
        "Herfindahl-Hirschman index of annual cloud revenue (AI compute plus other cloud); fringe clouds count in the total, not squared (as fringe_firms equal firms where set).",
    ),
    Column(
        "ai_compute_hhi",
        "HHI (0-10,000)",
        f"HHI of AI accelerator-hours (H100e-hours) sold by clouds over the trailing {MONTHS_PER_YEAR} months, contracts and spot: the relevant market the merger review uses; fringe clouds count in the total, not squared (as fringe_firms equal firms where set).",
    ),
    Column(
        "chip_hhi",
        "HHI (0-10,000)",
        f"HHI of chips sold over the trailing {MONTHS_PER_YEAR} months, in H100e.",
    ),
    Column(
        "lockin_index",
        "years of spend",
        "Spend-weighted mean over major labs of switching cost over annual spend; switching cost is a year of the lab's egress fees on the volume bought, porting cost x (1 - mean platform affinity), and up to a year of take-or-pay commitments still owed.",
    ),
    Column(
        "flop_per_joule",
        "FLOP/J",
        "Installed fleet's dense BF16 FLOP/s over its facility power (IT watts x PUE).",
    ),
    Column("labs_active", "labs", "Labs still in the market (enterprise buyers excluded)."),
    Column("ai_demand_usd", "$/month", "End demand for AI services allocated to labs this month."),
    Column("ai_revenue_usd", "$/month", "Labs' revenue from the inference they served."),
    Column(
        "ai_services_price",
        "$/H100e-h",
        "Price of AI services per H100e-hour of inference: the labs' expected compute cost x (1 + demand.services_markup).",
    ),
    Column(
        "ai_services_demand",
        "H100e-h/month",
        "AI services demanded at that price (constant-elasticity demand), in H100e-hours of inference.",
    ),
    Column("compute_h100e_hours", "H100e-h/month", "Compute delivered, contracts and spot."),
    Column(
        "dc_power_share",
        "share",
        "AI data centres' share (power bought) of the modelled regions' electricity this month.",
    ),
    Column(
        "us_dc_power_share",
        "share",
        "All data centres' share (AI power used plus conventional load) of the US regions' electricity this month; comparable with the published US share (4.4% in 2023).",
    ),
    Column(
        "dc_energy_twh_per_year",
        "TWh/year",
        f"Electricity used by all data centres (AI power used plus conventional load) in the modelled regions, this month x {MONTHS_PER_YEAR}.",
    ),
    Column(
        "egress_fee",
        "$/H100e-h",
        "Egress (switching) fee major labs pay, weighted by their spend; each lab's fee is the lowest its home region's regulators allow.",
    ),
    Column(
        "hhi_threshold",
        "HHI (0-10,000)",
        "The regulator's review threshold in force (the scenario's regulation.hhi_threshold).",
    ),
    Column(
        "debt_usd",
        "$",
        "Debt owed to outside lenders by all hyperscalers, labs and chip vendors at the end of the month.",
    ),
    Column(
        "labs_exited",
        "labs",
        "Labs that have exited so far (enterprise buyers excluded); their debts are written off.",
    ),
    Column(
        "capex_usd",
        "$/month",
        "Hyperscalers' capex this month: data-centre building paid (each shell's cost in "
        "equal instalments over its build) plus chips bought (spot and contracts; in-house "
        "silicon at cost).",
    ),
    Column(
        "payout_usd",
        "$/month",
        "Cash hyperscalers paid to shareholders this month (above their cash buffer, after repaying debt).",
    ),
)

REGION_LOAD_COLUMNS = ("non_ai_load_mw", "conventional_dc_mw", "dc_load_mw")
"""The ``regions`` table's columns whose sum is a region's electricity use (MW): what the
report and the browser app rank regions by when they draw only the largest."""

TABLE_COLUMNS: dict[str, tuple[Column, ...]] = {
    "regions": (
        Column("month", "months", "Months since the start."),
        Column("date", "date", "First day of the month (datetime64)."),
        Column("region", "name", "Grid region."),
        Column("power_price", "$/MWh", "Cleared power price at the region's utility."),
        Column("non_ai_load_mw", "MW", "Average non-AI load (conventional data centres excluded)."),
        Column(
            "conventional_dc_mw",
            "MW",
            "Average load of conventional (non-AI) data centres, served like non-AI load.",
        ),
        Column(
            "converted_mw",
            "MW",
            "Conventional data-centre load converted to AI sites so far (gone from conventional_dc_mw; 0 unless datacentres.conversion_share_per_year is set).",
        ),
        Column("dc_load_mw", "MW", "Average power received by AI data centres."),
        Column("dc_share", "share", "AI data centres' share of the region's electricity."),
        Column("generation_mw", "MW", "Available generation online (MW x availability)."),
        Column("generation_building_mw", "MW", "Generation started, not yet online."),
        Column(
            "reserve_margin",
            "share",
            "Capacity counted at the peak (MW x capacity credit) over peak load (non-AI x peak-to-average, plus data centres), minus one.",
        ),
        Column(
            "capacity_price",
            "$/MW-day",
            "Capacity price set by the reserve margin; AI data centres pay it on their load.",
        ),
        Column("built_mw", "MW", "Data-centre IT capacity built in the region."),
        Column("powered_mw", "MW", "IT capacity built and connected."),
        Column(
            "egress_fee",
            "$/H100e-h",
            "Egress fee allowed to customers homed in the region (the lowest its regulators allow).",
        ),
        Column(
            "lockin_index",
            "years of spend",
            "lockin_index over the major labs homed in the region (missing when none spends).",
        ),
    ),
    "agents": (
        Column("month", "months", "Months since the start."),
        Column("date", "date", "First day of the month (datetime64)."),
        Column("agent_id", "id", "Mesa unique_id (the trade graph's node)."),
        Column("name", "name", "Agent name."),
        Column("kind", "name", "hyperscaler, lab or vendor."),
        Column("cash", "$", "Cash at the end of the month."),
        Column(
            "revenue",
            "$/month",
            "Hyperscalers: compute sales; labs: revenue from inference served.",
        ),
        Column("built_mw", "MW", "Hyperscalers: IT capacity built."),
        Column("powered_mw", "MW", "Hyperscalers: IT capacity built and connected."),
        Column("compute_h100e_hours", "H100e-h/month", "Hyperscalers: compute delivered."),
        Column(
            "spend",
            "$/month",
            "Labs: compute paid to clouds (the seller's node price plus the egress fee); the link friction a lab pays on top (latency, porting) goes to the outside world and is not in it.",
        ),
        Column("active", "bool", "Labs: still in the market."),
        Column(
            "capability",
            "index",
            "Labs: capability (grows with cumulative training, and with the lab's quality drift while it lasts).",
        ),
        Column("inference_need", "H100e-h/month", "Labs: compute needed to serve their demand."),
        Column("served", "H100e-h/month", "Labs: inference served."),
        Column("received", "H100e-h/month", "Labs: compute received (inference and training)."),
        Column(
            "throttled_share",
            "share",
            "Labs: share of inference need not served (inference the market left unmet; "
            "docs/calibration.md [est-throttling]).",
        ),
        Column(
            "compute_gw",
            "GW",
            "Labs: compute received, as facility power (H100e-hours x the fleet's MWh per "
            f"H100e-hour / {HOURS_PER_MONTH:.0f} h).",
        ),
        Column(
            "runway_months",
            "months",
            "Labs: cash over trailing monthly burn, the operating cash outflow net of revenue (compute, link friction, porting, opex and interest, less revenue and penalties received; financing not counted); missing when not burning cash or after the lab left the market.",
        ),
        Column("egress_fee", "$/H100e-h", "Labs: egress fee it pays away from its primary cloud."),
        Column(
            "training_bid",
            "$/H100e-h",
            "Labs: the top of its training bid: demand.training_bid_share of the services "
            "price, or under demand.training_bid_rule = capability_value what one more hour of "
            "training is worth to it, at most the services price (docs/calibration.md "
            "[est-capability-value]).",
        ),
        Column(
            "lockin_index",
            "years of spend",
            "Labs: switching cost over annual spend (see the model frame's lockin_index).",
        ),
        Column(
            "share_<cloud>",
            "share",
            "Labs: share of the compute received from each cloud (one column per cloud).",
        ),
        Column(
            "spend_<cloud>",
            "$/month",
            "Labs: compute spend at each cloud this month, net of penalties (one column per cloud).",
        ),
        Column("units_sold", "units/month", "Vendors: chips sold (spot and contracts)."),
        Column(
            "debt",
            "$",
            "Hyperscalers, labs and vendors: debt owed to outside lenders at the end of the month.",
        ),
    ),
    "deals": (
        Column("month", "months", "Months since the start."),
        Column("date", "date", "First day of the month (datetime64)."),
        Column(
            "deal",
            "id",
            "Deal id (0 is the scenario's headline deal, 1, 2, ... its other_deals, then "
            "strategic deals).",
        ),
        Column("investor", "name", "Investing hyperscaler."),
        Column("lab", "name", "Lab invested in."),
        Column(
            "status",
            "text",
            "under review, approved, approved with conditions, blocked, withdrawn or ended.",
        ),
        Column("invested_usd", "$", "Investment paid so far."),
        Column("equity_share", "share", "Investor's stake in the lab."),
        Column(
            "cloud_revenue_usd",
            "$",
            "Gross compute spend of the lab with the investor since the deal started, under the deal's contract or not (including spend that would have happened without the deal).",
        ),
        Column(
            "round_trip_ratio",
            "ratio",
            "cloud_revenue_usd over invested_usd: gross spend with the investor since the deal per dollar invested (not the revenue the deal adds; see experiments.deal_effect).",
        ),
        Column(
            "contract_payments_usd",
            "$",
            "Payments under the deal's own compute contract so far, net of shortfall penalties.",
        ),
        Column("payments_to_investment", "ratio", "contract_payments_usd over invested_usd."),
        Column(
            "exclusive",
            "bool",
            "The deal's contract was signed exclusive (false before signing or when a regulator struck the clause).",
        ),
        Column("tranches_paid", "tranches", "Milestone tranches paid."),
        Column(
            "post_hhi",
            "HHI (0-10,000)",
            "Post-deal HHI of AI accelerator-hours the regulator computed at review.",
        ),
        Column("conditions", "text", "Conditions of approval, '; '-separated."),
        Column("reasons", "text", "Reasons for a block, '; '-separated."),
    ),
    "contracts": (
        Column(
            "kind",
            "name",
            "compute (cloud to lab), power (utility to cloud) or chips (vendor to cloud).",
        ),
        Column("seller", "name", "Seller's agent name."),
        Column("buyer", "name", "Buyer's agent name."),
        Column("volume", "units/month", "Monthly volume: H100e-hours, MWh or chips by kind."),
        Column("price", "$/unit", "Price per unit of volume."),
        Column("start", "months", "First month in force."),
        Column(
            "end", "months", "First month no longer in force (in force while start <= month < end)."
        ),
        Column("start_date", "date", "First day of the start month."),
        Column("end_date", "date", "First day of the end month."),
        Column(
            "take_or_pay",
            "bool",
            "The buyer pays for all its seller makes available, taken or not; a shortfall is the seller's, who owes the penalty on it.",
        ),
        Column("exclusive", "bool", "The lab buys compute from no other cloud while in force."),
        Column("penalty_rate", "share", "Penalty per undelivered unit, as a share of the price."),
        Column("family", "name", "Chip family delivered (missing: any)."),
        Column("region", "name", "Region delivered in (missing: any)."),
        Column("deal", "id", "Deal the contract belongs to (missing: none)."),
        Column("delivered_total", "units", "Volume delivered so far."),
        Column("paid_total", "$", "Paid so far."),
        Column("penalty_total", "$", "Shortfall penalties owed by the seller so far."),
    ),
    "labs": (
        Column("name", "name", "Lab or buyer."),
        Column("kind", "name", "lab or enterprise."),
        Column("active", "bool", "Still in the market."),
        Column("exit_month", "months", "Month it exited (missing while active)."),
        Column("exit_date", "date", "First day of the month it exited (missing while active)."),
        Column("capability", "index", "Capability at the end of the run."),
        Column("cash", "$", "Cash at the end of the run."),
        Column("raised_usd", "$", "Raised from the outside investor pool in all."),
    ),
    "cashflows": (
        Column("month", "months", "Months since the start."),
        Column("date", "date", "First day of the month (datetime64)."),
        Column("reason", "name", "What the transfers were for (the ledger's reason)."),
        Column(
            "payer",
            "name",
            "Who paid: an agent's name, outside (investors, customers, lenders, suppliers), or in scale mode a population (small labs, enterprise buyers: their members summed).",
        ),
        Column(
            "payee", "name", "Who was paid: an agent's name, outside, or a scale-mode population."
        ),
        Column("amount", "$", "Dollars the payer paid the payee for that reason that month."),
    ),
}


def glossary_markdown() -> str:
    """The glossary of every column, as Markdown (the text of ``docs/metrics.md``)."""
    out = [
        "# Metrics glossary",
        "",
        "Generated by `python -m agents.columns > docs/metrics.md` from `agents/columns.py`;",
        "do not edit by hand. Missing values (`<NA>`, `NaT`, NaN) mean the column does not",
        "apply to the row (for example `runway_months` of a lab not burning cash).",
        "",
        "## Model frame (one row a month)",
        "",
        "| column | unit | definition |",
        "| --- | --- | --- |",
    ]
    out += [f"| `{c.name}` | {c.unit} | {c.definition} |" for c in MODEL_COLUMNS]
    for table, cols in TABLE_COLUMNS.items():
        out += [
            "",
            f"## Table `{table}`",
            "",
            "| column | unit | definition |",
            "| --- | --- | --- |",
        ]
        out += [f"| `{c.name}` | {c.unit} | {c.definition} |" for c in cols]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(glossary_markdown())
