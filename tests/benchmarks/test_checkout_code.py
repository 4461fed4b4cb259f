"""The A/B tools run the code of the checkout they are pointed at, whatever its ``.venv``.

A checkout of the code before a change often borrows this one's ``.venv`` (a link). That
interpreter's editable install names this checkout, so a script run there would import
this checkout's code unless the tool puts the other checkout first. Each test builds a
stand-in checkout whose ``experiments`` package only records that it ran.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.bench_sweeps import _throughput_ab

ROOT = Path(__file__).resolve().parents[2]

_STUB = """
from pathlib import Path


def load_scenario(name):
    return name


def run_scenario(scenario, months=None, rng=None, check=True):
    with open(Path(__file__).resolve().parents[1] / "ran.txt", "a") as f:
        f.write(f"{rng}\\n")
    return None
"""


def _stand_in(tmp_path: Path) -> Path:
    """A checkout whose ``experiments`` records each run in ``ran.txt``, with this
    checkout's ``.venv`` linked in."""
    root = tmp_path / "before"
    (root / "experiments" / "scenarios").mkdir(parents=True)
    (root / "experiments" / "__init__.py").write_text(_STUB)
    (root / "experiments" / "scenarios.py").write_text("from experiments import load_scenario\n")
    (root / "experiments" / "scenarios" / "baseline.toml").write_text("")
    (root / ".venv").symlink_to(Path(sys.prefix))
    return root


def test_same_numbers_saves_with_the_working_folders_code(tmp_path) -> None:
    root = _stand_in(tmp_path)
    out = subprocess.run(
        [str(root / ".venv/bin/python"), str(ROOT / "benchmarks/same_numbers.py"), "save", "o"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # the stand-in's run returns no result, so saving it fails after the runs are recorded
    assert out.stdout.startswith(f"code: {root.resolve()}\n"), out.stdout + out.stderr
    assert (root / "ran.txt").read_text().split() == ["7"]


def test_throughput_ab_runs_the_other_checkouts_code_in_its_pool_too(tmp_path) -> None:
    root = _stand_in(tmp_path)
    rates = _throughput_ab(root, n=2, months=1, repeats=1)
    # serially: one warm-up run (seed 0), then seeds 0 and 1; on the pool: two warm-up
    # runs, then seeds 0 and 1 again
    assert sorted((root / "ran.txt").read_text().split()) == ["0", "0", "0", "0", "1", "1", "1"]
    assert set(rates) == {"before", "here"}
