"""``gigawatt list`` and plain-words ``--help`` for every subcommand."""

from __future__ import annotations

import re

import pytest

from agents.scenario import LEVERS
from experiments.cli import build_parser, main, plain_help
from experiments.cli_list import plain_table
from experiments.scenarios import list_scenarios, load_scenario
from experiments.sweeps import load_spec


def test_list_scenarios_shows_every_shipped_one_with_its_description(capsys) -> None:
    assert main(["list", "scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["scenario", "months", "description"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert list(rows) == list_scenarios()
    for name, line in rows.items():
        assert line.rstrip().endswith(load_scenario(name).description)


def test_list_specs_shows_each_shipped_spec_with_its_runs_and_file(capsys) -> None:
    assert main(["list", "specs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["spec", "design", "runs", "months", "base", "file"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    # runs by hand from the files: a 3 x 3 grid x 2 seeds; Morris, 10 trajectories of
    # (7 inputs + 1) points x 2 seeds; Sobol', 64 x (5 inputs + 2) x 1 seed
    assert {k: int(v[2]) for k, v in rows.items()} == {
        "deal-sensitivity": 160,
        "deal-sobol": 448,
        "example": 18,
    }
    for name, (_, kind, _, months, base, file) in rows.items():
        spec = load_spec(file)
        assert (spec.design.kind, spec.months, spec.base) == (kind, int(months), base)
        assert spec == load_spec(name)  # the name runs the file listed


def test_list_levers_shows_every_lever_with_range_and_baseline(capsys) -> None:
    assert main(["list", "levers"]) == 0
    out = capsys.readouterr().out
    for path, lever in LEVERS.items():
        line = next(ln for ln in out.splitlines() if ln.startswith(path + " "))
        assert lever.label in line and lever.unit in line
    ic = next(ln for ln in out.splitlines() if ln.startswith("power.interconnection_months"))
    baseline = load_scenario("baseline").power.interconnection_months
    assert ic.split()[-1] == f"{baseline:g}"
    assert "40 billion" in out  # the deal-investment lever's maximum, 40e9 USD


def test_list_metrics_shows_every_declared_column_with_unit_and_definition(capsys) -> None:
    from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS

    assert main(["list", "metrics"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["table", "column", "unit", "definition"]
    rows = [line.split(maxsplit=2)[:2] for line in lines[2:]]
    want = [["model", c.name] for c in MODEL_COLUMNS]
    want += [[t, c.name] for t, cols in TABLE_COLUMNS.items() for c in cols]
    assert rows == want
    spot = next(ln for ln in lines if ln.split()[:2] == ["model", "compute_spot_price"])
    assert "$/H100e-h" in spot and spot.rstrip().endswith("missing when no cloud has capacity).")
    assert {r[0] for r in rows} == {"model", *TABLE_COLUMNS}


def test_list_alone_says_what_can_be_listed(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("scenarios", "specs", "levers", "metrics"):
        assert re.search(rf"^  {name} +\w", out, re.MULTILINE), name


def test_gigawatt_alone_lists_the_commands_and_version_is_the_projects(capsys) -> None:
    import tomllib
    from pathlib import Path

    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("run", "sweep", "analyze", "compare", "discover", "forecast", "list"):
        assert re.search(rf"^    {command} +\w", out, re.MULTILINE), command
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert capsys.readouterr().out.strip() == f"gigawatt {pyproject['project']['version']}"


def test_list_unknown_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["list", "nothing"])
    assert info.value.code == 2
    assert "choose from" in capsys.readouterr().err


def test_plain_table_pads_columns() -> None:
    import pandas as pd

    text = plain_table(pd.DataFrame({"a": ["x", "long"], "b": [1, 22]}))
    assert text.splitlines() == ["a     b", "----  --", "x     1", "long  22"]


def test_plain_help_drops_restructuredtext_markup() -> None:
    assert plain_help("runs ``baseline`` via :func:`run_scenario` and `x`") == (
        "runs baseline via run_scenario and x"
    )


def test_every_help_text_is_plain_words() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"run", "sweep", "analyze", "compare", "discover", "list"} <= set(sub.choices)
    markup = re.compile(r"``|:\w+:`|`[^`\s]+`|\*\*\w|^\s*\.\. \w", re.MULTILINE)
    for name, command in {"gigawatt": parser, **sub.choices}.items():
        text = command.format_help()
        assert not markup.search(text), (name, markup.search(text))
