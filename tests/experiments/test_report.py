"""Report figures: titles, labels, axes and files read back (never pixels)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import types
import warnings

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from experiments.report import (
    FIGURES,
    MAX_SERIES,
    NOISE_RTOL,
    deals_figure,
    denoise,
    prices_figure,
    report_info,
    throttling_figure,
    write_report,
)


def _frame(months: int, start: str = "2026-01", **cols: list[float]) -> pd.DataFrame:
    dates = pd.period_range(start, periods=months, freq="M").strftime("%Y-%m")
    base = {
        "month": list(range(months)),
        "date": list(dates),
        "compute_spot_price": [2.0] * months,
        "compute_contract_price": [1.8] * months,
        "power_price": [60.0] * months,
        "chip_price": [25_000.0] * months,
        "capacity_gw_built": [5.0] * months,
        "capacity_gw_powered": [4.0] * months,
        "utilisation": [0.9] * months,
        "dc_power_share": [0.02] * months,
        "cloud_hhi": [2100.0] * months,
        "ai_compute_hhi": [2300.0] * months,
        "chip_hhi": [6000.0] * months,
        "lockin_index": [0.1] * months,
        "throttled_share": [0.0] * months,
        "labs_active": [6] * months,
    }
    base.update(cols)
    return pd.DataFrame(base)


def _scenario(name: str = "mine", threshold: float = 2600.0):
    """What the report reads from a scenario: its name and the regulator's threshold."""
    return types.SimpleNamespace(
        name=name, regulation=types.SimpleNamespace(hhi_threshold=threshold)
    )


