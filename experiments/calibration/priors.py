"""Calibration priors: the estimated scenario parameters a calibration moves, and their ranges.

A priors TOML file (the shipped one is ``experiments/calibration/priors.toml``) has one
``[parameters."<override path>"]`` table per parameter: the scenario override path
(:meth:`agents.scenario.Scenario.with_overrides`), a distribution (``uniform`` or
``loguniform`` between ``min`` and ``max``), the ``docs/calibration.md`` row it comes from
and the reason for the range. Whole-number fields of the scenario schema (lead times in
months) are sampled continuously and rounded when a scenario is built
(:meth:`Priors.overrides`), as sweeps round them.

>>> pri = load_priors()  # doctest: +SKIP
>>> pri.check("history-2023")  # every path and both ends of every range validate  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from experiments.calibration.errors import CalibrationError, load_toml_model

__all__ = ["DEFAULT_PRIORS", "Prior", "Priors", "load_priors"]

DEFAULT_PRIORS = Path(__file__).with_name("priors.toml")
"""The shipped priors (``est-`` rows of ``docs/calibration.md``)."""

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _schema_field(path: str) -> Any:
    """The schema field at ``path``; list items may be named (``labs.anthropic.capability``):
    a name stands for any item of its list, whose schema is the same (index 0)."""
    from experiments.sweeps.schema import schema_field

    field = schema_field(path)
    parts = path.split(".")
    named = [i for i, x in enumerate(parts) if not x.isdigit()]
    for n in (1, 2):
        for picks in itertools.combinations(named, n):
            if field is not None:
                return field
            trial = ["0" if i in picks else x for i, x in enumerate(parts)]
            field = schema_field(".".join(trial))
    return field


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Prior(_Strict):
    """One parameter's prior: a distribution on [min, max], its source row and reason."""

    distribution: Literal["uniform", "loguniform"]
    min: float
    max: float
    source: str
    reason: str = Field(min_length=10)

    @field_validator("source")
    @classmethod
    def _row_id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("give a docs/calibration.md row id such as 'est-elasticity'")
        return v

    @model_validator(mode="after")
    def _range(self) -> Prior:
        if not (math.isfinite(self.min) and math.isfinite(self.max) and self.min < self.max):
            raise ValueError(f"needs finite min < max (got {self.min!r}, {self.max!r})")
        if self.distribution == "loguniform" and self.min <= 0:
            raise ValueError("a loguniform prior needs min > 0; raise min or use uniform")
        return self

    def quantile(self, q: np.ndarray) -> np.ndarray:
        """Inverse CDF: the value below which a share ``q`` of the prior lies."""
        if self.distribution == "uniform":
            return self.min + q * (self.max - self.min)
        return np.exp(np.log(self.min) + q * (np.log(self.max) - np.log(self.min)))

    def pyabc_rv(self) -> Any:
        """The same distribution as a ``pyabc.RV`` (scipy.stats ``uniform``/``loguniform``)."""
        import pyabc

        if self.distribution == "uniform":
            return pyabc.RV("uniform", self.min, self.max - self.min)
        return pyabc.RV("loguniform", self.min, self.max)


class Priors(_Strict):
    """A validated priors file: override path -> :class:`Prior`."""

    description: str = Field(min_length=1)
    parameters: dict[str, Prior]

    @field_validator("parameters")
    @classmethod
    def _paths(cls, v: dict[str, Prior]) -> dict[str, Prior]:
        if not v:
            raise ValueError('give at least one [parameters."<override path>"] table')
        for path, prior in v.items():
            field = _schema_field(path)
            if field is None:
                raise ValueError(
                    f"{path!r} is not a scenario field; give a dotted override path such as "
                    "'demand.price_elasticity' (list items by name: 'labs.anthropic.capability')"
                )
            if field.kind not in ("int", "float"):
                raise ValueError(
                    f"{path!r} is not a number (a field of kind {field.kind!r}); "
                    "only int and float fields can be calibrated"
                )
            for end in (prior.min, prior.max):
                if not field.admits(end):
                    raise ValueError(
                        f"{path!r}: {end!r} is outside {field.describe()}; narrow the range"
                    )
        return v

    @property
    def paths(self) -> list[str]:
        """The override paths, in file order."""
        return list(self.parameters)

    def integer_paths(self) -> set[str]:
        """Paths of whole-number scenario fields (rounded before a run)."""
        out = set()
        for p in self.parameters:
            field = _schema_field(p)
            if field is not None and field.kind == "int":
                out.add(p)
        return out

    def overrides(self, values: Mapping[str, float]) -> dict[str, float | int]:
        """``values`` as scenario overrides: whole-number fields rounded to ``int``."""
        ints = self.integer_paths()
        return {p: round(float(values[p])) if p in ints else float(values[p]) for p in self.paths}

    def check(self, scenario: str | Path) -> None:
        """Check every path against ``scenario`` at both ends of every range.

        Raises
        ------
        CalibrationError
            A path the scenario does not have (a list item by a name it lacks) or a value
            its validation refuses, naming the path and the fix.
        """
        from agents.scenario import ScenarioError
        from experiments import load_scenario

        base = load_scenario(scenario)
        for q in (0.0, 1.0):
            point = {p: float(pr.quantile(np.array(q))) for p, pr in self.parameters.items()}
            try:
                base.with_overrides(self.overrides(point))
            except ScenarioError as exc:
                raise CalibrationError(
                    f"priors: scenario {str(scenario)!r} refuses the range ends: {exc} "
                    "(fix the path or narrow the range in the priors file)"
                ) from None

    def pyabc_distribution(self) -> Any:
        """The joint prior (independent parameters) as a ``pyabc.Distribution``."""
        import pyabc

        return pyabc.Distribution(**{p: pr.pyabc_rv() for p, pr in self.parameters.items()})

    def table(self) -> pd.DataFrame:
        """One row per parameter: path, distribution, min, max, source, reason."""
        return pd.DataFrame(
            [
                {"parameter": p, **pr.model_dump(), "source": f"docs/calibration.md [{pr.source}]"}
                for p, pr in self.parameters.items()
            ]
        )


def load_priors(path: str | Path | None = None) -> Priors:
    """Read and validate a priors TOML file (default: the shipped one).

    Raises
    ------
    CalibrationError
        Missing file, bad TOML, an unknown path, a range outside the schema's.
    """
    p = Path(path) if path is not None else DEFAULT_PRIORS
    return load_toml_model(p, Priors, "--priors", "priors")
