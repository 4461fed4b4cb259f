"""Running a sweep: plan, skip what is done, run the rest on an executor, record everything.

>>> from experiments.sweeps import load_spec, run_sweep, SweepStore
>>> spec = load_spec("example")  # a shipped spec; or a TOML file
>>> summary = run_sweep(spec, "sweeps-out/ex", workers=2)  # doctest: +SKIP
>>> frame = SweepStore.open("sweeps-out/ex").load()       # doctest: +SKIP
"""

from __future__ import annotations

import errno
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.interrupts import interruptible, signum_of
from experiments.sweeps.design import RUN_COLUMNS
from experiments.sweeps.errors import ExecutorError, SweepInterrupted, SweepStoreError
from experiments.sweeps.executors import (
    check_not_starting_worker,
    executor_width,
    open_executor,
)
from experiments.sweeps.progress import SweepProgress
from experiments.sweeps.spec import DEFAULT_MODEL, SweepSpec, SweepSpecError
from experiments.sweeps.store import SweepStore, put_failure, put_shard, write_failure
from experiments.sweeps.worker import RunJob, RunStatus, execute_run

__all__ = ["SweepSummary", "check_horizon", "check_parameters", "run_sweep", "scenario_digests"]

_FATAL_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}
"""Write errors that no retry fixes: the sweep stops at once with a clear error."""


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


def check_horizon(spec: SweepSpec) -> None:
    """For the default model, the horizon must be one ``run_scenario`` accepts.

    Raises
    ------
    SweepSpecError
        Naming ``months``, its value and the allowed range.
    """
    if spec.model != DEFAULT_MODEL:
        return
    from experiments.runner import MAX_MONTHS

    if not 1 <= spec.months <= MAX_MONTHS:
        raise SweepSpecError(
            f"months = {spec.months}: the model runs 1..{MAX_MONTHS} months; "
            "give a horizon in that range"
        )


def check_parameters(spec: SweepSpec) -> None:
    """Check the whole sweep before it runs (see :mod:`experiments.sweeps.validate`).

    Raises
    ------
    SweepSpecError
        Naming each offending spec key, its value and the valid choices.
    """
    from experiments.sweeps.validate import validate_sweep

    check_horizon(spec)
    validate_sweep(spec)


