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
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from agents.scenario_messages import suggest
from experiments.sweeps.spec import OutputSpec, OutputsSpec, SweepSpecError

__all__ = [
    "OUTPUT_FIX",
    "ModelResult",
    "extract_outputs",
    "output_problem",
    "resolve_model",
    "run_scenario_model",
    "scenario_with",
]


class ModelResult(Protocol):
    """What a model function returns (``experiments.runner.RunResult`` fits)."""

    model_frame: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]


_Stamps = tuple[tuple[str, int, int], ...]
_LOADED: dict[tuple[str, str, int | None], tuple[tuple[Path, ...], _Stamps, Any]] = {}
"""Base scenarios loaded in this process: (name, working folder, months) to the files of
its ``extends`` chain, their stamps when read, and the scenario."""
_MAX_LOADED = 32


def _stamps(files: tuple[Path, ...]) -> _Stamps | None:
    """Modification time (ns) and size of each file; None if one cannot be read."""
    try:
        return tuple((str(p), (st := p.stat()).st_mtime_ns, st.st_size) for p in files)
    except OSError:
        return None


def _base_scenario(name: str, months: int | None) -> Any:
    """``load_scenario(name, months=months)``, loaded again only when a file of its
    ``extends`` chain was edited since (so a notebook that edits a scenario between runs
    gets the file as it is now, not as the process first read it)."""
    from experiments import load_scenario  # the world: imported lazily
    from experiments.scenarios import extends_chain

    try:
        here = os.getcwd()
    except OSError:  # the working folder was removed: a relative name is then unreadable
        here = ""
    key = (name, here, months)
    hit = _LOADED.get(key)
    if hit is not None and _stamps(hit[0]) == hit[1]:
        return hit[2]
    files = tuple(extends_chain(name))
    stamps = _stamps(files)  # before reading: an edit during the load shows next time
    scn = load_scenario(name, months=months)
    if stamps is not None:
        if len(_LOADED) >= _MAX_LOADED and key not in _LOADED:
            del _LOADED[next(iter(_LOADED))]  # the oldest entry
        _LOADED[key] = (files, stamps, scn)
    return scn


def scenario_with(scenario: str, params: Mapping[str, Any], months: int | None = None) -> Any:
    """``load_scenario(scenario, months=months).with_overrides(params)``, the base loaded
    once per process (and length) and again whenever its files change.

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
    params), months=months, rng=seed)``; the loaded base scenario is cached per process
    until one of its files changes.
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


OUTPUT_FIX = "name one of these in the sweep spec's outputs"
"""How every message of :func:`output_problem` ends."""


def output_problem(label: str, out: OutputSpec, result: ModelResult) -> str | None:
    """What ``result`` lacks to give output ``out``, or None: its table, column or a
    where-column, with the close names (:func:`agents.scenario_messages.suggest`) and all
    it has.

    The one check of an output against a run: before a sweep, on its dry run
    (:func:`experiments.sweeps.validate.validate_outputs`), and in every run
    (:func:`extract_outputs`). ``label`` names the output in the spec
    (``outputs.final[i]``). Cheap when nothing is missing, as in every run of a checked
    sweep.
    """
    if out.table == "model":
        frame, where = result.model_frame, "the monthly model frame"
    elif out.table in result.tables:
        frame, where = result.tables[out.table], f"table {out.table!r}"
    else:
        tables = sorted(str(k) for k in result.tables)
        return (
            f"{label} = {out.name!r}: no table {out.table!r} in the run's results"
            f"{suggest(out.table, tables)} (tables: model, {', '.join(tables)}); a plain "
            f"name is a model-frame column; {OUTPUT_FIX}"
        )
    wanted = (("column", out.column), *(("where-column", c) for c in out.where))
    for kind, col in wanted:
        if col not in frame.columns:
            columns = [str(c) for c in frame.columns]
            return (
                f"{label} = {out.name!r}: no {kind} {col!r} in {where}"
                f"{suggest(col, columns)} (columns: {', '.join(columns)}); {OUTPUT_FIX}"
            )
    values = frame[out.column]
    if values.dtype == object:  # numbers and flags pass (nan, True); text keeps nan
        held = values.dropna()
        if len(held) and isinstance(held.iloc[0], str):
            return (
                f"{label} = {out.name!r}: column {out.column!r} of {where} holds text (e.g. "
                f"{held.iloc[0]!r}), not numbers, so every run would keep nan; {OUTPUT_FIX}"
            )
    return None


def _final_value(result: ModelResult, out: OutputSpec, label: str) -> float:
    problem = output_problem(label, out, result)
    if problem:
        raise SweepSpecError(problem)
    frame = result.model_frame if out.table == "model" else result.tables[out.table]
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
        problem = output_problem(f"outputs.series[{i}]", out, result)  # (series: model frame)
        if problem:
            raise SweepSpecError(problem)
        column = result.model_frame[out.column]
        kept[out.name] = pd.to_numeric(column, errors="coerce").to_numpy(float)
    return kept
