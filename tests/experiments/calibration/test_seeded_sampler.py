"""The calibration's sampler: spawned workers kept for the whole calibration, or one process."""

from __future__ import annotations

import random
import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from experiments.calibration import calibrate
from experiments.calibration.seeded_sampler import SeededMulticoreSampler
from tests.experiments.conftest import run_script


@pytest.fixture
def generations(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each generation's sampling saw: the worker pids after it, and whether numpy's
    and ``random``'s global states were the same after it as before."""
    seen: list[dict[str, Any]] = []
    sample = SeededMulticoreSampler.sample_until_n_accepted

    def spy(self: SeededMulticoreSampler, *args: Any, **kwargs: Any) -> Any:
        before = np.random.get_state(), random.getstate()  # noqa: NPY002
        out = sample(self, *args, **kwargs)
        after = np.random.get_state(), random.getstate()  # noqa: NPY002
        same = all(np.array_equal(a, b) for a, b in zip(before[0], after[0], strict=True))
        seen.append({"pids": self.worker_pids, "same_state": same and before[1] == after[1]})
        return out

    monkeypatch.setattr(SeededMulticoreSampler, "sample_until_n_accepted", spy)
    return seen


def test_two_workers_are_spawned_once_and_serve_every_generation(
    synthetic: Any, tmp_path: Any, generations: list[dict[str, Any]]
) -> None:
    targets, priors = synthetic
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calibrate(
            out=tmp_path / "c", targets=targets, priors=priors, particles=6, generations=2,
            workers=2, seed=1, progress=False,
        )  # fmt: skip
    # the prior sample and two generations, all on the same two processes
    assert len(generations) == 3
    pids = generations[0]["pids"]
    assert len(set(pids)) == 2 and all(g["pids"] == pids for g in generations)
    # no worker was forked from this process, whose other threads (pytest-xdist's, the
    # BLAS library's) a forked child would not have: Python warns of every such fork
    forks = [w for w in caught if "use of fork()" in str(w.message)]
    assert forks == []


def test_one_worker_runs_in_this_process_and_leaves_its_random_state(
    synthetic: Any, tmp_path: Any, generations: list[dict[str, Any]]
) -> None:
    targets, priors = synthetic
    calibrate(
        out=tmp_path / "c", targets=targets, priors=priors, particles=6, generations=1,
        workers=1, seed=1, progress=False,
    )  # fmt: skip
    assert len(generations) == 2
    # no process started, and the evaluations' seeding of numpy's and random's global
    # states undone after each generation
    assert all(g["pids"] == [] and g["same_state"] for g in generations)


_SCRIPT = """
from experiments.calibration import calibrate

{guard}calibrate(out={out!r}, targets={targets!r}, priors={priors!r}, particles=6,
{indent}generations=1, workers=2, seed=1, progress=False)
"""


def _script(tmp_path: Path, synthetic: Any, guarded: bool) -> subprocess.CompletedProcess[str]:
    targets, priors = synthetic
    path = tmp_path / ("guarded.py" if guarded else "bare.py")
    text = _SCRIPT.format(
        guard='if __name__ == "__main__":\n    ' if guarded else "",
        indent="    " if guarded else "",
        out=str(tmp_path / "out"),
        targets=str(targets),
        priors=str(priors),
    )
    path.write_text(text)
    return run_script(path)


@pytest.mark.slow
def test_a_script_without_a_main_guard_is_told_the_fix(synthetic: Any, tmp_path: Path) -> None:
    # the workers are spawned, so they import the script, which would calibrate again
    bare = _script(tmp_path, synthetic, guarded=False)
    assert bare.returncode == 1
    assert "calibrate was called while this process was starting as a worker" in bare.stderr
    last = bare.stderr.strip().splitlines()[-1]
    assert last.startswith("experiments.sweeps.errors.ExecutorError: ")
    assert "a calibration worker process died" in last and "__main__" in last
    guarded = _script(tmp_path, synthetic, guarded=True)
    assert guarded.returncode == 0, guarded.stderr
    assert (tmp_path / "out" / "posterior.csv").exists()


def test_one_worker_reports_progress_as_workers_do(
    synthetic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each accepted particle reports the evaluations started so far in its generation
    calls: list[int] = []
    init = SeededMulticoreSampler.__init__

    def spy(self: SeededMulticoreSampler, root_seed: int, n_procs: int, on_progress: Any) -> None:
        def record(started: int) -> None:
            calls.append(started)
            on_progress(started)

        init(self, root_seed, n_procs, record)

    monkeypatch.setattr(SeededMulticoreSampler, "__init__", spy)
    targets, priors = synthetic
    calibrate(
        out=tmp_path / "c", targets=targets, priors=priors, particles=6, generations=1,
        workers=1, seed=1, progress=True,
    )  # fmt: skip
    # six particles in the prior sample and six in the generation, each counted at its
    # acceptance: at least one evaluation each, non-decreasing within a generation
    assert len(calls) == 12 and all(c >= 1 for c in calls)
    assert calls[:6] == sorted(calls[:6]) and calls[6:] == sorted(calls[6:])