DEAL = pd.DataFrame(
    {
        "month": [2, 3],
        "deal": [0, 0],
        "investor": ["amazon"] * 2,
        "lab": ["anthropic"] * 2,
        "status": ["approved"] * 2,
        "invested_usd": [5e9, 5e9],
        "cloud_revenue_usd": [1e9, 3e9],
        "round_trip_ratio": [0.2, 0.6],
        "contract_payments_usd": [0.5e9, 1.5e9],
        "payments_to_investment": [0.1, 0.3],
    }
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_floating_point_residue_is_drawn_as_zero():
    frame = _frame(4, throttled_share=[0.0, 1e-16, 0.0, 0.0], labs_active=[6, 6, 6, 6])
    fig = throttling_figure(frame, {}, report_info(frame, _scenario(), 7))
    share_ax, count_ax = fig.axes
    assert share_ax.lines[0].get_ydata().tolist() == [0.0, 0.0, 0.0, 0.0]
    assert share_ax.get_ylim() == (0.0, 1.0)  # percent, not 0 to 1e-14
    assert "no throttling in this run" in [t.get_text() for t in share_ax.texts]
    # labs active is a count: integer ticks from 0, not 5.7 to 6.3
    low, high = count_ax.get_ylim()
    assert low == 0 and high > 6
    ticks = [t for t in count_ax.get_yticks() if low <= t <= high]
    assert all(float(t).is_integer() for t in ticks) and 6 in ticks


def test_denoise_uses_a_relative_tolerance():
    assert denoise([1.0, 1e-12, -1e-10]).tolist() == [1.0, 0.0, 0.0]
    assert denoise([1e3, 1e-7]).tolist() == [1e3, 0.0]  # 1e-10 of the scale
    assert denoise([1e-3, 1e-7]).tolist() == [1e-3, 1e-7]  # 1e-4 of the scale: real
    assert denoise([1e-16, 0.0], unit=1.0).tolist() == [0.0, 0.0]  # all noise for a share
    assert np.isnan(denoise([np.nan, 1.0])[0])
    assert NOISE_RTOL == 1e-9


def test_titles_name_scenario_seed_and_months_and_every_axis_has_a_label():
    frame = _frame(24)
    info = report_info(frame, _scenario("mine"), 11)
    tables = {"deals": DEAL}
    for name, make in FIGURES.items():
        fig = make(frame, tables, info)
        title = fig.get_suptitle()
        assert "scenario mine · seed 11 · 2026-01 to 2027-12 (24 months)" in title, name
        for ax in fig.axes:
            assert ax.get_ylabel(), f"{name}: a y axis without label"
        assert "month" in [ax.get_xlabel() for ax in fig.axes], name


def test_the_power_share_has_a_scale_of_its_own():
    # 2% of power demand on the right axis up to 1.15 x 2%, utilisation on 0-105% (left)
    frame = _frame(24, dc_power_share=[0.01] * 12 + [0.02] * 12)
    fig = FIGURES["capacity"](frame, {}, report_info(frame, _scenario(), 1))
    left, right = fig.axes[1], fig.axes[2]
    assert left.get_ylim() == (0.0, 105.0)
    assert right.get_ylim() == pytest.approx((0.0, 2.3))
    assert right.get_lines()[0].get_ydata().max() == pytest.approx(2.0)


def test_hhi_line_is_the_scenarios_threshold():
    frame = _frame(3)
    fig = FIGURES["concentration"](frame, {}, report_info(frame, _scenario(threshold=2600), 1))
    lines = [ln for ln in fig.axes[0].lines if "threshold" in ln.get_label()]
    assert len(lines) == 1 and lines[0].get_ydata()[0] == 2600.0
    assert lines[0].get_label() == "review threshold 2,600 (this scenario)"


def test_no_deal_is_a_note_not_empty_axes():
    frame = _frame(6)
    fig = deals_figure(frame, {"deals": DEAL.iloc[:0]}, report_info(frame, _scenario(), 7))
    (ax,) = fig.axes
    assert not ax.axison
    assert [t.get_text() for t in ax.texts] == ["No deal in this scenario."]
    with_deal = _scenario()
    with_deal.deal = types.SimpleNamespace(enabled=True)  # proposed after the run ended
    fig = deals_figure(frame, {"deals": DEAL.iloc[:0]}, report_info(frame, with_deal, 7))
    assert [t.get_text() for t in fig.axes[0].texts] == ["No deal was made in this run."]
    listed = _scenario()  # one of other_deals, proposed after the run ended
    listed.other_deals = [types.SimpleNamespace(enabled=True)]
    fig = deals_figure(frame, {"deals": DEAL.iloc[:0]}, report_info(frame, listed, 7))
    assert [t.get_text() for t in fig.axes[0].texts] == ["No deal was made in this run."]
    fig = deals_figure(frame, {"deals": DEAL}, report_info(frame, _scenario(), 7))
    money, ratio = fig.axes
    assert ratio.get_ylabel() == "spend at investor / investment (ratio)"
    labels = [ln.get_label() for ln in money.lines]
    assert labels == [
        "amazon invests in anthropic",
        "anthropic spends on amazon",
        "paid under the deal's contract",
    ]
    styles = {(ln.get_color(), ln.get_marker()) for ln in money.lines}
    assert len(styles) == 3  # invested, revenue and contract never share colour and marker
    assert money.lines[1].get_ydata().tolist() == [1.0, 3.0]  # $B


def test_two_deals_of_one_investor_and_lab_each_get_their_lines():
    # grouped by investor and lab, the lines jumped between the two deals month by month
    frame = _frame(4)
    second = DEAL.assign(deal=1, invested_usd=4e9, cloud_revenue_usd=[0.5e9, 0.7e9])
    fig = deals_figure(
        frame, {"deals": pd.concat([DEAL, second])}, report_info(frame, _scenario(), 7)
    )
    money = fig.axes[0]
    lines = {ln.get_label(): ln.get_ydata().tolist() for ln in money.lines}
    assert lines["amazon invests in anthropic (deal 0)"] == [5.0, 5.0]
    assert lines["anthropic spends on amazon (deal 1)"] == [0.5, 0.7]


def test_one_month_run_gets_a_short_time_axis():
    frame = _frame(1, start="2026-01")
    for name, make in FIGURES.items():
        fig = make(frame, {"deals": DEAL.iloc[:0]}, report_info(frame, _scenario(), 7))
        if name == "deals":
            continue
        low, high = (mdates.num2date(v).date() for v in fig.axes[-1].get_xlim())
        assert str(low) >= "2025-12-15" and str(high) <= "2026-04-30", (name, low, high)


def test_written_files_are_atomic_with_normal_modes_and_titles(tmp_path):
    frame = _frame(3)
    old = os.umask(0o027)
    try:
        paths = write_report(frame, {"deals": DEAL}, tmp_path, scenario=_scenario("x"), seed=3)
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in FIGURES)
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640  # 0644 under umask 027
        with Image.open(path) as img:
            assert img.text["Title"].startswith(f"{path.stem.capitalize()} · scenario x · seed 3")
            assert "2026-01 to 2026-03 (3 months)" in img.text["Source"]
    old = os.umask(0o022)
    try:
        path = write_report(frame, {}, tmp_path / "again", scenario=_scenario(), seed=3)[0]
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_drawing_leaves_a_notebooks_matplotlib_alone(tmp_path, users_pyplot):
    frame = _frame(3)
    paths = write_report(frame, {"deals": DEAL}, tmp_path, scenario=_scenario(), seed=3)
    figs = [
        make(frame, {"deals": DEAL}, report_info(frame, _scenario(), 3))
        for make in FIGURES.values()
    ]
    users_pyplot()  # backend, open figures and current figure as the user left them
    for fig, path in zip(figs, paths, strict=True):  # a returned figure still saves alone
        fig.savefig(tmp_path / "again.png", dpi=110)
        with Image.open(tmp_path / "again.png") as again, Image.open(path) as written:
            assert again.size == written.size


