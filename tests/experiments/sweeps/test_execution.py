"""Execution: identical tables on every executor; failures recorded; resume without duplicates."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from experiments.sweeps import (
    InProcessExecutor,
    SweepStore,
    SweepStoreError,
    open_executor,
    run_sweep,
)
from experiments.sweeps.errors import ExecutorError
from experiments.sweeps.integrity import DamagedShardWarning
from experiments.sweeps.store import shard_name
from tests.experiments.sweeps.conftest import make_spec
from tests.experiments.sweeps.toy import toy_model


def _oracle(spec) -> pd.DataFrame:
    """The toy model called directly, run by run (independent of the sweep machinery)."""
    from experiments.sweeps import build_runs

    rows = []
    for r in build_runs(spec).itertuples():
        res = toy_model(
            scenario=r.scenario, params={"a": r.a, "c": r.c}, months=spec.months, seed=int(r.seed)
        )
        rows.append({"run_id": r.run_id, "y": res.model_frame["y"].iloc[-1]})
    return pd.DataFrame(rows)


def test_a_specs_overrides_reach_every_run_beside_its_parameters(tmp_path) -> None:
    spec = make_spec(overrides={"b": 1.0})
    run_sweep(spec, tmp_path / "s", workers=1, progress=False)
    frame = SweepStore.open(tmp_path / "s").load().sort_values("run_id")
    for r in frame.itertuples():
        params = {"a": r.a, "c": r.c, "b": 1.0}
        res = toy_model(scenario=r.scenario, params=params, months=spec.months, seed=int(r.seed))
        assert r.y == res.model_frame["y"].iloc[-1]
    # y = 10 a + 2 a b + noise: b = 1 adds 2 a to every run (the same seeds)
    np.testing.assert_allclose(
        frame["y"].to_numpy() - _oracle(make_spec()).sort_values("run_id")["y"].to_numpy(),
        2.0 * frame["a"].to_numpy(),
        atol=1e-12,
    )


def test_workers_below_one_is_an_executor_error(tmp_path) -> None:
    with pytest.raises(
        ExecutorError, match=r"^workers = 0: give at least 1 \(1 runs in-process\)$"
    ):
        run_sweep(make_spec(), tmp_path / "s", workers=0, progress=False)


def test_serial_sweep_matches_direct_calls(tmp_path) -> None:
    spec = make_spec()
    summary = run_sweep(spec, tmp_path / "s", workers=1, progress=False)
    assert (summary.planned, summary.ran, summary.failed) == (12, 12, 0)
    frame = SweepStore.open(tmp_path / "s").load()
    oracle = _oracle(spec)
    np.testing.assert_array_equal(frame["run_id"], oracle["run_id"])
    np.testing.assert_array_equal(frame["y"], oracle["y"])
    # last-month deals rows: ratios a + 1 and 2a + 1, mean = 1.5 a + 1
    np.testing.assert_allclose(frame["deals.round_trip_ratio"], 1.5 * frame["a"] + 1.0)
    assert {
        "run_id",
        "point_id",
        "replicate",
        "scenario",
        "seed",
        "seed_entropy",
        "spawn_key",
        "a",
        "c",
        "y",
    } <= set(frame.columns)


@pytest.mark.slow
def test_serial_process_pool_and_dask_give_identical_tables(tmp_path) -> None:
    pytest.importorskip("distributed")
    spec = make_spec(replicates=3)
    run_sweep(spec, tmp_path / "serial", executor=InProcessExecutor(), progress=False)
    with open_executor(workers=2) as ex:
        run_sweep(spec, tmp_path / "pool", executor=ex, progress=False)
    with open_executor(workers=2, dask="local") as ex:  # a real scheduler on loopback
        run_sweep(spec, tmp_path / "dask", executor=ex, progress=False)
        # as on a cluster without a shared file system: shards travel back as bytes
        run_sweep(spec, tmp_path / "dask-collect", executor=ex, progress=False, shared_fs=False)
    names = ("serial", "pool", "dask", "dask-collect")
    tables = {k: SweepStore.open(tmp_path / k).load(series=True) for k in names}
    ref = tables["serial"]
    assert len(ref) == 18
    for name in names[1:]:
        t = tables[name]
        pd.testing.assert_frame_equal(t.drop(columns="g"), ref.drop(columns="g"), check_exact=True)
        for x, y in zip(t["g"], ref["g"], strict=True):
            np.testing.assert_array_equal(x, y)
        # the pool and Dask really ran in other processes
        workers = SweepStore.open(tmp_path / name).load(meta=True)["worker"]
        assert not workers.str.endswith(f":{os.getpid()}").any()


def test_a_raising_run_is_recorded_and_the_others_continue(tmp_path) -> None:
    spec = make_spec(
        parameters=[
            {"path": "a", "levels": [0.0, 1.0, 2.0, 3.0]},
            {"path": "fail_above", "levels": [2.5]},
        ]
    )
    summary = run_sweep(spec, tmp_path / "f", workers=1, progress=False)
    store = SweepStore.open(tmp_path / "f")
    assert summary.failed == 2  # a = 3.0, two replicates
    assert sorted(store.load()["a"].unique()) == [0.0, 1.0, 2.0]
    fails = store.failures()
    assert sorted(fails["run_id"]) == [6, 7]
    assert (fails["error_type"] == "ValueError").all()
    assert fails["traceback"].str.contains("toy.py").all()
    assert fails["message"].str.contains("fail_above").all()
    assert store.status() == {
        "planned": 8,
        "completed": 6,
        "failed": 2,
        "pending": 0,
        "quarantined": 0,
    }


def test_resume_skips_finished_runs_and_never_reads_temporaries(tmp_path) -> None:
    spec = make_spec()
    out = tmp_path / "r"
    run_sweep(spec, out, workers=1, progress=False)
    store = SweepStore.open(out)
    full = store.load()
    # simulate a crash: three shards lost, one half-written temporary, one corrupt shard
    for rid in (1, 5, 9):
        (out / "runs" / shard_name(rid)).unlink()
    (out / "runs" / f".{shard_name(5)}.abc.tmp").write_bytes(b"PAR1 half")
    (out / "runs" / shard_name(7)).write_bytes(b"not parquet")
    assert 5 not in store.completed(validate=False)
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("run-*.parquet")}
    with pytest.warns(DamagedShardWarning, match="run-000007"):
        summary = run_sweep(spec, out, workers=1, progress=False)
    assert (summary.skipped, summary.ran) == (8, 4)  # 12 - 3 lost - 1 corrupt
    again = store.load()
    pd.testing.assert_frame_equal(again, full)
    assert not list((out / "runs").glob(".*"))
    for name, t in mtimes.items():
        if name != shard_name(7):
            assert (out / "runs" / name).stat().st_mtime_ns == t  # finished runs untouched
    assert run_sweep(spec, out, workers=1, progress=False).ran == 0


def test_failed_runs_are_retried_on_resume(tmp_path) -> None:
    spec = make_spec(
        parameters=[{"path": "a", "levels": [0.0, 3.0]}, {"path": "fail_above", "levels": [2.5]}]
    )
    out = tmp_path / "retry"
    run_sweep(spec, out, workers=1, progress=False)
    assert run_sweep(spec, out, workers=1, progress=False, retry_failed=False).ran == 0
    assert run_sweep(spec, out, workers=1, progress=False).ran == 2
    assert SweepStore.open(out).status()["failed"] == 2


def test_a_different_spec_is_refused(tmp_path) -> None:
    run_sweep(make_spec(), tmp_path / "x", workers=1, progress=False)
    with pytest.raises(SweepStoreError, match="another sweep"):
        run_sweep(make_spec(months=5), tmp_path / "x", workers=1, progress=False)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "file").write_text("x")
    with pytest.raises(SweepStoreError, match="not a sweep directory"):
        run_sweep(make_spec(), tmp_path / "junk", workers=1, progress=False)


def test_series_load_long_form(tmp_path) -> None:
    spec = make_spec()
    run_sweep(spec, tmp_path / "s", workers=1, progress=False)
    long = SweepStore.open(tmp_path / "s").load_series()
    assert len(long) == 12 * spec.months
    np.testing.assert_allclose(long["g"], long["a"] * long["month"])


def test_results_hold_no_pickles(tmp_path) -> None:
    run_sweep(make_spec(), tmp_path / "s", workers=1, progress=False)
    suffixes = {p.suffix for p in (tmp_path / "s").rglob("*") if p.is_file()}
    assert suffixes <= {".parquet", ".json", ".sha256", ".lock"}  # checksums, the lock file


def test_a_create_interrupted_before_the_manifest_is_resumed(tmp_path) -> None:
    out = tmp_path / "half"
    (out / "runs").mkdir(parents=True)
    (out / "failures").mkdir()
    (out / ".manifest.json.x.tmp").write_text("{")
    assert run_sweep(make_spec(), out, workers=1, progress=False).ran == 12


def test_progress_bar_counts_runs_and_failures(tmp_path, capsys) -> None:
    spec = make_spec(
        parameters=[
            {"path": "a", "levels": [0.0, 1.0, 2.0, 3.0]},
            {"path": "fail_above", "levels": [2.5]},
        ]
    )
    run_sweep(spec, tmp_path / "p", workers=1, progress=True)
    err = capsys.readouterr().err
    assert "8/8" in err and "failed=2" in err
    # resumed: the bar starts at the finished runs
    run_sweep(spec, tmp_path / "p", workers=1, progress=True, retry_failed=False)
