"""One short sweep of the real model: the store holds what a direct ``run_scenario`` gives."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.sweeps import SweepSpec, SweepSpecError, SweepStore, build_runs, run_sweep


def _lever_path() -> tuple[str, float, float]:
    from agents.scenario import LEVERS

    for lever in LEVERS.values():
        if "interconnection" in lever.path:
            return lever.path, float(lever.min), float(lever.max)
    lever = next(iter(LEVERS.values()))
    return lever.path, float(lever.min), float(lever.max)


def test_real_sweep_matches_direct_runs(tmp_path) -> None:
    from experiments import load_scenario, run_scenario

    path, lo, hi = _lever_path()
    spec = SweepSpec.from_dict(
        {
            "name": "real",
            "base": "baseline",
            "months": 6,
            "replicates": 1,
            "design": {"kind": "grid"},
            "parameters": [{"path": path, "levels": [lo, hi], "integer": lo == int(lo)}],
            "outputs": {"final": ["compute_spot_price", "cloud_hhi", "labs_active"]},
        }
    )
    run_sweep(spec, tmp_path / "real", workers=1, progress=False)
    frame = SweepStore.open(tmp_path / "real").load()
    assert len(frame) == 2
    for row in build_runs(spec).to_dict("records"):
        value = row[path].item() if hasattr(row[path], "item") else row[path]
        scn = load_scenario("baseline").with_overrides({path: value})
        direct = run_scenario(scn, months=6, rng=int(row["seed"])).model_frame.iloc[-1]
        got = frame[frame["run_id"] == row["run_id"]].iloc[0]
        for col in ("compute_spot_price", "cloud_hhi", "labs_active"):
            np.testing.assert_equal(got[col], float(direct[col]))


def test_unknown_scenario_path_is_refused_before_running(tmp_path) -> None:
    spec = SweepSpec.from_dict(
        {
            "name": "bad",
            "base": "baseline",
            "months": 2,
            "design": {"kind": "grid"},
            "parameters": [{"path": "power.no_such_key", "levels": [1.0]}],
            "outputs": {"final": ["compute_spot_price"]},
        }
    )
    with pytest.raises(SweepSpecError, match=r"parameters\[0\]\.path = 'power\.no_such_key'"):
        run_sweep(spec, tmp_path / "bad", workers=1, progress=False)
    assert not (tmp_path / "bad").exists()


def test_a_scenario_file_edited_between_calls_is_refused_and_restored_resumes(tmp_path) -> None:
    """The spec names a scenario file, not what it holds: a sweep resumed after the file
    changed would pool runs of two scenarios, so it is refused until the file is restored."""
    from experiments.sweeps.errors import SweepStoreError

    scn = tmp_path / "mine.toml"
    first = 'extends = "baseline"\nname = "mine"\ncloud_conduct = 1.0\n'
    scn.write_text(first)
    spec = SweepSpec.from_dict(
        {
            "name": "edited",
            "base": str(scn),
            "months": 2,
            "replicates": 2,
            "design": {"kind": "grid"},
            "parameters": [],
            "outputs": {"final": ["compute_spot_price"]},
        }
    )
    out = tmp_path / "s"
    run_sweep(spec, out, workers=1, progress=False)
    (out / "runs" / "run-000001.parquet").unlink()  # as if stopped before the second run
    scn.write_text(first.replace("1.0", "0.0"))
    with pytest.raises(SweepStoreError, match=r"scenario '.*mine\.toml' is not the one"):
        run_sweep(spec, out, workers=1, progress=False)
    scn.write_text(first)
    summary = run_sweep(spec, out, workers=1, progress=False)
    assert (summary.skipped, summary.ran) == (1, 1)
