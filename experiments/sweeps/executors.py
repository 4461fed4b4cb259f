"""Executors a sweep runs on: in-process, a local process pool, or a Dask cluster.

Any ``concurrent.futures.Executor`` works (:func:`experiments.sweeps.run_sweep` takes one);
:func:`open_executor` builds the usual three. Results never travel through the executor
(workers write shards), so all three give identical tables.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

__all__ = ["InProcessExecutor", "default_workers", "executor_width", "open_executor"]


class InProcessExecutor(Executor):
    """Runs each task in the calling process when it is submitted (serial, no pickling)."""

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


def default_workers() -> int:
    """One worker per usable core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def open_executor(workers: int | None = None, dask: str | None = None) -> Iterator[Executor]:
    """Yield an executor and shut it down afterwards.

    Parameters
    ----------
    workers
        Number of worker processes (default: one per core). ``1`` runs in-process.
    dask
        ``None`` for local execution; ``"local"`` starts a Dask ``LocalCluster`` on
        127.0.0.1 with ``workers`` single-threaded worker processes; any other value is the
        address of an existing scheduler (e.g. ``tcp://10.0.0.5:8786``).
    """
    n = default_workers() if workers is None else workers
    if n < 1:
        raise ValueError(f"workers = {n}: give at least 1 (1 runs in-process)")
    if dask is not None:
        from distributed import Client, LocalCluster

        if dask == "local":
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            )
            client = Client(cluster)
        else:
            cluster = None
            client = Client(dask)
        link = getattr(client, "dashboard_link", None)
        print(f"Dask dashboard: {link or 'not available (install bokeh)'}", file=sys.stderr)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if n == 1:
        ex: Executor = InProcessExecutor()
    else:
        ex = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield ex
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def executor_width(ex: Executor) -> int:
    """How many tasks to keep in flight on ``ex`` (a few per worker)."""
    if isinstance(ex, InProcessExecutor):
        return 1
    n = getattr(ex, "_max_workers", None)
    if n is None:
        client = getattr(ex, "_client", None)
        if client is not None:
            try:
                n = sum(client.nthreads().values())
            except Exception:
                n = None
    return max(2, 4 * int(n or default_workers()))
