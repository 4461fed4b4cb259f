"""The scenario schema's field types: strict numbers, slug names, months, reasoned bounds.

Every section of a scenario (:mod:`agents.scenario_sections`) and the scenario itself
(:class:`agents.scenario.Scenario`) is a :class:`Section` built from these types. A number
field is strict (no boolean, no string) and bounded, and the reason for each bound is the
field's description (a ``WHY_*`` text, or the ``why`` of :func:`bounded`), which the error
message repeats; see :mod:`agents.scenario` for the rules a whole scenario follows.
"""

from __future__ import annotations

import numbers
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from agents.units import months_between, parse_month

__all__ = [
    "FAMILIES",
    "FASTEST_DECLINE",
    "FIRST_YEAR",
    "LAST_MONTH",
    "LAST_YEAR",
    "MAX_EXTENDS_DEPTH",
    "MAX_TFLOPS_PER_WATT",
    "NAME_RULE",
    "SCENARIO_NAME_RULE",
    "WHY_GROWTH",
    "WHY_LIST",
    "WHY_MARKUP",
    "WHY_MONTHS",
    "WHY_MW",
    "WHY_PRICE_H",
    "WHY_PRICE_MWH",
    "WHY_SHARE",
    "WHY_USD",
    "WHY_USD_FLOW",
    "Bool",
    "Description",
    "Family",
    "Float",
    "Int",
    "Markup",
    "Month",
    "Mw",
    "Name",
    "Ref",
    "ScenarioName",
    "Section",
    "Share",
    "Usd",
    "UsdFlow",
    "bounded",
    "past_calendar",
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
_TEXT_RE = re.compile(r"[^\x00-\x08\x0b-\x1f\x7f]*")

MAX_TFLOPS_PER_WATT = 20.0
"""Most dense TFLOP/s per chip watt a generation may claim: 14x an H100 ([acc-h100]: 989 at
700 W), beyond a decade of the 2x-per-generation gains ([acc-b200], [est-chip-specs])."""

MAX_EXTENDS_DEPTH = 16
"""How many ``extends`` links a scenario file may chain (see ``experiments.scenarios``)."""


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


FIRST_YEAR, LAST_YEAR = 2000, 2100
"""The years a scenario's dates may name (a typo such as 2206 is caught)."""
LAST_MONTH = f"{LAST_YEAR}-12"
"""The last month of the model's calendar: the last a scenario may name, and the last a run
may reach (a run's own dates, such as a strategic deal's, are dates of the scenario)."""


def past_calendar(start: str, months: int) -> str | None:
    """Why a run of ``months`` months from ``start`` does not fit the calendar (it passes
    :data:`LAST_MONTH`), with the fix; None when it fits.

    >>> past_calendar("2100-11", 2) is None
    True
    >>> past_calendar("2100-11", 3)
    "a run of 3 months from 2100-11 passes 2100-12, the last month of the model's calendar; run at most 2 months or start earlier"
    """
    room = months_between(start, LAST_MONTH) + 1
    if months <= room:
        return None
    return (
        f"a run of {months} months from {start} passes {LAST_MONTH}, the last month of the "
        f"model's calendar; run at most {room} months or start earlier"
    )


def _start(value: str) -> str:
    parsed = parse_month(value)
    if parsed is None or not FIRST_YEAR <= parsed[0] <= LAST_YEAR:
        raise ValueError(
            f"must be a month 'YYYY-MM' with the month 01-12 and the year {FIRST_YEAR}-"
            f"{LAST_YEAR} (the modelled market starts in 2026)"
        )
    return value


Month = Annotated[str, AfterValidator(_start)]
"""A calendar month ``"YYYY-MM"`` (dates in a scenario are absolute)."""


def _text(value: str) -> str:
    if not _TEXT_RE.fullmatch(value):
        raise ValueError("must be printable text (no NUL or other control characters)")
    return value


ScenarioName = Annotated[str, AfterValidator(_scenario_name)]
"""A scenario's own name: see :data:`SCENARIO_NAME_RULE`."""

Description = Annotated[str, Field(max_length=2_000), AfterValidator(_text)]
"""A scenario's description: printable text of at most 2,000 characters."""


Float = Annotated[float, BeforeValidator(_real)]
"""A float field: strict (no bool, no string), ints and numpy numbers taken as floats."""

Int = Annotated[int, BeforeValidator(_whole)]
"""An integer field: strict, but ``36.0`` and numpy integers are taken as whole numbers."""

Bool = Annotated[bool, BeforeValidator(_boolean)]
"""A boolean field: ``true``/``false`` (or a numpy bool), never ``1`` or ``"yes"``."""

Name = Annotated[str, AfterValidator(_name)]
"""A name: see :data:`NAME_RULE`."""

Ref = Annotated[str, AfterValidator(_name)]
"""A reference to a name elsewhere in the scenario: a slug, resolved by :class:`agents.scenario.Scenario`."""

WHY_USD = "US dollars; $10 trillion exceeds any firm's value"
WHY_USD_FLOW = "US dollars; $1 trillion exceeds any firm's yearly revenue"
WHY_MW = "megawatts; 1 TW is more than the US or EU peak load"
WHY_SHARE = "a share"
WHY_PRICE_MWH = "$/MWh; the scale of the highest scarcity price caps"
WHY_PRICE_H = "$/H100e-hour; far above the 2023 peak rental of ~$12 [acc-h100-rent]"
WHY_MONTHS = "months; the model runs at most 50 years"
WHY_MARKUP = "a markup over cost; 20x is far above any chip or cloud gross margin"
WHY_GROWTH = "a yearly growth rate"
FASTEST_DECLINE = -0.5
"""The lowest yearly growth of end demand: halving in a year, as deep as the fall of
any market the model covers (the lower bound of ``demand.growth_per_year``)."""
WHY_LIST = "a scenario lists the market's main firms; many small ones go in scale mode"

Usd = Annotated[Float, Field(ge=0, le=1e13, description=WHY_USD)]
UsdFlow = Annotated[Float, Field(ge=0, le=1e12, description=WHY_USD_FLOW)]
Mw = Annotated[Float, Field(ge=0, le=1e6, description=WHY_MW)]
Share = Annotated[Float, Field(ge=0, le=1, description=WHY_SHARE)]
Markup = Annotated[Float, Field(ge=0, le=20, description=WHY_MARKUP)]


def bounded(
    default: Any = ...,
    *,
    why: str,
    ge: Float | None = None,
    gt: Float | None = None,
    le: Float | None = None,
) -> Any:
    """A bounded field whose description gives the reason for its bounds."""
    return Field(default, description=why, ge=ge, gt=gt, le=le)


class Section(BaseModel):
    """A part of a scenario: unknown keys refused, frozen, every value (defaults too)
    validated strictly, no infinity or nan."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_default=True,
        strict=True,
        allow_inf_nan=False,
    )
