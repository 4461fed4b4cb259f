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
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from ctypes import c_longlong
from typing import Any

import numpy as np
from pyabc.sampler import MulticoreEvalParallelSampler
from pyabc.sampler.multicorebase import get_if_worker_healthy
from pyabc.sampler.util import get_mp_context

from experiments.interrupts import raise_here
from experiments.sweeps.executors import worker_init

__all__ = ["SeededMulticoreSampler", "evaluation_seed"]

_DONE = "Done"


def evaluation_seed(root_seed: int, t: int, index: int) -> int:
    """numpy's global seed for evaluation ``index`` of generation ``t`` (``t = -1``: the
    prior sample that calibrates the first threshold)."""
    return int(
        np.random.SeedSequence([int(root_seed), int(t) + 1, int(index)]).generate_state(1)[0]
    )


def _seeded_work(
    simulate_one: Any,
    queue: Any,
    n_eval: Any,
    n_acc: Any,
    n: int,
    check_max_eval: bool,
    max_eval: float,
    all_accepted: bool,
    sample_factory: Any,
    root_seed: int,
    t: int,
    parent_pid: int,
) -> None:
    """pyabc's multicore ``work`` loop, seeding numpy and ``random`` per evaluation index.

    The worker leaves Ctrl-C to the parent and dies with it (as sweep workers do:
    :func:`experiments.sweeps.executors.worker_init`).
    """
    worker_init(parent_pid)
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
        new_sim = simulate_one()
        sample.append(new_sim)
        if new_sim.accepted:
            with n_acc.get_lock():
                n_acc.value += 1
            queue.put((particle_id, sample))
            sample = sample_factory()
    queue.put(_DONE)


class SeededMulticoreSampler(MulticoreEvalParallelSampler):
    """``MulticoreEvalParallelSampler`` whose evaluations are seeded by index (see module).

    Parameters
    ----------
    root_seed : int
        The calibration's root seed.
    n_procs : int
        Worker processes (forked, as pyabc's sampler does on Linux); the particles do not
        depend on it.
    on_progress : callable, optional
        Called in this process with the evaluations started so far in the generation,
        each time a particle is accepted (a progress bar).
    """

    def __init__(
        self, root_seed: int, n_procs: int, on_progress: Callable[[int], object] | None = None
    ) -> None:
        super().__init__(n_procs=n_procs, pickle=False)
        self.root_seed = int(root_seed)
        self.on_progress = on_progress

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
        ctx = get_mp_context()
        n_eval = ctx.Value(c_longlong)
        n_eval.value = 0
        n_acc = ctx.Value(c_longlong)
        n_acc.value = 0
        queue = ctx.Queue()
        args = (
            simulate_one, queue, n_eval, n_acc, n, self.check_max_eval, max_eval,
            all_accepted, self._create_empty_sample, self.root_seed, t, os.getpid(),
        )  # fmt: skip
        procs = [
            ctx.Process(target=_seeded_work, args=args, daemon=self.daemon)
            for _ in range(self.n_procs)
        ]
        id_results = []
        n_done = 0
        try:
            with raise_here():  # waiting on the workers: Ctrl-C or SIGTERM may stop it now
                for proc in procs:
                    proc.start()
                while n_done < len(procs):
                    val = get_if_worker_healthy(procs, queue)
                    if val == _DONE:
                        n_done += 1
                    else:
                        id_results.append(val)
                        if self.on_progress is not None:
                            self.on_progress(int(n_eval.value))
        except BaseException:  # stopped: no worker is left computing (from a notebook too)
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()  # SIGTERM: a worker's default, it dies at once
            raise
        for proc in procs:
            proc.join()
        id_results.sort(key=lambda x: x[0])  # by evaluation index: the same in every run
        id_results = id_results[: min(len(id_results), n)]
        self.nr_evaluations_ = n_eval.value
        sample = self._create_empty_sample()
        for _, result in id_results:
            sample += result
        if sample.n_accepted < n:
            sample.ok = False
        return sample
