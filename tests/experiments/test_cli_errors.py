"""Bad command-line input: exit 2 with one line naming the flag, the value and the fix."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from experiments.sweeps import shards as shards_mod
from experiments.sweeps import store as store_mod
from tests.experiments.sweeps.conftest import TOY_TOML

SYS_DIR = Path("/sys/gigawatt-cli-test/out")  # mkdir there fails (EPERM) even as root


def _exit2(capsys, argv: list[str]) -> str:  # type: ignore[no-untyped-def]
    """Run the CLI; check exit 2 and a one-line message without a traceback; return it."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def spec(tmp_path) -> Path:
    p = tmp_path / "toy.toml"
    p.write_text(TOY_TOML)
    return p


# -- gigawatt run ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", ["-1", "-7", "-99999999999"])
def test_run_negative_seed(tmp_path, capsys, seed) -> None:
    err = _exit2(capsys, ["run", "--months", "1", "--seed", seed, "--out", str(tmp_path / "o")])
    assert f"--seed {seed}: a seed must be a whole number >= 0" in err
    assert not (tmp_path / "o").exists()


def test_run_out_is_a_file(tmp_path, capsys) -> None:
    f = tmp_path / "file.txt"
    f.write_text("keep")
    assert "is a file; give a new folder path" in _exit2(
        capsys, ["run", "--months", "1", "--out", str(f), "--quiet"]
    )
    assert f.read_text() == "keep"


@pytest.mark.parametrize("where", ["under-a-file", "sys", "nul"])
def test_run_out_not_writable(tmp_path, capsys, where) -> None:
    (tmp_path / "file.txt").write_text("x")
    out = {
        "under-a-file": str(tmp_path / "file.txt" / "sub"),
        "sys": str(SYS_DIR),
        "nul": str(tmp_path / "a\x00b"),
    }[where]
    err = _exit2(capsys, ["run", "--months", "1", "--out", out, "--quiet"])
    assert err.startswith("gigawatt run: error: --out ")
    said = {
        "under-a-file": f"{tmp_path / 'file.txt'} is a file, not a folder",
        "sys": "cannot write (",
        "nul": "NUL byte",
    }[where]
    assert said in err


def test_run_out_a_link_to_nothing_and_a_default_folder_in_the_way(
    tmp_path, capsys, monkeypatch
) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere" / "dir")
    err = _exit2(capsys, ["run", "--months", "1", "--out", str(link), "--quiet"])
    assert f"--out {link}: a symbolic link to {tmp_path / 'nowhere' / 'dir'}, which does" in err
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").write_text("x")  # where the default run folder would go
    err = _exit2(capsys, ["run", "--months", "1", "--quiet"])
    assert "(the default output folder): runs is a file, not a folder" in err
    assert "--out runs/" not in err  # the user gave no --out


def test_run_disk_full_while_writing(tmp_path, capsys, monkeypatch) -> None:
    def full(*_a, **_k):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    out = tmp_path / "o"
    err = _exit2(capsys, ["run", "--months", "1", "--out", str(out), "--quiet"])
    assert f"--out {out}: cannot write the run (No space left on device)" in err
    assert not out.exists() and not list(tmp_path.glob(".*"))  # no half-written folder


@pytest.mark.parametrize("months", ["0", "-3", "601"])
def test_run_bad_months(tmp_path, capsys, months) -> None:
    # refused before anything runs: no progress bar on stderr, no output folder
    err = _exit2(capsys, ["run", "--months", months, "--out", str(tmp_path / "o")])
    assert err.startswith(f"gigawatt run: error: --months {months}: must be a whole number")
    assert not (tmp_path / "o").exists()


def test_run_past_the_calendars_last_month(tmp_path, capsys) -> None:
    # refused before anything runs, naming how many months fit from the scenario's start
    late = tmp_path / "late.toml"
    late.write_text('extends = "baseline"\nstart = "2095-01"\nmonths = 12\n')
    err = _exit2(capsys, ["run", str(late), "--months", "120", "--out", str(tmp_path / "o")])
    assert err.startswith("gigawatt run: error: --months 120: a run of 120 months from 2095-01")
    assert "run at most 72 months" in err
    assert "month/s" not in err and not (tmp_path / "o").exists()


