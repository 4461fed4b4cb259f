"""Chip vendors: merchant (sells to every hyperscaler) or captive (in-house silicon).

A vendor offers its newest released generation at its list price, raised by a backlog
markup when last month's unfilled bids exceeded its capacity; a captive vendor
(``owner`` set) sells only to its owner, at cost. Capacity grows at
``chips.supply_growth`` a year (a lever; ``docs/calibration.md``, accelerator market),
decaying by ``chips.supply_growth_decay_per_year`` (:func:`supply_trend`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.firm import Firm
from agents.state import Tech
from agents.units import MONTHS_PER_YEAR

if TYPE_CHECKING:
    from agents.scenario import VendorCfg

__all__ = [
    "ChipVendor",
    "captive_capacity",
    "supply_trend",
    "vendor_offer_price",
    "vendor_unit_cost",
]


def vendor_offer_price(
    list_price: float,
    markup: float,
    backlog_markup: float,
    backlog: float,
    *,
    captive: bool,
    top_bid: float = float("inf"),
    buyer_surplus: float = 0.1,
) -> float:
    """Price of one unit offered this month.

    A captive vendor sells at cost, ``list_price / (1 + markup)``. A merchant asks list
    price times ``1 + backlog_markup x min(1, backlog)``, but never more than ``1 -
    buyer_surplus`` of the highest bid for its chips, so every trade leaves the buyer a
    strictly positive surplus (a vendor rationing a backlog by allocation rather than by
    auction, as NVIDIA held list prices of $25-40k through the shortage, [dem-h100-price]),
    and never less than its production cost.

    >>> vendor_offer_price(30_000.0, 2.0, 0.5, 0.4, captive=False)
    36000.0
    >>> vendor_offer_price(30_000.0, 2.0, 0.5, 1.0, captive=False, top_bid=40_000.0)
    36000.0
    >>> vendor_offer_price(30_000.0, 2.0, 0.5, 0.4, captive=True)
    10000.0
    """
    if captive:
        return list_price / (1.0 + markup)
    ask = list_price * (1.0 + backlog_markup * min(1.0, backlog))
    # never below the cost of making the chip: when buyers value it less, it does not trade
    return max(list_price / (1.0 + markup), min(ask, (1.0 - buyer_surplus) * top_bid))


def supply_trend(base: float, growth: float, decay: float, month: int) -> float:
    """Trend capacity at ``month``: ``base`` grown at a yearly rate that decays geometrically.

    The rate in month ``k`` is ``growth x (1 - decay)^(k / 12)`` a year, compounded
    monthly: ``base x prod_{k < month} (1 + rate_k)^(1/12)``; with no decay,
    ``base x (1 + growth)^(month / 12)``. Packaging (CoWoS) and HBM capacity grew fastest
    just after the 2023 shortage and more slowly since (``docs/calibration.md``
    [est-history]).

    >>> supply_trend(100.0, 1.0, 0.0, 24)
    400.0
    >>> round(supply_trend(100.0, 1.0, 1.0, 24), 6)  # 2x over month 0 only: 2^(1/12)
    105.946309
    """
    if decay == 0.0:
        return float(base * (1.0 + growth) ** (month / MONTHS_PER_YEAR))
    rates = growth * (1.0 - decay) ** (np.arange(month) / MONTHS_PER_YEAR)
    return float(base * np.exp(np.log1p(rates).sum() / MONTHS_PER_YEAR))


def captive_capacity(capacity: float, trend: float, demand: float, lead_months: int) -> float:
    """Next month's capacity of in-house silicon: follows its owner's orders.

    It never falls below the trend (the program's planned ramp) and closes ``1 /
    lead_months`` of the gap to last month's orders a month (wafer, packaging and HBM
    supply take about a year to add, est.): a deal that commits the owner's cloud to its
    own chips raises their output.

    >>> captive_capacity(100.0, 100.0, 400.0, 12)
    125.0
    >>> captive_capacity(100.0, 110.0, 50.0, 12)
    110.0
    """
    return max(trend, capacity + max(0.0, demand - capacity) / lead_months)


def vendor_unit_cost(list_price: float, markup: float) -> float:
    """Production cost of one unit: list price / (1 + markup)."""
    return list_price / (1.0 + markup)


class ChipVendor(Firm):
    """A maker of accelerators of one family.

    Attributes
    ----------
    family : int
        Index into :data:`agents.scenario.FAMILIES`.
    owner : int
        Hyperscaler index of a captive vendor, -1 for a merchant.
    capacity : float
        Units it can make this month.
    generation : int
        Index of the generation offered this month (newest released), -1 before any.
    backlog : float
        Last month's unfilled bids divided by capacity.
    """

    kind = "vendor"

    def __init__(
        self, model: mesa.Model, index: int, cfg: VendorCfg, family: int, owner: int
    ) -> None:
        super().__init__(model)
        self.name = cfg.name
        self.index = index
        self.family = family
        self.owner = owner
        self.base_capacity = cfg.capacity_units_per_month
        self.markup = cfg.markup
        self.backlog_markup = cfg.backlog_markup
        self.capacity = cfg.capacity_units_per_month
        self.generation = -1
        self.backlog = 0.0
        self.orders = 0.0
        """Units its buyers asked for last month (for a captive vendor: its owner's want)."""

    @property
    def captive(self) -> bool:
        """Sells only to its owner."""
        return self.owner >= 0

    def advance(
        self,
        month: int,
        supply_growth: float,
        tech: Tech,
        lead_months: int = 12,
        growth_decay: float = 0.0,
    ) -> None:
        """Grow capacity and pick the newest generation of the family released by now.

        A merchant's capacity follows the supply trend (``chips.supply_growth`` a year,
        decaying by ``chips.supply_growth_decay_per_year``, :func:`supply_trend`); a
        captive vendor's follows its owner's orders, never below that trend
        (:func:`captive_capacity`).
        """
        trend = supply_trend(self.base_capacity, supply_growth, growth_decay, month)
        if self.captive and month > 0:
            self.capacity = captive_capacity(self.capacity, trend, self.orders, lead_months)
        else:
            self.capacity = trend
        if tech.released(self.family, month):
            self.generation = tech.newest(self.family, month)

    def offer_price(
        self, tech: Tech, top_bid: float = float("inf"), buyer_surplus: float = 0.1
    ) -> float:
        """This month's unit price (:func:`vendor_offer_price`)."""
        return vendor_offer_price(
            float(tech.cost[self.generation]),
            self.markup,
            self.backlog_markup,
            self.backlog,
            captive=self.captive,
            top_bid=top_bid,
            buyer_surplus=buyer_surplus,
        )

    def unit_cost(self, tech: Tech) -> float:
        """This month's production cost of a unit (:func:`vendor_unit_cost`)."""
        return vendor_unit_cost(float(tech.cost[self.generation]), self.markup)
