"""Bayesian calibration of a scenario to 2023-2025 history (ABC-SMC with pyabc).

- :mod:`~experiments.calibration.targets`: the reported series (``targets.toml``), validated.
- :mod:`~experiments.calibration.priors`: the estimated parameters and ranges (``priors.toml``).
- :mod:`~experiments.calibration.model`: parameters in, summary statistics out.
- :mod:`~experiments.calibration.smc`: :func:`calibrate`, resuming.
- :mod:`~experiments.calibration.folder`: the output folder's settings and database checks.
- :mod:`~experiments.calibration.posterior_checks`: posterior summary, predictive check.
- :mod:`~experiments.calibration.figures`: corner and posterior-predictive plots.

pyabc is imported only when a calibration runs.
"""

from experiments.calibration.errors import CalibrationError
from experiments.calibration.priors import Priors, load_priors
from experiments.calibration.smc import CalibrationResult, calibrate
from experiments.calibration.targets import Targets, load_targets

__all__ = [
    "CalibrationError",
    "CalibrationResult",
    "Priors",
    "Targets",
    "calibrate",
    "load_priors",
    "load_targets",
]
