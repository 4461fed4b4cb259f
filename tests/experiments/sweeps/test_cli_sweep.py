"""The ``gigawatt sweep / analyze / compare`` subcommands, in-process."""

from __future__ import annotations

from pathlib import Path

from experiments.cli import main
from experiments.sweeps import SweepStore
from tests.experiments.sweeps.conftest import TOY_TOML, make_spec


def test_sweep_then_analyze(tmp_path, capsys) -> None:
    spec = tmp_path / "toy.toml"
    spec.write_text(TOY_TOML)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert "24/24 runs done" in capsys.readouterr().out
    assert len(SweepStore.open(out).load()) == 24
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert "24 resumed, 0 run now" in capsys.readouterr().out
    assert main(["analyze", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "means.csv" in printed and "ci_low" in printed
    assert (out / "analysis" / "means.png").is_file()


def test_bad_spec_exits_2_with_the_key(tmp_path, capsys) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(TOY_TOML.replace("replicates = 3", "replicats = 3"))
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "replicats = 3: unknown key" in capsys.readouterr().err


def test_analyze_wrong_dir_exits_2(tmp_path, capsys) -> None:
    assert main(["analyze", str(tmp_path)]) == 2
    assert "not a sweep directory" in capsys.readouterr().err


def test_bad_executor_options_exit_2(tmp_path, capsys) -> None:
    spec = tmp_path / "toy.toml"
    spec.write_text(TOY_TOML)
    assert main(["sweep", str(spec), "--workers", "0", "--no-progress"]) == 2
    assert "--workers 0" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--dask", "tcp://10.0.0.1:8786", "--workers", "2"]) == 2
    assert "scheduler has its own workers" in capsys.readouterr().err


def test_a_scheduler_that_is_not_there_leaves_no_folder(tmp_path, capsys, monkeypatch) -> None:
    import experiments.sweeps.executors as executors

    monkeypatch.setattr(executors, "DASK_CONNECT_TIMEOUT_S", 0.5)
    spec = tmp_path / "toy.toml"
    spec.write_text(TOY_TOML)
    for address, words in (
        ("banana", "dask 'banana': not an address"),
        ("tcp://127.0.0.1:1", "no Dask scheduler answered within 0.5 s"),
    ):
        out = tmp_path / "o"
        argv = ["sweep", str(spec), "--out", str(out), "--dask", address, "--no-progress"]
        assert main(argv) == 2
        assert words in capsys.readouterr().err
        assert not out.exists()  # so the same --out is free once the address is right


def test_unimportable_model_is_refused_before_running(tmp_path, capsys) -> None:
    spec = tmp_path / "m.toml"
    spec.write_text(TOY_TOML.replace("tests.experiments.sweeps.toy", "no_such_pkg.toy"))
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "cannot import module 'no_such_pkg.toy'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_compare_chosen_outputs_and_misspelt_one(tmp_path, capsys) -> None:
    out = tmp_path / "cmp"
    args = ["compare", "baseline", "power-crunch", "--replicates", "2", "--months", "3"]
    args += ["--workers", "1", "--no-progress", "--out", str(out)]
    assert main([*args, "--outputs", "compute_spot_price,labs_activ"]) == 2
    err = capsys.readouterr().err
    # in the command's own terms, once: the flag, not the sweep spec's keys
    assert err.startswith("gigawatt compare: --outputs 'labs_activ': no column 'labs_activ'")
    assert "did you mean 'labs_active'" in err and err.count("labs_activ'") == 2
    assert "outputs.final" not in err and "sweep spec" not in err
    assert not out.exists()
    assert main(["compare", "baseline", "no-dea", "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(
        "gigawatt compare: scenario 'no-dea' is not a shipped name or a .toml file"
    )
    assert main([*args, "--outputs", "compute_spot_price,labs_active"]) == 0
    printed = capsys.readouterr().out
    assert "$/H100e-h" in printed and "relative" in printed
    table = (out / "compare.csv").read_text()
    assert "labs_active" in table and "cloud_hhi" not in table
    assert (out / "compare_series.png").is_file()


def test_failed_runs_print_their_error(tmp_path, capsys) -> None:
    spec = tmp_path / "f.toml"
    spec.write_text(
        TOY_TOML.replace("n = 8", "n = 2")
        + '\n[[parameters]]\npath = "fail_above"\nlevels = [0.5]\n'
    )
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 1
    printed = capsys.readouterr().out
    # a = 1.0 is above 0.5 in all 3 replicates; a = 0.0 runs
    assert "3 runs failed with ValueError: a = 1.0 above fail_above" in printed
    assert "(0 resumed, 6 run now, 3 failed)" in printed
    argv = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main([*argv, "--no-retry-failed"]) == 1
    printed = capsys.readouterr().out
    # the 3 that ran are resumed, the 3 failed are left failed: they were counted as resumed,
    # and the advice was to run the same command, which skips them again
    assert "3/6 runs done (3 resumed, 0 run now, 3 failed)" in printed
    assert "(drop --no-retry-failed to retry them)" in printed


def test_compare_refuses_a_repeated_scenario(tmp_path, capsys) -> None:
    # its runs would be pooled: n = 2 x replicates, intervals too narrow
    out = tmp_path / "cmp"
    argv = ["compare", "baseline", "baseline", "--replicates", "2", "--months", "3"]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gigawatt compare: scenario 'baseline' is given 2 times: ")
    assert "name each scenario once" in err and not out.exists()
    assert main(["compare", "no-deal", "baseline", "no-deal", "baseline", "--months", "3"]) == 2
    assert "scenarios 'no-deal', 'baseline' are each given more than once" in (
        capsys.readouterr().err
    )


def test_compare_runs_a_late_scenario_file_for_its_months(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # (a short name on the figures' axes)
    late = tmp_path / "late.toml"  # its own 120 months pass 2100-12 from 2095-01
    late.write_text('extends = "baseline"\nstart = "2095-01"\n')
    out = tmp_path / "cmp"
    args = ["compare", "baseline", "late.toml", "--replicates", "1", "--months", "2"]
    args += ["--workers", "1", "--no-progress", "--outputs", "labs_active", "--out", str(out)]
    assert main(args) == 0
    assert "labs_active" in (out / "compare.csv").read_text()


def test_compare_default_folders_differ_with_the_spec() -> None:
    from experiments.cli_sweep import compare_folder

    plain = compare_folder(["baseline", "no-deal"], 8, 120, 0, None)
    assert plain == Path("sweeps-out/compare-baseline-no-deal-r8-m120-s0")
    assert compare_folder(["baseline", "no-deal"], 8, 120, 1, None).name.endswith("-s1")
    # outputs differing past a cut, files of one stem, an output's table: the hash parts them
    many = ["compute_spot_price", "throttled_share", "labs_active", "capacity_gw_powered"]
    names = {
        compare_folder(["baseline", "power-crunch"], 8, 96, 0, many),
        compare_folder(["baseline", "power-crunch"], 8, 96, 0, [*many, "cloud_hhi"]),
        compare_folder(["baseline", "a/late.toml"], 8, 96, 0, None),
        compare_folder(["baseline", "b/late.toml"], 8, 96, 0, None),
        compare_folder(["baseline"], 8, 96, 0, ["deals.round_trip_ratio"]),
        compare_folder(["baseline"], 8, 96, 0, ["round_trip_ratio"]),
        compare_folder(["baseline", "x" * 200], 8, 96, 0, None),
        compare_folder(["baseline", "x" * 201], 8, 96, 0, None),
    }
    assert len(names) == 8
    for name in names:
        assert name.parent == Path("sweeps-out") and len(name.name) <= 80
        assert "-r8-m96-s0" in name.name  # the settings stay readable
    # the same settings, the same folder: a comparison resumes
    assert compare_folder(["baseline", "a/late.toml"], 8, 96, 0, None) in names


def test_a_second_comparison_differing_only_in_seed_gets_a_folder_of_its_own(
    tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["compare", "baseline", "--replicates", "1", "--months", "2", "--workers", "1"]
    args += ["--no-progress", "--outputs", "labs_active"]
    assert main([*args, "--seed", "1"]) == 0
    assert main([*args, "--seed", "2"]) == 0
    made = sorted(p.name for p in (tmp_path / "sweeps-out").iterdir())
    assert made == [
        "compare-baseline-r1-m2-s1-labs_active",
        "compare-baseline-r1-m2-s2-labs_active",
    ]


def test_analyze_with_no_finished_run_exits_2_and_says_what_to_run(tmp_path, capsys) -> None:
    spec = tmp_path / "f.toml"
    spec.write_text(TOY_TOML + '\n[[parameters]]\npath = "fail_seeded"\nlevels = [1]\n')
    out = tmp_path / "out"
    # every run fails (the dry run passes): the sweep's own --analyze says so, exit 2
    argv = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main([*argv, "--analyze"]) == 2
    err = capsys.readouterr().err
    assert "no run has finished yet (24 failed, 0 pending of 24)" in err
    assert str(out / "failures") in err
    assert main(["analyze", str(out)]) == 2
    assert not (out / "analysis").exists()
    # a sweep created but not run: its runs are pending, and resuming is the fix
    pending = tmp_path / "pending"
    with SweepStore.create(pending, make_spec()):
        pass
    assert main(["analyze", str(pending)]) == 2
    err = capsys.readouterr().err
    assert "(0 failed, 12 pending of 12)" in err and "it resumes" in err


def test_a_sobol_sample_off_a_power_of_2_is_noted_once(tmp_path, capfd) -> None:
    # validate_sweep and the store each sample the design; SALib's own warning (scipy's
    # qmc) came once from each, naming a file in site-packages
    for samples, said in ((6, "use 4 or 8 samples"), (8, None)):
        spec = tmp_path / f"s{samples}.toml"
        toml = TOY_TOML.replace('kind = "grid"', f'kind = "sobol"\nsamples = {samples}')
        toml = toml.replace("n = 8\n", "").replace("replicates = 3", "replicates = 1")
        spec.write_text(toml + '\n[[parameters]]\npath = "b"\nmin = 0.0\nmax = 1.0\n')
        out = tmp_path / f"out{samples}"
        argv = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]
        assert main(argv) == 0
        err = capfd.readouterr().err
        assert "balance properties" not in err
        if said is None:
            assert "Sobol'" not in err
        else:
            assert err.count("Sobol'") == 1 and f"samples = {samples}:" in err and said in err


def test_compare_set_reaches_every_scenarios_runs(tmp_path, capsys) -> None:
    import numpy as np

    from experiments import load_scenario, run_scenario

    out = tmp_path / "cmp"
    argv = ["compare", "no-deal", "amazon-anthropic-2026", "--replicates", "2", "--months", "3"]
    argv += ["--seed", "4", "--workers", "1", "--no-progress", "--out", str(out)]
    argv += ["--outputs", "compute_spot_price,cloud_hhi", "--set", "cloud_conduct=1"]
    assert main(argv) == 0
    store = SweepStore.open(out)
    assert store.spec().overrides == {"cloud_conduct": 1}  # a re-read comparison knows it
    frame, series = store.load(), store.load_series()
    assert len(frame) == 4
    for run in frame.itertuples():
        scn = load_scenario(str(run.scenario), months=3)
        seed = int(run.seed)
        direct = run_scenario(scn.with_overrides({"cloud_conduct": 1}), months=3, rng=seed)
        plain = run_scenario(scn, months=3, rng=seed)
        kept = series[series["run_id"] == run.run_id].sort_values("month")
        np.testing.assert_allclose(
            kept["compute_spot_price@month"], direct.model_frame["compute_spot_price"]
        )
        assert run.cloud_hhi == direct.model_frame["cloud_hhi"].iloc[-1]
        assert run.cloud_hhi != plain.model_frame["cloud_hhi"].iloc[-1]


def test_compare_refuses_a_bad_set_before_any_run(tmp_path, capsys, monkeypatch) -> None:
    import experiments.sweeps.model as model

    def no_run(**kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(model, "run_scenario_model", no_run)
    out = tmp_path / "cmp"
    argv = ["compare", "no-deal", "amazon-anthropic-2026", "--months", "3", "--out", str(out)]
    for bad, says in (
        (
            ["--set", "cloud_conduct=1", "--set", "cloud_conduct=7"],
            "--set cloud_conduct=7: scenario 'no-deal' cannot take it: ",
        ),
        (["--set", "labs.anthropic.max_cloud_shares=0.5"], "did you mean 'max_cloud_share'"),
        (["--set", "cloud_conduct"], "--set 'cloud_conduct': give PATH=VALUE"),
        (["--set", "months=2"], "--set months=2 and --months 3: give the comparison's length"),
    ):
        assert main([*argv, *bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("gigawatt compare: ") and says in err, err
        assert "a run started" not in err and not out.exists()
    # an override the first scenario takes and the second cannot (its deal is enabled, so
    # its investor must be a cloud): the message names the second
    assert main([*argv, "--set", "deal.investor=nobody"]) == 2
    err = capsys.readouterr().err
    assert "--set deal.investor=nobody: scenario 'amazon-anthropic-2026' cannot take it" in err
    assert "unknown name; allowed: ['amazon'," in err and not out.exists()


def test_compare_resumed_with_other_sets_is_refused(tmp_path, capsys) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", "no-deal", "--replicates", "1", "--months", "2", "--workers", "1"]
    argv += ["--no-progress", "--outputs", "labs_active", "--out", str(out)]
    assert main([*argv, "--set", "cloud_conduct=1"]) == 0
    assert main([*argv, "--set", "cloud_conduct=1"]) == 0  # the same: resumed
    capsys.readouterr()
    for other in (["--set", "cloud_conduct=0.5"], []):
        assert main([*argv, *other]) == 2
        err = capsys.readouterr().err
        assert "holds a sweep of a different spec (changed: overrides.cloud_conduct: 1 -> " in err
        assert f"--out {out} --new" in err
    assert SweepStore.open(out).spec().overrides == {"cloud_conduct": 1}
    assert main([*argv, "--set", "cloud_conduct=0.5", "--new"]) == 0
    assert SweepStore.open(out).spec().overrides == {"cloud_conduct": 0.5}


def test_compare_default_folders_differ_with_the_sets() -> None:
    from experiments.cli_sweep import compare_folder

    plain = compare_folder(["baseline", "no-deal"], 8, 120, 0, None)
    one = compare_folder(["baseline", "no-deal"], 8, 120, 0, None, {"cloud_conduct": 1})
    other = compare_folder(["baseline", "no-deal"], 8, 120, 0, None, {"cloud_conduct": 0.5})
    assert len({plain, one, other}) == 3
    assert one.name.startswith("compare-baseline-no-deal-r8-m120-s0-set-")
    assert compare_folder(["baseline", "no-deal"], 8, 120, 0, None, {}) == plain
