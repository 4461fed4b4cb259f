"""End to end in a real browser: the app as started by ``gigawatt viz``, in headless chromium.

The server runs with :func:`experiments.cli_viz.server_env` (assets served locally, the public
CDN replaced by a refusing address), so these tests also prove that the page works offline:
any asset it could not serve locally would show up as a failed request.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.viz.browser_steps import (
    MONTH,
    chart_pixels,
    month_number,
    month_text,
    nudge_slider,
    open_app,
    press_reset,
    press_step,
    wait_chart_changed,
)
from tests.viz.conftest import world_model_missing
from tests.viz.standin import LEVERS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _lever_row(page, label: str) -> str:
    return str(page.locator(".gigawatt-levers tr", has_text=label).inner_text())


def exercise(server, chromium, shot, lever_label: str, before: str, after: str) -> None:
    """Load, step three times, move a slider one step right, reset; nothing may fail."""
    page, watch = open_app(chromium, server.url)
    assert month_text(page).startswith("Month 0 · start 2026-01")
    assert page.title().startswith("Gigawatt")

    empty = chart_pixels(page, 1)
    press_step(page)
    wait_chart_changed(page, 1, empty)  # ECharts painted the first month
    power_before = chart_pixels(page, 1)  # tab 0: network, power price, compute price
    network_before = chart_pixels(page, 0)
    press_step(page)
    press_step(page)
    assert month_number(page) == 3
    assert "Month 3 · through 2026-03" in month_text(page)
    assert page.get_by_text("Time: 3.0").is_visible()  # SolaraViz's own counter agrees
    wait_chart_changed(page, 1, power_before)  # the power price chart grew two months
    wait_chart_changed(page, 0, network_before)  # the network title and flows changed

    assert re.search(before, _lever_row(page, lever_label))
    nudge_slider(page, lever_label)
    press_reset(page)
    row = _lever_row(page, lever_label)
    assert re.search(after, row), row
    assert "moved" in row
    assert month_number(page) == 0
    press_step(page)  # the rebuilt model steps
    assert month_number(page) == 1

    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")

    assert watch.console_errors == []
    assert watch.failed_requests == []
    assert watch.foreign_requests == []
    log = server.log_text()
    assert "Could not load URL" not in log  # nothing was fetched from a CDN
    assert "Traceback" not in log
    page.close()


def test_standin_step_slider_reset_offline(standin_server, chromium, tmp_path):
    """The page over the stand-in model: 36 -> 42 months interconnection lead time."""
    label = LEVERS["power.interconnection_months"].label
    exercise(
        standin_server, chromium, tmp_path / "standin.png", label, r"36\s+months", r"42\s+months"
    )


@pytest.mark.skipif(world_model_missing(), reason="the world model has not landed yet")
def test_gigawatt_step_slider_reset_offline(gigawatt_server, chromium, tmp_path):
    """The real app on ``baseline``: interconnection lead time 36 -> 42 months."""
    exercise(
        gigawatt_server,
        chromium,
        tmp_path / "gigawatt.png",
        "Interconnection lead time",
        r"36\s+months",
        r"42\s+months",
    )


def test_play_pause_download_and_tabs(standin_server, chromium, tmp_path):
    """Play runs months until Pause; the CSV download holds them; pages 1 and 2 render."""
    page, watch = open_app(chromium, standin_server.url)
    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        "sel => /Month ([3-9]|\\d\\d+) /.test(document.querySelector(sel).textContent)",
        arg=MONTH,
        timeout=30_000,
    )
    page.get_by_role("button", name="❚❚").click()
    page.wait_for_timeout(1500)  # a step in flight may still land
    paused_at = month_number(page)
    page.wait_for_timeout(1000)
    assert month_number(page) == paused_at >= 3

    with page.expect_download() as info:
        page.get_by_role("button", name="Download model frame (CSV)").click()
    path = tmp_path / "frame.csv"
    info.value.save_as(path)
    frame = pd.read_csv(path)
    assert list(frame["month"]) == list(range(paused_at))
    # the stand-in's spot price rule: 2.0 + 0.01 month
    assert frame["compute_spot_price"].tolist() == pytest.approx(
        [2.0 + 0.01 * m for m in range(paused_at)]
    )

    for tab, n_charts in (("Page 1", 4), ("Page 2", 2)):
        page.get_by_role("tab", name=tab).click()
        expect(page.locator(".solara-echarts")).to_have_count(n_charts, timeout=30_000)
        page.locator(".solara-echarts canvas").nth(n_charts - 1).wait_for(timeout=30_000)
    assert watch.console_errors == []
    assert watch.failed_requests == []
    page.close()


def test_each_tab_has_its_own_run(standin_server, chromium):
    """A second visitor starts at month 0, and stepping there leaves the first one alone."""
    first, watch_first = open_app(chromium, standin_server.url)
    press_step(first)
    press_step(first)
    second, watch_second = open_app(chromium, standin_server.url)
    assert month_number(second) == 0
    press_step(second)
    assert month_number(second) == 1
    press_step(first)
    assert month_number(first) == 3  # its own model went on from 2, untouched by the other tab
    assert watch_first.console_errors == watch_second.console_errors == []
    first.close()
    second.close()
