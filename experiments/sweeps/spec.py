"""Sweep specifications: what to run, validated before anything runs.

A sweep spec names a base scenario, the parameters to vary (dotted scenario paths with a
range or a list of levels), the design that places points in that space (``grid``, ``lhs``,
``sobol``, ``morris``, ``scenarios`` or explicit ``points``), the replicates per point, the
horizon and the outputs to keep. An optional ``[overrides]`` table sets scenario values in
every run, as a scenario file's ``[overrides]`` does (dotted paths, e.g. ``cloud_conduct =
1``), before the design's parameters; ``gigawatt compare --set`` puts its changes there.
It is read from TOML (:func:`load_spec`) or built in Python (:class:`SweepSpec`); either
way bad input raises :class:`SweepSpecError`, a ``ValueError`` naming the key path, the
offending value and the fix.

Example (TOML)::

    name = "deal-sensitivity"
    base = "amazon-anthropic-2026"
    months = 60
    replicates = 2
    root_seed = 2026

    [design]
    kind = "morris"
    samples = 10        # trajectories (morris), base samples (sobol), points (lhs)

    [[parameters]]
    path = "demand.growth_per_year"
    min = 0.2
    max = 0.8

    [outputs]
    final = ["compute_spot_price", "deals.round_trip_ratio"]
    series = ["compute_spot_price"]
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agents.scenario import DEFAULT_MONTHS
from agents.scenario_messages import dotted_paths
from experiments.scenarios import DEFAULT_SCENARIO
from experiments.tomlfile import TomlFileError, load_toml

__all__ = [
    "DEFAULT_MODEL",
    "MAX_SWEEP_MONTHS",
    "SPEC_DIR",
    "DesignSpec",
    "OutputSpec",
    "OutputsSpec",
    "ParameterSpec",
    "SweepSpec",
    "SweepSpecError",
    "list_specs",
    "load_spec",
]

SPEC_DIR = Path(__file__).parents[1] / "sweep_specs"
"""Folder of the shipped sweep specs, installed with the package: each is given by its name."""

DEFAULT_MODEL = "experiments.sweeps.model:run_scenario_model"
"""The model function a sweep calls unless the spec names another (``module:function``)."""

MAX_SWEEP_MONTHS = 1200
"""Longest horizon a spec accepts, for any model. Deliberately above the scenario model's
:data:`agents.scenario.MAX_MONTHS` (600): a model named by ``model`` may run longer, and
the default model's horizon is checked against that bound by
:func:`experiments.sweeps.sweep.check_horizon`. This one only keeps a typo from planning
runs without end."""

DesignKind = Literal["grid", "lhs", "sobol", "morris", "scenarios", "points"]
Aggregation = Literal["mean", "sum", "min", "max", "count", "first", "last"]


class SweepSpecError(ValueError):
    """A sweep spec is invalid; the message names the key path, the value and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ParameterSpec(_Strict):
    """One varied input: a dotted scenario path with a range or explicit levels.

    ``min``/``max`` give a continuous range (sampled by lhs/sobol/morris; ``n`` evenly
    spaced levels for a grid). ``levels`` lists values for a grid. ``integer`` rounds
    sampled values to whole numbers (months, counts); for the default scenario model a
    whole-number field of the scenario schema is rounded without it. Bounds and levels
    must be finite.
    """

    path: str = Field(min_length=1, pattern=r"^[A-Za-z_][\w-]*(\.[\w-]+)*$")
    min: float | None = None
    max: float | None = None
    levels: list[float] | None = Field(default=None, min_length=1)
    n: int | None = Field(default=None, ge=2, le=1000)
    integer: bool = False

    @model_validator(mode="after")
    def _range_or_levels(self) -> ParameterSpec:
        for key, value in (("min", self.min), ("max", self.max)):
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{key} = {value}: give a finite number")
        if self.levels is not None and not all(math.isfinite(v) for v in self.levels):
            raise ValueError(f"levels = {self.levels}: every level must be a finite number")
        has_range = self.min is not None or self.max is not None
        if has_range and (self.min is None or self.max is None):
            raise ValueError("give both min and max (or neither, with levels)")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max}); swap them")
        if not has_range and self.levels is None:
            raise ValueError("give a range (min and max) or a list of levels")
        if has_range and self.levels is not None:
            raise ValueError("give either a range (min, max) or levels, not both")
        if self.n is not None and self.levels is not None:
            raise ValueError("n (grid levels in a range) goes with min/max, not with levels")
        return self

    def grid_levels(self) -> list[float]:
        """The values a grid takes: explicit levels, or ``n`` (default 3) spaced in the range,
        the last exactly ``max`` (``lo + (n - 1) * (hi - lo) / (n - 1)`` can round past it, and
        a range ending at a field's bound was then refused)."""
        if self.levels is not None:
            return list(self.levels)
        lo, hi = self.bounds()
        n = self.n or 3
        return [lo + i * (hi - lo) / (n - 1) for i in range(n - 1)] + [hi]

    def bounds(self) -> tuple[float, float]:
        """The sampling range: ``[min, max]``, or the extent of the levels."""
        if self.min is not None and self.max is not None:
            return (self.min, self.max)
        levels = self.levels or [0.0]
        return (min(levels), max(levels))


