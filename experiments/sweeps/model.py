"""The function a sweep runs, and how a run's kept outputs are read from its result.

A sweep calls a plain module-level *model function* (named ``"module:function"`` in the
spec, so that any worker process or Dask worker can import it) as::

    result = fn(scenario=..., params={dotted.path: value, ...}, months=..., seed=...)

plus ``check=...`` (the sweep's invariant-check switch) if the function takes ``check``.

The result is anything with a ``model_frame`` (pandas, one row per month) and a ``tables``
dict of DataFrames, as ``experiments.run_scenario`` returns. The default,
:func:`run_scenario_model`, loads the base scenario for the sweep's ``months`` (the file's
own ``months`` is replaced, so it need not fit the calendar), applies the parameters with
``Scenario.with_overrides`` and calls ``run_scenario``. The world is imported lazily so
this package imports (and its machinery can be tested) on its own.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import pandas as pd

from experiments.sweeps.spec import OutputSpec, OutputsSpec, SweepSpecError

__all__ = [
    "ModelResult",
    "extract_outputs",
    "resolve_model",
    "run_scenario_model",
    "scenario_with",
]


class ModelResult(Protocol):
    """What a model function returns (``experiments.runner.RunResult`` fits)."""

    model_frame: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]


@functools.lru_cache(maxsize=32)
def _base_scenario(name: str, months: int | None) -> Any:
    from experiments import load_scenario  # the world: imported lazily

    return load_scenario(name, months=months)


def scenario_with(scenario: str, params: Mapping[str, Any], months: int | None = None) -> Any:
    """``load_scenario(scenario, months=months).with_overrides(params)``, the base loaded
    once per process (and length).

    The one loader of every model function that runs many parameter vectors of one
    scenario (sweeps, calibration, forecasts). ``months``, the runs' length, replaces the
    file's own (:func:`experiments.scenarios.load_scenario`).
    """
    scn = _base_scenario(scenario, months)
    return scn.with_overrides(dict(params)) if params else scn


def run_scenario_model(
    *, scenario: str, params: Mapping[str, Any], months: int, seed: int, check: bool = True
) -> ModelResult:
    """Run one scenario with overrides: the default model function of a sweep.

    Equivalent to ``run_scenario(load_scenario(scenario, months=months).with_overrides(
    params), months=months, rng=seed)``; the loaded base scenario is cached per process.
    """
    from experiments import run_scenario

    scn = scenario_with(scenario, params, months)
    result: ModelResult = run_scenario(scn, months=months, rng=seed, check=check)
    return result


@functools.lru_cache(maxsize=32)
def resolve_model(ref: str) -> Callable[..., ModelResult]:
    """Import a ``"module:function"`` reference.

    Raises
    ------
    SweepSpecError
        If the module or the function cannot be found.
    """
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SweepSpecError(
            f"model = {ref!r}: cannot import module {module_name!r} ({exc}); "
            "give an importable 'module:function'"
        ) from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise SweepSpecError(
            f"model = {ref!r}: {module_name} has no function {attr!r}; "
            "give an importable 'module:function'"
        )
    return fn  # type: ignore[no-any-return]


def _reduce(values: pd.Series, agg: str) -> float:
    if agg == "count":
        return float(len(values))
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if len(v) == 0:
        return float("nan")
    if agg == "first":
        return float(v.iloc[0])
    if agg == "last":
        return float(v.iloc[-1])
    return float(getattr(v, agg)())


def _columns(label: str, out: OutputSpec, frame: pd.DataFrame, where: str) -> str | None:
    """The problem with ``out``'s column or where-columns in ``frame``, or None."""
    columns = [str(c) for c in frame.columns]
    missing = [c for c in (out.column, *out.where) if c not in columns]
    if not missing:
        return None
    kind = "column" if missing[0] == out.column else "where-column"
    return (
        f"{label} = {out.name!r}: no {kind} {missing[0]!r} in {where} "
        f"(columns: {', '.join(columns)}); name one of these in the sweep spec's outputs"
    )


def _final_value(result: ModelResult, out: OutputSpec, label: str) -> float:
    if out.table == "model":
        frame, where = result.model_frame, "the monthly model frame"
    else:
        if out.table not in result.tables:
            raise SweepSpecError(
                f"{label} = {out.name!r}: no table {out.table!r} in the run's result "
                f"(tables: model, {', '.join(sorted(map(str, result.tables)))}); name one of "
                "these in the sweep spec's outputs"
            )
        frame, where = result.tables[out.table], f"table {out.table!r}"
    problem = _columns(label, out, frame, where)
    if problem:
        raise SweepSpecError(problem)
    if out.table == "model":
        rows = frame.iloc[-1:]
    else:
        rows = frame
        if "month" in rows.columns and len(rows):
            rows = rows[rows["month"] == rows["month"].max()]
    for col, value in out.where.items():
        rows = rows[rows[col] == value]
    return _reduce(rows[out.column], out.agg if out.table != "model" else "last")


def extract_outputs(result: ModelResult, outputs: OutputsSpec) -> dict[str, Any]:
    """The kept outputs of one run: floats for final values, float arrays for series.

    Raises
    ------
    SweepSpecError
        If an output names a table, column or where-column the result does not have; the
        message names the output (``outputs.final[i]``/``outputs.series[i]``) and lists
        what the result has.
    """
    kept: dict[str, Any] = {}
    for i, out in enumerate(outputs.final):
        kept[out.name] = _final_value(result, out, f"outputs.final[{i}]")
    for i, out in enumerate(outputs.series):
        frame = result.model_frame
        problem = _columns(f"outputs.series[{i}]", out, frame, "the monthly model frame")
        if problem:
            raise SweepSpecError(problem)
        kept[out.name] = pd.to_numeric(frame[out.column], errors="coerce").to_numpy(float)
    return kept