def scenario_digests(spec: SweepSpec) -> dict[str, str]:
    """A digest of each scenario the sweep's runs start from, as loaded for its ``months``.

    The spec names its scenarios (``base``, or ``design.scenarios``) but not what they
    hold: a scenario file edited between a sweep's first call and its resume would mix runs
    of the two versions in one folder. The store keeps these digests and refuses to resume
    when one changed (:meth:`experiments.sweeps.store.SweepStore.create`), as a comparison
    of deals does (``gigawatt compare --deal-effect``). A name that is not a scenario (a
    model function of the user's own may take any name) has no digest.
    """
    from agents.scenario import ScenarioError
    from experiments.scenarios import scenario_digest
    from experiments.sweeps.model import scenario_with

    bases = list(spec.design.scenarios) if spec.design.kind == "scenarios" else [spec.base]
    out = {}
    for name in bases:
        try:  # through the runs' own loader: the scenario they start from, loaded once
            scn = scenario_with(name, {}, spec.months)
        except (ScenarioError, OSError):
            continue
        out[name] = scenario_digest(scn)
    return out


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    dask: str | None = None,
    progress: bool = True,
    retry_failed: bool = True,
    validate: bool = True,
    check: bool = True,
    shared_fs: bool | None = None,
) -> SweepSummary:
    """Run (or resume) a sweep into ``out``, holding the folder's lock throughout.

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
    validate
        Check the whole sweep first (:func:`check_parameters`); the CLI does that itself
        and passes False. The horizon is checked either way.
    check
        Check the model's invariants every month in every run (default; a violation
        fails the run). Passed to model functions that take a ``check`` argument.
    shared_fs
        Whether workers can write into ``out`` themselves. Default: yes, except on a remote
        Dask scheduler (``dask`` an address), where workers send each shard's Parquet bytes
        back and this process writes them.

    Raises
    ------
    SweepInterrupted
        On SIGINT or SIGTERM: workers are stopped, finished runs are saved; calling again
        resumes. Its ``exit_code`` is 130 or 143.
    SweepStoreError
        If the folder is locked by another sweep, holds another sweep, or cannot be written.
    ExecutorError
        If ``workers`` is below 1, if called in a pool worker as it imports the script that
        started the pool (:func:`experiments.sweeps.executors.check_not_starting_worker`), or
        if the pool's worker processes died (the runs in flight are recorded as failed; calling again
        resumes and retries them).
    """
    check_not_starting_worker("run_sweep")
    t0 = time.perf_counter()
    check_horizon(spec)  # cheap; also when the caller validated the rest itself
    if validate:
        check_parameters(spec)
    scenarios = scenario_digests(spec)
    # a remote scheduler is connected to before the folder is made: an address that is
    # none, or a scheduler that does not answer, leaves nothing behind
    remote = executor is None and dask not in (None, "local")
    with (
        open_executor(workers=workers, dask=dask) if remote else nullcontext(executor) as executor,
        interruptible(),
        SweepStore.create(out, spec, scenarios=scenarios) as store,
    ):
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
            check=check,
            digest=spec.digest(),
        )
        param_cols = [p.path for p in spec.parameters]
        tasks = [
            (
                {k: _plain(row[k]) for k in RUN_COLUMNS},
                {**spec.overrides, **{k: _plain(row[k]) for k in param_cols}},
            )
            for row in todo.to_dict("records")
        ]
        failed = 0
        initial = len(design) - len(tasks)
        try:
            if tasks and executor is None:
                with open_executor(workers=workers, dask=dask) as ex:
                    failed = _drive(ex, job, tasks, len(design), initial, progress)
            elif tasks and executor is not None:
                failed = _drive(executor, job, tasks, len(design), initial, progress)
        except KeyboardInterrupt as exc:
            signum = signum_of(exc)
            saved = len(store.completed())
            raise SweepInterrupted(saved, len(design), store.root, signum) from None
        except BrokenExecutor:
            raise ExecutorError(
                f"{store.root}: the pool's worker processes died (killed, out of memory, or "
                f"failed as they started: their own messages are above); "
                f"{len(store.completed())}/{len(design)} runs are saved and the runs in "
                "flight are recorded as failed: run the same call again to resume and retry "
                "them. From a script, make the call that starts the sweep (run_sweep, "
                'forecast) under `if __name__ == "__main__":`, as the workers import the script'
            ) from None
    return SweepSummary(
        store=store.root,
        planned=len(design),
        skipped=initial,
        ran=len(tasks),
        failed=failed,
        seconds=time.perf_counter() - t0,
    )


def _write_error(root: str, exc: OSError) -> SweepStoreError:
    return SweepStoreError(
        f"{root}: cannot write results ({exc.strerror or exc}); free space or fix the "
        "permissions (or choose another --out folder), then run the same command to resume"
    )


def _record_lost(
    job: RunJob, pending: dict[Future[RunStatus], dict[str, Any]], exc: BaseException
) -> None:
    """Record the runs still in flight in a pool that broke as failed (a resume retries
    them), whether or not their futures have said so yet; a run that finished before the
    pool broke keeps its result."""
    tb = "".join(traceback.format_exception(exc))
    for fut, run in pending.items():
        if fut.done() and fut.exception() is None:
            _keep(job, fut.result())
        else:
            write_failure(job.store, run, exc, tb, 0.0)


def _keep(job: RunJob, status: RunStatus) -> None:
    """Store a finished run's result where its worker could not (it could not see the
    sweep directory, and sent the result back instead)."""
    if status.payload:
        put = put_shard if status.ok else put_failure
        put(job.store, status.run_id, status.payload)


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
                try:
                    if exc is not None:  # the worker itself died or could not write
                        if isinstance(exc, OSError) and exc.errno in _FATAL_ERRNOS:
                            raise exc
                        tb = "".join(traceback.format_exception(exc))
                        write_failure(job.store, run, exc, tb, 0.0)
                        bar.update(False)
                        if isinstance(exc, BrokenExecutor):  # the pool is gone, not one run
                            _record_lost(job, pending, exc)
                            raise exc
                    else:
                        status = fut.result()
                        _keep(job, status)
                        bar.update(status.ok)
                except OSError as err:
                    raise _write_error(job.store, err) from None
            fill()
        return bar.failures
