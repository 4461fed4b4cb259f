"""SIGTERM, as a batch scheduler sends it at a job's time limit, stops a command in one line.

Real processes, signalled as a scheduler does (the whole process group), mid-work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from experiments.interrupts import Signalled, exit_code, interruptible, raise_held, raise_here

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:  # the child keeps its own copy; progress and messages
        return subprocess.Popen(
            [sys.executable, "-m", "experiments.cli", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            start_new_session=True,  # a process group of its own, as a job has
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(log: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while text not in log.read_text(errors="replace"):
        assert proc.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, f"no {text!r} in 120 s"
        time.sleep(0.02)


def terminate_group(proc: subprocess.Popen[bytes]) -> tuple[int, list[psutil.Process]]:
    family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    os.killpg(proc.pid, signal.SIGTERM)
    code = proc.wait(timeout=60)
    _, alive = psutil.wait_procs(family, timeout=10)
    return code, alive


def test_a_run_stopped_by_sigterm_says_so_and_leaves_no_folder(tmp_path) -> None:
    log, out = tmp_path / "output.txt", tmp_path / "runs" / "long"
    proc = start(["run", "--months", "600", "--out", str(out)], log)
    wait_for(log, "month/s]", proc)  # the progress bar: the months are running
    code, alive = terminate_group(proc)
    said = log.read_text()
    assert code == 143, said
    assert said.rstrip().endswith("gigawatt run: interrupted (SIGTERM)")
    assert "Traceback" not in said and alive == []
    assert not out.exists() and list((tmp_path / "runs").iterdir()) == []


def test_interruptible_raises_the_signal_and_restores_the_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Signalled) as info, interruptible():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises at the next bytecode
    assert info.value.signum == signal.SIGTERM and exit_code(info.value) == 143
    assert signal.getsignal(signal.SIGTERM) == before
    assert exit_code(KeyboardInterrupt()) == 130  # Ctrl-C through Python's own handler


def test_a_held_signal_waits_for_a_point_safe_to_stop() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with interruptible(held=True):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # a library's transaction: not stopped in the middle
        os.kill(os.getpid(), signal.SIGINT)  # a second one: the first counts
        time.sleep(0.2)
        with pytest.raises(Signalled) as info:
            raise_held()
        assert info.value.signum == signal.SIGTERM
        raise_held()  # raised once: nothing held now
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
        with pytest.raises(Signalled), raise_here():  # held before: raised on entry
            pytest.fail("the held signal was not raised on entry")
        with pytest.raises(Signalled), raise_here():  # inside: at once
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
    # leaving drops what is held: the handlers are as they were, nothing raises later
    raise_held()
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_signal_python_ignored_in_a_finalizer_still_stops_the_command(
    tmp_path, capsys, monkeypatch
) -> None:
    # Python prints and drops an exception raised inside a finalizer: without the check at
    # the command's end, it would finish and exit 0 as if never signalled
    import experiments.cli_run as cli_run
    from experiments.cli import main

    class Finalizer:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises here, inside the finalizer

    real = cli_run.run_scenario

    def run_with_a_finalizer(*args, **kwargs):
        Finalizer()  # collected at once
        return real(*args, **kwargs)

    dropped: list[type[BaseException] | None] = []  # what Python reports it ignored
    monkeypatch.setattr(sys, "unraisablehook", lambda u: dropped.append(u.exc_type))
    monkeypatch.setattr(cli_run, "run_scenario", run_with_a_finalizer)
    assert main(["run", "--months", "1", "--out", str(tmp_path / "r"), "--quiet"]) == 143
    assert dropped == [Signalled]
    assert capsys.readouterr().err.rstrip().endswith("gigawatt run: interrupted (SIGTERM)")


def test_a_signal_during_a_numba_compilation_waits_for_it_to_end(monkeypatch) -> None:
    # raised in the middle, the signal leaves the compiler's LLVM handles half set: their
    # finalizers then fail, or free the same memory twice and abort the process
    import numba
    from numba.core import event

    def add_one(x: float) -> float:
        return x + 1.0

    compiled = numba.njit(add_one)  # not cached: compiled here

    class SignalOnFirstPass(event.Listener):
        sent = False

        def on_start(self, _event: event.Event) -> None:
            if not self.sent:
                self.sent = True
                os.kill(os.getpid(), signal.SIGTERM)  # the handler runs at the next bytecode

        def on_end(self, _event: event.Event) -> None:
            pass

    dropped: list[type[BaseException] | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: dropped.append(u.exc_type))
    with (
        event.install_listener("numba:run_pass", SignalOnFirstPass()),
        pytest.raises(Signalled),
        interruptible(),
    ):
        compiled(1.0)
    assert len(compiled.overloads) == 1  # the compilation ended before the signal raised
    assert compiled(2.0) == 3.0 and dropped == []
