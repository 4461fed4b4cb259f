"""A killed or interrupted sweep leaves no process behind and a resumable folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from experiments.sweeps import SweepStore
from tests.experiments.sweeps.conftest import TOY_TOML

ROOT = Path(__file__).parents[3]
pytestmark = pytest.mark.slow


def _default_sigint() -> None:
    """A test runner may ignore SIGINT, and children inherit that; the sweep must not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(tmp_path: Path, workers: int) -> tuple[subprocess.Popen[str], Path, list[str]]:
    spec = tmp_path / "toy.toml"
    spec.write_text(TOY_TOML)  # 24 runs
    out = tmp_path / "out"
    cmd = ["sweep", str(spec), "--out", str(out), "--workers", str(workers), "--no-progress"]
    with open(tmp_path / "stderr.txt", "w") as err:  # the child keeps its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "experiments.cli", *cmd],
            cwd=ROOT,
            env={**os.environ, "TOY_SLEEP": "0.3", "PYTHONPATH": str(ROOT)},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
            preexec_fn=_default_sigint,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        runs = out / "runs"
        if runs.is_dir() and len(list(runs.glob("run-*.parquet"))) >= 3:
            return proc, out, cmd
        assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
        time.sleep(0.02)
    raise AssertionError("the sweep wrote no shard in 90 s")


def _alive(procs: list[psutil.Process]) -> list[int]:
    out = []
    for p in procs:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append(p.pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_gone(procs: list[psutil.Process], seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while _alive(procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(procs)


def test_sigkill_takes_workers_and_resource_tracker_down(tmp_path) -> None:
    proc, out, _ = _start(tmp_path, workers=2)
    children = psutil.Process(proc.pid).children(recursive=True)
    cmdlines = [" ".join(c.cmdline()) for c in children]
    assert sum("spawn_main" in c for c in cmdlines) == 2  # the two pool workers
    assert any("resource_tracker" in c for c in cmdlines)
    os.kill(proc.pid, signal.SIGKILL)  # the sweep only, not its process group
    proc.wait()
    try:
        assert _wait_gone(children) == []
    finally:
        for pid in _alive(children):  # do not leak them if the test fails
            os.kill(pid, signal.SIGKILL)
    n = len(list((out / "runs").glob("run-*.parquet")))
    time.sleep(1.0)
    assert len(list((out / "runs").glob("run-*.parquet"))) == n  # nobody writes any more
    assert SweepStore.open(out).status()["completed"] == n < 24


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_prints_one_line_and_resumes(tmp_path, sig, code, workers) -> None:
    """In a pool or in-process (workers = 1), an interrupt stops the sweep at once: no run
    is recorded as failed, and the same command resumes."""
    proc, out, cmd = _start(tmp_path, workers=workers)
    children = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, sig)
    assert proc.wait(timeout=60) == code
    assert _wait_gone(children) == []
    err = (tmp_path / "stderr.txt").read_text().strip()
    saved = SweepStore.open(out).status()["completed"]
    assert err == (
        f"gigawatt sweep: interrupted: {saved}/24 runs saved; run the same command to resume: "
        f"gigawatt {' '.join(cmd)}"
    )
    assert 3 <= saved < 24
    assert SweepStore.open(out).status()["failed"] == 0
    resumed = subprocess.run(
        [sys.executable, "-m", "experiments.cli", *cmd],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"24/24 runs done ({saved} resumed" in resumed.stdout
    frame = SweepStore.open(out).load()
    assert len(frame) == 24 and frame["run_id"].is_unique
