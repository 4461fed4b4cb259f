"""``gigawatt forecast`` on the command line: bad input exits 2 with one line."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from experiments.cli import main
from experiments.posterior import write_posterior
from tests.experiments.forecasting.conftest import make_posterior


def _exit2(capsys, argv: list[str]) -> str:  # type: ignore[no-untyped-def]
    assert main(["forecast", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("gigawatt forecast: ")
    assert "Traceback" not in err
    return err


def test_missing_posterior(tmp_path, capsys) -> None:
    err = _exit2(capsys, ["--posterior", str(tmp_path / "none"), "--out", str(tmp_path / "o")])
    assert "none': no such folder; check the path" in err


def test_a_posterior_value_out_of_range_names_its_row(tmp_path, capsys) -> None:
    frame = pd.DataFrame(
        {"power.interconnection_months": [36.0, 900.0], "weight": [0.0, 1.0]}  # drawn: line 3
    )
    write_posterior(frame, {"scenario": "baseline", "root_seed": 0}, tmp_path / "p")
    argv = ["--posterior", str(tmp_path / "p"), "--out", str(tmp_path / "o"), "--draws", "3"]
    err = _exit2(capsys, argv)
    assert f"posterior {tmp_path / 'p' / 'posterior.csv'} line 3: not a valid 'baseline' " in err
    assert "'power.interconnection_months' = 900" in err and "draw " not in err
    assert not (tmp_path / "o").exists()


def test_path_the_scenario_lacks(tmp_path, capsys) -> None:
    frame = pd.DataFrame({"labs.no-such-lab.cash": [1e9], "weight": [1.0]})
    write_posterior(frame, {"scenario": "baseline", "root_seed": 0}, tmp_path / "p")
    err = _exit2(capsys, ["--posterior", str(tmp_path / "p"), "--out", str(tmp_path / "o")])
    assert "'labs.no-such-lab.cash' is not a path of scenario 'baseline'" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--until", "2035-13"], "until '2035-13': give a calendar month as YYYY-MM"),
        (["--until", "2025-06"], "until 2025-06: before the start"),
        (["--draws", "0"], "draws 0"),
        (["no-such-scenario"], "scenario 'no-such-scenario'"),
        (["--workers", "0"], "--workers 0"),
    ],
)
def test_bad_arguments(tmp_path, capsys, args, words) -> None:
    post = make_posterior(tmp_path / "p")
    err = _exit2(capsys, ["--posterior", str(post), "--out", str(tmp_path / "o"), *args])
    assert words in err
    if args[0] == "--until":  # the scenario loaded: its fix is not offered for --until's
        assert "before --posterior" not in err


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        ({"root_seed": None}, "posterior.json's 'root_seed' is None; it is the fit's seed"),
        ({"root_seed": "seven"}, "posterior.json's 'root_seed' is 'seven'"),
        ({"root_seed": -3}, "posterior.json's 'root_seed' is -3"),
        ({"root_seed": True}, "posterior.json's 'root_seed' is True"),
        ({"scenario": None}, "posterior.json's 'scenario' is None; it names the calibrated"),
    ],
)
def test_a_damaged_posterior_json_is_named_in_one_line(tmp_path, capsys, meta, words) -> None:
    # a null or text seed gave a traceback, a negative one blamed a --seed never given
    post = make_posterior(tmp_path / "p")
    path = post / "posterior.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **meta}))
    err = _exit2(capsys, ["--posterior", str(post), "--out", str(tmp_path / "o")])
    assert f"{post}: {words}" in err


def test_a_forecast_prints_its_summary_and_files(tmp_path, capsys) -> None:
    post = make_posterior(tmp_path / "p")
    argv = ["forecast", "--posterior", str(post), "--out", str(tmp_path / "o")]
    argv += ["--draws", "2", "--until", "2026-02", "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    # one scenario without a deal: a job is one model run
    assert re.search(r"^2 jobs \(2 model runs\) in [0-9.]+ s \([0-9.]+ jobs/s\)$", out, re.M), out
    assert f"wrote {tmp_path / 'o' / 'quantiles.csv'}" in out
    # a forecast of one scenario without a deal: its key metrics' last month, with units
    summary = (tmp_path / "o" / "summary.txt").read_text()
    assert summary in out
    line = next(s for s in summary.splitlines() if "compute_spot_price" in s)
    assert re.fullmatch(
        r"baseline, compute_spot_price \[\$/H100e-h\] at 2026-02: median [0-9.e+-]+ \(.*; "
        r"90% band [0-9.e+-]+ to [0-9.e+-]+; 2 draws\)",
        line,
    ), line
    assert "baseline, capacity_gw_powered [GW] at 2026-02: median" in summary
    assert not list((tmp_path / "o").glob("differences*"))  # one scenario: no differences


def test_help_says_when_differences_are_written(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["forecast", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "with two or more scenarios also differences.csv/.parquet and differences.png" in text


def test_a_scenario_after_posterior_is_named_as_such(tmp_path, capsys) -> None:
    post = make_posterior(tmp_path / "p")
    argv = ["--posterior", str(post), "history-2023", "--out", str(tmp_path / "o")]
    err = _exit2(capsys, argv)
    assert "--posterior history-2023: a scenario, not a posterior folder" in err


def test_pooled_fits_each_give_draws(tmp_path, capsys) -> None:
    first = make_posterior(tmp_path / "p1")
    other = pd.DataFrame(
        {"power.interconnection_months": [30.0], "demand.growth_per_year": [0.7], "weight": [1.0]}
    )
    second = write_posterior(other, {"scenario": "baseline", "root_seed": 5}, tmp_path / "p2")
    argv = ["forecast", "--posterior", str(first), str(second), "--out", str(tmp_path / "o")]
    argv += ["--draws", "12", "--until", "2026-01", "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    drawn = pd.read_csv(tmp_path / "o" / "draws.csv")["demand.growth_per_year"]
    # the first fit's particles (0.3, 0.5, 0.9) and the second's (0.7), nothing else; each fit
    # half the weight, so with 12 draws both appear (all from one fit: 2 / 4096)
    assert set(drawn) <= {0.3, 0.5, 0.9, 0.7}
    assert (drawn == 0.7).any() and (drawn != 0.7).any()


def test_a_damaged_run_manifest_is_reported_on_resume(tmp_path, capsys) -> None:
    post = make_posterior(tmp_path / "p")
    argv = ["--posterior", str(post), "--out", str(tmp_path / "o")]
    argv += ["--draws", "2", "--until", "2026-02", "--workers", "1", "--no-progress"]
    assert main(["forecast", *argv]) == 0
    capsys.readouterr()
    (manifest,) = (tmp_path / "o" / "runs").glob("*/manifest.json")
    manifest.write_text("{not json")
    err = _exit2(capsys, argv)
    assert "manifest.json: damaged" in err


def test_a_scenario_not_built_on_the_posteriors_is_refused(tmp_path, capsys) -> None:
    post = make_posterior(tmp_path / "p", scenario="history-2023")
    argv = ["baseline", "--posterior", str(post), "--out", str(tmp_path / "o")]
    err = _exit2(capsys, [*argv, "--draws", "2", "--until", "2026-02"])
    assert "scenario 'baseline' is not built on 'history-2023'" in err
    assert "forecast 'history-2023' or a scenario that extends it, or calibrate 'baseline'" in err
    assert not (tmp_path / "o").exists()


def test_a_posterior_scenario_file_not_found_here_says_where_it_came_from(tmp_path, capsys):
    # a calibration of a file given by a relative name, forecast from another folder
    post = make_posterior(tmp_path / "post", scenario="mine.toml")
    err = _exit2(capsys, ["--posterior", str(post), "--out", str(tmp_path / "o")])
    assert "scenario file 'mine.toml' does not exist" in err
    assert f"(the scenario posterior.json of {post} names)" in err
    assert err.endswith("name the scenario (a shipped name or a .toml path) before --posterior")
