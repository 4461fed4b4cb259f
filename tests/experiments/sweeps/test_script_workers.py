"""A script that starts a sweep at its top level, without ``if __name__ == "__main__":``.

The pool's workers are started by ``spawn``, which imports the script in each worker; the
script would start a second sweep there. The worker must say what to change, the sweep
must stop with a domain error (not a raw ``BrokenProcessPool``, nor another sweep's lock
error), and the folder must resume once the script is fixed.
"""

from __future__ import annotations

import multiprocessing
import subprocess
from pathlib import Path

import pytest

from experiments import forecast, run_sweep
from experiments.calibration import calibrate
from experiments.sweeps import SweepStore
from experiments.sweeps.errors import ExecutorError
from tests.experiments.conftest import run_script
from tests.experiments.sweeps.conftest import make_spec

_SCRIPT = """
from tests.experiments.sweeps.conftest import make_spec
from experiments import run_sweep

{guard}run_sweep(make_spec(replicates={replicates}), {out!r}, workers=2, progress=False)
"""


def _script(
    tmp_path: Path, out: Path, guarded: bool, replicates: int
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / ("guarded.py" if guarded else "bare.py")
    guard = 'if __name__ == "__main__":\n    ' if guarded else ""
    path.write_text(_SCRIPT.format(guard=guard, out=str(out), replicates=replicates))
    return run_script(path)


@pytest.mark.slow
@pytest.mark.parametrize("replicates", [2, 1])  # 12 runs, more than the pool's window of 8; 6
def test_a_script_without_a_main_guard_is_told_the_fix_and_resumes_once_fixed(
    tmp_path, replicates
) -> None:
    out = tmp_path / "out"
    bare = _script(tmp_path, out, guarded=False, replicates=replicates)
    assert bare.returncode == 1
    err = bare.stderr
    # each worker that started says why it stopped, and what to change
    assert "ExecutorError: run_sweep was called while this process was starting as a worker" in err
    assert 'Put the call under `if __name__ == "__main__":`' in err
    assert "SweepLockedError" not in err  # the worker stopped before it touched the folder
    # the sweep itself ends on the domain error, naming the fix and how to resume
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"experiments.sweeps.errors.ExecutorError: {out}: the pool's worker")
    assert "run the same call again to resume" in last and "(run_sweep, forecast)" in last
    store = SweepStore.open(out)
    planned = len(store.design())
    assert len(store.completed()) == 0 < len(store.failed())
    fixed = _script(tmp_path, out, guarded=True, replicates=replicates)
    assert fixed.returncode == 0, fixed.stderr
    assert len(store.completed()) == planned == 6 * replicates and not store.failed()


@pytest.fixture
def starting_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as ``multiprocessing.spawn`` marks a worker importing the main script."""
    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)


@pytest.mark.usefixtures("starting_worker")
def test_each_entry_point_refuses_first_in_a_starting_worker(tmp_path) -> None:
    # each would otherwise fail on its input (or, for run_sweep, create the folder)
    with pytest.raises(ExecutorError, match=r"^run_sweep was called while"):
        run_sweep(make_spec(), tmp_path / "sweep", workers=2)
    assert not (tmp_path / "sweep").exists()
    with pytest.raises(ExecutorError, match=r"^forecast was called while"):
        forecast(tmp_path / "no-posterior", out=tmp_path / "fc")
    with pytest.raises(ExecutorError, match=r"^calibrate was called while"):
        calibrate(out=tmp_path / "cal", particles=0)
    assert not any(tmp_path.iterdir())
