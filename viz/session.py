"""One run watched in the browser: the model SolaraViz steps, resets and draws.

Mesa's SolaraViz rebuilds the model on Reset as ``type(model)(**slider_values)``, so the
object it holds must be constructible from keyword arguments alone. :class:`VizRun` is that
object: it loads a named scenario, applies the lever overrides the user moved, builds
``agents.model.GigawattModel`` with the seed, and caches the model's data frames once per
month so that every chart of a page update reads the same, already-built tables.

The model itself is reached through a small :class:`Backend` (load a scenario, override
levers, build a model, read a lever), so the app can be exercised against a stand-in model in
tests and the real world model is imported only when a run is built.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

__all__ = [
    "DEFAULT_SCENARIO",
    "SCENARIO_ENV",
    "SEED_ENV",
    "Backend",
    "LeverSpec",
    "ModelBackend",
    "VizError",
    "VizRun",
    "initial_scenario",
    "initial_seed",
]

DEFAULT_SCENARIO = "baseline"
SCENARIO_ENV = "GIGAWATT_VIZ_SCENARIO"
SEED_ENV = "GIGAWATT_VIZ_SEED"
#: Start month of the default horizon (DESIGN.md, "World: Time": 120 months from 2026-01).
START_YEAR, START_MONTH = 2026, 1


class VizError(ValueError):
    """Bad input to the browser app (unknown scenario, seed out of range, unknown lever)."""


@dataclass(frozen=True)
class LeverSpec:
    """A policy lever as the app shows it: a slider over a dotted scenario path."""

    path: str
    label: str
    min: float
    max: float
    step: float
    unit: str = ""

    @property
    def is_int(self) -> bool:
        """True when every slider position is an integer (an integer slider is shown)."""
        return all(float(v).is_integer() for v in (self.min, self.max, self.step))


class Backend:
    """How the app reaches a model; the default :class:`ModelBackend` uses the world model."""

    def scenario_names(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def levers(self) -> dict[str, LeverSpec]:  # pragma: no cover - interface
        raise NotImplementedError

    def load(self, name: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def override(self, scenario: Any, overrides: Mapping[str, float]) -> Any:
        """Return ``scenario`` with dotted-path overrides applied (validated by the schema)."""
        return scenario.with_overrides(dict(overrides)) if overrides else scenario

    def lever_value(self, scenario: Any, path: str) -> float:
        """The value at a dotted path of a scenario (attributes or mapping keys)."""
        if hasattr(scenario, "get") and not isinstance(scenario, Mapping):
            try:
                return float(scenario.get(path))
            except (TypeError, KeyError, AttributeError):
                pass
        node: Any = scenario
        for part in path.split("."):
            node = node[part] if isinstance(node, Mapping) else getattr(node, part)
        return float(node)

    def build(self, scenario: Any, seed: int) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def horizon(self, scenario: Any) -> int:
        """Months to run before Play stops (the scenario's horizon, else DESIGN.md's 120)."""
        for name in ("months", "horizon_months", "horizon"):
            value = getattr(scenario, name, None)
            if isinstance(value, int | float) and value > 0:
                return int(value)
        return 120


class ModelBackend(Backend):
    """The world model: ``experiments.load_scenario`` and ``agents.model.GigawattModel``."""

    def scenario_names(self) -> list[str]:
        from experiments.scenarios import list_scenarios

        return list(list_scenarios())

    def levers(self) -> dict[str, LeverSpec]:
        from agents.scenario import LEVERS

        out = {}
        for key, lever in LEVERS.items():
            path = getattr(lever, "path", key)
            out[path] = LeverSpec(
                path=path,
                label=str(getattr(lever, "label", key)),
                min=float(lever.min),
                max=float(lever.max),
                step=float(getattr(lever, "step", 1.0)),
                unit=str(getattr(lever, "unit", "")),
            )
        return out

    def load(self, name: str) -> Any:
        from experiments import load_scenario

        return load_scenario(name)

    def build(self, scenario: Any, seed: int) -> Any:
        from agents.model import GigawattModel

        return GigawattModel(scenario, rng=seed)


def initial_scenario() -> str:
    """The scenario the page opens with: ``$GIGAWATT_VIZ_SCENARIO`` (set by ``gigawatt viz``)."""
    return os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO) or DEFAULT_SCENARIO


def initial_seed() -> int:
    """The seed the page opens with: ``$GIGAWATT_VIZ_SEED`` or 7."""
    raw = os.environ.get(SEED_ENV, "7")
    try:
        return int(raw)
    except ValueError as exc:
        raise VizError(f"{SEED_ENV}={raw!r} is not an integer; set it to e.g. 7") from exc


class VizRun:
    """The object SolaraViz holds: one seeded run of one scenario with lever overrides.

    Parameters
    ----------
    scenario_name
        A shipped scenario name (``experiments.scenarios.list_scenarios()``).
    seed
        The run's seed, passed to the model as ``rng`` (one generator per run).
    levers_start
        The sliders' starting positions. A lever still at its starting position keeps the
        chosen scenario's own value; a moved lever overrides it. This lets the scenario
        selector and the sliders work together.
    **levers
        Slider values keyed by the lever's dotted scenario path.
    """

    backend: ClassVar[Backend] = ModelBackend()

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        seed: int = 7,
        levers_start: Mapping[str, float] | None = None,
        **levers: float,
    ) -> None:
        known = self.backend.levers()
        unknown = sorted(set(levers) - set(known))
        if unknown:
            raise VizError(
                f"unknown lever(s) {unknown}; known levers are {sorted(known)} "
                "(agents.scenario.LEVERS)"
            )
        names = self.backend.scenario_names()
        if scenario_name not in names:
            raise VizError(f"scenario_name={scenario_name!r} is not shipped; choose one of {names}")
        if isinstance(seed, bool) or not isinstance(seed, int | float) or seed != int(seed):
            raise VizError(f"seed={seed!r} must be a whole number, e.g. 7")
        self.scenario_name = scenario_name
        self.seed = int(seed)
        start = dict(levers_start or {})
        self.overrides = {
            path: float(value)
            for path, value in levers.items()
            if path not in start or not math.isclose(float(value), float(start[path]))
        }
        config = self.backend.override(self.backend.load(scenario_name), self.overrides)
        self.config = config  # not ``.scenario``: SolaraViz treats that name as a Mesa Scenario
        self.model = self.backend.build(config, self.seed)
        self.horizon = self.backend.horizon(config)
        self._cache_month: int | None = None
        self._frame: pd.DataFrame | None = None
        self._tables: dict[str, pd.DataFrame] | None = None

    # -- what SolaraViz's controller uses -------------------------------------------------
    def step(self) -> None:
        """Advance the model by one month."""
        self.model.step()

    @property
    def running(self) -> bool:
        """False once the model stops itself or the horizon is reached (Play stops)."""
        return bool(getattr(self.model, "running", True)) and self.month < self.horizon

    @property
    def time(self) -> float:
        """Months simulated so far (SolaraViz's "Time:" line)."""
        return float(self.month)

    # -- what the components read ----------------------------------------------------------
    @property
    def month(self) -> int:
        """Months simulated so far."""
        return int(self.model.month)

    @property
    def date_label(self) -> str:
        """Calendar month of the current step, e.g. ``2026-04`` (start 2026-01, DESIGN.md)."""
        total = START_YEAR * 12 + (START_MONTH - 1) + self.month
        return f"{total // 12:04d}-{total % 12 + 1:02d}"

    @property
    def graph(self) -> Any:
        """The model's trade graph (networkx MultiDiGraph)."""
        return self.model.graph

    def lever_values(self) -> dict[str, float]:
        """Every lever's value in effect in this run's scenario."""
        return {path: self.backend.lever_value(self.config, path) for path in self.backend.levers()}

    def _refresh(self) -> None:
        if self._cache_month != self.month:
            self._frame = None
            self._tables = None
            self._cache_month = self.month

    @property
    def frame(self) -> pd.DataFrame:
        """The model frame so far (one row per month), built once per month."""
        self._refresh()
        if self._frame is None:
            self._frame = self.model.model_frame()
        return self._frame

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The model's tidy tables so far, built once per month."""
        self._refresh()
        if self._tables is None:
            self._tables = dict(self.model.tables())
        return self._tables

    def table(self, name: str) -> pd.DataFrame | None:
        """One table by name, or None when the model does not provide it."""
        return self.tables.get(name)
