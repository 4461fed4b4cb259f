"""A calibration stopped by SIGTERM (a scheduler's time limit) says what it saved and resumes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.experiments.test_interrupts import ROOT, start, terminate_group, wait_for

pytestmark = pytest.mark.slow


def test_a_calibration_stopped_by_sigterm_says_what_is_saved_and_resumes(
    synthetic, tmp_path
) -> None:
    targets, priors = synthetic
    log, out = tmp_path / "output.txt", tmp_path / "c"
    args = ["calibrate", "--out", str(out), "--targets", str(targets), "--priors", str(priors)]
    args += ["--particles", "40", "--generations", "12", "--workers", "2", "--seed", "5"]
    proc = start(args, log)
    wait_for(log, "generation 2/12:", proc)  # two generations are in the database
    code, alive = terminate_group(proc)  # the workers are signalled too
    said = log.read_text()
    assert code == 143, said
    last = said.rstrip().splitlines()[-1]
    assert last.startswith("gigawatt calibrate: interrupted (SIGTERM); ")
    saved = int(last.split("; ")[1].split()[0])
    assert saved >= 2 and f"generation(s) saved in {out}/abc.db" in last
    assert last.endswith("run the same command to resume: gigawatt " + " ".join(args))
    assert "Traceback" not in said and alive == []
    args[args.index("12")] = str(saved + 1)  # resume: one generation more
    done = subprocess.run(
        [sys.executable, "-m", "experiments.cli", *args, "--no-progress"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert f"{saved + 1} generations" in done.stdout
