"""Checks that make a sweep fail before its first run, not after its last.

:func:`validate_sweep` runs, in this order and before any run or folder is created:

1. the model function imports (``module:function``);
2. the design size, computed from the spec without sampling
   (:func:`experiments.sweeps.design.check_design_size`), and a sobol design's balance
   (a :class:`~experiments.sweeps.design.SobolBalanceWarning`, once, when ``samples`` is
   not a power of 2);
3. for the default scenario model, the spec's ``overrides`` against every scenario, then
   every parameter against the scenario schema: the path exists, explicit levels of a
   whole-number field are whole, every level lies in the field's allowed range (reported
   with that range), and then every design point's
   scenario is built with ``Scenario.with_overrides`` (up to :data:`MAX_CHECKED_POINTS`
   points; beyond that each parameter's distinct values are checked one at a time, which
   covers the schema's per-field bounds);
4. every output name against a one-month dry run of the model at the first design point
   (a model that cannot run one month is tried once at the spec's horizon):
   tables, columns and ``where`` columns must exist; misspellings get close matches
   (:func:`experiments.sweeps.model.output_problem`, the check every run makes again).

Every problem found is reported at once in one :class:`SweepSpecError`, one line each,
naming the spec key, the value, and the valid choices or range.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from agents.scenario_messages import suggest
from experiments.sweeps.design import (
    SobolBalanceWarning,
    build_points,
    check_design_size,
    integer_paths,
    sobol_balance,
)
from experiments.sweeps.model import output_problem, resolve_model
from experiments.sweeps.schema import numeric_paths, schema_field
from experiments.sweeps.spec import DEFAULT_MODEL, SweepSpec, SweepSpecError

__all__ = ["MAX_CHECKED_POINTS", "validate_outputs", "validate_sweep"]

MAX_CHECKED_POINTS = 20_000
"""Designs up to this many points have every point's scenario built (about 0.3 ms each)."""


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _bases(spec: SweepSpec) -> list[str]:
    return list(spec.design.scenarios) if spec.design.kind == "scenarios" else [spec.base]


def _check_parameters(spec: SweepSpec, points: pd.DataFrame) -> list[str]:
    """Problems with the parameters of the default scenario model (see module docstring)."""
    from experiments.scenarios import HorizonError, load_scenario

    problems: list[str] = []
    scenarios = {}
    listed = spec.design.kind == "scenarios"
    for i, base in enumerate(_bases(spec)):
        key = f"design.scenarios[{i}]" if listed else "base"
        try:  # for the sweep's length: the file's own months need not fit the calendar
            scenarios[base] = load_scenario(base, months=spec.months)
        except HorizonError as exc:
            problems.append(f"months = {spec.months}: for scenario {base!r}, {exc.why}")
        except Exception as exc:
            problems.append(f"{key} = {base!r}: cannot load scenario: {exc}")
    if problems:
        return problems
    if spec.overrides:
        for base, scn in scenarios.items():
            try:
                scenarios[base] = scn.with_overrides(spec.overrides)
            except Exception as exc:
                problems.append(f"overrides: rejected by scenario {base!r}: {exc}")
        if problems:
            return problems
    bad_paths = set()
    for i, p in enumerate(spec.parameters):
        field = schema_field(p.path)
        values = points[p.path].to_numpy(float)
        if field is None:
            for base, scn in scenarios.items():
                try:
                    scn.with_overrides({p.path: _plain(points[p.path].iloc[0])})
                except Exception as exc:
                    hint = suggest(p.path, numeric_paths())
                    problems.append(
                        f"parameters[{i}].path = {p.path!r}: rejected by scenario {base!r}"
                        f"{hint}: {exc}"
                    )
                    bad_paths.add(p.path)
                    break
            continue
        if field.kind not in ("int", "float"):
            problems.append(
                f"parameters[{i}].path = {p.path!r}: a {field.kind} field; sweeps vary numbers only"
            )
            bad_paths.add(p.path)
            continue
        if field.kind == "int" and p.levels is not None:
            frac = [v for v in p.levels if v != round(v)]
            if frac:
                problems.append(
                    f"parameters[{i}].levels = {p.levels}: {p.path} takes whole numbers "
                    f"(an int in the scenario schema); {frac} are not. Use whole levels"
                )
                bad_paths.add(p.path)
                continue
        outside = ~np.array([field.admits(float(v)) for v in values], dtype=bool)
        if outside.any():
            given = (
                f"levels = {p.levels}"
                if p.levels is not None
                else f"min = {p.min:g}, max = {p.max:g}"
            )
            bad = sorted({float(v) for v in values[outside]})
            shown = ", ".join(f"{v:g}" for v in bad[:6]) + (", ..." if len(bad) > 6 else "")
            problems.append(
                f"parameters[{i}] ({p.path}): {given} puts {int(outside.sum())} of "
                f"{len(values)} design points outside the allowed range ({shown}); "
                f"the scenario schema allows {field.describe()}. Keep the "
                f"{'levels' if p.levels is not None else 'range'} inside it"
            )
            bad_paths.add(p.path)
    if problems:
        return problems
    names = [p.path for p in spec.parameters]
    if not names:
        return problems
    if len(points) <= MAX_CHECKED_POINTS:
        rows: Iterable[Mapping[str, Any]] = points[["scenario", *names]].to_dict("records")
    else:  # per-field bounds: each distinct value on its own is enough
        rows = [
            {"scenario": base, n: v}
            for base in scenarios
            for n in names
            for v in pd.unique(points[n])
        ]
    for row in rows:
        overrides = {k: _plain(v) for k, v in row.items() if k != "scenario"}
        try:
            scenarios[str(row["scenario"])].with_overrides(overrides)
        except Exception as exc:
            shown = ", ".join(f"{k} = {v!r}" for k, v in overrides.items())
            problems.append(f"design point ({shown}) of scenario {row['scenario']!r}: {exc}")
            break
    return problems


