"""Calibration targets: the reported 2023-2025 series, their sources and uncertainties.

The targets live in a TOML file (the shipped one is ``experiments/calibration/targets.toml``);
each ``[series.<id>]`` table names the model metric it is compared with (one of
:data:`experiments.history.METRICS`), its unit, its source (a row id of
``docs/calibration.md``), the reported value by year (a number, or ``[low, high]`` for a
reported range), the summary statistic and the measurement uncertainty:

``statistic = "level"``
    the statistic is ``log(value)``; the observed value of a range is its geometric mean.
``statistic = "growth"``
    the statistic is ``log(value / value in the first year)`` for every later year, so a
    series the model covers only in part (hyperscaler capex and NVIDIA's revenue: the model
    holds the compute clouds sell to AI labs, not all their capex or customers) is compared
    on its growth, which does not depend on the covered share while that share is steady.

``log_sd`` is one standard deviation of the statistic in log units (0.1 is about +-10%), a
number or a table by year; a calibration scales each statistic's distance by it (a
Gaussian error on the log scale, as for a multiplicative measurement error; Wood 2010,
"Statistical inference for noisy nonlinear ecological dynamic systems", uses the same
log-scale summaries). The file says, per series, why its uncertainty was chosen.

>>> t = load_targets()  # the shipped file  # doctest: +SKIP
>>> t.observed()["openai-revenue:2025"]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.scenario_fields import FIRST_YEAR, LAST_YEAR
from experiments.calibration.errors import CalibrationError, load_toml_model

__all__ = ["DEFAULT_TARGETS", "FLOOR_RATIO", "Series", "Targets", "load_targets"]

DEFAULT_TARGETS = Path(__file__).with_name("targets.toml")
"""The shipped targets (2023-2025 history, ``docs/calibration.md`` rows)."""
FLOOR_RATIO = 1e-3
"""A model value at or below this share of the reported one (or missing: a lab that left
the market, a vendor that sold nothing) is taken as this share, so its statistic stays
finite: ``log(1e-3)`` is about 7 log units, far outside any tolerance."""

_YEAR = re.compile(r"^\d{4}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Series(_Strict):
    """One reported series: what it is, where it comes from, how sure it is."""

    metric: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)
    values: dict[str, float | list[float]]
    statistic: Literal["level", "growth"] = "level"
    log_sd: float | dict[str, float]
    uncertainty: str = Field(min_length=10)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        from experiments.history import METRICS

        if v not in METRICS:
            raise ValueError(
                f"not a metric the model reports; use one of {', '.join(sorted(METRICS))}"
            )
        return v

    @field_validator("source")
    @classmethod
    def _row_id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("give a docs/calibration.md row id such as 'hist-openai-rev'")
        return v

    @field_validator("values")
    @classmethod
    def _years(cls, v: dict[str, float | list[float]]) -> dict[str, float | list[float]]:
        if not v:
            raise ValueError("give at least one year, e.g. values = { 2024 = 6.0 }")
        for year, value in v.items():
            if not _YEAR.match(year) or not FIRST_YEAR <= int(year) <= LAST_YEAR:
                raise ValueError(
                    f"year {year!r} is not a year of the model's calendar; key each value by "
                    f"its year, {FIRST_YEAR}-{LAST_YEAR} (e.g. 2024 = 6.0)"
                )
            pair = value if isinstance(value, list) else [value]
            if len(pair) not in (1, 2):
                raise ValueError(f"{year}: give a number or [low, high]")
            if not all(math.isfinite(x) and x > 0 for x in pair):
                raise ValueError(f"{year}: values must be finite and > 0 (statistics are logs)")
            if len(pair) == 2 and pair[0] > pair[1]:
                raise ValueError(f"{year}: [low, high] needs low <= high; swap them")
        return v

    @field_validator("log_sd")
    @classmethod
    def _sd(cls, v: float | dict[str, float]) -> float | dict[str, float]:
        for x in v.values() if isinstance(v, dict) else [v]:
            if not (math.isfinite(x) and 0 < x <= 3):
                raise ValueError("log_sd must be in (0, 3] (log units: 0.1 is about 10%)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Series:
        if isinstance(self.log_sd, dict):
            missing = sorted(set(self.statistic_years()) - set(self.log_sd))
            extra = sorted(set(self.log_sd) - set(self.statistic_years()))
            if missing or extra:
                base = (
                    f"; {self.years()[0]} is the growth's base, which has no statistic of its own"
                    if self.statistic == "growth" and self.years()[0] in extra
                    else ""
                )
                raise ValueError(
                    f"log_sd by year must cover exactly the compared years {self.statistic_years()}"
                    f" (missing {missing}, unknown {extra}){base}"
                )
        if self.statistic == "growth" and len(self.values) < 2:
            raise ValueError("a growth series needs two or more years (the first is the base)")
        return self

    def years(self) -> list[str]:
        """The reported years, in order."""
        return sorted(self.values)

    def statistic_years(self) -> list[str]:
        """Years that carry a statistic (a growth series' first year is its base only)."""
        ys = self.years()
        return ys[1:] if self.statistic == "growth" else ys

    def bounds(self, year: str) -> tuple[float, float]:
        """Reported (low, high) of ``year``; equal for a single figure."""
        v = self.values[year]
        return (v[0], v[-1]) if isinstance(v, list) else (v, v)

    def centre(self, year: str) -> float:
        """Geometric mean of the reported range (the figure itself when single)."""
        lo, hi = self.bounds(year)
        return math.sqrt(lo * hi)

    def sd(self, year: str) -> float:
        """The measurement uncertainty of ``year``'s statistic, in log units."""
        return self.log_sd[year] if isinstance(self.log_sd, dict) else self.log_sd


class Targets(_Strict):
    """A validated targets file: a description and the series by id."""

    description: str = Field(min_length=1)
    series: dict[str, Series]

    @field_validator("series")
    @classmethod
    def _ids(cls, v: dict[str, Series]) -> dict[str, Series]:
        if not v:
            raise ValueError("give at least one [series.<id>] table")
        for sid in v:
            if not _ID.match(sid):
                raise ValueError(f"series id {sid!r}: use lower-case letters, digits and '-'")
        return v

    def keys(self) -> list[str]:
        """Summary statistic names, ``<series id>:<year>``, in file order."""
        return [f"{sid}:{y}" for sid, s in self.series.items() for y in s.statistic_years()]

    def last_year(self) -> int:
        """The latest year any series reports."""
        return max(int(y) for s in self.series.values() for y in s.values)

    def check_years(self, scenario: str, start: str, months: int, where: str = "targets") -> None:
        """Every reported year lies in the run of ``scenario`` (``start``, ``months`` long).

        A year before the start year has no model value (it would be compared with the
        floor, :data:`FLOOR_RATIO`); nor has the start year, where the run starts after
        January, for a metric summed or averaged over the year (all but
        :data:`experiments.history.DECEMBER_METRICS`): its months before the start would be
        missing. A year past the run's last month would stretch every run of the
        calibration to its December (a typo such as 2031 for 2021 would cost years of model
        time per particle without a word). The earliest year too early and the latest too
        late are named, so the fix named covers every one.

        Raises
        ------
        CalibrationError
            Naming ``where`` (the targets file), the series, the year, the scenario's run
            and the fix.
        """
        from agents.units import month_date, months_between, parse_start
        from experiments.history import DECEMBER_METRICS

        end = month_date(start, int(months) - 1)
        (first, first_month), last = parse_start(start), parse_start(end)[0]
        years = [(sid, int(y)) for sid, s in self.series.items() for y in s.years()]
        early = sorted([(sid, y) for sid, y in years if y < first], key=lambda b: b[1])
        late = sorted([(sid, y) for sid, y in years if y > last], key=lambda b: -b[1])
        part = [
            (sid, y)
            for sid, y in years
            if y == first and first_month > 1 and self.series[sid].metric not in DECEMBER_METRICS
        ]
        for bad, side in ((early, "before"), (late, "after")):
            if not bad:
                continue
            sid, year = bad[0]
            others = _as_are(len(bad) - 1)
            if side == "before":
                why = (
                    f"is before the start of scenario {scenario!r} ({start}), so the model "
                    f"has no value for it; key the targets by years from {first} on, or "
                    f"calibrate a scenario that starts by January {year}"
                )
            else:
                reach = months_between(start, f"{year}-12") + 1  # months through its December
                why = (
                    f"is after the end of the run of scenario {scenario!r} ({start} "
                    f"through {end}), and every run would go on to December {year}; fix the year, or "
                    f"give the scenario the months to reach it (months = {reach})"
                )
            raise CalibrationError(f"{where}: series {sid!r} year {year}{others} {why}")
        if part:
            sid, year = part[0]
            others = _as_are(len(part) - 1)
            raise CalibrationError(
                f"{where}: series {sid!r} year {year}{others} is the first year of scenario "
                f"{scenario!r}, which starts in {start}, and its metric "
                f"{self.series[sid].metric!r} is summed or averaged over the whole year, so "
                f"the model's value would miss the months before the start; key such targets "
                f"by years from {first + 1} on, or calibrate a scenario that starts in "
                f"January {first}"
            )

    def observed(self) -> dict[str, float]:
        """The observed summary statistics (log levels or log growth)."""
        out = {}
        for sid, s in self.series.items():
            base = s.centre(s.years()[0])
            for y in s.statistic_years():
                c = s.centre(y)
                out[f"{sid}:{y}"] = math.log(c / base if s.statistic == "growth" else c)
        return out

    def sds(self) -> dict[str, float]:
        """Each statistic's measurement uncertainty (log units)."""
        return {
            f"{sid}:{y}": s.sd(y) for sid, s in self.series.items() for y in s.statistic_years()
        }

    def statistics(self, model: Mapping[tuple[str, int], float]) -> dict[str, float]:
        """The model's summary statistics from its yearly values ``{(metric, year): value}``.

        A missing, non-finite or too small value is floored at :data:`FLOOR_RATIO` of the
        reported figure, so every statistic is finite. A growth whose base or later year is
        floored is put ``log(FLOOR_RATIO)`` below the observed growth: the ratio of two
        floors is the reported growth itself, which gave a run that failed (every value
        missing) or a metric of zero a perfect match.
        """

        def value(s: Series, y: str) -> float | None:
            v = model.get((s.metric, int(y)), math.nan)
            return v if math.isfinite(v) and v > FLOOR_RATIO * s.centre(y) else None

        observed = self.observed()
        out = {}
        for sid, s in self.series.items():
            base = value(s, s.years()[0])
            for y in s.statistic_years():
                key, v = f"{sid}:{y}", value(s, y)
                if s.statistic == "level":
                    out[key] = math.log(v if v is not None else FLOOR_RATIO * s.centre(y))
                elif v is None or base is None:
                    out[key] = observed[key] + math.log(FLOOR_RATIO)
                else:
                    out[key] = math.log(v / base)
        return out

    def table(self) -> pd.DataFrame:
        """One row per statistic: series, metric, unit, year, reported range, statistic,
        observed value and uncertainty, source."""
        obs, sds = self.observed(), self.sds()
        rows = []
        for sid, s in self.series.items():
            for y in s.statistic_years():
                lo, hi = s.bounds(y)
                key = f"{sid}:{y}"
                rows.append(
                    {
                        "key": key,
                        "series": sid,
                        "metric": s.metric,
                        "unit": s.unit,
                        "year": int(y),
                        "statistic": s.statistic,
                        "base_year": s.years()[0] if s.statistic == "growth" else "",
                        "reported_low": lo,
                        "reported_high": hi,
                        "observed": obs[key],
                        "log_sd": sds[key],
                        "source": f"docs/calibration.md [{s.source}]",
                    }
                )
        return pd.DataFrame(rows)


def _as_are(more: int) -> str:
    """How many other target years a refusal also covers ("" for none)."""
    return f" (as are {more} other target year{'s' if more > 1 else ''})" if more else ""


def load_targets(path: str | Path | None = None) -> Targets:
    """Read and validate a targets TOML file (default: the shipped one).

    Raises
    ------
    CalibrationError
        The file is missing, not TOML, or a key, value or year is wrong (the message names
        the key path, the value and the fix).
    """
    p = Path(path) if path is not None else DEFAULT_TARGETS
    return load_toml_model(p, Targets, "--targets", "targets")
