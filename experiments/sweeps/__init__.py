"""Experiment sweeps: specs, designs, executors, a crash-safe store, analysis, comparison.

>>> from experiments.sweeps import load_spec, run_sweep, SweepStore
>>> spec = load_spec("example")      # a shipped spec's name, or a TOML file  # doctest: +SKIP
>>> run_sweep(spec, "sweeps-out/example", workers=2)                 # doctest: +SKIP
>>> SweepStore.open("sweeps-out/example").load()                     # doctest: +SKIP

Submodules are imported lazily where they pull heavy libraries (SALib, Dask, matplotlib).
"""

from __future__ import annotations

from experiments.sweeps.design import build_points, build_runs, salib_problem
from experiments.sweeps.executors import InProcessExecutor, open_executor
from experiments.sweeps.spec import (
    DesignSpec,
    OutputSpec,
    OutputsSpec,
    ParameterSpec,
    SweepSpec,
    SweepSpecError,
    list_specs,
    load_spec,
)
from experiments.sweeps.store import SweepStore, SweepStoreError
from experiments.sweeps.sweep import SweepSummary, run_sweep

__all__ = [
    "DesignSpec",
    "InProcessExecutor",
    "OutputSpec",
    "OutputsSpec",
    "ParameterSpec",
    "SweepSpec",
    "SweepSpecError",
    "SweepStore",
    "SweepStoreError",
    "SweepSummary",
    "build_points",
    "build_runs",
    "list_specs",
    "load_spec",
    "open_executor",
    "run_sweep",
    "salib_problem",
]
