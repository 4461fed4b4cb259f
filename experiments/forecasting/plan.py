"""What a forecast runs: the drawn parameter table, each scenario's horizon and sweep spec.

Every input is checked here, before a folder or a run exists, and a problem raises
:class:`ForecastError` (a ``ValueError``) naming the input, the value and the fix:

- ``until`` is a calendar month ``YYYY-MM``; each scenario runs from its ``start`` through
  that month (``months = 12 (y - y0) + (m - m0) + 1``, so the last row's date is ``until``);
- every scenario is the posterior's own or built on it (:func:`check_lineage`: the
  posterior's scenario is a link of its ``extends`` chain), as a posterior's parameters
  apply to the world they were fitted in;
- every posterior parameter path must exist in every scenario, and every draw must be a
  valid scenario there (``Scenario.with_overrides`` is the judge);
- draws: ``n`` parameter vectors resampled with replacement in proportion to the
  posterior weights (:meth:`experiments.posterior.Posterior.sample`, the usual way to turn
  importance-weighted particles into an equally weighted sample) by a generator seeded
  from ``[seed, 1]``; draw ``i`` runs with model seed child ``i`` of
  ``SeedSequence(seed)`` in every scenario (a sweep without common random numbers over a
  ``points`` design), so the scenarios are paired by draw and seed.

A scenario with a deal is run with a no-deal twin (the same scenario with ``deal.enabled =
false``, same draw and seed). When another scenario of the forecast is that twin in all but
its name and description, over the same months (``history-2023`` beside
``history-2023-deal``), it is not run on its own: :func:`served_by_twins` finds such pairs,
and the deal scenario's runs keep their twin's model frame for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from experiments.posterior import Posterior

if TYPE_CHECKING:
    from agents.scenario import Scenario

__all__ = [
    "MAX_DRAWS",
    "ForecastError",
    "ScenarioLoadError",
    "ScenarioPlan",
    "check_lineage",
    "draw_table",
    "drawn_rows",
    "months_until",
    "plan_scenarios",
    "scenario_chain",
    "served_by_twins",
    "sweep_spec",
]

MAX_DRAWS = 100_000
"""The most draws a forecast runs (each is a model run per scenario)."""


class ForecastError(ValueError):
    """A forecast input that cannot be used; the message names it, its value and the fix."""


class ScenarioLoadError(ForecastError):
    """A scenario of the forecast that cannot be loaded (as told apart from a bad ``until``)."""


@dataclass(frozen=True)
class ScenarioPlan:
    """One scenario of a forecast: its reference (name or path), loaded form and horizon."""

    ref: str
    scenario: Scenario
    """The scenario as loaded from ``ref`` (read once, by :func:`plan_scenarios`)."""
    name: str
    start: str
    months: int
    has_deal: bool
    investor: str
    lab: str


def months_until(start: str, until: str, scenario: str = "") -> int:
    """Months from ``start`` (``YYYY-MM``) through ``until`` (``YYYY-MM``), both included.

    Raises
    ------
    ForecastError
        If ``until`` is not ``YYYY-MM``, is before ``start``, or is too far ahead.
    """
    from agents.scenario_fields import LAST_MONTH
    from agents.units import month_date, months_between, parse_month
    from experiments.runner import MAX_MONTHS

    if parse_month(str(until)) is None:
        raise ForecastError(
            f"until {until!r}: give a calendar month as YYYY-MM with the month 01-12, e.g. 2035-12"
        )
    n = months_between(start, until) + 1
    where = f" (scenario {scenario!r} starts {start})" if scenario else f" (start {start})"
    if n < 1:
        raise ForecastError(f"until {until}: before the start{where}; give a later month")
    latest = min(month_date(start, MAX_MONTHS - 1), LAST_MONTH)  # both "YYYY-MM": comparable
    if n > months_between(start, latest) + 1:
        why = (
            f"more than the model's {MAX_MONTHS} months"
            if n > MAX_MONTHS
            else f"past {LAST_MONTH}, the last month of the model's calendar"
        )
        raise ForecastError(
            f"until {until}: {n} months{where}, {why}; the latest month allowed is {latest}: "
            f"give {latest} or earlier"
        )
    return n


def plan_scenarios(refs: Sequence[str], until: str | None) -> list[ScenarioPlan]:
    """Load every scenario and work out its horizon (its own ``months`` without ``until``).

    Raises
    ------
    ForecastError
        For a scenario that cannot be loaded, a repeated one, or a bad ``until``.
    """
    from agents.scenario import ScenarioError
    from experiments.scenarios import load_scenario

    plans: list[ScenarioPlan] = []
    for ref in refs:
        try:
            scn = load_scenario(ref)
        except (ScenarioError, OSError) as exc:
            said = str(exc)  # a loader's message that names the scenario is not prefixed again
            named = repr(str(ref)) in said or said.startswith(str(ref))
            raise ScenarioLoadError(said if named else f"scenario {str(ref)!r}: {said}") from None
        same = next((p for p in plans if p.name == scn.name), None)
        if same is not None and same.ref == str(ref):
            raise ForecastError(f"scenario {scn.name!r} is given twice; name each scenario once")
        if same is not None:  # two files, one name (a file that extends keeps its base's)
            raise ForecastError(
                f"scenarios {same.ref!r} and {str(ref)!r} are both named {scn.name!r}, and the "
                f"forecast keeps each scenario's runs and bands under its name; give each file "
                f'a name of its own (a line such as name = "{scn.name}-2" at its top)'
            )
        months = scn.months if until is None else months_until(scn.start, until, scn.name)
        plans.append(
            ScenarioPlan(
                ref=str(ref),
                scenario=scn,
                name=scn.name,
                start=scn.start,
                months=int(months),
                has_deal=bool(scn.deal.enabled),
                investor=str(scn.deal.investor),
                lab=str(scn.deal.lab),
            )
        )
    return plans


def scenario_chain(ref: str | Path) -> list[Path]:
    """The files of a scenario's ``extends`` chain, the scenario's own first, resolved
    (:func:`experiments.scenarios.extends_chain`).

    Raises
    ------
    ForecastError
        If ``ref`` is neither a shipped name nor a file, or a link of its chain cannot be
        followed (naming it, as loading the scenario would).
    """
    from agents.scenario import ScenarioError
    from experiments.scenarios import extends_chain

    try:
        return extends_chain(ref)
    except ScenarioError as exc:
        raise ForecastError(str(exc)) from None


def _label(path: Path) -> str:
    """A chain link as a user names it: a shipped scenario by name, a file by path."""
    from experiments.scenarios import SCENARIO_DIR

    shipped = path.parent == SCENARIO_DIR.resolve()
    return path.stem if shipped else str(path)


def check_lineage(plans: Sequence[ScenarioPlan], home: str, source: str = "the posterior") -> None:
    """Every planned scenario is ``home`` (the posterior's scenario) or built on it.

    A scenario is built on ``home`` when ``home``'s file is a link of its ``extends``
    chain (:func:`scenario_chain`): ``history-2023-deal`` extends ``history-2023``, so a
    posterior of ``history-2023`` forecasts it, but not ``baseline`` (the base of
    ``history-2023``, not built on it) or ``power-crunch``. Files are compared by their
    resolved paths.

    Raises
    ------
    ForecastError
        For a scenario that is not built on ``home``, naming both and the fix; or when
        ``home`` is neither a shipped name nor a file that can be found from here (a
        relative path recorded where the calibration ran): then no scenario can be checked
        against it, and the forecast is refused rather than run on a guess.
    """
    from agents.scenario import ScenarioError
    from experiments.scenarios import scenario_path

    try:
        home_path = scenario_path(home).resolve()
    except ScenarioError as exc:
        raise ForecastError(
            f"the posterior's scenario {home!r} ({source}) cannot be found from here ({exc}); "
            "so no scenario can be checked against it: run the forecast from the folder the "
            "calibration ran in, or set its 'scenario' in posterior.json to the scenario's "
            "name or full path"
        ) from None
    for plan in plans:
        chain = scenario_chain(plan.ref)
        if home_path in chain:
            continue
        links = [_label(p) for p in chain]
        built = f"it extends {' -> '.join(links[1:])}" if len(links) > 1 else "it extends no other"
        raise ForecastError(
            f"scenario {plan.ref!r} is not built on {home!r}, the scenario the posterior was "
            f"fitted on ({source}; {built}), and a posterior applies only to its scenario and "
            f"to scenarios that extend it; forecast {home!r} or a scenario that extends it, "
            f"or calibrate {plan.ref!r} (gigawatt calibrate {plan.ref} --out DIR) and "
            "forecast with that posterior"
        )


def _whole_paths(paths: Sequence[str]) -> set[str]:
    from experiments.sweeps.schema import schema_field

    out = set()
    for path in paths:
        field = schema_field(path)
        if field is not None and field.kind == "int":
            out.add(path)
    return out


def drawn_rows(posterior: Posterior, n: int, seed: int) -> np.ndarray:
    """The posterior rows of :func:`draw_table`'s draws, in order."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_DRAWS:
        raise ForecastError(f"draws {n!r}: give a whole number of draws in 1..{MAX_DRAWS}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ForecastError(f"seed {seed!r}: give a whole number >= 0")
    return posterior.sample_rows(int(n), np.random.default_rng([int(seed), 1]))


def draw_table(posterior: Posterior, n: int, seed: int) -> pd.DataFrame:
    """``n`` draws from ``posterior``: ``draw``, ``seed`` (the model seed), the parameters.

    Whole-number scenario fields are rounded. The model seed of draw ``i`` is child ``i``
    of ``SeedSequence(seed)``, as the sweep's design records it
    (:func:`experiments.sweeps.design.run_seed`).
    """
    from experiments.sweeps.design import run_seed

    params = posterior.draws.iloc[drawn_rows(posterior, n, seed)].reset_index(drop=True)
    for path in _whole_paths(list(params.columns)):
        params[path] = np.round(params[path].to_numpy(float))
    table = pd.DataFrame(
        {
            "draw": np.arange(n, dtype=np.int64),
            "seed": np.array([run_seed(int(seed), (i,)) for i in range(n)], dtype=np.int64),
        }
    )
    return pd.concat([table, params.reset_index(drop=True)], axis=1)


def _plain(value: Any, whole: bool) -> Any:
    return round(float(value)) if whole else float(value)


def _has_path(data: Any, path: str) -> bool:
    """Whether ``path`` names a value in a scenario's dict (list items by name or index,
    as ``Scenario.with_overrides`` addresses them)."""
    node = data
    for key in path.split("."):
        if isinstance(node, list):
            named = [item for item in node if isinstance(item, dict) and item.get("name") == key]
            if named:
                node = named[0]
            elif key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return False
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return False
    return True


def check_draws(
    draws: pd.DataFrame, plans: Sequence[ScenarioPlan], rows: Sequence[str] | None = None
) -> None:
    """Every parameter path exists in every scenario and every draw is a valid scenario.

    ``rows`` names where each draw comes from (``c/posterior.csv line 4``,
    :meth:`experiments.posterior.Posterior.row_label`); a draw drawn again is checked once.

    Raises
    ------
    ForecastError
        Naming the path (or the posterior row, else the draw), the scenario and the fix.
    """
    from agents.scenario import ScenarioError

    paths = [c for c in draws.columns if c not in ("draw", "seed")]
    whole = _whole_paths(paths)
    records = draws.to_dict("records")
    names = list(rows) if rows is not None else [f"draw {r['draw']}" for r in records]
    unique = dict(zip(names, records, strict=True))  # a posterior row drawn twice: once
    for plan in plans:
        scn = plan.scenario
        data = scn.to_dict()
        for path in paths:
            if not _has_path(data, path):
                raise ForecastError(
                    f"posterior parameter {path!r} is not a path of scenario {plan.name!r}; "
                    "forecast scenarios that have it, or calibrate without it"
                )
        for name, row in unique.items():
            overrides = {p: _plain(row[p], p in whole) for p in paths}
            try:
                scn.with_overrides(overrides)
            except ScenarioError as exc:
                said = str(exc).removeprefix("invalid scenario: ")
                raise ForecastError(
                    f"posterior {name}: not a valid {plan.name!r} scenario ({said}); fix that "
                    "value of the posterior, or calibrate again with a prior inside the range"
                ) from None


def served_by_twins(plans: Sequence[ScenarioPlan]) -> dict[int, int]:
    """Scenarios the no-deal twin of another stands for: ``{its index: the deal's index}``.

    Scenario ``j`` is served by deal scenario ``i`` when ``i`` with ``deal.enabled = false``
    equals ``j`` field for field (:meth:`pydantic.BaseModel.model_dump`) but for ``name``
    and ``description``, and both run the same months: the twin is then ``j``'s run for the
    same draw and seed (the parameters drawn apply alike to both).
    """

    def content(scn: Scenario) -> dict[str, Any]:
        return scn.model_dump(exclude={"name", "description"})

    served: dict[int, int] = {}
    deals = [
        (i, content(p.scenario.with_overrides({"deal.enabled": False})))
        for i, p in enumerate(plans)
        if p.has_deal
    ]
    for j, plan in enumerate(plans):
        if plan.has_deal:
            continue
        mine = content(plan.scenario)
        for i, twin in deals:
            if plans[i].months == plan.months and twin == mine:
                served[j] = i
                break
    return served


def sweep_spec(
    plan: ScenarioPlan,
    draws: pd.DataFrame,
    seed: int,
    series: Sequence[str],
    keep_twin: bool = False,
) -> Any:
    """The sweep of one scenario: a ``points`` design of the draws, one run per draw.

    Without common random numbers and with one replicate, run ``i`` (draw ``i``) gets seed
    child ``i`` of ``SeedSequence(seed)`` in every scenario (see
    :func:`experiments.sweeps.design.build_runs`). With ``keep_twin`` the runs keep their
    no-deal twin's model frame (:func:`experiments.forecasting.model.forecast_model_with_twin`).
    """
    from experiments.sweeps.spec import SweepSpec

    paths = [c for c in draws.columns if c not in ("draw", "seed")]
    whole = _whole_paths(paths)
    return SweepSpec.from_dict(
        {
            "name": f"forecast-{plan.name}",
            "base": plan.ref if not plan.ref.endswith(".toml") else str(Path(plan.ref).resolve()),
            "months": plan.months,
            "replicates": 1,
            "root_seed": int(seed),
            "common_random_numbers": False,
            "model": "experiments.forecasting.model:"
            + ("forecast_model_with_twin" if keep_twin else "forecast_model"),
            "design": {"kind": "points"},
            "parameters": [
                {
                    "path": p,
                    "levels": [float(v) for v in draws[p]],
                    "integer": p in whole,
                }
                for p in paths
            ],
            "outputs": {"series": list(series)},
        },
        source="forecast",
    )
