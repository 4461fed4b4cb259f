"""The benchmarks' command lines refuse what they cannot run before timing anything.

A benchmark runs for minutes; an option it does not know, a ``--before`` without its
folder, or a folder that is no checkout must stop it at once (exit 2, the option and the
fix named), not be ignored by a full run or fail after the first tables. Each test
replaces the function a benchmark's work starts with by one that fails, so a benchmark
that started would fail the test instead of running.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import benchmarks.__main__ as run_all
from benchmarks import (
    bench_calibration,
    bench_clearing,
    bench_model,
    bench_sweeps,
    bench_viz,
    deal_prices,
    deal_rules,
    profile_run,
    same_numbers,
)
from benchmarks.options import checkout

# the function each benchmark's work starts with
STARTS: dict[ModuleType, str] = {
    bench_calibration: "_direct",
    bench_clearing: "model_shaped_book",
    bench_model: "load_scenario",
    bench_sweeps: "_world",
    bench_viz: "measure",
    deal_prices: "ProcessPoolExecutor",
    deal_rules: "case_scenarios",
    profile_run: "profile",
}


def _started(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the benchmark started before its options were checked")


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, name in STARTS.items():
        monkeypatch.setattr(module, name, _started)
    monkeypatch.setattr(bench_model, "_print_ab", _started)
    monkeypatch.setattr(bench_sweeps, "_print_throughput", _started)


def _refused(main: Any, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``main(argv)`` wrote to stderr as it exited with status 2."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err


@pytest.mark.usefixtures("nothing_starts")
@pytest.mark.parametrize("module", list(STARTS), ids=lambda m: m.__name__)
def test_a_misspelt_option_is_refused(module: ModuleType, capsys) -> None:
    err = _refused(module.main, ["--quik"], capsys)
    assert "unrecognized arguments: --quik" in err


@pytest.mark.usefixtures("nothing_starts")
@pytest.mark.parametrize(
    "module", [bench_model, bench_sweeps, profile_run], ids=lambda m: m.__name__
)
def test_before_must_name_a_checkout_with_an_interpreter(
    module: ModuleType, tmp_path: Path, capsys
) -> None:
    assert "--before: expected one argument" in _refused(module.main, ["--before"], capsys)
    gone = tmp_path / "gone"
    err = _refused(module.main, ["--before", str(gone)], capsys)
    assert f"{gone}: no such folder" in err and "git worktree add" in err
    err = _refused(module.main, ["--before", str(tmp_path)], capsys)
    assert f"{tmp_path}: no .venv/bin/python there" in err and "ln -s" in err


@pytest.mark.usefixtures("nothing_starts")
@pytest.mark.parametrize("module", [deal_prices, deal_rules], ids=lambda m: m.__name__)
@pytest.mark.parametrize("flag", ["--seeds", "--workers"])
def test_seeds_and_workers_must_be_at_least_one(module: ModuleType, flag: str, capsys) -> None:
    err = _refused(module.main, [flag, "0"], capsys)
    assert f"{flag} 0: must be a whole number >= 1 (e.g. {flag} 2)" in err


def test_quick_keeps_the_seeds_given() -> None:
    # --quick set the seeds whatever was given: "--seeds 3 --quick" ran seeds 0-1
    from benchmarks.options import parse_seeds_and_workers

    def parse(argv: list[str]) -> int:
        ap = __import__("argparse").ArgumentParser()
        ap.add_argument("--quick", action="store_true")
        return int(parse_seeds_and_workers(ap, argv, 8, 2).seeds)

    assert (parse([]), parse(["--quick"]), parse(["--seeds", "3", "--quick"])) == (8, 2, 3)


def test_same_numbers_refuses_folders_that_hold_other_runs(tmp_path: Path, capsys) -> None:
    # it compared what A held and said 0: an empty A, or a run missing from either side
    # (a traceback when B lacked it), read as "the same numbers"
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    err = _refused(same_numbers.main, ["compare", str(a), str(b)], capsys)
    assert f"{a}: holds no saved run; write one with: save {a}" in err
    (a / "baseline-s7-model_frame.parquet").write_bytes(b"")
    (a / "baseline-s3-model_frame.parquet").write_bytes(b"")
    (b / "baseline-s7-model_frame.parquet").write_bytes(b"")
    err = _refused(same_numbers.main, ["compare", str(a), str(b)], capsys)
    assert "1 file(s) in only one of the folders, e.g. baseline-s3-model_frame.parquet" in err
    err = _refused(same_numbers.main, ["save", str(tmp_path / "o"), "--pattern", "bogus"], capsys)
    assert "invalid choice: 'bogus'" in err


def test_a_checkout_with_a_linked_interpreter_is_taken(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    assert checkout(str(tmp_path)) == tmp_path


@pytest.mark.usefixtures("nothing_starts")
def test_throughput_only_needs_a_checkout_to_compare(capsys) -> None:
    err = _refused(bench_sweeps.main, ["--throughput-only"], capsys)
    assert "give --before DIR" in err


def test_run_all_passes_quick_to_each_benchmark_named(monkeypatch, capsys) -> None:
    ran: list[tuple[str, list[str]]] = []

    def module(name: str) -> ModuleType:
        fake = ModuleType(name)
        fake.main = lambda argv: ran.append((name, argv))  # type: ignore[attr-defined]
        return fake

    monkeypatch.setattr(run_all.importlib, "import_module", module)
    assert run_all.main(["model", "--quick", "clearing"]) == 0
    assert ran == [
        ("benchmarks.bench_model", ["--quick"]),
        ("benchmarks.bench_clearing", ["--quick"]),
    ]
    ran.clear()
    assert run_all.main([]) == 0
    assert [name for name, _ in ran] == [f"benchmarks.bench_{n}" for n in run_all.NAMES]
    assert all(argv == [] for _, argv in ran)
    err = _refused(run_all.main, ["modle"], capsys)
    assert "unknown benchmark(s) modle; choose from calibration, clearing, model" in err
    assert ran == [(f"benchmarks.bench_{n}", []) for n in run_all.NAMES]  # nothing more ran


def test_same_numbers_compares_only_folders_that_exist(tmp_path: Path, capsys) -> None:
    err = _refused(same_numbers.main, ["compare", str(tmp_path / "a"), str(tmp_path)], capsys)
    assert f"{tmp_path / 'a'}: no such folder" in err
    assert "the following arguments are required" in _refused(same_numbers.main, ["save"], capsys)
