"""The posterior folder: round trip, weighted sampling, and errors that say what to fix."""

import numpy as np
import pandas as pd
import pytest

from experiments.posterior import (
    PosteriorError,
    pool_posteriors,
    read_posterior,
    read_posteriors,
    write_posterior,
)

META = {"scenario": "history-2023", "root_seed": 3}


def test_round_trip_and_weighted_sampling(tmp_path):
    frame = pd.DataFrame({"demand.elasticity": [1.0, 2.0], "weight": [0.25, 0.75]})
    write_posterior(frame, META, tmp_path)
    post = read_posterior(tmp_path)
    assert post.scenario == "history-2023"
    assert list(post.draws.columns) == ["demand.elasticity"]
    # 40,000 draws with p = (0.25, 0.75): the share of the second particle is 0.75 within
    # 5 standard errors (sqrt(0.75 * 0.25 / 40000) = 0.0022).
    drawn = post.sample(40_000, np.random.default_rng(0))["demand.elasticity"]
    assert abs(float((drawn == 2.0).mean()) - 0.75) < 5 * 0.0022


@pytest.mark.parametrize(
    ("frame", "meta", "words"),
    [
        (pd.DataFrame({"a": [1.0]}), META, "no 'weight' column"),
        (pd.DataFrame({"a": [1.0, 2.0], "weight": [0.5, 0.6]}), META, "sum to 1"),
        (pd.DataFrame({"a": [1.0, np.nan], "weight": [0.5, 0.5]}), META, "column 'a'"),
        (pd.DataFrame({"a": [1.0], "weight": [1.0]}), {"scenario": "x"}, "root_seed"),
    ],
)
def test_bad_posteriors_are_refused(tmp_path, frame, meta, words):
    with pytest.raises(PosteriorError, match=words):
        write_posterior(frame, meta, tmp_path)


def test_missing_folder_names_the_fix(tmp_path):
    with pytest.raises(PosteriorError, match="gigawatt calibrate"):
        read_posterior(tmp_path / "nothing")


def _fit(folder, frame, scenario="history-2023", root_seed=3):
    write_posterior(pd.DataFrame(frame), {"scenario": scenario, "root_seed": root_seed}, folder)
    return folder


def test_pooled_fits_count_equally(tmp_path):
    a = _fit(
        tmp_path / "a", {"demand.elasticity": [1.0, 2.0], "b": [5.0, 6.0], "weight": [0.25, 0.75]}
    )
    b = _fit(tmp_path / "b", {"b": [7.0], "demand.elasticity": [3.0], "weight": [1.0]}, root_seed=9)
    post = read_posteriors([a, b])
    # each fit's weights halved: (0.25, 0.75) / 2 and 1 / 2; columns in the first fit's order
    assert post.weights.tolist() == [0.125, 0.375, 0.5]
    assert post.draws.to_dict("list") == {
        "demand.elasticity": [1.0, 2.0, 3.0],
        "b": [5.0, 6.0, 7.0],
    }
    assert post.meta["root_seed"] == 3  # the first fit's
    assert [m["name"] for m in post.meta["pooled"]] == [str(a), str(b)]
    assert [m["root_seed"] for m in post.meta["pooled"]] == [3, 9]
    # 40,000 draws: the second fit's one particle comes up half the time, within 5 standard
    # errors (sqrt(0.25 / 40000) = 0.0025)
    drawn = post.sample(40_000, np.random.default_rng(0))["demand.elasticity"]
    assert abs(float((drawn == 3.0).mean()) - 0.5) < 5 * 0.0025


@pytest.mark.parametrize(
    ("frame", "scenario", "words"),
    [
        (
            {"demand.elasticity": [1.0], "weight": [1.0]},
            "baseline",
            "pool only fits of one scenario",
        ),
        ({"demand.growth_per_year": [1.0], "weight": [1.0]}, "history-2023", "same priors"),
    ],
)
def test_fits_that_do_not_match_are_not_pooled(tmp_path, frame, scenario, words):
    a = _fit(tmp_path / "a", {"demand.elasticity": [1.0], "weight": [1.0]})
    b = _fit(tmp_path / "b", frame, scenario=scenario)
    with pytest.raises(PosteriorError, match=words):
        read_posteriors([a, b])


def test_pooling_names_one_per_fit(tmp_path):
    a = read_posterior(_fit(tmp_path / "a", {"demand.elasticity": [1.0], "weight": [1.0]}))
    with pytest.raises(PosteriorError, match="1 names for 2 posteriors"):
        pool_posteriors([a, a], ["only one"])
