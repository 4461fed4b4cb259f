"""Forecasts with uncertainty bands: a calibration's posterior draws run forward.

>>> from experiments.forecasting import forecast
>>> res = forecast("calib-out", ["history-2023", "history-2023-deal"], out="fc", draws=20)  # doctest: +SKIP
>>> res.summary[0]  # doctest: +SKIP
'history-2023-deal: the deal adds $...B of amazon revenue from anthropic ...'

Modules: :mod:`~experiments.forecasting.plan` (inputs, draws, sweep specs),
:mod:`~experiments.forecasting.model` (the sweep's model function, with the no-deal twin),
:mod:`~experiments.forecasting.bands` (quantiles and paired differences),
:mod:`~experiments.forecasting.run` (:func:`forecast`), :mod:`~experiments.forecasting.figures`.
"""

from __future__ import annotations

from experiments.forecasting.bands import QUANTILES, paired_differences, quantile_table
from experiments.forecasting.plan import ForecastError, months_until
from experiments.forecasting.run import KEY_METRICS, ForecastResult, forecast

__all__ = [
    "KEY_METRICS",
    "QUANTILES",
    "ForecastError",
    "ForecastResult",
    "forecast",
    "months_until",
    "paired_differences",
    "quantile_table",
]
