"""One sweep per folder: the folder lock, its holder description, stale locks."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.cli import main
from experiments.sweeps import SweepStore, run_sweep
from experiments.sweeps.errors import SweepLockedError, SweepStoreError
from experiments.sweeps.lock import LOCK_NAME, SweepLock, holder_of
from tests.experiments.sweeps.conftest import TOY_TOML, make_spec

ROOT = Path(__file__).parents[3]
ROUNDS = 15
RACERS = 4


def _racer(k: int, base: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """Race the other processes to create ``base/round-i``, each with its own spec."""
    spec = make_spec(months=4 + k)  # a different spec (digest) per racer
    for i in range(ROUNDS):
        barrier.wait()
        try:
            store = SweepStore.create(Path(base) / f"round-{i}", spec)
        except SweepStoreError as exc:
            results.put((i, k, type(exc).__name__))
        else:
            results.put((i, k, "won"))
            store.close()
        barrier.wait()


def test_racing_creates_exactly_one_wins(tmp_path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(RACERS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_racer, args=(k, str(tmp_path), barrier, results)) for k in range(RACERS)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in range(ROUNDS * RACERS)]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    for i in range(ROUNDS):
        outcome = {k: r for j, k, r in got if j == i}
        winners = [k for k, r in outcome.items() if r == "won"]
        assert len(winners) == 1, outcome
        losers = {r for k, r in outcome.items() if r != "won"}
        assert losers <= {"SweepLockedError", "SweepStoreError"}
        # the folder holds the winner's sweep, whole
        store = SweepStore.open(tmp_path / f"round-{i}")
        assert store.manifest()["digest"] == make_spec(months=4 + winners[0]).digest()
        assert len(store.design()) == 12


def test_a_second_sweep_is_told_who_holds_the_folder(tmp_path, capsys) -> None:
    spec_file = tmp_path / "toy.toml"
    spec_file.write_text(TOY_TOML)
    out = tmp_path / "out"
    from experiments.sweeps import load_spec

    with SweepStore.create(out, load_spec(spec_file)):
        holder = holder_of(out)
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(
            SweepLockedError, match=rf"in use by another sweep \(pid {os.getpid()} "
        ):
            run_sweep(load_spec(spec_file), out, workers=1, progress=False)
        code = main(["sweep", str(spec_file), "--out", str(out), "--workers", "1", "--no-progress"])
        assert code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert f"pid {os.getpid()} on {socket.gethostname()}, started " in err
        assert "Traceback" not in err
    # released: the same command now runs
    assert (
        main(["sweep", str(spec_file), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    )


def test_a_lock_left_by_a_killed_sweep_is_stale(tmp_path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    code = (
        "import sys, time; from experiments.sweeps.lock import SweepLock; "
        f"lock = SweepLock({str(folder)!r}).acquire(); print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        assert holder_of(folder)["pid"] == proc.pid
        with pytest.raises(SweepLockedError, match=f"pid {proc.pid}"):
            SweepLock(folder).acquire()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert json.loads((folder / LOCK_NAME).read_text())["pid"] == proc.pid  # stale text left
    lock = SweepLock(folder).acquire()  # the kernel dropped the dead holder's flock
    assert holder_of(folder)["pid"] == os.getpid()
    lock.release()
    assert holder_of(folder) == {}


def test_the_lock_is_released_on_every_exit(tmp_path) -> None:
    spec = make_spec(parameters=[{"path": "a", "levels": [0.0]}], replicates=1)
    run_sweep(spec, tmp_path / "a", workers=1, progress=False)
    SweepLock(tmp_path / "a").acquire().release()  # free after a finished sweep
    with pytest.raises(SweepStoreError, match="another sweep"):
        run_sweep(make_spec(months=9), tmp_path / "a", workers=1, progress=False)
    SweepLock(tmp_path / "a").acquire().release()  # and after a refused one
    store = SweepStore.create(tmp_path / "a", spec)
    with pytest.raises(SweepLockedError):
        SweepLock(tmp_path / "a").acquire()
    del store  # dropped without close(): the lock goes with the object
    SweepLock(tmp_path / "a").acquire().release()


def test_new_does_not_move_a_folder_a_running_sweep_holds(tmp_path, capsys) -> None:
    from experiments.sweeps import load_spec

    spec_file = tmp_path / "toy.toml"
    spec_file.write_text(TOY_TOML)
    out = tmp_path / "out"
    with SweepStore.create(out, load_spec(spec_file)):
        args = ["sweep", str(spec_file), "--out", str(out), "--new", "--workers", "1"]
        assert main([*args, "--no-progress"]) == 2
        assert "in use by another sweep" in capsys.readouterr().err
        assert out.is_dir() and not list(tmp_path.glob("out.old-*"))
