"""Run one scenario and return tidy DataFrames (the Python API for policy studies).

>>> from experiments import load_scenario, run_scenario
>>> res = run_scenario(load_scenario("baseline"), months=3, rng=7)  # doctest: +SKIP
>>> res.model_frame.columns[:3].tolist()  # doctest: +SKIP
['month', 'date', 'compute_spot_price']
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.model import GigawattModel
from agents.scenario import MAX_MONTHS, Scenario, ScenarioError
from agents.scenario_fields import past_calendar
from agents.tables import table_names
from experiments.scenarios import load_scenario

__all__ = ["MAX_MONTHS", "RunResult", "run_scenario"]


@dataclass(repr=False)
class RunResult:
    """What one run produced: the monthly frame, the tables, and how it was made."""

    scenario: Scenario
    seed: int | None
    months: int
    model_frame: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    model: GigawattModel | None = None

    def __repr__(self) -> str:
        rows, cols = self.model_frame.shape
        return (
            f"RunResult(scenario={self.scenario.name!r}, seed={self.seed}, "
            f"months={self.months}, model_frame={rows}x{cols}, "
            f"tables=[{', '.join(self.tables)}]"
            + (", model kept" if self.model is not None else "")
            + ")"
        )


def run_scenario(
    scenario: Scenario | str | Path,
    months: int | None = None,
    rng: int | np.random.Generator | None = None,
    *,
    check: bool = True,
    progress: Callable[[int], Any] | None = None,
    keep_model: bool = False,
    tables: Collection[str] | None = None,
) -> RunResult:
    """Run ``scenario`` for ``months`` (default: the scenario's horizon).

    Parameters
    ----------
    scenario : Scenario, str or Path
        A scenario object, a shipped name, or a path to a ``.toml`` file.
    months : int, optional
        Months to simulate (>= 1).
    rng : int or numpy.random.Generator, optional
        The run's one random generator or its seed; same seed, same numbers. A seed and
        a Generator made from it are different runs: from a Generator, Mesa first draws a
        seed for its standard-library ``random`` (:class:`agents.model.GigawattModel`).
    check : bool
        Check the model's invariants every month (default; a violation raises). ``False``
        skips the checks (faster; ``benchmarks/bench_model.py`` prints the ratio).
    progress : callable, optional
        Called with the month index after each step (e.g. a tqdm bar's update).
    keep_model : bool
        Keep the model object on the result.
    tables : list of str, optional
        Build only these tables (default: all six; ``gigawatt list metrics`` names them).
        A calibration that reads one table spares the others' cost. An unknown name
        raises :class:`agents.tables.TableError` before the run starts.
    """
    if months is not None and (
        isinstance(months, bool)
        or not isinstance(months, int | np.integer)
        or not 1 <= months <= MAX_MONTHS
    ):
        raise ScenarioError(f"months = {months!r}: must be a whole number in 1..{MAX_MONTHS}")
    # a file is loaded for this run's length: its own months need not fit the calendar
    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, months=months)
    n = scn.months if months is None else months
    if (why := past_calendar(scn.start, int(n))) is not None:
        raise ScenarioError(f"months = {n}: {why}")
    names = table_names(tables)  # checked before the run
    model = GigawattModel(scn, rng=rng, check=check)  # which checks rng
    for t in range(int(n)):
        model.step()
        if progress is not None:
            progress(t)
    seed = int(rng) if isinstance(rng, int | np.integer) else None
    return RunResult(
        scn, seed, int(n), model.model_frame(), model.tables(names), model if keep_model else None
    )