def validate_outputs(spec: SweepSpec, result: Any) -> list[str]:
    """Problems with the spec's outputs, resolved against one run's ``result``."""
    problems: list[str] = []
    for key, outs in (
        ("outputs.final", spec.outputs.final),
        ("outputs.series", spec.outputs.series),
    ):
        for i, out in enumerate(outs):
            problem = output_problem(f"{key}[{i}]", out, result)
            if not problem and spec.model == DEFAULT_MODEL:
                problem = _text_problem(f"{key}[{i}]", out)
            if not problem and spec.design.kind != "scenarios":
                problem = _where_problem(f"{key}[{i}]", out, result)
            if problem:
                problems.append(problem)
    return problems


NOT_NUMBERS = frozenset({"name", "text", "date"})
"""Units of the reported columns (:mod:`agents.columns`) that hold no numbers."""


def _text_problem(label: str, out: Any) -> str | None:
    """An output of the scenario model that names a column of names, text or dates (by its
    declared unit, so also where the dry run's table is still empty, as a deals table
    before its deal): every run would keep nan."""
    from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS

    columns = MODEL_COLUMNS if out.table == "model" else TABLE_COLUMNS.get(out.table, ())
    unit = next((c.unit for c in columns if c.name == out.column), None)
    if unit not in NOT_NUMBERS:
        return None
    numeric = [c.name for c in columns if c.unit not in NOT_NUMBERS]
    return (
        f"{label} = {out.name!r}: column {out.column!r} holds {unit} values, not numbers, so "
        f"every run would keep nan; a where can pick rows by it, and the numeric columns of "
        f"its table are: {', '.join(numeric)}"
    )


def _where_problem(label: str, out: Any, result: Any) -> str | None:
    """A ``where`` name that no row of the dry run's table holds (a misspelt agent or deal
    name would keep nan in every run), with the close names; None if every one is there.

    Only names (text values) are checked, on the first design point's scenario: the
    shipped scenarios name every agent and deal from their first month, and a design of
    scenarios, whose scenarios may name others, is not checked.
    """
    if out.table == "model" or not out.where:
        return None
    frame = result.tables[out.table]
    if frame.empty:
        return None
    for col, value in out.where.items():
        if not isinstance(value, str):
            continue
        names = sorted({str(v) for v in frame[col].dropna().unique()})
        if value not in names:
            return (
                f"{label} = {out.name!r}: where {col} = {value!r} matches no row of table "
                f"{out.table!r}{suggest(value, names)} ({col}: {', '.join(names)}), so every "
                "run would keep nan"
            )
    return None


def _dry_run(
    spec: SweepSpec, points: pd.DataFrame, with_params: bool = True
) -> tuple[Any, str | None]:
    """One month of the model at the first design point (of each scenario until one runs).

    A model that cannot run a single month gets one more try at the spec's horizon.
    """
    fn = resolve_model(spec.model)
    names = [p.path for p in spec.parameters] if with_params else []
    first_error = None
    for _, row in points.drop_duplicates("scenario").iterrows():
        params = {**(spec.overrides if with_params else {}), **{n: _plain(row[n]) for n in names}}
        for months in dict.fromkeys((1, spec.months)):
            try:
                return fn(scenario=str(row["scenario"]), params=params, months=months, seed=0), None
            except Exception as exc:  # the model itself fails: the runs would too
                first_error = first_error or (
                    f"a dry run of scenario {row['scenario']!r} failed before any run "
                    f"started: {type(exc).__name__}: {exc}"
                )
    return None, first_error


def _repeated_grid_points(spec: SweepSpec) -> list[str]:
    """A grid whose levels round to the same whole number would run one point twice."""
    if spec.design.kind != "grid":
        return []
    problems = []
    integers = integer_paths(spec)
    for i, p in enumerate(spec.parameters):
        if p.path not in integers or p.levels is not None:  # (repeated levels: refused)
            continue
        levels = np.round(p.grid_levels()).astype(np.int64).tolist()  # as build_points rounds
        if len(set(levels)) < len(levels):
            n = len(set(levels))
            problems.append(
                f"parameters[{i}] ({p.path}): n = {len(levels)} levels in [{p.min:g}, "
                f"{p.max:g}] round to {levels} for this whole-number parameter, repeating "
                f"points; use n = {n} or list the levels ({sorted(set(levels))})"
            )
    return problems


def validate_sweep(spec: SweepSpec) -> pd.DataFrame:
    """Check the whole sweep before anything runs; return the design points.

    Raises
    ------
    SweepSpecError
        Listing every problem found, one per line, with the spec key and the fix.
    """
    resolve_model(spec.model)  # names the reference if it does not import
    check_design_size(spec)
    if note := sobol_balance(spec):  # runs as asked, but the user should know
        warnings.warn(note, SobolBalanceWarning, stacklevel=2)
    points = build_points(spec)
    problems = _repeated_grid_points(spec)
    if spec.model == DEFAULT_MODEL:
        problems += _check_parameters(spec, points)
    # with bad parameters the outputs are still checked, on the base scenario as it is
    result, error = _dry_run(spec, points, with_params=not problems)
    if result is None:
        raise SweepSpecError("\n".join([*problems, str(error)]))
    problems += validate_outputs(spec, result)
    if problems:
        raise SweepSpecError("\n".join(problems))
    return points