class DesignSpec(_Strict):
    """How points are placed: the design kind and its sampler settings (SALib).

    ``points`` takes explicit points: point ``j`` sets every parameter to its ``levels[j]``
    (the levels are zipped, not crossed), e.g. draws from a posterior.
    """

    kind: DesignKind = "grid"
    samples: int = Field(default=8, ge=1, le=1_000_000)
    levels: int = Field(default=4, ge=2, le=100)
    """Morris grid levels (SALib ``num_levels``)."""
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    """Sampler seed; defaults to ``root_seed``."""
    scenarios: list[str] = Field(default_factory=list)
    """For ``kind = "scenarios"``: the scenarios compared (names or TOML paths)."""


class OutputSpec(_Strict):
    """One kept output: a column of the monthly model frame or of a result table.

    ``table = "model"`` (default) means ``model_frame``. For other tables the rows of the
    final month (if the table has a ``month`` column) are filtered by ``where`` (column ->
    value) and reduced with ``agg``.
    """

    name: str = Field(min_length=1)
    table: str = "model"
    column: str = Field(min_length=1)
    where: dict[str, str | int | float | bool] = Field(default_factory=dict)
    agg: Aggregation = "mean"

    @model_validator(mode="after")
    def _model_frame_takes_no_reduction(self) -> OutputSpec:
        # (a stored spec lists the defaults too, so an agg given as "mean" cannot be told apart)
        given = [k for k, v in (("agg", self.agg != "mean"), ("where", bool(self.where))) if v]
        if self.table == "model" and given:
            raise ValueError(
                f"{self.name}: {' and '.join(given)} reduce a result table's final-month rows; "
                f"a model-frame output ({self.column}) is its final month's value, so "
                f"{' and '.join(given)} would be ignored. Remove {' and '.join(given)}, or keep "
                "the whole monthly path under series to read its peak or mean"
            )
        return self

    @classmethod
    def parse(cls, entry: str | dict[str, Any]) -> OutputSpec:
        """Shorthand ``"column"`` or ``"table.column"``, or a full inline table."""
        if isinstance(entry, str):
            table, _, column = entry.rpartition(".")
            return cls(name=entry, table=table or "model", column=column)
        data = dict(entry)
        if "column" in data and "name" not in data:
            table = data.get("table", "model")
            data["name"] = data["column"] if table == "model" else f"{table}.{data['column']}"
        return cls(**data)


