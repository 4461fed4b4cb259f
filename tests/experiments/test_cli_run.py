"""gigawatt run: writes Parquet tables, PNG figures and a summary; refuses bad input."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main


def test_run_writes_tables_figures_summary(tmp_path, capsys):
    out = tmp_path / "r"
    code = main(["run", "baseline", "--months", "3", "--seed", "1", "--out", str(out), "--quiet"])
    assert code == 0
    frame = pd.read_parquet(out / "model_frame.parquet")
    assert len(frame) == 3
    for name in ("regions", "agents", "deals", "contracts", "labs"):
        assert (out / f"{name}.parquet").exists()
    for fig in ("prices", "capacity", "concentration", "throttling", "deals"):
        assert (out / "report" / f"{fig}.png").read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "compute spot price" in printed and str(out) in printed
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_a_run_folder_reads_as_a_plainly_created_one(tmp_path):
    old = os.umask(0o002)  # a group-shared setup: new files 0664, folders 0775
    try:
        (tmp_path / "plain").mkdir()  # the oracle: the system's own modes
        (tmp_path / "plain" / "file").write_text("")
        assert main(["run", "--months", "1", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    finally:
        os.umask(old)

    def mode(p):
        return stat.S_IMODE(p.stat().st_mode)

    folder, file = mode(tmp_path / "plain"), mode(tmp_path / "plain" / "file")
    written = [tmp_path / "r", *(tmp_path / "r").rglob("*")]
    assert len(written) > 10
    odd = {str(p): oct(mode(p)) for p in written if mode(p) != (folder if p.is_dir() else file)}
    assert not odd


def test_existing_output_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["run", "--months", "1", "--out", str(out), "--quiet"]) == 2
    assert "folder exists and is not empty" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "x"


def test_bad_scenario_file(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text('extends = "baseline"\nmonths = 0\n')
    assert main(["run", str(p), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "scenario key 'months' = 0" in capsys.readouterr().err


def test_no_check_flag_reaches_the_run(tmp_path, monkeypatch):
    import experiments.cli_run as cli_run

    seen = []
    real = cli_run.run_scenario

    def spy(*args, **kwargs):
        seen.append(kwargs["check"])
        return real(*args, **kwargs)

    monkeypatch.setattr(cli_run, "run_scenario", spy)
    assert main(["run", "--months", "1", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert (
        main(["run", "--months", "1", "--out", str(tmp_path / "b"), "--quiet", "--no-check"]) == 0
    )
    assert seen == [True, False]


def test_a_folder_taken_while_the_run_ran_leaves_both_runs(tmp_path, capsys, monkeypatch):
    """Another process fills the run's folder while it runs (two runs of one scenario and
    seed started in the same second share a default name): this run is written beside it,
    under the next free name, and the other run's folder is left as it was."""
    import experiments.cli_run as cli_run

    out = tmp_path / "r"
    real = cli_run.write_report

    def another_run_finishes_first(*args, **kwargs):
        out.mkdir()
        (out / "summary.txt").write_text("the other run")
        return real(*args, **kwargs)

    monkeypatch.setattr(cli_run, "write_report", another_run_finishes_first)
    assert main(["run", "--months", "1", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "r-2"]  # no temp folder left
    assert [p.name for p in out.iterdir()] == ["summary.txt"]
    assert (out / "summary.txt").read_text() == "the other run"
    assert len(pd.read_parquet(tmp_path / "r-2" / "model_frame.parquet")) == 1
    io = capsys.readouterr()
    assert f"wrote {tmp_path / 'r-2'}/" in io.out
    assert f"{out} was filled by another process" in io.err


def test_an_empty_out_that_cannot_be_replaced_keeps_the_run_beside_it(
    tmp_path, capsys, monkeypatch
):
    """An empty ``--out`` that turns out not to be replaceable at the end (the rename the
    kernel refuses for a mount point or an immutable folder, raised here as the kernel
    does): the run is written under the next free name, not lost."""
    import errno

    import experiments.paths as paths

    out = tmp_path / "r"
    out.mkdir()
    real = os.rename

    def refuse_the_out(src, dst):
        if Path(dst) == out:
            raise OSError(errno.EBUSY, "Device or resource busy", str(dst))
        return real(src, dst)

    monkeypatch.setattr(paths.os, "rename", refuse_the_out)
    assert main(["run", "--months", "1", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "r-2"]
    assert list(out.iterdir()) == []
    assert len(pd.read_parquet(tmp_path / "r-2" / "model_frame.parquet")) == 1
    assert f"{out} could not be replaced by the run's folder" in capsys.readouterr().err


def test_a_mount_point_out_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    import experiments.cli_run as cli_run

    out = tmp_path / "mnt"
    out.mkdir()
    real = os.path.ismount
    monkeypatch.setattr(cli_run.os.path, "ismount", lambda p: Path(p) == out or real(p))
    monkeypatch.setattr(cli_run, "run_scenario", lambda *a, **k: pytest.fail("ran"))
    assert main(["run", "--months", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: a mount point" in err and f"--out {out / 'run'}" in err


def test_set_changes_the_scenario_as_a_files_overrides_do(tmp_path):
    # the oracle: the same changes written as a scenario file's [overrides] table
    scenario = tmp_path / "second-source.toml"
    scenario.write_text(
        'extends = "baseline"\nname = "baseline"\n\n[overrides]\n'
        '"labs.anthropic.max_cloud_share" = 0.5\n"demand.training_bid_share" = 1.0\n'
    )
    args = ["--months", "4", "--seed", "2", "--quiet"]
    assert main(["run", str(scenario), "--out", str(tmp_path / "file"), *args]) == 0
    sets = ["--set", "labs.anthropic.max_cloud_share=0.5", "--set", "demand.training_bid_share=1"]
    assert main(["run", "baseline", "--out", str(tmp_path / "flag"), *sets, *args]) == 0
    plain = ["run", "baseline", "--out", str(tmp_path / "plain"), *args]
    assert main(plain) == 0
    frames = {
        k: pd.read_parquet(tmp_path / k / "model_frame.parquet") for k in ("file", "flag", "plain")
    }
    pd.testing.assert_frame_equal(frames["flag"], frames["file"])
    assert not frames["flag"]["compute_spot_price"].equals(frames["plain"]["compute_spot_price"])


def test_a_bad_set_is_refused_naming_the_flag(tmp_path, capsys):
    for bad, says in (
        ("labs.anthropic.max_cloud_shares=0.5", "did you mean 'max_cloud_share'"),
        ("labs.anthropic.max_cloud_share=2", "less than or equal to 1"),
        ("max_cloud_share", "give PATH=VALUE"),
    ):
        out = tmp_path / "r"
        assert main(["run", "--months", "1", "--out", str(out), "--quiet", "--set", bad]) == 2
        err = capsys.readouterr().err
        assert "--set" in err and says in err, err
        assert not out.exists()


def test_months_decides_the_length_of_a_run_of_a_late_scenario_file(tmp_path, capsys):
    # the file's own months (120, from baseline) pass the calendar from 2095-01; --months
    # is the run's length, so a short run of it works and a long one is refused naming it
    late = tmp_path / "late.toml"
    late.write_text('extends = "baseline"\nstart = "2095-01"\n')
    out = tmp_path / "r"
    assert main(["run", str(late), "--months", "2", "--out", str(out), "--quiet"]) == 0
    frame = pd.read_parquet(out / "model_frame.parquet")
    assert len(frame) == 2 and frame["date"].iloc[0] == pd.Timestamp("2095-01-01")
    capsys.readouterr()
    assert main(["run", str(late), "--months", "120", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gigawatt run: error: --months 120: a run of 120 months from 2095-01")
    assert "run at most 72 months" in err and not (tmp_path / "o").exists()
    # without --months the file's own length is the run's, and that does not fit
    assert main(["run", str(late), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "scenario key 'months' = 120" in capsys.readouterr().err
    # --set months with --months: two lengths, refused naming both
    argv = ["run", str(late), "--months", "2", "--set", "months=3", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "--set months=3 and --months 2: give the run's length once" in capsys.readouterr().err


def test_a_run_folder_records_what_was_run_and_reproduces_it(tmp_path):
    import json

    from agents.scenario import Scenario
    from experiments import run_scenario
    from experiments.cli_run import RUN_FILE

    out = tmp_path / "r"
    argv = ["run", "baseline", "--months", "3", "--seed", "5", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    run = json.loads((out / RUN_FILE).read_text())
    assert run == {
        "scenario": "baseline",
        "given_as": "baseline",
        "seed": 5,
        "months": 3,
        "start": "2026-01",
    }
    scenario = Scenario.from_dict(json.loads((out / "scenario.json").read_text()))
    assert scenario.months == 3  # the months run, not the scenario's 120
    again = run_scenario(scenario, rng=run["seed"])
    pd.testing.assert_frame_equal(
        again.model_frame, pd.read_parquet(out / "model_frame.parquet"), check_dtype=False
    )
    summary = (out / "summary.txt").read_text().splitlines()
    assert summary[0] == "scenario baseline, seed 5, 3 months (2026-01 to 2026-03)"
    assert any(line.startswith("lock-in index (years of spend) ") for line in summary)


def test_the_summary_names_a_scenario_file_as_given(tmp_path):
    late = tmp_path / "late.toml"
    late.write_text('extends = "baseline"\nstart = "2095-01"\n')
    out = tmp_path / "r"
    argv = ["run", str(late), "--months", "1", "--seed", "2", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    first = (out / "summary.txt").read_text().splitlines()[0]
    assert first == f"scenario baseline ({late}), seed 2, 1 month (2095-01 to 2095-01)"


def test_a_run_folders_scenario_json_runs_the_run_again(tmp_path, capsys):
    # it was refused as "not valid TOML (fix the syntax)": only Python could read it back
    first, again = tmp_path / "first", tmp_path / "again"
    assert main(["run", "baseline", "--months", "3", "--seed", "3", "--out", str(first)]) == 0
    json_file = str(first / "scenario.json")
    assert main(["run", json_file, "--seed", "3", "--out", str(again)]) == 0
    frames = [pd.read_parquet(d / "model_frame.parquet") for d in (first, again)]
    assert len(frames[1]) == 3 and frames[0].equals(frames[1])
    (tmp_path / "list.json").write_text("[1, 2]")
    assert main(["run", str(tmp_path / "list.json")]) == 2
    assert "holds a JSON list, not a table of scenario keys" in capsys.readouterr().err
