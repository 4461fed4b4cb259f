"""One run watched in the browser: the model the run buttons step, reset and draw.

Reset (:mod:`viz.stepping`) rebuilds the model as ``type(model)(**sidebar_values)``, as Mesa's
``ModelController`` does, so the object it holds must be constructible from keyword arguments
alone. :class:`VizRun` is that object: it loads a named scenario, applies the lever overrides
the user moved, builds ``agents.model.GigawattModel`` with the seed, and caches the model's
data frames once per month so that every chart of a page update reads the same, already-built
tables.

The model itself is reached through a small :class:`Backend` (load a scenario, override
levers, build a model, read a lever), so the app can be exercised against a stand-in model in
tests and the real world model is imported only when a run is built.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from agents.scenario import DEFAULT_MONTHS
from agents.units import month_date
from experiments.scenarios import DEFAULT_SCENARIO, DEFAULT_SEED
from viz.facts import deal_switch_index, hhi_review_threshold, listed_deals, scenario_start

__all__ = [
    "SCALE_ENV",
    "SCENARIO_ENV",
    "SEED_ENV",
    "Backend",
    "LeverSpec",
    "ModelBackend",
    "VizError",
    "VizRun",
    "initial_scale",
    "initial_scenario",
    "initial_seed",
]

SCENARIO_ENV = "GIGAWATT_VIZ_SCENARIO"
SEED_ENV = "GIGAWATT_VIZ_SEED"
SCALE_ENV = "GIGAWATT_VIZ_SCALE"


class VizError(ValueError):
    """Bad input to the browser app (unknown scenario, seed out of range, unknown lever or
    deal switch)."""


@dataclass(frozen=True)
class LeverSpec:
    """A policy lever as the app shows it: a slider over a dotted scenario path."""

    path: str
    label: str
    min: float
    max: float
    step: float
    unit: str = ""
    #: Model units per slider unit: USD levers are shown in $B (scale 1e9).
    scale: float = 1.0
    #: What an unset value means (e.g. "no cap" for a fee cap the scenario leaves unset).
    none_label: str = "not set"

    @property
    def is_int(self) -> bool:
        """True when every slider position is an integer (an integer slider is shown)."""
        return all(float(v).is_integer() for v in (self.min, self.max, self.step))

    @property
    def decimals(self) -> int:
        """Decimals that show every slider step exactly (0.05 -> 2)."""
        if self.is_int:
            return 0
        text = f"{self.step:.6f}".rstrip("0")
        return max(len(text.split(".")[1]), 1)

    def format(self, value: float | None) -> str:
        """The value as a person reads it, with its unit: ``42 months``, ``$5B``, ``no cap``."""
        if value is None:
            return self.none_label
        # the step's decimals, or more where a scenario's value lies between two steps (a
        # $2.75B deal on a slider of whole billions)
        decimals = self.decimals
        while decimals < 6 and round(value, decimals) != round(value, 6):
            decimals += 1
        number = f"{value:,.{decimals}f}"
        if self.unit == "$B":
            return f"${number}B"
        return f"{number} {self.unit}".strip()

    def position(self, value: float | None) -> float:
        """Slider position for a value: clamped to the range; unset sits at the right end."""
        if value is None:
            return self.max
        return min(max(float(value), self.min), self.max)


class Backend:
    """How the app reaches a model; the default :class:`ModelBackend` uses the world model."""

    def scenario_names(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def levers(self) -> dict[str, LeverSpec]:  # pragma: no cover - interface
        raise NotImplementedError

    def load(self, name: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def is_scenario_file(self, name: str) -> bool:
        """True when ``name`` is the path of an existing file (read as a scenario file, as
        ``gigawatt run`` reads one, whatever its suffix: ``experiments.scenarios``)."""
        return Path(name).is_file()

    def override(self, scenario: Any, overrides: Mapping[str, float]) -> Any:
        """Return ``scenario`` with dotted-path overrides applied (validated by the schema)."""
        return scenario.with_overrides(dict(overrides)) if overrides else scenario

    def lever_value(self, scenario: Any, path: str) -> float | None:
        """The value at a dotted path of a scenario, or None when unset (e.g. no fee cap)."""
        if hasattr(scenario, "get") and not isinstance(scenario, Mapping):
            try:
                value = scenario.get(path)
                return None if value is None else float(value)
            except (TypeError, KeyError, AttributeError):
                pass
        node: Any = scenario
        for part in path.split("."):
            node = node[part] if isinstance(node, Mapping) else getattr(node, part)
        return None if node is None else float(node)

    def build(self, scenario: Any, seed: int) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def scale_overrides(self, extra_agents: int) -> dict[str, float]:
        """Overrides that add ``extra_agents`` small agents (scale mode); none by default."""
        return {}

    def horizon(self, scenario: Any) -> int:
        """Months to run before Play stops (the scenario's horizon, else
        :data:`agents.scenario.DEFAULT_MONTHS`)."""
        for name in ("months", "horizon_months", "horizon"):
            value = getattr(scenario, name, None)
            if isinstance(value, int | float) and value > 0:
                return int(value)
        return DEFAULT_MONTHS


#: Units of ``agents.scenario.LEVERS`` as the sidebar writes them.
_UNITS = {
    "USD per H100e-hour": "$/H100e-hour",
    "HHI": "",
    "share of the services price": "share",
}


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
            unit = str(getattr(lever, "unit", ""))
            scale = 1e9 if unit.upper() == "USD" else 1.0
            out[path] = LeverSpec(
                path=path,
                label=str(getattr(lever, "label", key)),
                min=float(lever.min) / scale,
                max=float(lever.max) / scale,
                step=float(getattr(lever, "step", 1.0)) / scale,
                unit="$B" if scale != 1.0 else _UNITS.get(unit, unit),
                scale=scale,
                none_label="no cap" if path.endswith("_cap") else "not set",
            )
        return out

    def load(self, name: str) -> Any:
        from experiments import load_scenario

        return load_scenario(name)

    def build(self, scenario: Any, seed: int) -> Any:
        from agents.model import GigawattModel

        return GigawattModel(scenario, rng=seed)

    def scale_overrides(self, extra_agents: int) -> dict[str, float]:
        """Scale mode: :func:`agents.population.scale_overrides` (two thirds small labs,
        one third enterprise buyers)."""
        from agents.population import scale_overrides

        return dict(scale_overrides(extra_agents))


def initial_scenario() -> str:
    """The scenario the page opens with: ``$GIGAWATT_VIZ_SCENARIO`` (set by ``gigawatt viz``).

    A shipped name, or the path of a ``.toml`` scenario file.
    """
    return os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO) or DEFAULT_SCENARIO


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise VizError(f"{name}={raw!r} is not an integer; set it to e.g. {default}") from exc


def initial_seed() -> int:
    """The seed the page opens with: ``$GIGAWATT_VIZ_SEED`` or
    :data:`experiments.scenarios.DEFAULT_SEED`."""
    return _env_int(SEED_ENV, DEFAULT_SEED)


def initial_scale() -> int:
    """Extra small agents the page opens with (scale mode): ``$GIGAWATT_VIZ_SCALE`` or 0."""
    return _env_int(SCALE_ENV, 0)


def _check_switches(name: str, scenario: Any, switches: Mapping[str, Any]) -> None:
    """Raise :class:`VizError` for a deal switch the scenario has no deal for, or not a bool."""
    count = len(listed_deals(scenario))
    for key, value in switches.items():
        index = deal_switch_index(key)
        if index is None or index >= count:
            where = (
                f"lists {count} deal(s) in other_deals; use an index 0..{count - 1}"
                if count
                else "lists no deal in other_deals; leave the key out"
            )
            raise VizError(f"{key}={value!r}: scenario {name!r} {where}")
        if not isinstance(value, bool):
            raise VizError(f"{key}={value!r} must be True (deal on) or False (deal off)")


class VizRun:
    """The object the run buttons hold: one seeded run of one scenario with lever overrides.

    Parameters
    ----------
    scenario_name
        A shipped scenario name (``experiments.scenarios.list_scenarios()``) or the path of
        a ``.toml`` scenario file.
    seed
        The run's seed, passed to the model as ``rng`` (one generator per run).
    scale_agents
        Scale mode: this many small labs and enterprise buyers are added to the scenario
        (:meth:`Backend.scale_overrides`); 0 keeps the scenario as it is.
    **levers
        The levers the user moved: values keyed by the lever's dotted scenario path, in
        slider units (:attr:`LeverSpec.scale`; e.g. $B for USD levers). They override the
        scenario's own values; a lever not given keeps the scenario's value. Also the deals
        the user switched: ``other_deals.<i>.enabled`` (:func:`viz.facts.deal_switch_key`)
        set to True or False for a deal the scenario lists.
    """

    backend: ClassVar[Backend] = ModelBackend()

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        seed: int = DEFAULT_SEED,
        scale_agents: int = 0,
        **levers: float | bool,
    ) -> None:
        known = self.backend.levers()
        switches = {k: v for k, v in levers.items() if deal_switch_index(k) is not None}
        levers = {k: v for k, v in levers.items() if k not in switches}
        unknown = sorted(set(levers) - set(known))
        if unknown:
            raise VizError(
                f"unknown lever(s) {unknown}; known levers are {sorted(known)} "
                "(agents.scenario.LEVERS)"
            )
        names = self.backend.scenario_names()
        if scenario_name not in names and not self.backend.is_scenario_file(scenario_name):
            raise VizError(
                f"scenario_name={scenario_name!r} is neither shipped nor a .toml file; "
                f"choose one of {names} or give a path to a .toml file"
            )
        if (
            isinstance(seed, bool)
            or not isinstance(seed, int | float)
            or seed != int(seed)
            or seed < 0
        ):
            raise VizError(f"seed={seed!r} must be a whole number >= 0, e.g. 7")
        if not isinstance(scale_agents, int | float) or scale_agents < 0:
            raise VizError(f"scale_agents={scale_agents!r} must be a count >= 0, e.g. 2000")
        scenario = self.backend.load(scenario_name)
        _check_switches(scenario_name, scenario, switches)
        self.scenario_name = scenario_name
        self.seed = int(seed)
        self.scale_agents = int(scale_agents)
        #: Scenario overrides in model units, for the levers the user moved.
        self.overrides = {path: float(value) * known[path].scale for path, value in levers.items()}
        #: The listed deals the user switched: ``other_deals.<i>.enabled`` -> True or False.
        self.switches = {key: bool(value) for key, value in switches.items()}
        overrides = {
            **self.overrides,
            **self.switches,
            **self.backend.scale_overrides(self.scale_agents),
        }
        config = self.backend.override(scenario, overrides)
        self.config = config  # not ``.scenario``: Mesa's Reset treats that name as a Mesa Scenario
        self.model = self.backend.build(config, self.seed)
        self.horizon = self.backend.horizon(config)
        self._cache_month: int | None = None
        self._frame: pd.DataFrame | None = None
        self._tables: dict[str, pd.DataFrame] | None = None

    # -- what the run buttons use --------------------------------------------------------
    def step(self) -> None:
        """Advance the model by one month."""
        self.model.step()

    @property
    def running(self) -> bool:
        """False once the model stops itself or the horizon is reached (Play stops)."""
        return bool(getattr(self.model, "running", True)) and self.month < self.horizon

    @property
    def time(self) -> float:
        """Months simulated so far (Mesa's ``Model.time`` counterpart)."""
        return float(self.month)

    # -- what the components read ----------------------------------------------------------
    @property
    def month(self) -> int:
        """Months simulated so far."""
        return int(self.model.month)

    @property
    def start(self) -> str:
        """Calendar month ``YYYY-MM`` of month 0, from the scenario
        (:func:`viz.facts.scenario_start`)."""
        return scenario_start(self.config)

    @property
    def hhi_threshold(self) -> float | None:
        """The regulator's HHI review threshold in this run's scenario."""
        return hhi_review_threshold(self.config)

    @property
    def date_label(self) -> str:
        """What the data covers: ``through 2026-03`` after 3 months, ``start 2026-01`` before.

        Month 0 is the scenario's ``start``; after ``n`` steps months 0..n-1 have been
        simulated.
        """
        if self.month == 0:
            return f"start {self.start}"
        return f"through {month_date(self.start, self.month - 1)}"

    @property
    def graph(self) -> Any:
        """The model's trade graph (networkx MultiDiGraph)."""
        return self.model.graph

    def lever_values(self) -> dict[str, float | None]:
        """Every lever's value in effect in this run's scenario, in slider units.

        None means the scenario leaves the lever unset (e.g. no switching-fee cap).
        """
        out: dict[str, float | None] = {}
        for path, spec in self.backend.levers().items():
            value = self.backend.lever_value(self.config, path)
            out[path] = None if value is None else value / spec.scale
        return out

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

    def node_values(self, measure: str) -> dict[Any, float]:
        """Size of each graph node this month: ``cash`` (USD) or ``capacity`` (MW).

        Read from the ``agents`` table's latest month (``cash``; ``built_mw`` or
        ``capacity_mw``), keyed like the graph (``agent_id``), else from the Mesa agents'
        ``cash`` attribute (before the first month is recorded); utilities' capacity is their
        region's ``generation_mw`` from the ``regions`` table. Nodes not found get no entry
        (the drawing falls back to node attributes).
        """
        out: dict[Any, float] = {}
        if measure == "cash":
            for agent in getattr(self.model, "agents", ()):
                value = getattr(agent, "cash", None)
                if isinstance(value, int | float) and math.isfinite(value):
                    out[agent.unique_id] = float(value)
        agents = self.table("agents")
        if agents is not None and len(agents) and "month" in agents.columns:
            last = agents[agents["month"] == agents["month"].max()]
            key = next((c for c in ("agent_id", "unique_id", "agent") if c in last.columns), None)
            cols = ("cash",) if measure == "cash" else ("capacity_mw", "built_mw", "powered_mw")
            col = next((c for c in cols if c in last.columns), None)
            if key and col:
                values = pd.to_numeric(last[col], errors="coerce").fillna(0.0)
                out.update(zip(last[key].tolist(), values.tolist(), strict=True))
        regions = self.table("regions")
        if (
            measure == "capacity"
            and regions is not None
            and len(regions)
            and {"month", "region", "generation_mw"} <= set(regions.columns)
        ):
            last = regions[regions["month"] == regions["month"].max()]
            by_region = dict(zip(last["region"], last["generation_mw"], strict=True))
            for node, data in self.graph.nodes(data=True):
                if str(data.get("kind")) != "utility":
                    continue
                region = data.get("region") or next(
                    (r for r in by_region if str(data.get("name", "")).endswith(str(r))), None
                )
                if region in by_region:
                    out[node] = float(by_region[region])
        return out
