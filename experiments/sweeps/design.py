"""Designs: the points of a sweep and the seeded runs at each point.

Points come from SALib's samplers (``latin``, ``sobol`` = Saltelli's extension of the
Sobol' sequence, ``morris`` trajectories) or from a full factorial grid; a ``scenarios``
design has one point per named scenario; a ``points`` design takes explicit points (the
parameters' levels zipped: point ``j`` is every parameter's ``levels[j]``). Each point is run ``replicates`` times with seeds
spawned from ``numpy.random.SeedSequence(root_seed)`` (NumPy's recommended way to derive
independent streams); with common random numbers (the default) replicate ``r`` uses child
``r`` at every point, so differences between points are not blurred by seed noise.

References: Saltelli et al. (2010), "Variance based sensitivity analysis of model output",
Comput. Phys. Commun. 181; Morris (1991), Technometrics 33(2); Campolongo et al. (2007).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd

from experiments.sweeps.spec import DEFAULT_MODEL, SweepSpec, SweepSpecError

__all__ = [
    "MAX_RUNS",
    "RUN_COLUMNS",
    "SAMPLE_PREFIX",
    "SobolBalanceWarning",
    "build_points",
    "build_runs",
    "check_design_size",
    "design_size",
    "integer_paths",
    "run_seed",
    "salib_problem",
    "sobol_balance",
]

SAMPLE_PREFIX = "sample:"
"""Design columns holding the raw sampled value (before integer rounding), for analysis."""

MAX_RUNS = 1_000_000
"""The largest design (points x replicates) a sweep plans; a bigger one is refused before
sampling, since the plan alone (one row per run) would not fit in memory for long."""

RUN_COLUMNS = ("run_id", "point_id", "replicate", "scenario", "seed", "seed_entropy", "spawn_key")


class SobolBalanceWarning(UserWarning):
    """A sobol design's ``samples`` is not a power of 2 (see :func:`sobol_balance`)."""


def sobol_balance(spec: SweepSpec) -> str | None:
    """Why a sobol design's ``samples`` loses the sequence's balance, or ``None``.

    Sobol' points are balanced (each elementary interval holds its share of points) only
    in runs of a power of 2, so the Saltelli estimates converge more slowly otherwise
    (Owen, "On dropping the first Sobol' point", 2022; ``scipy.stats.qmc.Sobol``, which
    SALib's sampler calls, warns the same). The message names the two nearest powers.

    >>> from experiments.sweeps.spec import SweepSpec
    >>> spec = SweepSpec.from_dict({"name": "s", "design": {"kind": "sobol", "samples": 48},
    ...     "parameters": [{"path": "demand.growth_per_year", "min": 0.2, "max": 1.2},
    ...                    {"path": "chips.supply_growth", "min": 0.0, "max": 0.8}],
    ...     "outputs": {"final": ["compute_spot_price"]}})
    >>> sobol_balance(spec).split("; ")[-1]
    'use 32 or 64 samples'
    >>> sobol_balance(spec.model_copy(update={"design": spec.design.model_copy(
    ...     update={"samples": 64})})) is None
    True
    """
    n = spec.design.samples
    if spec.design.kind != "sobol" or n & (n - 1) == 0:
        return None
    lower = 1 << (n.bit_length() - 1)
    return (
        f"design.samples = {n}: Sobol' points keep their balance only in runs of a power "
        "of 2, so the sensitivity indices converge more slowly; "
        f"use {lower} or {2 * lower} samples"
    )


def salib_problem(spec: SweepSpec) -> dict[str, object]:
    """The SALib problem dict: parameter names (dotted paths) and bounds."""
    return {
        "num_vars": len(spec.parameters),
        "names": [p.path for p in spec.parameters],
        "bounds": [list(p.bounds()) for p in spec.parameters],
    }


def design_size(spec: SweepSpec) -> int:
    """The number of design points, computed from the spec without sampling.

    grid: the product of the level counts; lhs: ``samples``; sobol (first and total
    order, Saltelli 2010): ``samples * (k + 2)``; morris: ``samples * (k + 1)``
    trajectories of ``k + 1`` points (Morris 1991); scenarios: one point each; points:
    the length of the (zipped) levels.
    """
    d = spec.design
    k = len(spec.parameters)
    if d.kind == "grid":
        return math.prod(
            len(p.levels) if p.levels is not None else p.n or 3 for p in spec.parameters
        )
    if d.kind == "scenarios":
        return len(d.scenarios)
    if d.kind == "points":
        return len(spec.parameters[0].levels or [])
    if d.kind == "lhs":
        return d.samples
    if d.kind == "sobol":
        return d.samples * (k + 2)
    return d.samples * (k + 1)


def check_design_size(spec: SweepSpec, max_runs: int = MAX_RUNS) -> int:
    """The number of runs (points x replicates); refuse more than ``max_runs``.

    Raises
    ------
    SweepSpecError
        Naming the count, how it arises and what to change.
    """
    points = design_size(spec)
    runs = points * spec.replicates
    if runs <= max_runs:
        return runs
    kind = spec.design.kind
    if kind == "grid":
        counts = " x ".join(
            str(len(p.levels) if p.levels is not None else p.n or 3) for p in spec.parameters
        )
        how = f"a grid of {counts} = {points:,} points"
        fix = (
            "use fewer levels (n), or a sampled design that covers the space with far fewer "
            'points, e.g. [design] kind = "lhs", samples = 500'
        )
    else:
        how = f"a {kind} design of {points:,} points"
        fix = "lower design.samples"
    raise SweepSpecError(
        f"design: {how} x {spec.replicates} replicates = {runs:,} runs, more than the "
        f"{max_runs:,} a sweep plans; {fix}"
    )


