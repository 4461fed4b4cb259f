"""Scenario discovery: PRIM recovers a known box; conditions are parsed, never evaluated."""

from __future__ import annotations

import importlib
import logging
import warnings

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments.cli import main
from experiments.sweeps import run_sweep
from experiments.sweeps.discover import DiscoveryError, parse_condition, prim
from tests.experiments.sweeps.conftest import make_spec


def test_prim_recovers_a_known_box() -> None:
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.uniform(size=(2000, 3)), columns=["a", "b", "c"])
    y = ((x["a"] > 0.6) & (x["b"] < 0.4)).to_numpy()  # 24% of the cases
    boxes, stats, traj = prim(x, y)
    assert len(stats) == 1  # the leftovers hold no dense box
    assert stats["coverage"].iloc[0] > 0.9 and stats["density"].iloc[0] > 0.95
    lim = boxes.set_index("input")
    assert set(lim.index) == {"a", "b"}  # c is irrelevant and stays unrestricted
    assert lim.loc["a", "min"] == pytest.approx(0.6, abs=0.03)
    assert lim.loc["b", "max"] == pytest.approx(0.4, abs=0.03)
    # the reported step is on the trajectory and its statistics agree with a direct count
    chosen = traj[traj["chosen"]].iloc[0]
    inside = (
        (x["a"] >= lim.loc["a", "min"]) & (x["a"] <= lim.loc["a", "max"])
        & (x["b"] >= lim.loc["b", "min"]) & (x["b"] <= lim.loc["b", "max"])
    ).to_numpy()  # fmt: skip
    assert chosen["coverage"] == pytest.approx((inside & y).sum() / y.sum())
    assert chosen["density"] == pytest.approx((inside & y).sum() / inside.sum())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("labs_active < 5", ("labs_active", "<", 5.0)),
        ("log10(round_trip_ratio)>=1.5", ("log10(round_trip_ratio)", ">=", 1.5)),
        ("anthropic_active == false", ("anthropic_active", "==", 0.0)),
    ],
)
def test_conditions_parse(text, expected) -> None:
    c = parse_condition(text)
    assert (c.output, c.op, c.value) == expected


@pytest.mark.parametrize(
    "text", ["__import__('os').system('x') < 1", "a < b", "a <", "a < 1 and b > 2"]
)
def test_bad_conditions_are_refused(text) -> None:
    with pytest.raises(DiscoveryError, match=r"OUTPUT OP NUMBER|not a number"):
        parse_condition(text)


def test_discover_on_a_sweep_from_python_and_cli(
    tmp_path, capsys, users_pyplot, monkeypatch
) -> None:
    with warnings.catch_warnings():  # as discover imports it: no optional back ends here
        warnings.simplefilter("ignore")
        importlib.import_module("ema_workbench")  # whose import sets its logger up
    ema_log = logging.getLogger("EMA")
    monkeypatch.setattr(ema_log, "level", logging.DEBUG)  # a user watching the workbench
    # toy: y = 10 a + noise (sd 0.01), c has no effect; y > 6.25 iff a >= 0.65
    spec = make_spec(
        replicates=2,
        parameters=[
            {"path": "a", "min": 0.0, "max": 1.0, "n": 21},
            {"path": "c", "levels": [0.0, 1.0, 2.0]},
        ],
        outputs={"final": ["y"]},
    )
    run_sweep(spec, tmp_path / "s", workers=1, progress=False)
    res = experiments.discover(tmp_path / "s", "y > 6.25", out_dir=tmp_path / "d")
    assert res.cases == 21 * 3 * 2 and res.of_interest == 8 * 3 * 2
    box = res.boxes[res.boxes["box"] == 1].set_index("input")
    assert list(box.index) == ["a"]
    assert 0.6 < box.loc["a", "min"] <= 0.65  # between the last level out and the first in
    assert res.stats["density"].iloc[0] == 1.0 and res.stats["coverage"].iloc[0] == 1.0
    assert (tmp_path / "d" / "discover_trajectory.png").stat().st_size > 0
    users_pyplot()
    assert ema_log.level == logging.DEBUG  # quieted during PRIM, given back after it

    assert main(["discover", str(tmp_path / "s"), "--where", "y > 6.25"]) == 0
    printed = capsys.readouterr().out
    assert "box 1: coverage 1.00, density 1.00" in printed
    assert f"{box.loc['a', 'min']:g} <= a <= 1   (swept 0 to 1)" in printed
    assert main(["discover", str(tmp_path / "s"), "--where", "yy > 6"]) == 2
    assert "did you mean 'y'" in capsys.readouterr().err
    assert main(["discover", str(tmp_path / "s"), "--where", "y > 600"]) == 2
    assert "holds in 0 of 126 runs" in capsys.readouterr().err


def test_an_output_empty_in_every_run_is_named_so(tmp_path) -> None:
    spec = make_spec(outputs={"final": ["y", "unpriced"]})
    run_sweep(spec, tmp_path / "s", workers=1, progress=False)
    with pytest.raises(DiscoveryError, match=r"unpriced has no value in any of the 12 runs"):
        experiments.discover(tmp_path / "s", "unpriced > 1")


def test_discover_names_the_scenarios_of_a_scenarios_design(tmp_path) -> None:
    from experiments.sweeps.compare import compare_scenarios
    from tests.experiments.sweeps.conftest import TOY

    compare_scenarios(
        ["mid", "low", "high"], tmp_path / "c", replicates=4, months=3, outputs=["y"],
        model=TOY, workers=1, progress=False, figures=False,
    )  # fmt: skip
    res = experiments.discover(tmp_path / "c", "y < 9.5", figures=False)  # low: y = 9 + noise
    assert res.boxes[["input", "values"]].to_dict("records") == [
        {"input": "base_scenario", "values": "low"}
    ]
    assert res.stats[["coverage", "density"]].to_numpy().tolist() == [[1.0, 1.0]]


def test_an_unfinished_sweep_says_what_is_left_out_and_the_range_it_spans(tmp_path, capsys):
    from experiments.sweeps import SweepStore
    from experiments.sweeps.store import shard_name

    spec = make_spec(
        replicates=2,
        parameters=[{"path": "a", "min": 0.0, "max": 1.0, "n": 11}],
        outputs={"final": ["y"]},
    )
    run_sweep(spec, tmp_path / "s", workers=1, progress=False)
    store = SweepStore.open(tmp_path / "s")
    design = store.design()
    late = design[design["a"] > 0.45]["run_id"]  # as if stopped halfway: a <= 0.4 done
    for run_id in late:
        (store.runs_dir / shard_name(int(run_id))).unlink()
    res = experiments.discover(tmp_path / "s", "y > 2.25", figures=False)  # a >= 0.3
    assert res.cases == 5 * 2 and res.notes == [
        f"0 failed and {len(late)} pending runs are left out"
    ]
    a = res.boxes.set_index("input").loc["a"]
    assert (a["range_min"], a["range_max"]) == (0.0, 1.0)  # the design's, not the runs' 0.4
    assert main(["discover", str(tmp_path / "s"), "--where", "y > 2.25"]) == 0
    printed = capsys.readouterr().out
    assert f"note: 0 failed and {len(late)} pending runs are left out" in printed
    assert "(swept 0 to 1)" in printed
    for run_id in design["run_id"]:
        (store.runs_dir / shard_name(int(run_id))).unlink(missing_ok=True)
    with pytest.raises(DiscoveryError, match=r"no run of this sweep has finished \(22 pending"):
        experiments.discover(tmp_path / "s", "y > 2.25", figures=False)
