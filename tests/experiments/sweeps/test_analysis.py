"""Analysis recovers known answers on the toy model ``y = 10 a + 2 a b`` (c has no effect).

Analytic Sobol' indices for a, b ~ U(0, 1): E[y|a] = 11 a, Var = 121/12; E[y|b] = 5 + b,
Var = 1/12; Var(y) = E[a^2] E[(10 + 2b)^2] - (E[a] E[10 + 2b])^2 = 121.333/3 - 30.25.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import rbd_fast
from scipy import stats

from experiments.sweeps import SweepStore, run_sweep
from experiments.sweeps.analysis import RBD_MIN_POINTS, analyze_sweep, mean_ci, rbd_harmonics
from experiments.sweeps.compare import compare_scenarios
from experiments.sweeps.figures import fan
from tests.experiments.sweeps.conftest import TOY, make_spec

ABC = [
    {"path": "a", "min": 0.0, "max": 1.0},
    {"path": "b", "min": 0.0, "max": 1.0},
    {"path": "c", "min": 0.0, "max": 1.0},
]
VAR_Y = (100 + 20 + 4 / 3) / 3 - 5.5**2
S1_A, S1_B = (121 / 12) / VAR_Y, (1 / 12) / VAR_Y
ST_B = 1 - S1_A  # everything not explained by a alone involves b


def _sweep(tmp_path, kind: str, samples: int):
    spec = make_spec(
        design={"kind": kind, "samples": samples},
        parameters=ABC,
        replicates=1,
        months=2,
        common_random_numbers=False,
        outputs={"final": ["y", "c_echo"]},
    )
    run_sweep(spec, tmp_path / kind, workers=1, progress=False)
    result = analyze_sweep(tmp_path / kind)
    idx = result.tables["indices"].set_index(["output", "parameter"])
    return result, idx


def test_sobol_recovers_analytic_indices(tmp_path, users_pyplot) -> None:
    result, idx = _sweep(tmp_path, "sobol", 128)
    y = idx.loc["y"]
    assert y.loc["a", "S1"] == pytest.approx(S1_A, abs=0.08)
    assert y.loc["a", "ST"] == pytest.approx(1 - S1_B, abs=0.08)
    assert y.loc["b", "ST"] == pytest.approx(ST_B, abs=0.01)
    assert abs(y.loc["c", "S1"]) < 0.01 and abs(y.loc["c", "ST"]) < 0.001
    # c_echo depends on c only
    assert idx.loc[("c_echo", "c"), "ST"] == pytest.approx(1.0, abs=0.05)
    assert abs(idx.loc[("c_echo", "a"), "ST"]) < 1e-9
    names = {p.name for p in result.files}
    assert {"indices.csv", "points.csv", "indices_sobol.png"} <= names
    on_disk = pd.read_csv(tmp_path / "sobol" / "analysis" / "indices.csv")
    assert len(on_disk) == 6
    users_pyplot()  # the indices' figure left a notebook's matplotlib alone


def test_morris_ranks_influential_over_inert(tmp_path) -> None:
    _, idx = _sweep(tmp_path, "morris", 12)
    y = idx.loc["y"]
    # dy/da = 10 + 2b lies in [10, 12]; dy/db = 2a in [0, 2]; c: only seed noise (sd 0.01)
    assert 10.0 - 0.1 <= y.loc["a", "mu_star"] <= 12.0 + 0.1
    assert y.loc["b", "mu_star"] <= 2.0 + 0.1
    assert y.loc["c", "mu_star"] < 0.1 < y.loc["b", "mu_star"]


def test_one_morris_trajectory_says_it_gives_no_spread(tmp_path) -> None:
    spec = make_spec(design={"kind": "morris", "samples": 1}, parameters=ABC, replicates=1)
    run_sweep(spec, tmp_path / "m", workers=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning of a spread over one effect
        result = analyze_sweep(tmp_path / "m")
    assert "indices" not in result.tables
    assert result.notes[0].startswith("y: 1 Morris trajectory gives one elementary effect")


def test_lhs_rbd_fast_separates_influential_from_inert(tmp_path) -> None:
    _, idx = _sweep(tmp_path, "lhs", 200)
    assert idx.loc[("y", "a"), "S1"] > 0.8
    assert abs(idx.loc[("y", "c"), "S1"]) < 0.15


@pytest.mark.parametrize("samples", [1, 2, 5, 8, 9, 12, 13, 40, 41])
def test_lhs_analysis_takes_any_number_of_points(tmp_path, samples) -> None:
    # RBD-FAST's harmonics were once n // 4, which leaves a bootstrap resample (n // 2
    # points) no room for its bias correction when n is 0 or 1 modulo 4 (a division by
    # zero), and too few points to resample below 10
    spec = make_spec(
        design={"kind": "lhs", "samples": samples},
        parameters=ABC,
        replicates=1,
        months=2,
        common_random_numbers=False,
        outputs={"final": ["y", "throttled_share"]},  # a share of two values: ties
    )
    run_sweep(spec, tmp_path / "lhs", workers=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning either
        result = analyze_sweep(tmp_path / "lhs")
    if samples < RBD_MIN_POINTS:
        assert "indices" not in result.tables
        assert f"y: {samples} design points, too few for RBD-FAST indices" in result.notes[0]
        return
    idx = result.tables["indices"].set_index(["output", "parameter"])
    assert np.isfinite(idx.loc["y", "S1"]).all() and np.isfinite(idx.loc["y", "S1_conf"]).all()
    if samples >= 40:  # y = 10 a + 2 a b: a first (S1 0.99 analytically), c nothing
        assert idx.loc[("y", "a"), "S1"] > 0.7 > abs(idx.loc[("y", "c"), "S1"])
    assert np.isfinite(idx.loc["throttled_share", "S1"]).all()
    if idx.loc["throttled_share", "S1_conf"].isna().any():
        assert any(n.startswith("throttled_share: no confidence interval") for n in result.notes)


def test_rbd_harmonics_leave_every_resample_room() -> None:
    for n in range(RBD_MIN_POINTS, 2000):
        m = rbd_harmonics(n)
        # a resample of n // 2 points has (n // 2) // 2 frequencies: one is left beyond M
        assert 1 <= m <= 10 and m < (n // 2) // 2
        assert m == 10 or rbd_harmonics(n + 4) > m  # as many as fit, up to SALib's 10


@pytest.mark.parametrize("n", [10, 12, 14, 18, 30])
def test_rbd_fast_intervals_are_not_zero_for_a_noisy_output(n) -> None:
    # SALib's own bootstrap, the oracle: with the former harmonics, (n // 2 - 1) // 2, an
    # odd n // 2 (10, 14, 18, 30 points) left no frequency beyond them, so every
    # resample's index was 1 and the interval 0
    rng = np.random.default_rng(n)
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    x = rng.uniform(size=(n, 2))
    y = 10 * x[:, 0] + rng.normal(size=n)
    res = rbd_fast.analyze(problem, x, y, M=rbd_harmonics(n), seed=1)
    assert (np.asarray(res["S1_conf"]) > 0).all()


def test_grid_means_and_intervals_match_hand_computation(tmp_path) -> None:
    spec = make_spec(replicates=3, common_random_numbers=False)
    run_sweep(spec, tmp_path / "g", workers=1, progress=False)
    result = analyze_sweep(tmp_path / "g")
    means = result.tables["means"]
    frame = SweepStore.open(tmp_path / "g").load()
    row = means[(means["point_id"] == 4) & (means["output"] == "y")].iloc[0]
    v = frame.loc[frame["point_id"] == 4, "y"].to_numpy()
    half = 4.302652729911275 * v.std(ddof=1) / np.sqrt(3)  # t(0.975, 2 d.o.f.)
    assert row["mean"] == pytest.approx(v.mean())
    assert row["ci_high"] - row["mean"] == pytest.approx(half)
    assert row["n"] == 3
    assert (tmp_path / "g" / "analysis" / "means.png").stat().st_size > 1000


def test_mean_ci_edge_cases() -> None:
    assert mean_ci(np.array([]))[3] == 0
    m1, lo1, hi1, n1 = mean_ci(np.array([2.0, np.nan]))  # one value: no interval
    assert (m1, n1) == (2.0, 1) and np.isnan(lo1) and np.isnan(hi1)
    m, _lo, hi, n = mean_ci(np.array([1.0, 2.0, 3.0, 4.0]))
    assert (m, n) == (2.5, 4)
    assert hi - m == pytest.approx(stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2)


def test_compare_uses_common_random_numbers(tmp_path, users_pyplot) -> None:
    res = compare_scenarios(
        ["mid", "low", "high", "boom"],
        tmp_path / "cmp",
        replicates=4,
        months=3,
        outputs=["y"],
        model=TOY,
        workers=1,
        progress=False,
    )
    t = res.table.set_index("scenario")
    # the offsets are exactly -1 and +1; common seeds cancel the noise in each pair
    assert t.loc["low", "diff"] == pytest.approx(-1.0, abs=1e-12)
    assert t.loc["high", "diff_ci_high"] - t.loc["high", "diff_ci_low"] < 1e-9
    assert t.loc["mid", "ci_high"] - t.loc["mid", "ci_low"] > 1e-4  # the noise is there
    assert "boom" not in t.index  # its runs raised and are in the failures table
    assert SweepStore.open(tmp_path / "cmp").status()["failed"] == 4
    assert {p.name for p in res.files} == {"compare.csv", "compare.png", "compare_series.png"}
    users_pyplot()
    # relative difference: mean(d) / mean(ref) with d = -1 in every pair; its interval
    # from the ratio estimator's residuals d - R ref (Cochran 1977, 6.3), by hand
    frame = SweepStore.open(tmp_path / "cmp").load()
    ref = frame[frame["scenario"] == "mid"].sort_values("replicate")["y"].to_numpy()
    r = -1.0 / ref.mean()
    half = stats.t.ppf(0.975, 3) * np.std(-1.0 - r * ref, ddof=1) / 2 / ref.mean()
    assert t.loc["low", "rel_diff"] == pytest.approx(r, rel=1e-9)
    assert t.loc["low", "rel_ci_high"] - r == pytest.approx(half, rel=1e-6)
    assert t.loc["mid", "unit"] == ""  # the toy's y has no unit


def test_log_outputs_are_analysed_too(tmp_path) -> None:
    _sweep(tmp_path, "morris", 6)
    result = analyze_sweep(tmp_path / "morris", tmp_path / "a2", log_outputs=["c_echo"])
    idx = result.tables["indices"].set_index(["output", "parameter"])
    # log10(c_echo) = log10(c): depends on c only (c = 0 points become NaN and are averaged out)
    assert ("log10(c_echo)", "c") in idx.index or any("log10(c_echo)" in n for n in result.notes)
    pts = result.tables["points"]
    assert "log10(c_echo)" in pts.columns
    finite = pts[pts["c_echo"] > 0]
    np.testing.assert_allclose(finite["log10(c_echo)"], np.log10(finite["c_echo"]))


def test_share_intervals_stay_inside_0_1_and_series_get_fan_charts(tmp_path, users_pyplot) -> None:
    spec = make_spec(
        replicates=2,
        common_random_numbers=False,
        outputs={"final": ["y", "throttled_share"], "series": ["g"]},
    )
    run_sweep(spec, tmp_path / "b", workers=1, progress=False)
    result = analyze_sweep(tmp_path / "b")
    means = result.tables["means"]
    share = means[means["output"] == "throttled_share"]
    assert (share["ci_low"] >= 0).all() and (share["ci_high"] <= 1).all()
    assert share["clipped"].any()  # values 0 and 0.1 at a point: t interval reaches below 0
    frame = SweepStore.open(tmp_path / "b").load()
    for row in share.itertuples():
        _m, lo, hi, _n = mean_ci(frame.loc[frame["point_id"] == row.point_id, "throttled_share"])
        assert (row.ci_low, row.ci_high) == (max(lo, 0.0), min(hi, 1.0))
    y = means[means["output"] == "y"]
    assert not y["clipped"].any()
    assert any("clipped" in n for n in result.notes)
    names = {p.name for p in result.files}
    assert {"means.png", "series.png"} <= names
    users_pyplot()


def test_fan_is_the_5_50_95_percentiles_per_month() -> None:
    values = np.column_stack([np.arange(1.0, 102.0), np.full(101, np.nan), np.arange(101.0)])
    lo, mid, hi = fan(values)
    np.testing.assert_allclose(lo, [6.0, np.nan, 5.0])
    np.testing.assert_allclose(mid, [51.0, np.nan, 50.0])
    np.testing.assert_allclose(hi, [96.0, np.nan, 95.0])


def test_an_output_with_no_finite_value_is_not_called_unfinished(tmp_path) -> None:
    # every run finished, but the one output kept is nan in each (a price where nothing
    # traded): the note said "4 design points have no finished run"
    spec = make_spec(
        design={"kind": "morris", "samples": 1},
        parameters=ABC,
        replicates=1,
        months=2,
        outputs={"final": ["unpriced"]},
    )
    run_sweep(spec, tmp_path / "m", workers=1, progress=False)
    result = analyze_sweep(tmp_path / "m")
    assert result.notes == ["unpriced: 4 points have no finite value"]


def test_files_an_earlier_analysis_left_are_removed_but_no_others(tmp_path) -> None:
    # its notes said runs were failed or pending after they had finished
    spec = make_spec(replicates=2)
    run_sweep(spec, tmp_path / "g", workers=1, progress=False)
    folder = tmp_path / "g" / "analysis"
    folder.mkdir()
    for name in ("notes.txt", "indices.csv", "indices_sobol.png", "mine.txt"):
        (folder / name).write_text("an earlier analysis\n")
    result = analyze_sweep(tmp_path / "g")
    assert result.notes == []
    assert sorted(p.name for p in folder.iterdir()) == [
        "means.csv", "means.png", "mine.txt", "points.csv", "series.png"
    ]  # fmt: skip
    mine = tmp_path / "mine"  # a folder the user named: nothing in it is removed
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's\n")
    analyze_sweep(tmp_path / "g", mine)
    assert (mine / "notes.txt").read_text() == "the user's\n"