class OutputsSpec(_Strict):
    """Outputs kept per run: final-month values and whole monthly series."""

    final: list[OutputSpec] = Field(default_factory=list)
    series: list[OutputSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("final", "series"):
                items = data.get(key)
                if isinstance(items, list):
                    data[key] = [
                        OutputSpec.parse(x) if isinstance(x, str | dict) else x for x in items
                    ]
        return data

    @model_validator(mode="after")
    def _not_empty_unique(self) -> OutputsSpec:
        if not self.final and not self.series:
            raise ValueError('keep at least one output, e.g. final = ["compute_spot_price"]')
        names = [o.name for o in self.final] + [o.name for o in self.series]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            finals = {o.name for o in self.final}
            both = [n for n in dup if n in finals and any(o.name == n for o in self.series)]
            fix = (
                f'name the series apart, e.g. series = [{{ name = "{both[0]}_monthly", '
                f'column = "{both[0]}" }}]'
                if both
                else "list each output once (or give each its own name)"
            )
            raise ValueError(f"output names must be unique; {dup} name more than one output: {fix}")
        series_tables = {o.table for o in self.series} - {"model"}
        if series_tables:
            raise ValueError(
                f"series come from the monthly model frame only; got tables {series_tables}"
            )
        return self


class SweepSpec(_Strict):
    """A whole sweep: base scenario, parameters, design, replicates, horizon, outputs."""

    name: str = Field(default="sweep", min_length=1)
    base: str = Field(default=DEFAULT_SCENARIO, min_length=1)
    months: int = Field(default=DEFAULT_MONTHS, ge=1, le=MAX_SWEEP_MONTHS)
    replicates: int = Field(default=1, ge=1, le=100_000)
    root_seed: int = Field(default=0, ge=0, le=2**63 - 1)
    common_random_numbers: bool = True
    """Replicate ``r`` uses the same seed at every design point (common random numbers)."""
    model: str = Field(default=DEFAULT_MODEL, pattern=r"^[\w.]+:[\w]+$")
    design: DesignSpec = Field(default_factory=DesignSpec)
    parameters: list[ParameterSpec] = Field(default_factory=list)
    overrides: dict[str, Any] = Field(default_factory=dict)
    """Scenario values set in every run by dotted path, before the parameters (a nested
    table by its leaves, as a scenario file's ``[overrides]``)."""
    outputs: OutputsSpec

    @model_validator(mode="before")
    @classmethod
    def _leaves(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("overrides"), dict):
            data = {**data, "overrides": dotted_paths(data["overrides"])}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        paths = [p.path for p in self.parameters]
        dup = sorted({p for p in paths if paths.count(p) > 1})
        if dup:
            raise ValueError(f"parameter paths must be unique; {dup} appear twice")
        if "months" in self.overrides:
            raise ValueError(
                f"overrides.months = {self.overrides['months']!r}: the runs' length is the "
                "spec's months; set months there and drop it from [overrides]"
            )
        if "months" in paths:
            raise ValueError(
                f"parameters[{paths.index('months')}].path = 'months': the runs' length is "
                "the spec's months, the same for every run; run one sweep per length"
            )
        both = sorted(set(paths) & set(self.overrides))
        if both:
            raise ValueError(
                f"{both} are both in [overrides] and varied as parameters; drop them from "
                "[overrides] (a parameter sets its own value in every run)"
            )
        kind = self.design.kind
        if kind == "scenarios":
            if len(self.design.scenarios) < 1:
                raise ValueError('design.kind = "scenarios" needs design.scenarios = [...]')
            names = self.design.scenarios
            repeated = sorted({s for s in names if names.count(s) > 1})
            if repeated:
                raise ValueError(
                    f"design.scenarios lists {repeated} more than once; a repeated scenario's "
                    "runs are pooled as one point's, so its intervals come out too narrow: "
                    "list each scenario once"
                )
            if self.parameters:
                raise ValueError(
                    'design.kind = "scenarios" runs each scenario as it is, so it takes no '
                    "[[parameters]]; set values shared by every scenario in [overrides], or "
                    "sweep parameters over one scenario with another kind"
                )
        elif self.design.scenarios:
            raise ValueError(f'design.scenarios only goes with kind = "scenarios", not {kind!r}')
        for i, p in enumerate(self.parameters):
            if kind == "grid" and p.levels is not None and len(set(p.levels)) < len(p.levels):
                twice = sorted({v for v in p.levels if p.levels.count(v) > 1})
                raise ValueError(
                    f"parameters[{i}] ({p.path}): levels = {p.levels} lists "
                    f"{', '.join(f'{v:g}' for v in twice)} more than once, and a grid would run "
                    "those points twice; list each level once (replicates repeat a point's runs)"
                )
        if kind in ("lhs", "sobol", "morris"):
            if not self.parameters:
                raise ValueError(f"a {kind} design needs at least one [[parameters]] entry")
            for i, p in enumerate(self.parameters):
                if p.min is None:
                    raise ValueError(
                        f"parameters[{i}] ({p.path}): a {kind} design samples a range; "
                        "give min and max instead of levels"
                    )
        if kind == "points":
            if not self.parameters:
                raise ValueError("a points design needs at least one [[parameters]] entry")
            sizes = {len(p.levels) if p.levels is not None else 0 for p in self.parameters}
            if 0 in sizes or len(sizes) > 1:
                raise ValueError(
                    "a points design zips the parameters' levels (point j takes levels[j] of "
                    "each); give every parameter levels of the same length, not a range"
                )
        if kind == "sobol" and len(self.parameters) < 2:
            raise ValueError("a sobol design needs at least two parameters")
        return self

    def digest(self) -> str:
        """A stable hash of everything that determines the runs (for resume checks); no
        ``overrides`` hash as a spec that had none (a folder written before they existed)."""
        dump = self.model_dump(mode="json", exclude=set() if self.overrides else {"overrides"})
        text = json.dumps(dump, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "spec") -> SweepSpec:
        """Validate a plain dict (e.g. parsed TOML); errors become :class:`SweepSpecError`."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _spec_error(exc, source) from None


def _spec_error(exc: ValidationError, source: str) -> SweepSpecError:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(x) if not isinstance(x, int) else f"[{x}]" for x in err["loc"])
        loc = loc.replace(".[", "[") or "(top level)"
        value = err.get("input")
        kind = err["type"]
        if kind == "extra_forbidden":
            fix = "remove it or check its spelling"
            msg = "unknown key"
        elif kind == "missing":
            fix = "add it"
            msg = "required key is missing"
        elif kind == "value_error":
            msg = err["msg"].removeprefix("Value error, ")
            fix = ""  # the validator's message says what to do
        else:
            msg = err["msg"]
            fix = "use a value of the right type and range"
        shown = repr(value) if not isinstance(value, dict | list) else "{...}"
        lines.append(f"{source}: {loc} = {shown}: {msg}" + (f" ({fix})" if fix else ""))
    return SweepSpecError("\n".join(lines))


def list_specs() -> list[str]:
    """Names of the shipped sweep specs (:data:`SPEC_DIR`)."""
    return sorted(p.stem for p in SPEC_DIR.glob("*.toml"))


def _spec_file(name_or_path: str | Path) -> Path:
    """The file of a spec given by path, or by a shipped spec's name (not a path, no
    ``.toml``): an existing file comes first, as a scenario file does."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    text = str(name_or_path)
    if p.suffix != ".toml" and p.name == text and text in list_specs():
        return SPEC_DIR / f"{text}.toml"
    shipped = ", ".join(list_specs())
    hint = (
        f"; the shipped spec of that name is given as {p.stem!r}, from any folder"
        if p.suffix == ".toml" and p.stem in list_specs()
        else ""
    )
    raise SweepSpecError(
        f"{p}: no such sweep spec file (give the path to a .toml file, or the name of a "
        f"shipped spec: {shipped}){hint}"
    )


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec: a TOML file, or a shipped spec's name (``"example"``,
    :func:`list_specs`).

    Raises
    ------
    SweepSpecError
        If the file is missing (naming the shipped specs), is not TOML, or does not validate.
    """
    p = _spec_file(path)
    try:
        data = load_toml(p)
    except TomlFileError as exc:
        raise SweepSpecError(f"{p}: {exc}") from None
    _resolve_scenario_paths(data, p.parent)
    return SweepSpec.from_dict(data, source=str(p))


def _resolve_scenario_paths(data: dict[str, Any], folder: Path) -> None:
    """Scenario TOML paths in a spec are relative to the spec's folder."""

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value.endswith(".toml") and not Path(value).is_absolute():
            candidate = folder / value
            if candidate.is_file():
                return str(candidate.resolve())
        return value

    if "base" in data:
        data["base"] = fix(data["base"])
    design = data.get("design")
    if isinstance(design, dict) and isinstance(design.get("scenarios"), list):
        design["scenarios"] = [fix(v) for v in design["scenarios"]]
