"""A forecast's plan: the explicit-points design, draws, seeds and horizons."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.forecasting.plan import (
    ForecastError,
    check_lineage,
    draw_table,
    months_until,
    plan_scenarios,
    scenario_chain,
    served_by_twins,
    sweep_spec,
)
from experiments.posterior import read_posterior
from experiments.sweeps import SweepSpec, SweepSpecError, build_points, build_runs
from experiments.sweeps.design import run_seed
from tests.experiments.forecasting.conftest import make_posterior


def _points_spec(parameters: list[dict]) -> SweepSpec:
    return SweepSpec.from_dict(
        {
            "model": "tests.experiments.sweeps.toy:toy_model",
            "months": 2,
            "design": {"kind": "points"},
            "parameters": parameters,
            "outputs": {"final": ["y"]},
        }
    )


def test_points_design_zips_the_levels() -> None:
    spec = _points_spec(
        [{"path": "a", "levels": [0.1, 0.2, 0.3]}, {"path": "c", "levels": [5, 6, 7]}]
    )
    points = build_points(spec)
    assert points[["a", "c"]].to_numpy().tolist() == [[0.1, 5.0], [0.2, 6.0], [0.3, 7.0]]


@pytest.mark.parametrize(
    "parameters",
    [
        [{"path": "a", "levels": [0.1, 0.2]}, {"path": "c", "levels": [1.0]}],
        [{"path": "a", "min": 0.0, "max": 1.0}],
        [],
    ],
)
def test_points_design_refuses_unzippable_parameters(parameters) -> None:
    with pytest.raises(SweepSpecError, match="points design"):
        _points_spec(parameters)


@pytest.mark.parametrize(
    ("start", "until", "months"),
    [("2026-01", "2026-01", 1), ("2026-01", "2035-12", 120), ("2023-01", "2035-12", 156)],
)
def test_until_counts_months_from_the_start_inclusive(start, until, months) -> None:
    assert months_until(start, until) == months


@pytest.mark.parametrize("until", ["2035-13", "2035-1", "35-12", "2025-12", "2090-01"])
def test_bad_until_is_refused(until) -> None:
    with pytest.raises(ForecastError, match="until "):
        months_until("2026-01", until)


def test_draw_seeds_are_the_sweep_seeds_of_each_scenario(tmp_path) -> None:
    post = read_posterior(make_posterior(tmp_path))
    draws = draw_table(post, 4, seed=9)
    assert set(draws["power.interconnection_months"]) <= {36.0, 48.0, 60.0}  # rounded
    plans = plan_scenarios(["baseline", "amazon-anthropic-2026"], "2026-03")
    for plan in plans:
        runs = build_runs(sweep_spec(plan, draws, 9, ["labs_active"]))
        assert runs["seed"].tolist() == draws["seed"].tolist()
        assert runs["seed"].tolist() == [run_seed(9, (i,)) for i in range(4)]
        assert np.array_equal(runs["demand.growth_per_year"], draws["demand.growth_per_year"])
    assert len(set(draws["seed"])) == 4  # each draw its own seed


def test_same_seed_same_draws_other_seed_other_draws(tmp_path) -> None:
    post = read_posterior(make_posterior(tmp_path))
    a, b, c = draw_table(post, 30, 1), draw_table(post, 30, 1), draw_table(post, 30, 2)
    assert a.equals(b)
    assert not a["seed"].equals(c["seed"])


def test_points_design_is_checked_against_the_scenario_schema() -> None:
    from experiments.sweeps.validate import validate_sweep

    spec = SweepSpec.from_dict(
        {
            "base": "baseline",
            "months": 1,
            "design": {"kind": "points"},
            "parameters": [{"path": "power.interconnection_months", "levels": [36, 500]}],
            "outputs": {"final": ["labs_active"]},
        }
    )
    with pytest.raises(SweepSpecError, match=r"1 of 2 design points outside .*\(500\)"):
        validate_sweep(spec)


@pytest.mark.parametrize(
    ("refs", "until", "served"),
    [
        (["history-2023", "history-2023-deal"], "2035-12", {0: 1}),
        (["history-2023-deal", "history-2023"], None, {1: 0}),
        (["baseline", "amazon-anthropic-2026"], "2027-12", {0: 1}),
        # another world than the deal scenario's twin: run on its own
        (["baseline", "history-2023-deal"], "2027-12", {}),
        (["power-crunch", "amazon-anthropic-2026"], "2027-12", {}),
    ],
)
def test_a_scenario_is_served_by_a_deals_twin_only_if_it_is_that_twin(refs, until, served):
    assert served_by_twins(plan_scenarios(refs, until)) == served


def test_a_twin_over_other_months_serves_nothing(tmp_path) -> None:
    # the same world, but the deal scenario stops 108 months earlier: its twin is too short
    short = tmp_path / "short-deal.toml"
    short.write_text('extends = "amazon-anthropic-2026"\nname = "short-deal"\nmonths = 12\n')
    assert served_by_twins(plan_scenarios(["baseline", str(short)], None)) == {}
    # run to the same month, the two still differ in a field (their default horizon), and
    # only a twin equal in every field but its name and description serves
    assert served_by_twins(plan_scenarios(["baseline", str(short)], "2027-12")) == {}


def test_two_files_of_one_name_are_told_to_name_themselves(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "h.toml").write_text('extends = "baseline"\n')
    refs = [str(tmp_path / "a" / "h.toml"), str(tmp_path / "b" / "h.toml")]
    with pytest.raises(ForecastError) as info:
        plan_scenarios(refs, "2026-03")
    said = str(info.value)
    assert f"scenarios {refs[0]!r} and {refs[1]!r} are both named 'baseline'" in said
    assert 'name = "baseline-2"' in said
    # as the message says: a name of its own, and both are planned
    (tmp_path / "b" / "h.toml").write_text('name = "baseline-2"\nextends = "baseline"\n')
    assert [p.name for p in plan_scenarios(refs, "2026-03")] == ["baseline", "baseline-2"]
    with pytest.raises(ForecastError, match="'baseline' is given twice"):
        plan_scenarios(["baseline", "baseline"], "2026-03")


@pytest.mark.parametrize(
    ("home", "refs"),
    [
        ("history-2023", ["history-2023"]),
        ("history-2023", ["history-2023", "history-2023-deal"]),  # extends history-2023
        ("baseline", ["power-crunch", "history-2023-deal"]),  # each built on baseline
    ],
)
def test_a_scenario_built_on_the_posteriors_passes(home, refs) -> None:
    check_lineage(plan_scenarios(refs, "2026-03"), home)


@pytest.mark.parametrize(
    ("home", "ref", "built"),
    [
        ("history-2023", "baseline", "it extends no other"),  # history-2023's base, not built on it
        ("history-2023", "power-crunch", "it extends baseline"),
        ("history-2023-deal", "history-2023", "it extends baseline"),  # the base of the deal's
    ],
)
def test_a_scenario_not_built_on_the_posteriors_is_refused(home, ref, built) -> None:
    with pytest.raises(ForecastError) as info:
        check_lineage(plan_scenarios([ref], "2026-03"), home, "posterior.json of c")
    said = str(info.value)
    assert f"scenario {ref!r} is not built on {home!r}, the scenario the posterior" in said
    assert f"(posterior.json of c; {built})" in said
    assert f"forecast {home!r} or a scenario that extends it, or calibrate {ref!r}" in said


def test_files_are_followed_through_their_extends(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    mine = tmp_path / "sub" / "mine.toml"  # a file built on a shipped scenario
    mine.write_text('extends = "history-2023-deal"\nname = "mine"\n')
    child = tmp_path / "child.toml"  # and one built on that file, by a relative path
    child.write_text('extends = "sub/mine.toml"\nname = "child"\n')
    other = tmp_path / "other.toml"
    other.write_text('extends = "baseline"\nname = "other"\n')
    assert scenario_chain(child)[:2] == [child.resolve(), mine.resolve()]
    check_lineage(plan_scenarios([str(child), str(mine)], "2023-03"), "history-2023")
    check_lineage(plan_scenarios([str(child)], "2023-03"), str(mine))
    with pytest.raises(ForecastError, match=r"it extends history-2023-deal -> history-2023"):
        check_lineage(plan_scenarios([str(mine)], "2023-03"), str(child))
    with pytest.raises(ForecastError, match=f"scenario {str(other)!r} is not built on"):
        check_lineage(plan_scenarios([str(other)], "2026-03"), "history-2023")


def test_a_posterior_scenario_that_cannot_be_found_refuses_the_forecast() -> None:
    with pytest.raises(ForecastError, match=r"'gone\.toml' \(posterior.json of c\) cannot be "):
        check_lineage(plan_scenarios(["baseline"], "2026-03"), "gone.toml", "posterior.json of c")


@pytest.mark.parametrize(
    ("start", "until", "why", "latest"),
    [
        ("2023-01", "2101-01", "more than the model's 600 months", "2072-12"),
        ("2095-01", "2101-01", "past 2100-12, the last month of the model's calendar", "2100-12"),
    ],
)
def test_until_too_far_names_the_latest_month_allowed(start, until, why, latest) -> None:
    with pytest.raises(ForecastError) as info:
        months_until(start, until, "s")
    said = str(info.value)
    assert f"until {until}: " in said and why in said
    assert f"the latest month allowed is {latest}: give {latest} or earlier" in said
    months_until(start, latest)  # as it says


def test_an_unknown_scenario_is_named_once() -> None:
    with pytest.raises(ForecastError) as info:
        plan_scenarios(["histroy-2023"], None)
    said = str(info.value)
    assert said.count("histroy-2023") == 1, said
    assert said.startswith("scenario 'histroy-2023' is not a shipped name")
