"""Priors: the shipped file against the scenario, rounding, quantiles, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.calibration import CalibrationError, load_priors

from .conftest import PRIORS_TOML


def test_shipped_priors_validate_against_history_2023_at_both_range_ends():
    pri = load_priors()
    pri.check("history-2023")
    assert len(pri.paths) >= 10
    assert {"power.interconnection_months", "datacentres.build_months"} <= pri.integer_paths()
    # the overrides round whole-number fields and keep the rest as floats
    point = {p: 20.6 for p in pri.paths}
    over = pri.overrides(point)
    assert over["power.interconnection_months"] == 21 and isinstance(
        over["power.interconnection_months"], int
    )
    assert over["demand.price_elasticity"] == 20.6


def test_quantiles_of_uniform_and_loguniform(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(PRIORS_TOML)
    pri = load_priors(p)
    u, lu = pri.parameters["demand.growth_per_year"], pri.parameters["demand.initial_usd_per_month"]
    assert float(u.quantile(np.array(0.25))) == pytest.approx(1.5)
    # loguniform: the median is the geometric mean of the ends
    assert float(lu.quantile(np.array(0.5))) == pytest.approx(math.sqrt(0.08e9 * 0.3e9))
    # pyabc's scipy distributions agree with the quantiles (their CDF at the quantile)
    assert lu.pyabc_rv().cdf(float(lu.quantile(np.array(0.3)))) == pytest.approx(0.3)
    assert u.pyabc_rv().cdf(2.5) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('[parameters."demand.growth_per_year"]', '[parameters."demand.growth"]', "'demand.growth' is not a scenario field"),
        ("min = 1.0\nmax = 3.0", "min = 3.0\nmax = 1.0", "needs finite min < max"),
        ("min = 1.0\nmax = 3.0", "min = 1.0\nmax = 9.0", "outside"),
        ("min = 0.08e9", "min = 0.0", "loguniform prior needs min > 0"),
        ('distribution = "uniform"', 'distribution = "normal"', "parameters.demand.growth_per_year.distribution = 'normal'"),
    ],
)  # fmt: skip
def test_bad_priors_name_key_value_and_fix(tmp_path, old, new, words):
    assert old in PRIORS_TOML
    p = tmp_path / "p.toml"
    p.write_text(PRIORS_TOML.replace(old, new, 1))
    with pytest.raises(CalibrationError) as err:
        load_priors(p)
    assert words in str(err.value)


def test_a_list_item_the_scenario_lacks_is_refused_by_check(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(
        PRIORS_TOML.replace("demand.growth_per_year", "labs.nobody.capability").replace(
            "min = 1.0\nmax = 3.0", "min = 1.0\nmax = 3.0", 1
        )
    )
    with pytest.raises(CalibrationError, match="refuses the range ends"):
        load_priors(p).check("history-2023")


_DICT_VALUE_PRIOR = """
[parameters."hyperscalers.amazon.built_mw.us-east"]
distribution = "uniform"
min = 20.0
max = 40.0
source = "est-history"
reason = "megawatts built in one region: a dict value of a named list item"
"""


def test_a_prior_on_a_dict_value_is_read_checked_and_applied(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(PRIORS_TOML + _DICT_VALUE_PRIOR)
    pri = load_priors(p)
    pri.check("history-2023")
    path = "hyperscalers.amazon.built_mw.us-east"
    assert path in pri.paths and path not in pri.integer_paths()
    point = {q: float(pr.quantile(np.array(0.5))) for q, pr in pri.parameters.items()}
    from experiments import load_scenario

    scn = load_scenario("history-2023").with_overrides(pri.overrides(point))
    amazon = next(h for h in scn.hyperscalers if h.name == "amazon")
    assert amazon.built_mw["us-east"] == 30.0  # the middle of [20, 40]


def test_a_prior_beyond_a_dict_values_bounds_names_them(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(PRIORS_TOML + _DICT_VALUE_PRIOR.replace("max = 40.0", "max = 2e6"))
    with pytest.raises(CalibrationError) as err:
        load_priors(p)
    # the megawatt bound of the item type (1 TW), not "not a number"
    assert "0 <= hyperscalers.0.built_mw.us-east <= 1e+06" in str(err.value)
