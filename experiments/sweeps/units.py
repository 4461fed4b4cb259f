"""Units and natural bounds of the model's outputs, for tables, axis labels and intervals.

The units of the model frame's and tables' columns come from their one definition,
:mod:`agents.columns`, and the levers' from :mod:`agents.levers`; a few other swept
scenario fields add their own. ``BOUNDS`` lists outputs that cannot leave an
interval (shares in [0, 1], HHI in [0, 10,000], counts, prices and ratios at or above 0:
offers and bids are priced at or above 0, so clearing prices are too); analysis
keeps confidence intervals of those outputs inside their bounds.
"""

from __future__ import annotations

from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS
from agents.levers import LEVERS

__all__ = ["BOUNDS", "UNITS", "bounds_of", "label", "unit_of"]

_COLUMNS = [*MODEL_COLUMNS, *(c for cols in TABLE_COLUMNS.values() for c in cols)]

UNITS: dict[str, str] = {
    **{c.name: c.unit for c in reversed(_COLUMNS)},  # the model frame's unit wins a clash
    **{path: lever.unit for path, lever in LEVERS.items()},
    "power.generation_build_months": "months",
    "deal.milestone_usd": "USD",
    "capital.vc_success_prob": "probability",
}
"""Units of model-frame columns, the levers (their own ``unit``) and other swept fields."""

BOUNDS: dict[str, tuple[float, float]] = {
    "utilisation": (0.0, 1.0),
    "throttled_share": (0.0, 1.0),
    "dc_power_share": (0.0, 1.0),
    "cloud_hhi": (0.0, 10_000.0),
    "chip_hhi": (0.0, 10_000.0),
    "labs_active": (0.0, float("inf")),
    "capacity_gw_built": (0.0, float("inf")),
    "capacity_gw_powered": (0.0, float("inf")),
    "compute_h100e_hours": (0.0, float("inf")),
    "compute_spot_price": (0.0, float("inf")),
    "compute_contract_price": (0.0, float("inf")),
    "power_price": (0.0, float("inf")),
    "chip_price": (0.0, float("inf")),
    "chip_value": (0.0, float("inf")),
    "round_trip_ratio": (0.0, float("inf")),
    "active": (0.0, 1.0),
    "dc_share": (0.0, 1.0),
    "equity_share": (0.0, 1.0),
}
"""Outputs that cannot leave an interval (definitions in :mod:`agents.columns`)."""


def _key(name: str) -> str:
    """``"deals.round_trip_ratio"`` and ``"round_trip_ratio"`` share a unit."""
    return name if name in UNITS or name in BOUNDS else name.rpartition(".")[2]


def unit_of(name: str, column: str | None = None) -> str:
    """The unit of an output or parameter, or ``""`` if unknown; an output a spec names
    itself (``name = "anth_rev"`` on ``agents.revenue``) has its ``column``'s."""
    return UNITS.get(_key(name)) or (UNITS.get(_key(column), "") if column else "")


def bounds_of(name: str, column: str | None = None) -> tuple[float, float] | None:
    """The interval an output cannot leave (by its name, else its ``column``), or None."""
    found = BOUNDS.get(_key(name))
    return found if found is not None or column is None else BOUNDS.get(_key(column))


def label(name: str, column: str | None = None) -> str:
    """``"name (unit)"`` for axis labels and titles, or the name alone."""
    unit = unit_of(name, column)
    return f"{name} ({unit})" if unit else name
