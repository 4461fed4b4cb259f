"""What a finished calibration says: the posterior summary and the posterior-predictive check.

Both read weighted particles (ABC-SMC importance weights) and use weighted quantiles
(the inverse of the weighted empirical CDF, as ``pyabc.weighted_statistics.weighted_quantile``
computes them; ``numpy.quantile(..., weights=..., method="inverted_cdf")``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from experiments.calibration.priors import Priors
from experiments.calibration.targets import Targets

__all__ = ["LEVEL", "posterior_summary", "predictive_check", "weighted_quantiles"]

LEVEL = 0.90
"""Credible and predictive intervals are central 90% intervals (5th to 95th percentile)."""


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles ``qs`` of ``values`` under ``weights`` (inverted weighted CDF)."""
    return np.quantile(
        np.asarray(values, dtype=float), list(qs), weights=np.asarray(weights, dtype=float),
        method="inverted_cdf",
    )  # fmt: skip


def posterior_summary(draws: pd.DataFrame, weights: np.ndarray, priors: Priors) -> pd.DataFrame:
    """One row per parameter: weighted median and 90% credible interval beside the prior range.

    ``shrinkage`` is the interval's width over the prior's (1 = nothing learned), both in the
    prior's scale (log for loguniform priors).
    """
    lo_q, hi_q = (1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2
    rows = []
    for path, prior in priors.parameters.items():
        q05, q50, q95 = weighted_quantiles(draws[path].to_numpy(), weights, [lo_q, 0.5, hi_q])
        scale = np.log if prior.distribution == "loguniform" else (lambda x: x)
        width = (scale(q95) - scale(q05)) / (scale(prior.max) - scale(prior.min))
        rows.append(
            {
                "parameter": path,
                "median": float(q50),
                "q05": float(q05),
                "q95": float(q95),
                "prior_min": prior.min,
                "prior_max": prior.max,
                "distribution": prior.distribution,
                "shrinkage": float(width),
                "source": f"docs/calibration.md [{prior.source}]",
            }
        )
    return pd.DataFrame(rows)


def predictive_check(
    stats: pd.DataFrame, weights: np.ndarray, targets: Targets, rng: np.random.Generator
) -> pd.DataFrame:
    """Posterior-predictive check of every target statistic.

    ``stats`` holds each particle's simulated statistics (one column per target key). A
    replicate observation adds the target's measurement error, ``N(0, log_sd)`` on the log
    scale, to each particle's statistic (Gelman et al., *Bayesian Data Analysis*, 3rd ed.,
    ch. 6: replicated data from the posterior predictive); the row's 90% interval is its
    weighted 5th-95th percentile and ``inside`` says whether the observed statistic lies in
    it. Values are also given back in the target's unit (``exp`` of the statistic; a growth
    statistic as the ratio to its base year).
    """
    table = targets.table().set_index("key")
    lo_q, hi_q = (1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2
    rows = []
    for key, row in table.iterrows():
        sim = stats[key].to_numpy(dtype=float)
        rep = sim + rng.normal(0.0, row["log_sd"], size=sim.shape)
        q05, q50, q95 = weighted_quantiles(rep, weights, [lo_q, 0.5, hi_q])
        obs = float(row["observed"])
        rows.append(
            {
                "key": key,
                "series": row["series"],
                "metric": row["metric"],
                "unit": "ratio to " + str(row["base_year"])
                if row["statistic"] == "growth"
                else row["unit"],
                "year": int(row["year"]),
                "statistic": row["statistic"],
                "observed": math.exp(obs),
                "observed_low": math.exp(obs - 1.6449 * row["log_sd"]),
                "observed_high": math.exp(obs + 1.6449 * row["log_sd"]),
                "model_median": math.exp(q50),
                "predictive_low": math.exp(q05),
                "predictive_high": math.exp(q95),
                "inside": bool(q05 <= obs <= q95),
                "source": row["source"],
            }
        )
    return pd.DataFrame(rows)