def test_run_default_folder_of_a_path_like_name_stays_under_runs(tmp_path, monkeypatch) -> None:
    from experiments.cli_run import _fresh

    monkeypatch.chdir(tmp_path)
    for name in ("/tmp/x/pwned", "../../escaped/x", "a\x00b", "..", ""):
        out = _fresh(name, 3).resolve()
        assert out.parent == (tmp_path / "runs").resolve(), name
        assert "\x00" not in str(out)


# -- gigawatt sweep ---------------------------------------------------------------------------
def test_sweep_out_is_a_file(tmp_path, capsys, spec) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    err = _exit2(capsys, ["sweep", str(spec), "--out", str(f), "--no-progress"])
    assert f"{f} is a file, not a folder; give a folder path for --out" in err


@pytest.mark.parametrize("where", ["under-a-file", "sys", "nul"])
def test_sweep_out_not_writable(tmp_path, capsys, spec, where) -> None:
    (tmp_path / "f").write_text("x")
    out = {
        "under-a-file": str(tmp_path / "f" / "sub"),
        "sys": str(SYS_DIR),
        "nul": str(tmp_path / "a\x00b"),
    }[where]
    err = _exit2(capsys, ["sweep", str(spec), "--out", out, "--workers", "1", "--no-progress"])
    assert "cannot write" in err or "NUL byte" in err


