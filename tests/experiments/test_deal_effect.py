"""The revenue a deal adds: paired runs with and without it, by hand and directionally."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import load_scenario, run_scenario
from experiments.cli import main
from experiments.deal_effect import DealEffectError, incremental_revenue, pair_runs


def _agents(spend: list[float], share: list[float]) -> pd.DataFrame:
    """Lab rows of an agents table: one lab, one investor, months 0.."""
    n = len(spend)
    return pd.DataFrame(
        {
            "month": range(n),
            "name": ["lab-a"] * n,
            "kind": ["lab"] * n,
            "spend_cloud-x": spend,
            "share_cloud-x": share,
        }
    )


def test_pair_runs_by_hand():
    with_deal = _agents([10.0, 30.0, 50.0], [0.5, 0.8, 0.9])
    without = _agents([10.0, 20.0, 60.0], [0.5, 0.6, 0.7])
    invested = pd.Series([0.0, 4.0], index=[0, 1])  # paid in month 1; month 2 carries it
    got = pair_runs(with_deal, without, "cloud-x", "lab-a", invested)
    # differences 0, 30 - 20 = 10, 50 - 60 = -10; cumulative 0, 10, 0
    assert got["incremental_revenue_usd"].tolist() == [0.0, 10.0, -10.0]
    assert got["incremental_revenue_cum_usd"].tolist() == [0.0, 10.0, 0.0]
    assert got["share_with"].tolist() == [0.5, 0.8, 0.9]
    assert got["share_without"].tolist() == [0.5, 0.6, 0.7]
    # per dollar invested: nan before any, 10 / 4, 0 / 4
    ratio = got["incremental_to_investment"].tolist()
    assert np.isnan(ratio[0]) and ratio[1:] == [2.5, 0.0]
    # no model frames given: the market's columns are there, and empty
    assert (
        got["ai_compute_hhi_with"].isna().all() and got["compute_spot_price_without"].isna().all()
    )
    # with them, each run's month by month (the frames' rows in another order)
    frame_with = pd.DataFrame(
        {"month": [2, 0, 1], "ai_compute_hhi": [3.0, 1.0, 2.0], "compute_spot_price": [9, 7, 8]}
    )
    frame_without = frame_with.assign(ai_compute_hhi=[30.0, 10.0, 20.0])
    got = pair_runs(with_deal, without, "cloud-x", "lab-a", frames=(frame_with, frame_without))
    assert got["ai_compute_hhi_with"].tolist() == [1.0, 2.0, 3.0]
    assert got["ai_compute_hhi_without"].tolist() == [10.0, 20.0, 30.0]
    assert got["compute_spot_price_with"].tolist() == [7.0, 8.0, 9.0]


def test_revenue_over_next_to_no_investment_is_inf_without_a_warning():
    # $2.2e-308 invested, the least a deal can state (a random valid scenario)
    invested = pd.Series([0.0, 2.2250738585072014e-308], index=[0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = pair_runs(
            _agents([10.0, 30.0], [0.5, 0.8]), _agents([10.0, 20.0], [0.5, 0.6]),
            "cloud-x", "lab-a", invested,
        )  # fmt: skip
    assert got["incremental_to_investment"].iloc[1] == np.inf


def test_pair_runs_refuses_mismatched_runs():
    with pytest.raises(DealEffectError, match="different months"):
        pair_runs(_agents([1.0, 2.0], [1.0, 1.0]), _agents([1.0], [1.0]), "cloud-x", "lab-a")
    with pytest.raises(DealEffectError, match="lab-b"):
        pair_runs(_agents([1.0], [1.0]), _agents([1.0], [1.0]), "cloud-x", "lab-b")


def test_no_deal_to_measure_is_an_error(capsys):
    with pytest.raises(DealEffectError, match=r"deal\.enabled"):
        incremental_revenue("baseline", months=2, rng=1)
    # the command line names a fix it can take: a scenario or a file with the deal enabled
    assert main(["compare", "baseline", "--deal-effect", "--months", "2"]) == 2
    said = capsys.readouterr().err
    assert "e.g. amazon-anthropic-2026), a scenario file whose [deal] has enabled = true" in said


@pytest.mark.parametrize("seed", [1, 2])
def test_the_deal_raises_the_investors_share_and_adds_revenue(seed):
    e = incremental_revenue("amazon-anthropic-2026", months=24, rng=seed)
    before, after = e[e["month"] < 6], e[e["month"] >= 6]  # decided in month 6
    # same seed, no deal yet: the two runs are identical until the decision
    assert (before["incremental_revenue_usd"] == 0).all()
    assert after["share_with"].mean() > after["share_without"].mean() + 0.05
    assert e["incremental_revenue_cum_usd"].iloc[-1] > 0


def test_compare_deal_effect_option(tmp_path, capsys):
    out = tmp_path / "effect"
    args = ["compare", "amazon-anthropic-2026", "--deal-effect", "--months", "8"]
    assert main([*args, "--replicates", "1", "--seed", "3", "--out", str(out)]) == 0
    table = pd.read_csv(out / "deal-effect.csv")
    assert len(table) == 8 and (table["seed"] == 3).all()
    direct = incremental_revenue("amazon-anthropic-2026", months=8, rng=3)
    np.testing.assert_allclose(table["incremental_revenue_usd"], direct["incremental_revenue_usd"])
    # the market's columns are the two runs' own model frames, run here one by one
    scn = load_scenario("amazon-anthropic-2026", months=8)
    runs = {
        "with": run_scenario(scn, 8, 3).model_frame,
        "without": run_scenario(scn.with_overrides({"deal.enabled": False}), 8, 3).model_frame,
    }
    for which, frame in runs.items():
        for col in ("ai_compute_hhi", "compute_spot_price"):
            np.testing.assert_allclose(table[f"{col}_{which}"], frame[col], rtol=1e-12)
    printed = capsys.readouterr().out
    assert "incremental_revenue_usd" in printed and "hhi_change" in printed
    assert main(["compare", "baseline", "--deal-effect", "--months", "2"]) == 2
    assert "deal.enabled" in capsys.readouterr().err


def test_months_past_the_models_longest_run_exit_2_naming_the_range(capsys):
    cmd = ["compare", "amazon-anthropic-2026", "--deal-effect", "--months", "601"]
    assert main(cmd) == 2
    err = capsys.readouterr().err
    assert "--months 601: give at least 1 replicate and 1-600 months" in err


def test_another_comparison_never_overwrites_an_earlier_one(tmp_path, capsys):
    out = tmp_path / "effect"
    cmd = [
        "compare",
        "amazon-anthropic-2026",
        "--deal-effect",
        "--replicates",
        "1",
        "--out",
        str(out),
    ]
    assert main([*cmd, "--months", "2"]) == 0
    first = (out / "deal-effect.csv").read_text()
    assert main([*cmd, "--months", "2"]) == 0  # the same comparison: the same rows again
    assert (out / "deal-effect.csv").read_text() == first
    capsys.readouterr()
    assert main([*cmd, "--months", "3"]) == 2  # refused before it runs
    said = capsys.readouterr().err
    assert "holds an earlier deal-effect comparison (different: months)" in said
    assert "--new" in said and (out / "deal-effect.csv").read_text() == first
    assert main([*cmd, "--months", "3", "--new"]) == 0
    (aside,) = tmp_path.glob("effect.old-*")
    assert (aside / "deal-effect.csv").read_text() == first
    assert len(pd.read_csv(out / "deal-effect.csv")) == 3
    assert f"moved the earlier comparison in {out} to {aside}" in capsys.readouterr().err


def test_new_into_a_folder_not_made_yet_just_makes_it(tmp_path, capsys):
    # --new moved the folder aside before looking: a FileNotFoundError's traceback
    out = tmp_path / "effect"
    cmd = [
        "compare",
        "amazon-anthropic-2026",
        "--deal-effect",
        "--months",
        "2",
        "--replicates",
        "1",
    ]
    cmd.append("--new")
    assert main([*cmd, "--out", str(out)]) == 0
    assert len(pd.read_csv(out / "deal-effect.csv")) == 2
    assert "moved" not in capsys.readouterr().err
    assert not list(tmp_path.glob("effect.old-*"))


def test_rows_of_unknown_settings_are_not_overwritten(tmp_path, capsys):
    out = tmp_path / "effect"
    out.mkdir()
    (out / "deal-effect.csv").write_text("scenario,seed\nmine,1\n")
    cmd = ["compare", "amazon-anthropic-2026", "--deal-effect", "--months", "2"]
    assert main([*cmd, "--out", str(out)]) == 2
    assert "no readable deal-effect.json" in capsys.readouterr().err
    assert (out / "deal-effect.csv").read_text() == "scenario,seed\nmine,1\n"


def test_a_folder_of_other_files_and_options_of_other_comparisons_are_refused(
    tmp_path, capsys, monkeypatch
):
    import experiments.deal_effect as deal_effect

    def no_run(*args, **kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(deal_effect, "incremental_revenue", no_run)
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "manifest.json").write_text("{}")  # a plain comparison's sweep folder
    cmd = ["compare", "amazon-anthropic-2026", "--deal-effect", "--months", "2"]
    assert main([*cmd, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out {out} holds other files, not a deal-effect comparison" in err
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
    # options the pairs would not honour are named, not ignored
    assert main([*cmd, "--out", str(tmp_path / "o"), "--workers", "2", "--no-check"]) == 2
    err = capsys.readouterr().err
    assert "--workers, --no-check go with a comparison of scenarios, not with --deal-effect" in err
    assert main([*cmd, "--out", str(tmp_path / "o"), "--outputs", "cloud_hhi"]) == 2
    assert "--outputs goes with a comparison of scenarios" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_folder_that_cannot_take_the_rows_is_refused_before_the_runs(
    tmp_path, capsys, monkeypatch
):
    import experiments.deal_effect as deal_effect

    def no_run(*args, **kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(deal_effect, "incremental_revenue", no_run)
    (tmp_path / "f").write_text("x")
    for out, says in (
        (tmp_path / "f" / "sub", f"{tmp_path / 'f'} is a file, not a folder; give the path of"),
        (Path("/sys/gigawatt-deal-effect-test/out"), "cannot write ("),
    ):
        cmd = ["compare", "amazon-anthropic-2026", "--deal-effect", "--out", str(out)]
        assert main(cmd) == 2
        err = capsys.readouterr().err
        assert f"--out {out}: {says}" in err and "a run started" not in err


def test_scenario_files_of_one_name_stay_apart(tmp_path):
    for folder, growth in (("a", 0.2), ("b", 0.9)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.toml").write_text(
            f'extends = "amazon-anthropic-2026"\n[demand]\ngrowth_per_year = {growth}\n'
        )
    files = [str(tmp_path / "a" / "x.toml"), str(tmp_path / "b" / "x.toml")]
    out = tmp_path / "effect"
    cmd = ["compare", *files, "--deal-effect", "--months", "2", "--replicates", "1"]
    assert main([*cmd, "--out", str(out)]) == 0
    table = pd.read_csv(out / "deal-effect.csv")
    assert list(table["scenario"].unique()) == files


def test_a_late_deal_scenario_file_is_run_for_the_months_asked(tmp_path, capsys):
    # the file's own 120 months pass 2100-12 from 2099-01; --months 2 fits, 120 does not
    late = tmp_path / "late-deal.toml"
    late.write_text(
        'extends = "amazon-anthropic-2026"\nstart = "2099-01"\ndeal.propose = "2099-01"\n'
    )
    assert len(incremental_revenue(late, months=2, rng=1)) == 2
    out = tmp_path / "effect"
    args = ["compare", str(late), "--deal-effect", "--replicates", "1", "--out", str(out)]
    assert main([*args, "--months", "2"]) == 0
    capsys.readouterr()
    assert main([*args, "--months", "120", "--new"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gigawatt compare: --months 120: scenario {str(late)!r}: a run of 120")
    # a file whose own months fit, run for more than fit: --months is named too
    late.write_text(
        'extends = "amazon-anthropic-2026"\nstart = "2100-01"\nmonths = 12\ndeal.propose = "2100-01"\n'
    )
    assert main([*args, "--months", "13", "--new"]) == 2
    assert capsys.readouterr().err.startswith("gigawatt compare: --months 13: scenario ")


def test_set_changes_both_runs_of_each_pair(tmp_path, capsys, monkeypatch):
    import experiments.deal_effect as deal_effect

    ran = []

    def spy(scn, *args, **kwargs):
        ran.append(scn)
        return run_scenario(scn, *args, **kwargs)

    monkeypatch.setattr(deal_effect, "run_scenario", spy)
    out = tmp_path / "effect"
    args = ["compare", "amazon-anthropic-2026", "--deal-effect", "--months", "3"]
    args += ["--replicates", "2", "--seed", "4", "--out", str(out), "--set", "cloud_conduct=1"]
    assert main(args) == 0
    assert len(ran) == 4 and [s.deal.enabled for s in ran] == [True, False] * 2
    assert all(s.cloud_conduct == 1 for s in ran)
    table = pd.read_csv(out / "deal-effect.csv")
    scn = load_scenario("amazon-anthropic-2026", months=3)
    for seed in (4, 5):
        rows = table[table["seed"] == seed]
        for which, s in (("with", scn), ("without", scn.with_overrides({"deal.enabled": False}))):
            direct = run_scenario(s.with_overrides({"cloud_conduct": 1}), 3, seed).model_frame
            plain = run_scenario(s, 3, seed).model_frame
            got = rows[f"compute_spot_price_{which}"].to_numpy()
            np.testing.assert_allclose(got, direct["compute_spot_price"], rtol=1e-12)
            assert not np.allclose(got, plain["compute_spot_price"])


def test_a_bad_set_or_another_set_is_refused_before_the_runs(tmp_path, capsys, monkeypatch):
    import experiments.deal_effect as deal_effect

    out = tmp_path / "effect"
    cmd = ["compare", "amazon-anthropic-2026", "--deal-effect", "--replicates", "1"]
    cmd += ["--months", "2", "--out", str(out)]
    assert main([*cmd, "--set", "cloud_conduct=1"]) == 0
    first = (out / "deal-effect.csv").read_text()
    assert main([*cmd, "--set", "cloud_conduct=1"]) == 0  # the same comparison again

    def no_run(*args, **kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(deal_effect, "run_scenario", no_run)
    capsys.readouterr()
    for other, says in (
        (["--set", "cloud_conduct=0.5"], "(different: overrides)"),
        ([], "(different: overrides)"),
        (
            ["--set", "cloud_conduct=7", "--new"],  # refused before the folder is moved
            "--set cloud_conduct=7: scenario 'amazon-anthropic-2026' cannot take it",
        ),
        (["--set", "months=3"], "--set months=3 and --months 2: give the comparison's length"),
    ):
        assert main([*cmd, *other]) == 2
        err = capsys.readouterr().err
        assert err.startswith("gigawatt compare: ") and says in err, err
        assert "a run started" not in err
    assert (out / "deal-effect.csv").read_text() == first
    assert not list(tmp_path.glob("effect.old-*"))  # a refused --new moves nothing
