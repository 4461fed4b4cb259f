"""End to end in a real browser: the app as started by ``gigawatt viz``, in headless chromium.

The server runs with :func:`experiments.cli_viz.server_env` (assets served locally, the public
CDN replaced by a refusing address), so these tests also prove that the page works offline:
any asset it could not serve locally would show up as a failed request.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.viz.browser_steps import (
    MONTH,
    ServerHold,
    chart_pixels,
    choose_scenario,
    lever_text,
    month_number,
    month_text,
    nudge_slider,
    open_app,
    open_tab,
    play_until,
    press_reset,
    press_step,
    wait_chart_changed,
)
from tests.viz.standin import LEVERS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

#: Tab names and the charts each one draws.
TAB_CHARTS = {"Market": 4, "Capacity & concentration": 4, "Deals & labs": 2, "About": 0}


def _lever_row(page, label: str) -> str:
    return str(page.locator(".gigawatt-levers tr", has_text=label).inner_text())


def _visible_text(page) -> str:
    return str(page.locator("body").inner_text())


def exercise(server, chromium, shot, lever_label: str, before: str, after: str) -> None:
    """Load, step three times, move a slider one step right, reset; nothing may fail."""
    page, watch = open_app(chromium, server.url)
    assert month_text(page).startswith("Month 0 · start 2026-01")
    assert page.title().startswith("Gigawatt")
    tabs = page.get_by_role("tab").all_inner_texts()
    assert [t.strip() for t in tabs] == list(TAB_CHARTS)  # as written, not upper-cased
    text = _visible_text(page)
    for internal in ("Render Interval", "Use Threads", "Time:", "PAGE 0", "Page 0"):
        assert internal not in text

    empty = chart_pixels(page, 1)
    press_step(page)
    wait_chart_changed(page, 1, empty)  # ECharts painted the first month
    # tab "Market": network, power price, compute price, capacity price
    power_before = chart_pixels(page, 1)
    network_before = chart_pixels(page, 0)
    press_step(page)
    press_step(page)
    assert month_number(page) == 3
    assert "Month 3 · through 2026-03" in month_text(page)
    assert "Month 3 of" in page.locator(".gigawatt-sidebar-month").inner_text()
    wait_chart_changed(page, 1, power_before)  # the power price chart grew two months
    wait_chart_changed(page, 0, network_before)  # the network title and flows changed

    # the value is written next to the slider without touching it
    assert re.search(before, lever_text(page, lever_label))
    assert page.locator(".gigawatt-pending").count() == 0
    assert re.search(before, _lever_row(page, lever_label))
    nudge_slider(page, lever_label)
    lever = page.locator(".gigawatt-lever", has_text=lever_label)
    lever.locator(".gigawatt-pending").wait_for(timeout=10_000)
    assert "applies on Reset" in lever.inner_text()
    assert re.search(after, lever_text(page, lever_label))
    # the lever table is a separate component and may draw its mark a render later
    table_row = page.locator(".gigawatt-levers tr", has_text=lever_label)
    table_row.locator(".gigawatt-pending").wait_for(timeout=10_000)
    row = _lever_row(page, lever_label)
    assert re.search(before, row) and "applies on Reset" in row, row  # still the old run
    press_reset(page)
    row = _lever_row(page, lever_label)
    assert re.search(after, row), row
    assert "moved" in row and "applies on Reset" not in row
    assert page.locator(".gigawatt-pending").count() == 0
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


def test_seed_field_takes_a_typed_number(standin_server, chromium):
    """Type a seed, see it marked, Reset: the run on screen has that seed."""
    page, watch = open_app(chromium, standin_server.url)
    seed = page.get_by_label("Seed")
    assert seed.input_value() == "7"
    seed.fill("2024")
    seed.press("Enter")
    page.locator(".gigawatt-levers").wait_for()
    page.get_by_text("→ 2024, applies on Reset").wait_for(timeout=10_000)
    press_reset(page)
    assert "seed 2024" in page.locator(".gigawatt-month + p").inner_text()
    assert watch.console_errors == []
    page.close()


def test_a_seed_typed_right_after_choosing_a_scenario_is_kept(standin_server, chromium):
    """Choose a scenario and type a seed before the server has answered the choice: Reset
    starts that scenario with that seed, and the field still shows it."""
    hold = ServerHold()
    page, watch = open_app(chromium, standin_server.url, hold)
    seed = page.get_by_label("Seed")
    hold.holding = True
    choose_scenario(page, "power-crunch")
    seed.fill("2024")  # into the field on screen; the server's answer is still held
    hold.release()
    page.locator(".gigawatt-month + p", has_text="power-crunch").wait_for(timeout=10_000)
    press_reset(page)
    status = page.locator(".gigawatt-month + p").inner_text()
    assert "power-crunch" in status and "seed 2024" in status, status
    assert seed.input_value() == "2024"
    assert watch.console_errors == []
    page.close()


def test_every_slider_shows_its_value(standin_server, chromium):
    """Each slider's name and value with units are on the page, not only while dragged."""
    page, _ = open_app(chromium, standin_server.url)
    labels = page.locator(".gigawatt-lever-label").all_inner_texts()
    assert [re.sub(r"\s+", " ", t) for t in labels] == [
        "Interconnection lead time: 36 months",
        "Demand growth: 0.50 per year",
        "Deal investment: $8B",
    ]
    assert "one month every 150 ms" in page.locator(".gigawatt-speed").inner_text()
    assert "off" in page.locator(".gigawatt-scale").inner_text()
    page.close()


def _download_frame(page, path) -> pd.DataFrame:
    """The model frame the server holds now, by the page's download button."""
    with page.expect_download() as info:
        page.get_by_role("button", name="Download model frame (CSV)").click()
    info.value.save_as(path)
    return pd.read_csv(path)


def test_play_pause_download_and_tabs(standin_server, chromium, tmp_path):
    """Play runs months until Pause; the CSV download holds them; every tab renders."""
    page, watch = open_app(chromium, standin_server.url)
    play_until(page, 3)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for(timeout=10_000)  # paused: the month is final
    # the months the server holds once paused; the page's counter shows them once the
    # pause's render has reached it (the button's label and the counter are separate widgets,
    # updated by separate messages of one render)
    paused_at = len(_download_frame(page, tmp_path / "paused.csv"))
    page.locator(MONTH, has_text=f"Month {paused_at} ").wait_for(timeout=10_000)
    page.wait_for_timeout(1000)
    assert month_number(page) == paused_at >= 3

    frame = _download_frame(page, tmp_path / "frame.csv")
    assert list(frame["month"]) == list(range(paused_at))
    # the stand-in's spot price rule: 2.0 + 0.01 month
    assert frame["compute_spot_price"].tolist() == pytest.approx(
        [2.0 + 0.01 * m for m in range(paused_at)]
    )

    for tab, n_charts in TAB_CHARTS.items():
        open_tab(page, tab, n_charts)
    page.get_by_text("Herfindahl-Hirschman index").wait_for(timeout=10_000)
    assert watch.console_errors == []
    assert watch.failed_requests == []
    page.close()


def test_reset_during_play_starts_the_new_run_at_month_zero(standin_server, chromium):
    """Reset pressed while a run plays: the new run shows month 0 and stays there."""
    page, watch = open_app(chromium, standin_server.url)
    play_until(page, 2)
    press_reset(page)
    page.get_by_role("button", name="▶").wait_for(timeout=10_000)
    page.wait_for_timeout(1000)  # several play intervals: no month of either run lands
    assert month_number(page) == 0
    assert watch.console_errors == []
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
