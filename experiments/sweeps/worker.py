"""What runs inside a worker: one sweep run, from task to shard (or failure record).

:func:`execute_run` is a module-level function of plain arguments so that a process pool
or a Dask worker can import and call it. It never raises for a model error: the error and
its traceback go to the failures table, and the sweep goes on.
"""

from __future__ import annotations

import inspect
import time
import traceback
from dataclasses import dataclass
from typing import Any

from experiments.sweeps.model import extract_outputs, resolve_model
from experiments.sweeps.spec import OutputsSpec
from experiments.sweeps.store import failure_bytes, put_failure, put_shard, shard_bytes

__all__ = ["RunJob", "RunStatus", "execute_run"]


@dataclass(frozen=True)
class RunJob:
    """What every run of a sweep shares: store folder, model function, horizon, outputs."""

    store: str
    model: str
    months: int
    outputs: dict[str, Any]
    """``OutputsSpec.model_dump()``: plain data, cheap to send to workers."""
    write_in_worker: bool = True
    """Workers write shards themselves (they see ``store``); else they return the Parquet
    bytes and the client writes them (a cluster without a shared file system)."""
    digest: str = ""
    """The spec's digest, recorded in every shard (see ``shards.DIGEST_KEY``)."""
    check: bool = True
    """Check the model's invariants every month (passed to model functions that take
    ``check``)."""


@dataclass(frozen=True)
class RunStatus:
    """What a worker reports back: the run id, success, time spent, error summary."""

    run_id: int
    ok: bool
    elapsed_s: float
    error: str = ""
    payload: bytes = b""
    """The Parquet bytes of the shard or failure record when the client stores them."""


def _takes_check(fn: Any) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "check" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def execute_run(job: RunJob, run: dict[str, Any], params: dict[str, Any]) -> RunStatus:
    """Run one design point with one seed, write its shard (or failure), report status."""
    t0 = time.perf_counter()
    try:
        fn = resolve_model(job.model)
        extra = {"check": job.check} if _takes_check(fn) else {}
        result = fn(
            scenario=run["scenario"],
            params=params,
            months=job.months,
            seed=int(run["seed"]),
            **extra,
        )
        outputs = extract_outputs(result, OutputsSpec.model_validate(job.outputs))
    except Exception as exc:
        elapsed = time.perf_counter() - t0
        data = failure_bytes(run, exc, traceback.format_exc(), elapsed)
        summary = f"{type(exc).__name__}: {exc}"
        if job.write_in_worker:
            put_failure(job.store, int(run["run_id"]), data)
            return RunStatus(int(run["run_id"]), False, elapsed, summary)
        return RunStatus(int(run["run_id"]), False, elapsed, summary, data)
    elapsed = time.perf_counter() - t0
    data = shard_bytes(run, outputs, elapsed, job.digest)
    if job.write_in_worker:
        put_shard(job.store, int(run["run_id"]), data)
        return RunStatus(int(run["run_id"]), True, elapsed)
    return RunStatus(int(run["run_id"]), True, elapsed, payload=data)
