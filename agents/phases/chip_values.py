"""What a cloud can pay for a chip, for the ``plan`` phase (:mod:`agents.phases.plan`).

A unit of generation ``g`` is worth :func:`agents.hyperscaler.chip_value` at the expected
compute price: its rent less its running cost (power at the regions' mean price and the
shell's depreciation, :func:`running_cost`) over its life, discounted
(:func:`unit_value`). Clouds bid for each family's newest generation at that value
(:func:`family_values`), and the newest merchant GPU's value over its list price is
Tobin's q of new capacity (:func:`new_capacity_q`).

Everything but the rent and the power price is fixed for a run: it is computed once per
``(tech, cfg)`` (:func:`chip_terms`), and a month's values of every family and q are one
compiled call (:func:`newest_values`), the same numbers as the Python expressions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from agents.hyperscaler import annuity
from agents.scenario import FAMILIES, Scenario
from agents.state import BoolArray, FloatArray, IntArray, Market, Tech
from agents.units import HOURS_PER_MONTH, W_PER_MW
from market.compiled import add_reduce, compiled

__all__ = [
    "NVIDIA",
    "ChipTerms",
    "chip_terms",
    "family_values",
    "mean_power_price",
    "month_values",
    "new_capacity_q",
    "newest_values",
    "running_cost",
    "unit_value",
]

NVIDIA = FAMILIES.index("nvidia")
"""The family of merchant GPUs, whose newest generation's value is Tobin's q."""


class ChipTerms(NamedTuple):
    """The parts of :func:`unit_value` fixed for a run, per generation ``G``, and the
    newest generation of each family by month."""

    tech: Tech
    cfg: Scenario
    releases: IntArray
    """(K,) the distinct release months, ascending."""
    newest: IntArray
    """(F, K + 1) ``tech.newest(f, m)`` for ``m`` with ``k`` releases by then."""
    it_watts: FloatArray
    power: FloatArray
    """IT MW per H100e-hour times the PUE: power's cost per H100e-hour over the power
    price."""
    shell: FloatArray
    """The shell's depreciation per H100e-hour."""
    hours: FloatArray
    """``h100e x HOURS_PER_MONTH x availability``: a unit's H100e-hours a month."""
    cost: FloatArray
    """List price of a unit."""
    annuity: float
    """:func:`agents.hyperscaler.annuity` over ``chips.life_months`` at
    ``chips.discount_rate``."""

    def running_cost(self, g: int, power_price: float) -> float:
        """:func:`running_cost` of generation ``g``."""
        return float(self.power[g]) * power_price + float(self.shell[g])

    def value(self, g: int, rent: float, power_price: float) -> float:
        """:func:`unit_value` of generation ``g`` at ``rent``: what
        :func:`agents.hyperscaler.chip_value` gives, in its order of operations."""
        v = float(self.hours[g]) * (rent - self.running_cost(g, power_price)) * self.annuity
        return max(0.0, v)


_TERMS: ChipTerms | None = None
"""The terms of the last ``(tech, cfg)`` asked for (:func:`chip_terms`)."""


def chip_terms(tech: Tech, cfg: Scenario) -> ChipTerms:
    """:class:`ChipTerms` of ``tech`` under ``cfg``, computed once for the pair: both are
    frozen, and the entry holds them, so it cannot stand for other ones."""
    global _TERMS
    terms = _TERMS
    if terms is not None and terms.tech is tech and terms.cfg is cfg:
        return terms
    dc = cfg.datacentres
    releases = sorted(set(tech.release.tolist()))
    months = [releases[0] - 1, *releases] if releases else []
    # Python floats: the same IEEE arithmetic as numpy scalars, as the sums were written
    it_watts, h100e = tech.it_watts.tolist(), tech.h100e.tolist()
    per_h100e = [w / W_PER_MW / h for w, h in zip(it_watts, h100e, strict=True)]
    hours = HOURS_PER_MONTH * dc.availability
    terms = _TERMS = ChipTerms(
        tech,
        cfg,
        np.array(releases, dtype=np.int64),
        np.array([[tech.newest(f, m) for m in months] for f in range(len(FAMILIES))], np.int64),
        np.array(it_watts),
        np.array([x * cfg.power.pue for x in per_h100e]),
        np.array([x * dc.cost_per_mw / (dc.life_months * hours) for x in per_h100e]),
        np.array([h * HOURS_PER_MONTH * dc.availability for h in h100e]),
        tech.cost.astype(np.float64),
        annuity(cfg.chips.life_months, cfg.chips.discount_rate),
    )
    return terms


