"""The posterior folder: round trip, weighted sampling, and errors that say what to fix."""

import numpy as np
import pandas as pd
import pytest

from experiments.posterior import (
    Posterior,
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
        # a negative weight is not fixed by dividing by the sum (here 1): said as such
        (
            pd.DataFrame({"a": [1.0, 2.0, 3.0], "weight": [0.6, -0.2, 0.6]}),
            META,
            r"row 2 has -0\.2 .* write it from the calibration again",
        ),
        (pd.DataFrame({"a": [1.0, np.nan], "weight": [0.5, 0.5]}), META, "column 'a'"),
        (pd.DataFrame({"a": [1.0], "weight": [1.0]}), {"scenario": "x"}, "root_seed"),
    ],
)
def test_bad_posteriors_are_refused(tmp_path, frame, meta, words):
    with pytest.raises(PosteriorError, match=words):
        write_posterior(frame, meta, tmp_path)


def test_missing_folder_names_the_fix(tmp_path):
    with pytest.raises(PosteriorError, match=r"'.*nothing': no such folder; check the path"):
        read_posterior(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()  # a folder, but not a calibration's
    with pytest.raises(PosteriorError, match=r"posterior\.csv is missing; point --posterior at"):
        read_posterior(tmp_path / "empty")


def _unfinished(folder, generations: list[int]):
    """A calibration's folder as an interruption leaves it: settings and a database whose
    populations are ``generations`` (pyabc's t; -1 is the prior sample), no posterior."""
    import sqlite3

    folder.mkdir()
    (folder / "calibration.json").write_text('{"scenario": "history-2023"}\n')
    with sqlite3.connect(folder / "abc.db") as db:
        db.execute("CREATE TABLE populations (id INTEGER, abc_smc_id INTEGER, t INTEGER)")
        db.executemany("INSERT INTO populations VALUES (?, 1, ?)", enumerate(generations))
    db.close()
    return folder


@pytest.mark.parametrize(
    ("generations", "saved"), [([-1], "0 generations"), ([-1, 0], "1 generation")]
)
def test_an_unfinished_calibration_says_so_and_to_resume_it(tmp_path, generations, saved):
    folder = _unfinished(tmp_path / "c", generations)
    with pytest.raises(PosteriorError) as info:
        read_posterior(folder)
    said = str(info.value)
    assert f"an unfinished calibration ({saved} saved in abc.db, no posterior.csv yet)" in said
    assert f"run the calibration again (the same `gigawatt calibrate ... --out {folder}`" in said


def test_a_broken_file_is_named_with_the_fix(tmp_path):
    folder = write_posterior(pd.DataFrame({"a": [1.0], "weight": [1.0]}), META, tmp_path / "p")
    (folder / "posterior.json").write_text("{bad")
    with pytest.raises(PosteriorError) as info:
        read_posterior(folder)
    said = str(info.value)
    assert f"{folder / 'posterior.json'} is not valid JSON (" in said
    assert "run the same `gigawatt calibrate` command again to write it anew" in said
    (folder / "posterior.json").write_text("[1]")
    with pytest.raises(PosteriorError, match=r"posterior.json must hold a JSON object"):
        read_posterior(folder)


def test_rows_are_named_by_file_and_line(tmp_path):
    a = _fit(tmp_path / "a", {"x": [1.0, 2.0], "weight": [0.5, 0.5]})
    b = _fit(tmp_path / "b", {"x": [3.0], "weight": [1.0]})
    one = read_posterior(a)
    assert one.row_label(1) == f"{a / 'posterior.csv'} line 3"  # the header is line 1
    pooled = read_posteriors([a, b])
    assert [pooled.row_label(i) for i in range(3)] == [
        f"{a / 'posterior.csv'} line 2",
        f"{a / 'posterior.csv'} line 3",
        f"{b / 'posterior.csv'} line 2",
    ]
    assert Posterior(one.draws, one.weights, one.meta).row_label(1) == "posterior row 2"


def _fit(folder, frame, scenario="history-2023", root_seed=3, **meta):
    meta = {"scenario": scenario, "root_seed": root_seed, **meta}
    write_posterior(pd.DataFrame(frame), meta, folder)
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


@pytest.mark.parametrize(
    ("key", "what"),
    [("priors_sha256", "priors"), ("targets_sha256", "targets"),
     ("scenario_sha256", "scenario contents")],
)  # fmt: skip
def test_fits_to_other_priors_targets_or_scenario_contents_are_not_pooled(tmp_path, key, what):
    # their mixture was pooled and forecast as if it were one posterior
    one = {"demand.elasticity": [1.0], "weight": [1.0]}
    a = _fit(tmp_path / "a", one, **{key: "59727476aaaa"})
    b = _fit(tmp_path / "b", one | {"demand.elasticity": [2.0]}, root_seed=4, **{key: "8782ba0b"})
    with pytest.raises(PosteriorError) as err:
        read_posteriors([a, b])
    assert f"{b} and {a} were fitted to different {what} ({key} 8782ba0b against " in str(err.value)
    c = _fit(
        tmp_path / "c", one | {"demand.elasticity": [3.0]}, root_seed=5, **{key: "59727476aaaa"}
    )
    assert len(read_posteriors([a, c]).draws) == 2  # the same digest, other seeds: pooled
    assert len(read_posteriors([_fit(tmp_path / "d", one), c]).draws) == 2  # one without it


def test_pooling_names_one_per_fit(tmp_path):
    a = read_posterior(_fit(tmp_path / "a", {"demand.elasticity": [1.0], "weight": [1.0]}))
    with pytest.raises(PosteriorError, match="1 names for 2 posteriors"):
        pool_posteriors([a, a], ["only one"])


def test_one_fit_twice_is_not_pooled(tmp_path):
    frame = {"demand.elasticity": [1.0, 2.0], "weight": [0.5, 0.5]}
    a = _fit(tmp_path / "a", frame)
    b = _fit(tmp_path / "b", frame)  # a second fit of the same seed: the same particles
    for pair in ([a, a], [a, b]):
        with pytest.raises(PosteriorError, match=r"holds the same particles as .* pool fits of"):
            read_posteriors(pair)
    c = _fit(tmp_path / "c", {"demand.elasticity": [1.0, 2.0], "weight": [0.4, 0.6]})
    assert len(read_posteriors([a, c]).draws) == 4  # other weights: another fit