@pytest.mark.parametrize(
    ("errno_", "text"),
    [(errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left on device")],
)
def test_sweep_read_only_or_full_folder(tmp_path, capsys, monkeypatch, spec, errno_, text) -> None:
    def failing(path: Path, data: bytes, **_kw: object) -> None:  # results cannot be written
        raise OSError(errno_, text)

    monkeypatch.setattr(shards_mod, "atomic_write_bytes", failing)
    out = tmp_path / "o"
    err = _exit2(capsys, ["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"])
    assert f"{out}: cannot write results ({text})" in err
    assert "run the same command to resume" in err

    monkeypatch.setattr(store_mod, "atomic_write_bytes", failing)  # cannot even start
    err = _exit2(capsys, ["sweep", str(spec), "--out", str(tmp_path / "p"), "--no-progress"])
    assert f"cannot write ({text}); choose a writable --out folder" in err


@pytest.mark.parametrize(
    "address",
    ["foo", "foo:bar", "garbage://x:1", "tcp://host:notaport", "tcp://:8786", "tcp://h:70000", " "],
)
def test_sweep_garbage_dask_address(tmp_path, capsys, spec, address) -> None:
    err = _exit2(capsys, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--dask", address])
    assert f"dask {address!r}: not an address" in err
    assert "tcp://10.0.0.5:8786" in err


def test_sweep_dead_dask_address_fails_fast(tmp_path, capsys, spec) -> None:
    pytest.importorskip("distributed")
    err = _exit2(
        capsys, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--dask", "tcp://127.0.0.1:1"]
    )
    assert "dask tcp://127.0.0.1:1: no Dask scheduler answered within 5 s" in err
    assert "--dask local" in err


@pytest.mark.parametrize("name", ["/tmp/gigawatt-x/pwned", "../../escaped/x", "a\\u0000b", ".."])
def test_sweep_name_cannot_leave_the_output_folder(tmp_path, monkeypatch, spec, name) -> None:
    monkeypatch.chdir(tmp_path)
    spec.write_text(TOY_TOML.replace('name = "toy-crash"', f'name = "{name}"'))
    assert main(["sweep", str(spec), "--workers", "1", "--no-progress"]) == 0
    made = [p for p in (tmp_path / "sweeps-out").iterdir()]
    assert len(made) == 1 and (made[0] / "manifest.json").is_file()
    assert not Path("/tmp/gigawatt-x").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweeps-out", "toy.toml"]


# -- gigawatt compare / analyze --------------------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "text"),
    [
        (["--months", "601"], "--months 601: must be a whole number in 1..600"),
        (["--months", "0"], "--months 0: must be a whole number in 1..600"),
        (["--seed", "-1"], "--seed -1: a seed must be a whole number in 0.."),
        (["--replicates", "0"], "--replicates 0: give a whole number in 1..100000"),
    ],
)
def test_compare_bad_numbers(tmp_path, capsys, flags, text) -> None:
    # the flag as the user typed it, once after the command's name; no folder made
    err = _exit2(capsys, ["compare", "baseline", "no-deal", "--out", str(tmp_path / "c"), *flags])
    assert err.startswith(f"gigawatt compare: {text}")
    assert "compare: compare:" not in err
    assert not (tmp_path / "c").exists()


def test_compare_past_the_calendars_last_month_names_months_and_the_scenario(
    tmp_path, capsys
) -> None:
    late = tmp_path / "late.toml"
    late.write_text('extends = "baseline"\nstart = "2095-01"\n')
    out = tmp_path / "c"
    err = _exit2(capsys, ["compare", "baseline", str(late), "--months", "120", "--out", str(out)])
    assert err.startswith(f"gigawatt compare: --months 120: scenario {str(late)!r}: a run of 120")
    assert "run at most 72 months" in err and not out.exists()


@pytest.mark.parametrize("kind", ["file", "nul", "missing"])
def test_analyze_not_a_sweep_folder(tmp_path, capsys, kind) -> None:
    (tmp_path / "f").write_text("x")
    target = {"file": tmp_path / "f", "nul": tmp_path / "a\x00b", "missing": tmp_path / "m"}[kind]
    err = _exit2(capsys, ["analyze", str(target)])
    assert "is a file" in err or "NUL byte" in err or "not a sweep directory" in err


def test_ctrl_c_during_run_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    import experiments.cli_run as cli_run

    def interrupted(*_a, **_k):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_run, "run_scenario", interrupted)
    assert main(["run", "--months", "2", "--out", str(tmp_path / "o"), "--quiet"]) == 130
    assert capsys.readouterr().err.strip() == "gigawatt run: interrupted (SIGINT)"
    assert not (tmp_path / "o").exists()


def test_analyze_output_folder_not_writable(tmp_path, capsys, spec) -> None:
    out = tmp_path / "s"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    err = _exit2(capsys, ["analyze", str(out), "--out", str(SYS_DIR)])
    assert f"--out {SYS_DIR}: cannot write (Operation not permitted)" in err
    # discover too; and a sweep shared read-only, whose own analysis folder cannot be made
    err = _exit2(capsys, ["discover", str(out), "--where", "y > 0", "--out", str(SYS_DIR)])
    assert f"gigawatt discover: --out {SYS_DIR}: cannot write (Operation not permitted)" in err
    (out / "analysis").write_text("not a folder")  # what makes mkdir fail even for root
    err = _exit2(capsys, ["discover", str(out), "--where", "y > 0"])
    said = f"gigawatt discover: {out}/analysis (the default output folder): is a file, not a "
    assert said in err and "move the file or give --out a folder" in err
    err = _exit2(capsys, ["analyze", str(out)])  # analyze's default folder is the same
    assert f"gigawatt analyze: {out}/analysis (the default output folder): is a file, not" in err


def test_analyze_out_that_is_a_file_is_named_a_file(tmp_path, capsys, spec) -> None:
    out = tmp_path / "s"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    (tmp_path / "README.md").write_text("a file")
    err = _exit2(capsys, ["analyze", str(out), "--out", str(tmp_path / "README.md")])
    assert err == (
        f"gigawatt analyze: --out {tmp_path}/README.md: is a file, not a folder; "
        "give the path of a folder"
    )
    err = _exit2(capsys, ["analyze", str(out), "--out", str(tmp_path / "README.md" / "x")])
    assert f"--out {tmp_path}/README.md/x: {tmp_path}/README.md is a file, not a folder" in err
    assert "File exists" not in err and "Not a directory" not in err


@pytest.mark.parametrize("value", ["5", "-1", "0", "1.5", "nan"])
def test_discover_min_coverage_out_of_range(tmp_path, capsys, spec, value) -> None:
    out = tmp_path / "s"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    err = _exit2(capsys, ["discover", str(out), "--where", "y > 0.5", "--min-coverage", value])
    assert err.startswith(f"gigawatt discover: --min-coverage {float(value):g}: ")
    assert "greater than 0 and at most 1" in err
    assert not (out / "analysis").exists()  # refused before anything is written


def test_ctrl_c_while_the_commands_are_imported_is_one_line(capsys, monkeypatch) -> None:
    import experiments.cli as cli

    def slow_imports():  # the parser imports every command's module: seconds on a cold start
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", slow_imports)
    assert cli.main(["run", "--months", "3"]) == 130
    assert capsys.readouterr().err == "gigawatt run: interrupted (SIGINT)\n"