@compiled
def newest_values(
    month: int,
    releases: IntArray,
    newest: IntArray,
    it_watts: FloatArray,
    power: FloatArray,
    shell: FloatArray,
    hours: FloatArray,
    cost: FloatArray,
    annuity: float,
    rent: float,
    power_price: FloatArray,
) -> tuple[FloatArray, float]:
    """(2, F) the IT watts and :func:`unit_value` of each family's newest generation in
    ``month``, and Tobin's q (:func:`new_capacity_q`).

    The arrays are :class:`ChipTerms`'; the newest generation is ``newest[f, k]``, ``k``
    the releases by ``month`` (``bisect_right``); the value at the mean power price
    ``float(np.add.reduce(power_price)) / power_price.size`` is Python's ``max(0.0,
    hours * (rent - (power * price + shell)) * annuity)``, and q the merchant GPU's value
    over its list price (``inf`` for a free one).
    """
    k = 0
    while k < releases.size and releases[k] <= month:
        k += 1
    price = add_reduce(power_price) / power_price.size
    out = np.empty((2, newest.shape[0]))
    for f in range(newest.shape[0]):
        g = newest[f, k]
        v = hours[g] * (rent - (power[g] * price + shell[g])) * annuity
        out[0, f] = it_watts[g]
        out[1, f] = v if v > 0.0 else 0.0
    unit_cost = cost[newest[NVIDIA, k]]
    q = out[1, NVIDIA] / unit_cost if unit_cost > 0 else np.inf
    return out, q


def running_cost(tech: Tech, g: int, power_price: float, cfg: Scenario) -> float:
    """Power and building cost per H100e-hour of generation ``g`` (as in node costs)."""
    return chip_terms(tech, cfg).running_cost(g, power_price)


def mean_power_price(market: Market) -> float:
    """The regions' mean power price, $/MWh, as clouds value chips (np.mean's arithmetic)."""
    pp = market.power_price
    return float(np.add.reduce(pp)) / pp.size


def unit_value(tech: Tech, g: int, market: Market, cfg: Scenario, power_price: float) -> float:
    """What a cloud can pay for a unit of generation ``g``.

    :func:`agents.hyperscaler.chip_value` at the expected compute price, less power at
    ``power_price`` and the shell's depreciation (:func:`running_cost`), over
    ``chips.life_months`` at ``chips.discount_rate``.
    """
    return chip_terms(tech, cfg).value(g, market.expected_compute_price, power_price)


def month_values(month: int, cfg: Scenario, tech: Tech, market: Market) -> tuple[FloatArray, float]:
    """:func:`newest_values` of ``month`` at the market's expected compute price and power
    prices."""
    t = chip_terms(tech, cfg)
    return newest_values(
        month,
        t.releases,
        t.newest,
        t.it_watts,
        t.power,
        t.shell,
        t.hours,
        t.cost,
        t.annuity,
        float(market.expected_compute_price),
        market.power_price,
    )


def new_capacity_q(
    month: int, cfg: Scenario, tech: Tech, market: Market, value: float | None = None
) -> float:
    """Tobin's q of new capacity this month: what a unit of the newest merchant GPU is worth
    at the expected compute price over its list price.

    The value is :func:`unit_value`, as in the chip bids (:func:`family_values`; ``value``
    when the caller has it); merchant GPUs are what every cloud can buy.
    ``docs/calibration.md`` [est-profit-response].
    """
    if value is None:
        return month_values(month, cfg, tech, market)[1]
    cost = float(tech.cost[tech.newest(NVIDIA, month)])
    return value / cost if cost > 0 else float("inf")


def family_values(
    month: int, cfg: Scenario, tech: Tech, market: Market, bought: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """(F,) IT watts and :func:`unit_value` of each family's newest generation, for the
    families some cloud buys (``bought``; 1 W and 0 for the others)."""
    values = month_values(month, cfg, tech, market)[0]
    return np.where(bought, values[0], 1.0), np.where(bought, values[1], 0.0)
