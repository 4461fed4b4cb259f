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


def _final_value(result: ModelResult, out: OutputSpec) -> float:
    if out.table == "model":
        frame = result.model_frame
    else:
        if out.table not in result.tables:
            raise KeyError(
                f"output {out.name!r}: no table {out.table!r} in the result "
                f"(tables: {sorted(result.tables)})"
            )
        frame = result.tables[out.table]
    if out.column not in frame.columns:
        raise KeyError(
            f"output {out.name!r}: no column {out.column!r} in {out.table} "
            f"(columns: {list(frame.columns)})"
        )
    if out.table == "model":
        rows = frame.iloc[-1:]
    else:
        rows = frame
        if "month" in rows.columns and len(rows):
            rows = rows[rows["month"] == rows["month"].max()]
    for col, value in out.where.items():
        if col not in rows.columns:
            raise KeyError(f"output {out.name!r}: where-column {col!r} not in {out.table}")
        rows = rows[rows[col] == value]
    return _reduce(rows[out.column], out.agg if out.table != "model" else "last")


def extract_outputs(result: ModelResult, outputs: OutputsSpec) -> dict[str, Any]:
    """The kept outputs of one run: floats for final values, float arrays for series."""
    kept: dict[str, Any] = {}
    for out in outputs.final:
        kept[out.name] = _final_value(result, out)
    for out in outputs.series:
        frame = result.model_frame
        if out.column not in frame.columns:
            raise KeyError(f"series {out.name!r}: no column {out.column!r} in the model frame")
        kept[out.name] = pd.to_numeric(frame[out.column], errors="coerce").to_numpy(float)
    return kept
