"""Chip vendors: merchant (sells to every hyperscaler) or captive (in-house silicon).

A vendor offers its newest released generation at its list price, raised by a backlog
markup when last month's unfilled bids exceeded its capacity; a captive vendor
(``owner`` set) sells only to its owner, at cost. Capacity grows at
``chips.supply_growth`` a year (a lever; ``docs/calibration.md``, accelerator market).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from agents.firm import Firm
from agents.state import Tech

if TYPE_CHECKING:
    from agents.scenario import VendorCfg

__all__ = ["ChipVendor", "vendor_offer_price", "vendor_unit_cost"]


def vendor_offer_price(
    list_price: float, markup: float, backlog_markup: float, backlog: float, *, captive: bool
) -> float:
    """Price of one unit offered this month.

    A captive vendor sells at cost, ``list_price / (1 + markup)``; a merchant at list
    price times ``1 + backlog_markup x min(1, backlog)``.

    >>> vendor_offer_price(30_000.0, 2.0, 0.5, 0.4, captive=False)
    36000.0
    >>> vendor_offer_price(30_000.0, 2.0, 0.5, 0.4, captive=True)
    10000.0
    """
    if captive:
        return list_price / (1.0 + markup)
    return list_price * (1.0 + backlog_markup * min(1.0, backlog))


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

    @property
    def captive(self) -> bool:
        """Sells only to its owner."""
        return self.owner >= 0

    def advance(self, month: int, supply_growth: float, tech: Tech) -> None:
        """Grow capacity and pick the newest generation of the family released by now."""
        self.capacity = self.base_capacity * (1.0 + supply_growth) ** (month / 12.0)
        released = (tech.family == self.family) & (tech.release <= month)
        if released.any():
            self.generation = tech.newest(self.family, month)

    def offer_price(self, tech: Tech) -> float:
        """This month's unit price (:func:`vendor_offer_price`)."""
        return vendor_offer_price(
            float(tech.cost[self.generation]),
            self.markup,
            self.backlog_markup,
            self.backlog,
            captive=self.captive,
        )

    def unit_cost(self, tech: Tech) -> float:
        """This month's production cost of a unit (:func:`vendor_unit_cost`)."""
        return vendor_unit_cost(float(tech.cost[self.generation]), self.markup)
