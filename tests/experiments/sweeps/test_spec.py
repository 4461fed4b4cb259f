"""Sweep spec validation: errors name the key path, the value and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.sweeps import SweepSpec, SweepSpecError, load_spec
from tests.experiments.sweeps.conftest import TOY_TOML, make_spec


def _bad(**overrides: object) -> str:
    with pytest.raises(SweepSpecError) as info:
        make_spec(**overrides)
    return str(info.value)


def test_unknown_key_is_named() -> None:
    msg = _bad(monthz=3)
    assert "monthz = 3" in msg and "unknown key" in msg and "spelling" in msg


def test_wrong_type_is_named_with_value() -> None:
    msg = _bad(months="60")
    assert "months = '60'" in msg and "integer" in msg


def test_out_of_range_is_named() -> None:
    msg = _bad(replicates=0)
    assert "replicates = 0" in msg and "greater than or equal to 1" in msg


def test_reversed_range_says_swap() -> None:
    msg = _bad(parameters=[{"path": "a", "min": 2.0, "max": 1.0}])
    assert "parameters[0]" in msg and "swap" in msg


def test_nested_unknown_key_path() -> None:
    msg = _bad(parameters=[{"path": "a", "min": 0.0, "max": 1.0, "step": 2}])
    assert "parameters[0].step = 2" in msg


def test_sampled_design_needs_ranges() -> None:
    msg = _bad(
        design={"kind": "sobol"},
        parameters=[{"path": "a", "levels": [1.0]}, {"path": "b", "min": 0.0, "max": 1.0}],
    )
    assert "parameters[0] (a)" in msg and "min and max" in msg


def test_bad_design_kind_lists_choices() -> None:
    msg = _bad(design={"kind": "factorial"})
    assert "design.kind = 'factorial'" in msg and "'morris'" in msg


def test_outputs_required_and_unique() -> None:
    assert "outputs" in _bad(outputs={"final": []})
    assert "['y'] name more than one output: list each output once" in _bad(
        outputs={"final": ["y", "y"]}
    )
    # a final output and a series of one column: the fix names the series apart, and works
    said = _bad(outputs={"final": ["y"], "series": ["y"]})
    fix = 'name the series apart, e.g. series = [{ name = "y_monthly", column = "y" }]'
    assert "['y'] name more than one output" in said and fix in said
    spec = make_spec(outputs={"final": ["y"], "series": [{"name": "y_monthly", "column": "y"}]})
    assert [o.name for o in spec.outputs.series] == ["y_monthly"]


def test_a_level_listed_twice_is_refused() -> None:
    msg = _bad(parameters=[{"path": "a", "levels": [0.3, 0.3, 0.6]}])
    assert "parameters[0] (a): levels = [0.3, 0.3, 0.6] lists 0.3 more than once" in msg
    # explicit points zip their levels: a value may come twice (posterior draws do)
    points = [{"path": "a", "levels": [0.3, 0.3]}, {"path": "c", "levels": [1.0, 2.0]}]
    make_spec(design={"kind": "points"}, parameters=points)


@pytest.mark.parametrize(
    ("extra", "said"),
    [({"agg": "max"}, "peak: agg reduce"), ({"where": {"lab": "x"}}, "peak: where reduce")],
)
def test_a_reduction_of_a_model_frame_output_is_refused(extra, said) -> None:
    # agg = "max" on the monthly frame gave its final month, silently, not its peak
    msg = _bad(outputs={"final": [{"name": "peak", "column": "y", **extra}]})
    assert said in msg and "its final month's value" in msg
    make_spec(outputs={"final": [{"name": "peak", "table": "deals", "column": "x", **extra}]})


def test_error_is_a_value_error() -> None:
    assert issubclass(SweepSpecError, ValueError)


def test_toml_round_trip(tmp_path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(TOY_TOML)
    spec = load_spec(path)
    assert spec.name == "toy-crash" and spec.parameters[0].grid_levels()[-1] == 1.0
    assert spec.digest() == SweepSpec.from_dict(spec.model_dump(mode="json")).digest()
    assert spec.digest() != make_spec().digest()


def test_toml_errors_name_the_file(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(TOY_TOML.replace("months = 3", "months = -3"))
    with pytest.raises(SweepSpecError, match=r"bad\.toml: months = -3"):
        load_spec(path)
    path.write_text("name = ")
    with pytest.raises(SweepSpecError, match="not valid TOML"):
        load_spec(path)
    with pytest.raises(SweepSpecError, match="no such sweep spec"):
        load_spec(tmp_path / "missing.toml")


def test_a_shipped_spec_is_given_by_its_name_from_any_folder(tmp_path, monkeypatch) -> None:
    shipped = Path(__file__).parents[3] / "experiments" / "sweep_specs" / "example.toml"
    monkeypatch.chdir(tmp_path)  # a folder of the user's, as for an installed package
    assert load_spec("example") == load_spec(shipped)
    # the path the clone's README used is not there: the message gives the name that is
    with pytest.raises(SweepSpecError, match=r"sweep_specs/example\.toml: no such .* as 'example'"):
        load_spec("experiments/sweep_specs/example.toml")
    with pytest.raises(SweepSpecError, match="shipped spec: deal-sensitivity, deal-sobol, example"):
        load_spec("exampel")
    # a file of the user's comes first, as a scenario file does
    (tmp_path / "example").write_text(TOY_TOML)
    assert load_spec("example").name == "toy-crash"


def test_shipped_example_spec_validates() -> None:
    from pathlib import Path

    folder = Path(__file__).parents[3] / "experiments" / "sweep_specs"
    specs = sorted(folder.glob("*.toml"))
    assert specs
    for p in specs:
        assert load_spec(p).outputs.final


def test_scenario_paths_are_relative_to_the_spec(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.toml").write_text("")
    path = tmp_path / "sub" / "s.toml"
    path.write_text('base = "mine.toml"\n' + TOY_TOML)
    assert load_spec(path).base == str((tmp_path / "sub" / "mine.toml").resolve())


def test_a_scenario_listed_twice_is_refused() -> None:
    # its runs would be pooled as one design point's: twice the n, too narrow an interval
    design = {"kind": "scenarios", "scenarios": ["baseline", "no-deal", "baseline"]}
    msg = _bad(parameters=[], design=design)
    assert "design.scenarios lists ['baseline'] more than once" in msg
    assert "list each scenario once" in msg


def test_overrides_by_their_leaves_never_months_nor_a_parameter(tmp_path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        TOY_TOML.replace("[outputs]", '[overrides]\nx.y = 1\n"p.q" = true\n\n[outputs]')
    )
    assert load_spec(path).overrides == {"x.y": 1, "p.q": True}
    with pytest.raises(SweepSpecError, match=r"overrides\.months = 3: the runs' length is the"):
        make_spec(overrides={"months": 3})
    with pytest.raises(SweepSpecError, match=r"\['a'\] are both in \[overrides\] and varied"):
        make_spec(overrides={"a": 0.5})


def test_months_is_never_a_parameter_and_scenarios_take_none() -> None:
    # a parameter named months was applied to nothing: every run ran the spec's length
    msg = _bad(parameters=[{"path": "months", "levels": [3, 4]}])
    assert "parameters[0].path = 'months'" in msg and "one sweep per length" in msg
    msg = _bad(
        design={"kind": "scenarios", "scenarios": ["low", "high"]},
        parameters=[{"path": "a", "levels": [0.0, 1.0]}],
    )
    assert 'design.kind = "scenarios"' in msg and "[overrides]" in msg


def test_a_spec_without_overrides_keeps_the_digest_it_had_before_them() -> None:
    import hashlib
    import json

    # a folder written before overrides existed holds the digest of a dump without them
    spec = make_spec()
    dump = {k: v for k, v in spec.model_dump(mode="json").items() if k != "overrides"}
    before = hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()[:16]
    assert spec.digest() == before
    assert make_spec(overrides={"b": 1.0}).digest() != before
