"""pyabc's multicore sampler with each evaluation seeded by its index: reproducible in parallel.

``pyabc.sampler.MulticoreEvalParallelSampler`` lets worker processes claim evaluation
indices from a shared counter, keeps every accepted particle with its index, sorts them by
index and returns the first ``n`` (so that short evaluations are not favoured). Its workers
reseed numpy's global state from the operating system, which pyabc then uses for the
proposals, so the particles differ from run to run.

:class:`SeededMulticoreSampler` keeps that algorithm and seeds numpy's global state before
each evaluation from ``(root seed, generation, evaluation index)``. Then evaluation ``i``
draws the same proposal and (the model's seed coming from the parameters) the same
statistics whichever worker runs it and whenever; a worker finishes the evaluation it has
claimed before it stops, so the evaluated indices are always ``0..M-1``, and the first
``n`` accepted indices, hence the population, are the same in every run. Only ``M`` (how
many evaluations were under way when the ``n``-th acceptance arrived) varies with timing:
the model-run count and acceptance rate pyabc records, not the posterior.

The workers are started once for a calibration, by ``spawn`` as the sweeps' pool is, and
are given each generation's simulator pickled with cloudpickle (as pyabc does where it
cannot fork); :meth:`SeededMulticoreSampler.close` stops them. pyabc's sampler forks new
workers every generation instead. By then the calibrating process has threads besides its
own (the BLAS library's workers, started when numpy is imported; pyarrow's memory pool's
background thread; a progress bar's monitor), and a child forked from a process with
threads holds only the forking thread, with whatever locks the others held at that moment:
Python warns of it on every such fork ("use of fork() may lead to deadlocks in the child",
a ``DeprecationWarning`` from Python 3.12; from 3.14 ``fork`` is no longer the default start
method on Linux). A spawned worker starts from a fresh interpreter; starting costs it its
imports (about a second), once a calibration rather than once a generation.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import warnings
from collections.abc import Callable
from ctypes import c_longlong
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import MulticoreEvalParallelSampler
from pyabc.sampler.multicorebase import get_if_worker_healthy

from experiments.interrupts import raise_here
from experiments.sweeps.executors import worker_init

__all__ = ["SeededMulticoreSampler", "evaluation_seed", "quiet_covariance_warning"]

_DONE = "Done"
_STOP_TIMEOUT_S = 10.0
"""How long :meth:`SeededMulticoreSampler.close` waits for an idle worker to exit."""


def quiet_covariance_warning() -> None:
    """Ignore numpy's warning of a proposal covariance that is not positive semidefinite.

    Few particles in many dimensions give a near-singular proposal covariance; numpy warns
    on every draw and pyabc proceeds (the draw is still valid). Set in the calibrating
    process, in its workers and on Dask's.
    """
    warnings.filterwarnings("ignore", "covariance is not symmetric positive-semidefinite")


def evaluation_seed(root_seed: int, t: int, index: int) -> int:
    """numpy's global seed for evaluation ``index`` of generation ``t`` (``t = -1``: the
    prior sample that calibrates the first threshold)."""
    return int(
        np.random.SeedSequence([int(root_seed), int(t) + 1, int(index)]).generate_state(1)[0]
    )


class _Results(list[Any]):
    """A ``multiprocessing.Queue``'s ``put`` for one process: results in a list, and
    ``on_result`` called after each accepted one (as the parent does on the workers')."""

    def __init__(self, on_result: Callable[[], object]) -> None:
        super().__init__()
        self.on_result = on_result

    def put(self, item: Any) -> None:
        self.append(item)
        if item != _DONE:
            self.on_result()


class _Count:
    """A ``multiprocessing.Value``'s interface for one process (its lock does nothing)."""

    def __init__(self) -> None:
        self.value = 0

    def get_lock(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()


def _seeded_work(
    queue: Any,
    n_eval: Any,
    n_acc: Any,
    simulate: Callable[[], Any],
    n: int,
    check_max_eval: bool,
    max_eval: float,
    all_accepted: bool,
    sample_factory: Any,
    root_seed: int,
    t: int,
) -> None:
    """pyabc's multicore ``work`` loop for one generation, seeding numpy and ``random`` per
    evaluation index: results go to ``queue`` (``put``), then :data:`_DONE`."""
    sample = sample_factory()
    while (
        n_acc.value < n
        and (not all_accepted or n_eval.value < n)
        and (not check_max_eval or n_eval.value < max_eval)
    ):
        with n_eval.get_lock():
            particle_id = n_eval.value
            n_eval.value += 1
        seed = evaluation_seed(root_seed, t, particle_id)
        np.random.seed(seed)  # noqa: NPY002 - pyabc draws proposals from the global state
        random.seed(seed)
        new_sim = simulate()
        sample.append(new_sim)
        if new_sim.accepted:
            with n_acc.get_lock():
                n_acc.value += 1
            queue.put((particle_id, sample))
            sample = sample_factory()
    queue.put(_DONE)


def _worker(tasks: Any, queue: Any, n_eval: Any, n_acc: Any, parent_pid: int) -> None:
    """A worker process: one generation's evaluations per task, until it is sent None.

    The worker leaves Ctrl-C to the parent and dies with it (as sweep workers do:
    :func:`experiments.sweeps.executors.worker_init`).
    """
    worker_init(parent_pid)
    # as in the calibrating process: a spawned worker starts with its own warning filters
    quiet_covariance_warning()
    while (task := tasks.get()) is not None:
        simulate_one, *rest = task  # pickled with cloudpickle
        _seeded_work(queue, n_eval, n_acc, cloudpickle.loads(simulate_one), *rest)


class SeededMulticoreSampler(MulticoreEvalParallelSampler):
    """``MulticoreEvalParallelSampler`` whose evaluations are seeded by index (see module).

    Parameters
    ----------
    root_seed : int
        The calibration's root seed.
    n_procs : int
        Worker processes (spawned once, see the module docstring); with 1 the evaluations
        run in this process, numpy's and ``random``'s global states restored after each
        generation. The particles do not depend on it.
    on_progress : callable, optional
        Called in this process with the evaluations started so far in the generation,
        each time a particle is accepted (a progress bar).
    """

    def __init__(
        self, root_seed: int, n_procs: int, on_progress: Callable[[int], object] | None = None
    ) -> None:
        super().__init__(n_procs=n_procs, pickle=True)
        self.root_seed = int(root_seed)
        self.on_progress = on_progress
        self._procs: list[Any] = []  # the workers, started at the first generation
        self._tasks: list[Any] = []  # and a task queue each
        self._queue: Any = None  # their results
        self._n_eval: Any = None  # evaluations started in the generation
        self._n_acc: Any = None  # and accepted

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (none before the first generation)."""
        return [int(proc.pid) for proc in self._procs]

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # queues, values and workers share it
        self._n_eval = ctx.Value(c_longlong)
        self._n_acc = ctx.Value(c_longlong)
        self._queue = ctx.Queue()
        self._tasks = [ctx.Queue() for _ in range(self.n_procs)]
        shared = (self._queue, self._n_eval, self._n_acc, os.getpid())
        self._procs = [
            ctx.Process(target=_worker, args=(tasks, *shared), daemon=self.daemon)
            for tasks in self._tasks
        ]
        for proc in self._procs:
            proc.start()

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers: each finishes waiting for a task and exits (``kill``: SIGTERM
        at once, a worker's default, for a calibration that was stopped)."""
        for proc, tasks in zip(self._procs, self._tasks, strict=True):
            if kill:
                proc.terminate()
            elif proc.is_alive():
                with contextlib.suppress(Exception):  # a broken queue: terminated below
                    tasks.put(None)
        for proc in self._procs:
            proc.join(_STOP_TIMEOUT_S)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        self._procs, self._tasks = [], []

    def sample_until_n_accepted(  # type: ignore[override]
        self,
        n: int,
        simulate_one: Any,
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        """As pyabc's, with :func:`_seeded_work` as the workers' loop."""
        if self.n_procs == 1:
            return self._in_process(n, simulate_one, t, max_eval, all_accepted)
        id_results = []
        n_done = 0
        try:
            with raise_here():  # waiting on the workers: Ctrl-C or SIGTERM may stop it now
                if not self._procs:
                    self._start()
                self._n_eval.value = 0
                self._n_acc.value = 0
                task = (
                    cloudpickle.dumps(simulate_one), n, self.check_max_eval, max_eval,
                    all_accepted, self.sample_factory, self.root_seed, t,
                )  # fmt: skip
                for tasks in self._tasks:
                    tasks.put(task)
                while n_done < len(self._procs):
                    val = get_if_worker_healthy(self._procs, self._queue)
                    if val == _DONE:
                        n_done += 1
                    else:
                        id_results.append(val)
                        if self.on_progress is not None:
                            self.on_progress(int(self._n_eval.value))
        except BaseException:  # stopped: no worker is left computing (from a notebook too)
            self.close(kill=True)
            raise
        return self._sample(id_results, n, self._n_eval.value)

    def _in_process(
        self, n: int, simulate_one: Any, t: int, max_eval: float, all_accepted: bool
    ) -> Any:
        """One generation's evaluations in this process (one worker)."""
        n_eval = _Count()

        def progress() -> None:
            if self.on_progress is not None:
                self.on_progress(int(n_eval.value))

        results = _Results(progress)
        state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
        try:
            with raise_here():
                _seeded_work(
                    results, n_eval, _Count(), simulate_one, n, self.check_max_eval, max_eval,
                    all_accepted, self.sample_factory, self.root_seed, t,
                )  # fmt: skip
        finally:
            np.random.set_state(state)  # noqa: NPY002 - the caller's global state, as it was
            random.setstate(py_state)
        return self._sample([r for r in results if r != _DONE], n, n_eval.value)

    def _sample(self, id_results: list[Any], n: int, n_eval: int) -> Any:
        """The first ``n`` accepted evaluations by index, as one pyabc sample."""
        id_results.sort(key=lambda x: x[0])  # by evaluation index: the same in every run
        id_results = id_results[: min(len(id_results), n)]
        self.nr_evaluations_ = n_eval
        sample = self._create_empty_sample()
        for _, result in id_results:
            sample += result
        if sample.n_accepted < n:
            sample.ok = False
        return sample
