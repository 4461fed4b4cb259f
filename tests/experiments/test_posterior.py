"""The posterior folder: round trip, weighted sampling, and errors that say what to fix."""

import numpy as np
import pandas as pd
import pytest

from experiments.posterior import PosteriorError, read_posterior, write_posterior

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
