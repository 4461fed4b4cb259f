"""Policy and uncertainty levers: the knobs sweeps and the browser app move."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LEVERS", "Lever"]


@dataclass(frozen=True)
class Lever:
    """A knob for sweeps and sliders: dotted scenario path, label, range, unit.

    ``unit`` is the one statement of the lever's unit: sweeps' tables and axes
    (:mod:`experiments.sweeps.units`) and the app's sliders read it.
    """

    path: str
    label: str
    min: float
    max: float
    step: float
    unit: str


LEVERS: dict[str, Lever] = {
    lever.path: lever
    for lever in (
        Lever("deal.investment_usd", "Deal investment (upfront)", 0.0, 40e9, 1e9, "USD"),
        Lever("deal.committed_spend_usd", "Lab's committed cloud spend", 0.0, 300e9, 10e9, "USD"),
        Lever(
            "regulation.switching_fee_cap",
            "Switching-fee cap",
            0.0,
            1.0,
            0.05,
            "USD per H100e-hour",
        ),
        Lever("power.interconnection_months", "Interconnection lead time", 6, 96, 6, "months"),
        Lever("regulation.hhi_threshold", "Regulator HHI threshold", 1000, 4000, 100, "HHI"),
        Lever("chips.supply_growth", "Chip supply growth", -0.2, 1.5, 0.05, "per year"),
        Lever("demand.growth_per_year", "AI demand growth", -0.2, 2.0, 0.05, "per year"),
        Lever(
            "datacentres.profit_response",
            "Capacity plans' response to profits",
            0.0,
            1.0,
            0.05,
            "elasticity",
        ),
        Lever(
            "datacentres.conversion_share_per_year",
            "Conventional data centres converted to AI",
            0.0,
            0.2,
            0.01,
            "share a year",
        ),
        Lever(
            "cloud_conduct",
            "Clouds' conduct (0 price-taking, 1 Cournot)",
            0.0,
            1.0,
            0.1,
            "conduct parameter",
        ),
        Lever(
            "demand.training_bid_share",
            "Labs' training bid (of the services price)",
            0.1,
            1.0,
            0.05,
            "share of the services price",
        ),
    )
}
"""The policy and uncertainty levers the project studies, keyed by dotted path.

The deal's size ([deal-2026], [deal-spend]), a cap on switching fees ([reg-eu-data-act]),
the interconnection queue ([pow-queue]), the review threshold ([reg-merger-2023]), chip
supply and demand growth (the estimates of ``docs/calibration.md``), and four rules of the
economy: how capacity plans answer profits
([est-profit-response]; 0 as shipped), how fast clouds may convert conventional data
centres to AI ([est-conversion]; 0 as shipped), how much of the services price labs bid for
training ([est-lab-economics]; 0.5 as shipped), and how far the clouds' prices answer
their shares ([est-cloud-conduct]; 0, price-taking, as shipped).
"""
