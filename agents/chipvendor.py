"""Chip vendors: merchant (sells to every hyperscaler) or captive (in-house silicon).

DESIGN.md, "Agents": a vendor offers its newest released generation at its list price,
raised by a backlog markup when last month's unfilled bids exceeded its capacity;
a captive vendor (``owner`` set) sells only to its owner, at cost. Capacity grows at
``chips.supply_growth`` per year (a lever; CALIBRATION.md "accelerator market").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from agents.model import GigawattModel
    from agents.scenario import VendorCfg

__all__ = ["ChipVendor"]


class ChipVendor(mesa.Agent):
    """A maker of accelerators of one family.

    Attributes
    ----------
    family : int
        Index into :data:`agents.scenario.FAMILIES`.
    owner : int
        Hyperscaler index of a captive vendor, -1 for a merchant.
    generation : int
        Index of the generation offered this month (newest released).
    backlog : float
        Last month's unfilled bids divided by capacity.
    """

    def __init__(
        self, model: GigawattModel, index: int, cfg: VendorCfg, family: int, owner: int
    ) -> None:
        super().__init__(model)
        self.name = cfg.name
        self.kind = "vendor"
        self.index = index
        self.family = family
        self.owner = owner
        self.base_capacity = cfg.capacity_units_per_month
        self.markup = cfg.markup
        self.backlog_markup = cfg.backlog_markup
        self.capacity = cfg.capacity_units_per_month
        self.generation = -1
        self.backlog = 0.0

    def exogenous(self, month: int) -> None:
        """Grow capacity and pick the newest generation of the family released by now."""
        m = self.model
        self.capacity = self.base_capacity * (1.0 + m.config.chips.supply_growth) ** (month / 12.0)
        released = (m.gen_family == self.family) & (m.gen_release <= month)
        if released.any():
            idx = np.flatnonzero(released)
            self.generation = int(idx[np.argmax(m.gen_release[idx])])

    def offer_price(self) -> float:
        """Unit price: list price (merchant, with backlog markup) or cost (captive)."""
        price = float(self.model.gen_cost[self.generation])
        if self.owner >= 0:
            return price / (1.0 + self.markup)
        return price * (1.0 + self.backlog_markup * min(1.0, self.backlog))

    def unit_cost(self) -> float:
        """Production cost of a unit: list price / (1 + markup)."""
        return float(self.model.gen_cost[self.generation]) / (1.0 + self.markup)
