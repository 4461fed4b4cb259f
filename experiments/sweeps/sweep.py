"""Running a sweep: plan, skip what is done, run the rest on an executor, record everything.

>>> from experiments.sweeps import load_spec, run_sweep, SweepStore
>>> spec = load_spec("experiments/sweep_specs/example.toml")
>>> summary = run_sweep(spec, "sweeps-out/ex", workers=2)  # doctest: +SKIP
>>> frame = SweepStore.open("sweeps-out/ex").load()       # doctest: +SKIP
"""

from __future__ import annotations

import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.sweeps.design import RUN_COLUMNS
from experiments.sweeps.executors import executor_width, open_executor
from experiments.sweeps.progress import SweepProgress
from experiments.sweeps.spec import SweepSpec
from experiments.sweeps.store import SweepStore, put_failure, put_shard, write_failure
from experiments.sweeps.worker import RunJob, RunStatus, execute_run

__all__ = ["SweepSummary", "check_parameters", "run_sweep"]


@dataclass(frozen=True)
class SweepSummary:
    """What a call to :func:`run_sweep` did."""

    store: Path
    planned: int
    skipped: int
    ran: int
    failed: int
    seconds: float


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def check_parameters(spec: SweepSpec) -> None:
    """Check the whole sweep before it runs (see :mod:`experiments.sweeps.validate`).

    Raises
    ------
    SweepSpecError
        Naming each offending spec key, its value and the valid choices.
    """
    from experiments.sweeps.validate import validate_sweep

    validate_sweep(spec)


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    dask: str | None = None,
    progress: bool = True,
    retry_failed: bool = True,
    check: bool = True,
    shared_fs: bool | None = None,
) -> SweepSummary:
    """Run (or resume) a sweep into ``out``.

    Parameters
    ----------
    spec
        The sweep.
    out
        The sweep directory; created, or resumed if it holds the same spec.
    executor
        Any ``concurrent.futures.Executor``; if None one is opened from ``workers``/``dask``
        (see :func:`experiments.sweeps.executors.open_executor`).
    retry_failed
        Re-run runs recorded as failed by an earlier call (default). Finished runs are
        never re-run.
    check
        Validate parameter paths against the base scenario first (default model only).
    shared_fs
        Whether workers can write into ``out`` themselves. Default: yes, except on a remote
        Dask scheduler (``dask`` an address), where workers send each shard's Parquet bytes
        back and this process writes them.
    """
    t0 = time.perf_counter()
    if check:
        check_parameters(spec)
    store = SweepStore.create(out, spec)
    store.clean_temporaries()
    design = store.design()
    done = store.completed()
    skip = set(done) if retry_failed else done | store.failed()
    todo = design[~design["run_id"].isin(skip)]
    job = RunJob(
        store=str(store.root),
        model=spec.model,
        months=spec.months,
        outputs=spec.outputs.model_dump(mode="json"),
        write_in_worker=shared_fs if shared_fs is not None else dask in (None, "local"),
    )
    param_cols = [p.path for p in spec.parameters]
    tasks = [
        (
            {k: _plain(row[k]) for k in RUN_COLUMNS},
            {k: _plain(row[k]) for k in param_cols},
        )
        for row in todo.to_dict("records")
    ]
    failed = 0
    if tasks:
        if executor is None:
            with open_executor(workers=workers, dask=dask) as ex:
                failed = _drive(ex, job, tasks, len(design), len(design) - len(tasks), progress)
        else:
            failed = _drive(executor, job, tasks, len(design), len(design) - len(tasks), progress)
    return SweepSummary(
        store=store.root,
        planned=len(design),
        skipped=len(design) - len(tasks),
        ran=len(tasks),
        failed=failed,
        seconds=time.perf_counter() - t0,
    )


def _drive(
    ex: Executor,
    job: RunJob,
    tasks: list[tuple[dict[str, Any], dict[str, Any]]],
    total: int,
    initial: int,
    progress: bool,
) -> int:
    """Keep a bounded window of runs in flight; count results; record lost runs."""
    width = executor_width(ex)
    pending: dict[Future[RunStatus], dict[str, Any]] = {}
    it = iter(tasks)
    with SweepProgress(total, initial, enabled=progress) as bar:

        def fill() -> None:
            while len(pending) < width:
                nxt = next(it, None)
                if nxt is None:
                    return
                run, params = nxt
                pending[ex.submit(execute_run, job, run, params)] = run

        fill()
        while pending:
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                run = pending.pop(fut)
                exc = fut.exception()
                if exc is not None:  # the worker itself died or could not write
                    tb = "".join(traceback.format_exception(exc))
                    write_failure(job.store, run, exc, tb, 0.0)
                    bar.update(False)
                else:
                    status = fut.result()
                    if status.payload:  # the worker could not see the sweep directory
                        put = put_shard if status.ok else put_failure
                        put(job.store, status.run_id, status.payload)
                    bar.update(status.ok)
            fill()
        return bar.failures


def summary_frame(summary: SweepSummary) -> pd.DataFrame:
    """A one-row table of a summary (for the CLI)."""
    return pd.DataFrame([summary.__dict__])
