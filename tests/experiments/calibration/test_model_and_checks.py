"""The simulator's seeds and horizon, and the posterior summary and predictive check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.calibration.model import horizon_months, run_seed
from experiments.calibration.posterior_checks import (
    posterior_summary,
    predictive_check,
    weighted_quantiles,
)
from experiments.calibration.priors import load_priors
from experiments.calibration.targets import load_targets

from .conftest import PRIORS_TOML


def test_run_seed_depends_on_root_and_values_not_on_order():
    a = run_seed(3, {"x": 1.0, "y": 2.0})
    assert a == run_seed(3, {"y": 2.0, "x": 1.0})
    assert a != run_seed(4, {"x": 1.0, "y": 2.0})
    assert a != run_seed(3, {"x": 1.0, "y": 2.0000000000000004})  # the next float
    assert 0 <= a < 2**63


def test_horizon_runs_through_december_of_the_last_year():
    assert horizon_months("2023-01", 2025) == 36
    assert horizon_months("2023-07", 2023) == 6


def test_weighted_quantiles_against_a_repeated_sample():
    # weights 1:3 equal a sample holding the second value three times
    v, w = np.array([1.0, 2.0]), np.array([0.25, 0.75])
    rep = np.array([1.0, 2.0, 2.0, 2.0])
    got = weighted_quantiles(v, w, [0.2, 0.5])
    assert list(got) == list(np.quantile(rep, [0.2, 0.5], method="inverted_cdf"))


def test_posterior_summary_median_interval_and_shrinkage(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(PRIORS_TOML)
    pri = load_priors(p)
    n = 101
    draws = pd.DataFrame(
        {
            "demand.growth_per_year": np.linspace(2.0, 2.5, n),
            "demand.initial_usd_per_month": np.full(n, 0.15e9),
        }
    )
    s = posterior_summary(draws, np.full(n, 1 / n), pri).set_index("parameter")
    row = s.loc["demand.growth_per_year"]
    assert row["median"] == pytest.approx(2.25)
    assert row["q05"] == pytest.approx(2.025) and row["q95"] == pytest.approx(2.475)
    assert row["shrinkage"] == pytest.approx(0.45 / 2.0)  # interval width over prior width
    assert s.loc["demand.initial_usd_per_month", "shrinkage"] == 0.0


def test_predictive_check_inside_and_outside():
    t = load_targets()
    obs = t.observed()
    keys = list(obs)
    n = 400
    # every particle reproduces the observation except the first key, 10 sd away
    stats = pd.DataFrame({k: np.full(n, obs[k]) for k in keys})
    stats[keys[0]] += 10 * t.sds()[keys[0]]
    ppc = predictive_check(stats, np.full(n, 1 / n), t, np.random.default_rng(0))
    assert not ppc.iloc[0]["inside"] and ppc.iloc[1:]["inside"].all()
    # the band is the measurement error's: 90% of N(0, sd) is +-1.645 sd (400 draws)
    row = ppc.iloc[1]
    width = np.log(row["predictive_high"] / row["predictive_low"])
    assert width == pytest.approx(2 * 1.645 * t.sds()[keys[1]], rel=0.15)
