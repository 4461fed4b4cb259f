"""Crash and resume: SIGKILL a sweep mid-way, run it again, every point exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from experiments.sweeps import SweepStore
from tests.experiments.sweeps.conftest import TOY_TOML

ROOT = Path(__file__).parents[3]


def _cmd(spec: Path, out: Path, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "experiments.cli",
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--no-progress",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_then_resume(tmp_path, workers) -> None:
    spec = tmp_path / "toy.toml"
    spec.write_text(TOY_TOML)  # 8 points x 3 replicates = 24 runs
    out = tmp_path / "out"
    env = {**os.environ, "TOY_SLEEP": "0.15", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _cmd(spec, out, workers),
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        n = len(list((out / "runs").glob("run-*.parquet"))) if (out / "runs").is_dir() else 0
        if n >= 5:
            break
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, mid-way
    proc.wait()
    store = SweepStore.open(out)
    done_before = store.completed()
    assert 5 <= len(done_before) < 24
    resumed = subprocess.run(
        _cmd(spec, out, workers),
        cwd=ROOT,
        env={**env, "TOY_SLEEP": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done_before)} resumed" in resumed.stdout
    frame = store.load()
    assert len(frame) == 24 and frame["run_id"].is_unique
    assert frame.groupby("point_id").size().eq(3).all()
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    for p in (out / "runs").glob("run-*.parquet"):
        assert pq.read_table(p).num_rows == 1
        assert p.with_name(p.name + ".sha256").is_file()