def integer_paths(spec: SweepSpec) -> set[str]:
    """Parameters that take whole numbers: ``integer = true``, or (for the default
    scenario model) an ``int`` field in the scenario schema."""
    paths = {p.path for p in spec.parameters if p.integer}
    if spec.model == DEFAULT_MODEL:
        from experiments.sweeps.schema import schema_field

        for p in spec.parameters:
            field = schema_field(p.path)
            if field is not None and field.kind == "int":
                paths.add(p.path)
    return paths


def _sample(spec: SweepSpec) -> np.ndarray:
    """The raw sample matrix, one row per point, one column per parameter."""
    d = spec.design
    seed = spec.root_seed % 2**32 if d.seed is None else d.seed
    problem = salib_problem(spec)
    if d.kind == "grid":
        levels = [p.grid_levels() for p in spec.parameters]
        rows = list(itertools.product(*levels))  # no parameters: one point, the base itself
        return np.array(rows, dtype=float).reshape(len(rows), len(spec.parameters))
    if d.kind == "scenarios":
        return np.empty((len(d.scenarios), 0))
    if d.kind == "points":
        return np.array([p.levels or [] for p in spec.parameters], dtype=float).T
    if d.kind == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, d.samples, seed=seed), dtype=float)
    if d.kind == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():  # said once, in our words, by validate_sweep
            warnings.filterwarnings("ignore", "The balance properties of Sobol", UserWarning)
            x = sobol.sample(problem, d.samples, calc_second_order=False, seed=seed)
        return np.asarray(x, dtype=float)
    from SALib.sample import morris

    return np.asarray(
        morris.sample(problem, d.samples, num_levels=d.levels, seed=seed), dtype=float
    )


def build_points(spec: SweepSpec) -> pd.DataFrame:
    """One row per design point: ``point_id``, ``scenario``, applied parameter values.

    Integer parameters (:func:`integer_paths`) are rounded; the raw sampled values are
    kept in ``sample:<path>`` columns (analysis needs the exact sample matrix, e.g. Morris
    steps). Designs above :data:`MAX_RUNS` runs are refused before sampling.
    """
    check_design_size(spec)
    integers = integer_paths(spec)
    x = _sample(spec)
    n = x.shape[0]
    scenarios = list(spec.design.scenarios) if spec.design.kind == "scenarios" else [spec.base] * n
    frame = pd.DataFrame({"point_id": np.arange(n, dtype=np.int64), "scenario": scenarios})
    for j, p in enumerate(spec.parameters):
        col = x[:, j]
        frame[p.path] = np.round(col).astype(np.int64) if p.path in integers else col
    for j, p in enumerate(spec.parameters):
        frame[SAMPLE_PREFIX + p.path] = x[:, j]
    return frame


def run_seed(root_seed: int, spawn_key: tuple[int, ...]) -> int:
    """The integer seed of one run: a 63-bit draw from ``SeedSequence(root, spawn_key)``.

    Passing this integer to ``run_scenario(..., rng=seed)`` (or ``gigawatt run --seed``)
    reproduces the run.
    """
    ss = np.random.SeedSequence(root_seed, spawn_key=spawn_key)
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def build_runs(spec: SweepSpec) -> pd.DataFrame:
    """One row per run: the points crossed with replicates, each with its recorded seed.

    Columns: ``run_id``, ``point_id``, ``replicate``, ``scenario``, ``seed``,
    ``seed_entropy`` (the root), ``spawn_key`` (e.g. ``"3"``), then the parameters.
    Seeds are the children of ``SeedSequence(root_seed).spawn(...)``: child ``r`` for
    replicate ``r`` under common random numbers, else child ``run_id``.
    """
    points = build_points(spec)
    reps = spec.replicates
    root = np.random.SeedSequence(spec.root_seed)
    n_children = reps if spec.common_random_numbers else len(points) * reps
    children = root.spawn(n_children)
    point_id = np.repeat(points["point_id"].to_numpy(), reps)
    replicate = np.tile(np.arange(reps, dtype=np.int64), len(points))
    run_id = np.arange(len(point_id), dtype=np.int64)
    child_idx = replicate if spec.common_random_numbers else run_id
    seeds = [
        int(children[i].generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        for i in range(n_children)
    ]
    keys = [",".join(str(k) for k in children[i].spawn_key) for i in range(n_children)]
    runs = pd.DataFrame(
        {
            "run_id": run_id,
            "point_id": point_id,
            "replicate": replicate,
            "seed": np.array([seeds[i] for i in child_idx], dtype=np.int64),
            "seed_entropy": np.int64(spec.root_seed),
            "spawn_key": [keys[i] for i in child_idx],
        }
    )
    runs = runs.merge(points, on="point_id", how="left", sort=False)
    ordered = list(RUN_COLUMNS) + [c for c in runs.columns if c not in RUN_COLUMNS]
    return runs[ordered]
