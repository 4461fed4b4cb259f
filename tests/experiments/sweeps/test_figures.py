"""Sweep figures keep bounded outputs inside their bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def _capture(monkeypatch, module) -> list:
    """The figures ``module`` makes, kept as they are drawn."""
    made: list = []

    def keep(*args, **kw):
        fig = figure(*args, **kw)
        made.append(fig)
        return fig

    monkeypatch.setattr(module, "figure", keep)
    return made


def test_every_panel_of_a_series_row_shows_its_lines(monkeypatch, tmp_path):
    import experiments.sweeps.figures as figures

    made = _capture(monkeypatch, figures)
    rows = [
        {"run_id": 4 * a + 2 * b + r, "point_id": 2 * a + b, "month": m, "growth": g, "fee": f,
         "compute_spot_price": (1.0 + 2.0 * a) * (1 + m / 12) + 0.1 * r}
        for a, g in enumerate((0.3, 0.9)) for b, f in enumerate((0.0, 0.5))
        for r in range(2) for m in range(12)
    ]  # fmt: skip
    long = pd.DataFrame(rows)
    figures.plot_series(long, ["compute_spot_price"], ["growth", "fee"], tmp_path / "s.png")
    axes = made[0].axes
    top = float(long["compute_spot_price"].max())  # in the second panel (growth 0.9)
    assert len(axes) == 2 and all(ax.get_ylim()[1] >= top for ax in axes)
    assert all(ax.get_ylim()[0] >= 0.0 for ax in axes)  # a price: bounded below by 0


def test_the_discovery_trajectorys_title_stays_on_the_figure(monkeypatch, tmp_path):
    import experiments.sweeps.discover as discover

    made = _capture(monkeypatch, discover)
    traj = pd.DataFrame(
        {"box": [0] * 4, "coverage": [1.0, 0.9, 0.7, 0.5], "density": [0.3, 0.5, 0.7, 0.9],
         "res_dim": [0, 1, 1, 2], "chosen": [False, False, True, False]}
    )  # fmt: skip
    cond = discover.parse_condition("compute_spot_price > 1.35")
    discover._plot_trajectory(traj, cond, tmp_path / "t.png")
    fig = made[0]
    fig.canvas.draw()
    (title,) = fig.texts
    box = title.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and "1.35" in title.get_text()


def test_an_output_the_spec_names_itself_has_its_columns_unit_and_bounds(monkeypatch, tmp_path):
    import experiments.sweeps.figures as figures
    from experiments.sweeps.units import unit_of

    made = _capture(monkeypatch, figures)
    table = pd.DataFrame(
        {  # a lab's revenue under a name of the spec's own, and a share kept as "active"
            "output": ["anth_rev", "anth_rev", "up", "up"],
            "a": [0.0, 1.0, 0.0, 1.0],
            "mean": [1e9, 2e9, 1.0, 1.0],
            "ci_low": [0.9e9, 1.8e9, 0.9, 0.9],
            "ci_high": [1.1e9, 2.2e9, 1.1, 1.1],
        }
    )
    columns = {"anth_rev": "revenue", "up": "active"}
    figures.plot_means(table, ["a"], tmp_path / "means.png", columns=columns)
    rev, up = made[0].axes
    assert unit_of("revenue") and rev.get_ylabel() == f"anth_rev ({unit_of('revenue')})"
    assert up.get_ylim()[1] == 1.0  # the column's bounds: a flag cannot pass 1
