"""Sweeps fail before their first run: outputs, levels, whole numbers, design size, folders."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from pydantic import BaseModel, Field

from experiments.cli import main
from experiments.sweeps import SweepSpec, SweepSpecError, build_points, run_sweep
from experiments.sweeps.design import MAX_RUNS, check_design_size, design_size
from experiments.sweeps.model import extract_outputs
from experiments.sweeps.progress import SweepProgress
from experiments.sweeps.schema import schema_field
from experiments.sweeps.spec import OutputsSpec
from experiments.sweeps.validate import validate_sweep
from tests.experiments.sweeps.conftest import make_spec
from tests.experiments.sweeps.toy import toy_model

REAL = """
name = "early"
base = "baseline"
months = 3
replicates = 2

[design]
kind = "grid"

[[parameters]]
path = "demand.growth_per_year"
levels = [0.2, 0.8]

[[parameters]]
path = "power.interconnection_months"
{interconnection}

[outputs]
final = [{outputs}]
"""


def _write(tmp_path, interconnection="levels = [24, 48]", outputs='"labs_active"'):
    path = tmp_path / "spec.toml"
    path.write_text(REAL.format(interconnection=interconnection, outputs=outputs))
    return path


def _sweep(tmp_path, spec_path, *extra: str) -> int:
    out = tmp_path / "out"
    return main(
        ["sweep", str(spec_path), "--out", str(out), "--workers", "1", "--no-progress", *extra]
    )


def test_misspelt_output_exits_2_with_close_matches_and_no_run(tmp_path, capsys) -> None:
    spec = _write(tmp_path, outputs='"spot_price", "labs_active"')
    assert _sweep(tmp_path, spec) == 2
    err = capsys.readouterr().err
    assert "outputs.final[0] = 'spot_price'" in err
    assert "did you mean 'compute_spot_price'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # no folder, so no shard and no run


@pytest.mark.parametrize(
    ("interconnection", "said"),
    [
        # levels 24, 183, 341, 500 x 2 growth levels: 6 of 8 points above the schema's 120
        (
            "min = 24\nmax = 500\nn = 4",
            ["parameters[1] (power.interconnection_months)", "6 of 8 design points",
             "183, 341, 500", "<= 120"],
        ),
        ("levels = [24, 36.5]", ["parameters[1].levels = [24.0, 36.5]", "whole numbers"]),
        # 5 levels in [12, 14] are 12, 12.5, 13, 13.5, 14: rounded (half to even), 12, 12,
        # 13, 14, 14, which ran two points twice with the same seeds and listed them twice
        (
            "min = 12\nmax = 14\nn = 5",
            ["parameters[1] (power.interconnection_months)", "round to [12, 12, 13, 14, 14]",
             "use n = 3"],
        ),
    ],
    ids=["out-of-range", "fractional", "repeated-after-rounding"],
)  # fmt: skip
def test_bad_levels_of_a_whole_number_field_exit_2_naming_them(
    tmp_path, capsys, interconnection, said
) -> None:
    spec = _write(tmp_path, interconnection=interconnection)
    assert _sweep(tmp_path, spec) == 2
    err = capsys.readouterr().err
    assert all(words in err for words in said), err
    assert not (tmp_path / "out").exists()


def test_a_grid_range_ending_at_a_fields_bound_is_swept() -> None:
    # 0.2 + 3 x (0.8 / 3) is 1.0000000000000002: the last level passed cloud_conduct's
    # bound of 1 and the sweep was refused
    assert 0.2 + 3 * (1.0 - 0.2) / 3 > 1.0  # the sum the last level was
    spec = SweepSpec.from_dict(
        {
            "base": "baseline",
            "months": 2,
            "replicates": 1,
            "parameters": [{"path": "cloud_conduct", "min": 0.2, "max": 1.0, "n": 4}],
            "outputs": {"final": ["labs_active"]},
        }
    )
    points = validate_sweep(spec)
    assert points["cloud_conduct"].max() == 1.0


def test_whole_number_fields_are_rounded_without_a_flag() -> None:
    spec = SweepSpec.from_dict(
        {
            "base": "baseline",
            "design": {"kind": "lhs", "samples": 7},
            "parameters": [
                {"path": "power.interconnection_months", "min": 24, "max": 72},
                {"path": "demand.growth_per_year", "min": 0.2, "max": 0.8},
            ],
            "outputs": {"final": ["labs_active"]},
        }
    )
    points = build_points(spec)
    months = points["power.interconnection_months"]
    assert months.dtype == np.int64
    raw = points["sample:power.interconnection_months"].to_numpy()
    np.testing.assert_array_equal(months.to_numpy(), np.round(raw))
    assert not np.all(raw == np.round(raw))  # the sample itself is fractional
    assert points["demand.growth_per_year"].dtype == np.float64


def test_design_size_is_refused_before_sampling() -> None:
    params = [{"path": f"p{i}", "min": 0.0, "max": 1.0, "n": 1000} for i in range(5)]
    spec = make_spec(parameters=params)
    assert design_size(spec) == 1000**5
    with pytest.raises(SweepSpecError, match=r"1,000,000,000,000,000 points x 2 replicates"):
        build_points(spec)
    # sampled designs: Saltelli's N (k + 2) and Morris's r (k + 1)
    sobol = make_spec(design={"kind": "sobol", "samples": 8}, parameters=params[:2])
    assert design_size(sobol) == 8 * (2 + 2) == len(build_points(sobol))
    morris = make_spec(design={"kind": "morris", "samples": 5}, parameters=params[:3])
    assert design_size(morris) == 5 * 4 == len(build_points(morris))
    assert check_design_size(make_spec()) == 3 * 2 * 2 <= MAX_RUNS


def test_infinite_bound_is_a_spec_error() -> None:
    with pytest.raises(SweepSpecError, match=r"max = inf: give a finite number"):
        make_spec(parameters=[{"path": "a", "min": 0.0, "max": float("inf"), "integer": True}])


def test_misspelt_output_of_any_model_fails_before_the_folder(tmp_path) -> None:
    spec = make_spec(outputs={"final": ["y", "deals.round_trip_ratoi"], "series": ["gg"]})
    with pytest.raises(SweepSpecError) as info:
        run_sweep(spec, tmp_path / "s", workers=1, progress=False)
    msg = str(info.value)
    assert "outputs.final[1] = 'deals.round_trip_ratoi'" in msg
    assert "did you mean 'round_trip_ratio'" in msg
    assert "outputs.series[0] = 'gg'" in msg and "did you mean 'g'" in msg
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("outputs", "said"),
    [
        ({"final": ["y", "trades.price"]}, "outputs.final[1] = 'trades.price': no table 'trades'"),
        ({"final": ["deals.ratio"]}, "outputs.final[0] = 'deals.ratio': no column 'ratio'"),
        (
            {"final": [{"table": "deals", "column": "round_trip_ratio", "where": {"lab": "x"}}]},
            "outputs.final[0] = 'deals.round_trip_ratio': no where-column 'lab' in table 'deals'",
        ),
        ({"series": ["gg"]}, "outputs.series[0] = 'gg': no column 'gg'"),
    ],
)
def test_an_output_a_run_lacks_is_a_spec_error_naming_it(outputs, said) -> None:
    result = toy_model(scenario="base", params={}, months=3, seed=1)
    with pytest.raises(SweepSpecError) as info:
        extract_outputs(result, OutputsSpec.model_validate(outputs))
    msg = str(info.value)
    assert msg.startswith(said)
    assert "(columns: " in msg or "(tables: model, deals)" in msg
    assert msg.endswith("name one of these in the sweep spec's outputs")


class _Inner(BaseModel):
    n: int = Field(default=1, ge=0, le=10)
    x: float | None = Field(default=None, gt=0.0, lt=1.0)


class _Outer(BaseModel):
    items: list[_Inner] = []
    table: dict[str, float] = {}
    inner: _Inner = _Inner()


def test_schema_field_walks_lists_dicts_and_optionals() -> None:
    f = schema_field("items.3.n", _Outer)
    assert f is not None and (f.kind, f.lo, f.hi) == ("int", 0.0, 10.0)
    assert f.admits(10) and not f.admits(11) and not f.admits(-1)
    g = schema_field("inner.x", _Outer)
    assert g is not None and g.optional and g.kind == "float"
    assert not g.admits(0.0) and g.admits(0.5) and not g.admits(1.0)  # open bounds
    h = schema_field("table.anything", _Outer)
    assert h is not None and h.kind == "float" and h.lo is None
    assert schema_field("items.x.n", _Outer) is None
    assert schema_field("inner.nope", _Outer) is None


def test_changed_spec_says_how_to_proceed_and_new_archives(tmp_path, capsys) -> None:
    spec = _write(tmp_path)
    assert _sweep(tmp_path, spec) == 0
    capsys.readouterr()
    spec.write_text(spec.read_text().replace("months = 3", "months = 4"))
    assert _sweep(tmp_path, spec) == 2
    err = capsys.readouterr().err
    assert "months: 3 -> 4" in err and "--new" in err and "--out" in err
    assert _sweep(tmp_path, spec, "--new") == 0
    printed = capsys.readouterr().out
    assert "8/8 runs done (0 resumed" in printed
    archived = [p for p in tmp_path.iterdir() if p.name.startswith("out.old-")]
    assert len(archived) == 1
    assert json.loads((archived[0] / "manifest.json").read_text())["spec"]["months"] == 3
    assert len(list((archived[0] / "runs").glob("*.parquet"))) == 8


def test_eta_counts_only_this_sessions_runs() -> None:
    clock = [100.0]
    bar = SweepProgress(total=100, initial=90, enabled=False, clock=lambda: clock[0])
    assert bar.eta() is None
    clock[0] = 104.0
    bar.update(True)
    bar.update(True)  # 2 runs in 4 s this session, 8 left: 16 s (not 8 x 4 / 92)
    assert bar.eta() == pytest.approx(16.0)
    bar.close()


def test_dask_local_prints_its_dashboard_link(capsys) -> None:
    pytest.importorskip("bokeh")  # the dashboard needs it
    from experiments.sweeps.executors import open_executor

    with open_executor(workers=1, dask="local") as ex:
        assert ex.submit(int, "7").result() == 7
    err = capsys.readouterr().err
    assert re.search(r"Dask dashboard: http://127\.0\.0\.1:\d+/status", err)


def test_misspelt_parameter_path_suggests_the_field(tmp_path, capsys) -> None:
    spec = (
        _write(tmp_path)
        .read_text()
        .replace('path = "power.interconnection_months"', 'path = "power.interconection_months"')
    )
    (tmp_path / "p.toml").write_text(spec)
    assert _sweep(tmp_path, tmp_path / "p.toml") == 2
    err = capsys.readouterr().err
    assert "parameters[1].path = 'power.interconection_months'" in err
    assert "did you mean 'power.interconnection_months'" in err
    assert not (tmp_path / "out").exists()


def test_schema_field_reads_bounds_of_annotated_items_and_optionals() -> None:
    # Annotated types inside ``X | None`` and as dict values keep their own bounds
    # (pydantic lifts them into the field's metadata only at the top of the annotation)
    eu = schema_field("regulation.jurisdictions.eu.share_threshold")
    assert eu is not None and eu.optional
    assert (eu.kind, eu.lo, eu.hi) == ("float", 0.0, 1.0)
    mw = schema_field("hyperscalers.0.built_mw.us-east")
    assert mw is not None and not mw.optional
    assert (mw.kind, mw.lo, mw.hi) == ("float", 0.0, 1e6)
    assert mw.admits(1e6) and not mw.admits(-1.0) and not mw.admits(1.1e6)


def test_a_late_scenario_file_is_swept_for_the_specs_months(tmp_path, capsys) -> None:
    # the file's own 120 months pass 2100-12 from 2095-01; the sweep's 3 months fit
    (tmp_path / "late.toml").write_text('extends = "baseline"\nstart = "2095-01"\n')
    spec = _write(tmp_path)
    spec.write_text(spec.read_text().replace('base = "baseline"', 'base = "late.toml"'))
    assert _sweep(tmp_path, spec) == 0
    assert "8/8 runs done" in capsys.readouterr().out
    # a horizon that does not fit from its start is refused, naming months and the fix
    spec.write_text(spec.read_text().replace("months = 3", "months = 73"))
    assert _sweep(tmp_path, spec, "--new") == 2
    err = capsys.readouterr().err
    assert "months = 73: for scenario " in err and "run at most 72 months" in err


def test_overrides_a_scenario_cannot_take_are_refused_before_the_folder(tmp_path, capsys) -> None:
    spec = _write(tmp_path)
    spec.write_text(
        spec.read_text().replace("[outputs]", "[overrides]\ncloud_conduct = 7\n\n[outputs]")
    )
    assert _sweep(tmp_path, spec) == 2
    err = capsys.readouterr().err
    assert "overrides: rejected by scenario 'baseline': " in err
    assert "scenario key 'cloud_conduct' = 7" in err and not (tmp_path / "out").exists()


def test_a_misspelt_scenario_of_a_design_is_named_by_its_key(tmp_path, capsys) -> None:
    spec = tmp_path / "scenarios.toml"
    spec.write_text(
        'name = "s"\nmonths = 2\nreplicates = 1\n\n[design]\nkind = "scenarios"\n'
        'scenarios = ["baseline", "no-dea"]\n\n[outputs]\nfinal = ["labs_active"]\n'
    )
    assert _sweep(tmp_path, spec) == 2
    err = capsys.readouterr().err
    assert "design.scenarios[1] = 'no-dea': cannot load scenario: " in err
    assert "base = " not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("base", "output", "said"),
    [
        # a misspelt name in a where: nan in every run, so named with the close names
        (
            "baseline",
            {"name": "rev", "table": "agents", "column": "revenue", "where": {"name": "antropic"}},
            "outputs.final[0] = 'rev': where name = 'antropic' matches no row of table "
            "'agents'; did you mean 'anthropic'?",
        ),
        # a column of text, by its declared unit: this deals table is empty in month 1
        (
            "amazon-anthropic-2026",
            "deals.status",
            "outputs.final[0] = 'deals.status': column 'status' holds text values, not numbers",
        ),
    ],
)
def test_outputs_that_would_be_nan_in_every_run_are_refused(base, output, said) -> None:
    from experiments.sweeps.validate import validate_sweep

    spec = SweepSpec.from_dict(
        {"name": "nan", "base": base, "months": 2, "outputs": {"final": [output]}}
    )
    with pytest.raises(SweepSpecError) as err:
        validate_sweep(spec)
    assert said in str(err.value)
