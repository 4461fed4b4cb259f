"""Sweep figures keep bounded outputs inside their bounds."""

from __future__ import annotations

import numpy as np

from experiments.sweeps.figures import fan_chart, figure, keep_in_bounds


def _drawn(name: str, values: np.ndarray) -> tuple[float, float]:
    ax = figure((4, 3)).subplots()
    fan_chart(ax, np.arange(values.shape[1]), values, "runs", "tab:blue")
    keep_in_bounds(ax, name)
    low, high = ax.get_ylim()
    return float(low), float(high)


def test_a_share_that_is_zero_in_every_run_sits_on_the_axis_floor():
    low, high = _drawn("throttled_share", np.zeros((3, 12)))
    assert low == 0.0 and high > 0.0


def test_a_share_near_one_is_cut_at_one_and_an_unbounded_output_is_left_alone():
    assert _drawn("utilisation", np.full((3, 12), 1.0))[1] == 1.0
    values = np.linspace(-2.0, 3.0, 24).reshape(2, 12)
    ax = figure((4, 3)).subplots()
    fan_chart(ax, np.arange(12), values, "runs", "tab:blue")
    before = ax.get_ylim()
    keep_in_bounds(ax, "an_output_with_no_bounds")
    assert ax.get_ylim() == before and before[0] < -2.0
