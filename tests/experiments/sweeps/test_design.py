"""Designs and seeds: sizes from the samplers' definitions, reproducible recorded seeds."""

from __future__ import annotations

import numpy as np

from experiments.sweeps import build_points, build_runs
from experiments.sweeps.design import run_seed
from tests.experiments.sweeps.conftest import make_spec

PARAMS3 = [
    {"path": "a", "min": 0.0, "max": 1.0},
    {"path": "b", "min": 10.0, "max": 20.0, "integer": True},
    {"path": "c", "min": -1.0, "max": 1.0},
]


def test_grid_is_the_full_product() -> None:
    pts = build_points(make_spec())
    assert len(pts) == 3 * 2
    assert sorted(set(pts["a"])) == [0.0, 0.5, 1.0]
    assert sorted(set(zip(pts["a"], pts["c"], strict=True))) == sorted(
        (a, c) for a in (0.0, 0.5, 1.0) for c in (0.0, 1.0)
    )


def test_sampler_sizes_follow_their_definitions() -> None:
    d = len(PARAMS3)
    sobol = build_points(make_spec(design={"kind": "sobol", "samples": 8}, parameters=PARAMS3))
    assert len(sobol) == 8 * (d + 2)  # Saltelli without second order: N (D + 2)
    morris = build_points(make_spec(design={"kind": "morris", "samples": 5}, parameters=PARAMS3))
    assert len(morris) == 5 * (d + 1)  # N trajectories of D + 1 points
    lhs = build_points(make_spec(design={"kind": "lhs", "samples": 7}, parameters=PARAMS3))
    assert len(lhs) == 7
    # Latin hypercube: each of the 7 strata of every parameter holds exactly one point
    strata = np.floor((lhs["sample:a"].to_numpy() - 0.0) / (1.0 / 7)).astype(int)
    assert sorted(strata) == list(range(7))


def test_integer_parameters_round_but_keep_raw_sample() -> None:
    pts = build_points(make_spec(design={"kind": "lhs", "samples": 9}, parameters=PARAMS3))
    assert pts["b"].dtype.kind == "i"
    np.testing.assert_array_equal(pts["b"], np.round(pts["sample:b"]))
    assert pts["sample:b"].between(10.0, 20.0).all()


def test_designs_are_deterministic() -> None:
    spec = make_spec(design={"kind": "sobol", "samples": 4}, parameters=PARAMS3)
    a, b = build_runs(spec), build_runs(spec)
    assert a.equals(b)


def test_common_random_numbers_share_seeds_across_points() -> None:
    runs = build_runs(make_spec(replicates=3))
    by_rep = runs.groupby("replicate")["seed"].nunique()
    assert (by_rep == 1).all()
    assert runs.groupby("point_id")["seed"].nunique().eq(3).all()


def test_independent_seeds_are_all_distinct() -> None:
    runs = build_runs(make_spec(replicates=3, common_random_numbers=False))
    assert runs["seed"].is_unique
    assert runs["spawn_key"].is_unique


def test_recorded_seed_is_reproducible_from_entropy_and_spawn_key() -> None:
    runs = build_runs(make_spec(replicates=2, root_seed=99))
    children = np.random.SeedSequence(99).spawn(2)
    for row in runs.itertuples():
        key = tuple(int(k) for k in row.spawn_key.split(","))
        assert key == children[row.replicate].spawn_key
        assert row.seed == run_seed(int(row.seed_entropy), key)
        expect = int(children[row.replicate].generate_state(1, dtype=np.uint64)[0]) >> 1
        assert row.seed == expect


def test_scenarios_design_has_one_point_per_scenario() -> None:
    spec = make_spec(design={"kind": "scenarios", "scenarios": ["x", "y", "z"]}, parameters=[])
    runs = build_runs(spec)
    assert list(runs["scenario"]) == ["x", "x", "y", "y", "z", "z"]
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