def test_importing_the_figure_modules_keeps_the_users_backend():
    code = (
        "import matplotlib; import experiments.report, experiments.calibration.figures, "
        "experiments.sweeps.figures, experiments.forecasting.figures; "
        "print(matplotlib.get_backend())"
    )
    env = {**os.environ, "MPLBACKEND": "pdf"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "pdf"


def test_many_labs_and_regions_draw_the_largest_and_say_so():
    # 20 labs needing 1..20 H100e-hours and 12 regions using 1..12 MW: the 8 largest of
    # each are drawn (lab-12..lab-19 and r04..r11 by name), each line a style of its own
    months = 3
    frame = _frame(months, throttled_share=[0.1] * months)
    labs = pd.DataFrame(
        [
            {"month": t, "kind": "lab", "name": f"lab-{k:02d}", "inference_need": k + 1.0,
             "throttled_share": 0.01 * k}
            for t in range(months) for k in range(20)
        ]
    )  # fmt: skip
    regions = pd.DataFrame(
        [
            {"month": t, "region": f"r{k:02d}", "power_price": 50.0 + k,
             "non_ai_load_mw": k + 1.0, "conventional_dc_mw": 0.0, "dc_load_mw": 0.0}
            for t in range(months) for k in range(12)
        ]
    )  # fmt: skip
    info = report_info(frame, _scenario(), 7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "tight layout not applied" included
        throttling = throttling_figure(frame, {"agents": labs}, info)
        prices = prices_figure(frame, {"regions": regions}, info)
    for ax, names, title in (
        (throttling.axes[0], [f"lab-{k:02d}" for k in range(12, 20)], "the 8 of 20 labs"),
        (prices.axes[1], [f"r{k:02d}" for k in range(4, 12)], "the 8 of 12 regions"),
    ):
        drawn = [ln.get_label() for ln in ax.lines]
        assert drawn[1:] == names
        styles = {(ln.get_color(), ln.get_marker()) for ln in ax.lines}
        assert len(styles) == len(ax.lines) == 1 + MAX_SERIES
        assert ax.get_legend().get_title().get_text().startswith(title)
    assert prices.axes[1].lines[0].get_label() == "load-weighted mean"
