"""What a person does with the app, in headless chromium: shared by the tests and the benchmark."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

#: The part of the page that shows the month counter (viz.components.status_html).
MONTH = ".gigawatt-month"
STEP_TIMEOUT_MS = 30_000


@dataclass
class PageWatch:
    """Console messages, page errors and failed or foreign requests seen by a page."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        def on_console(msg: Any) -> None:
            if msg.type == "error":
                self.console_errors.append(msg.text)

        def on_request(req: Any) -> None:
            url = req.url
            if not url.startswith((self.origin, "blob:", "data:", "ws://127.0.0.1")):
                self.foreign_requests.append(url)

        def on_response(resp: Any) -> None:
            if resp.status >= 400:
                self.failed_requests.append(f"{resp.status} {resp.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"page error: {exc}"))
        page.on(
            "requestfailed", lambda req: self.failed_requests.append(f"{req.url} {req.failure}")
        )
        page.on("request", on_request)
        page.on("response", on_response)


@dataclass
class ServerHold:
    """Holds back what the app server sends the page while :attr:`holding` is True.

    The page's websocket to the server is routed through :meth:`route`: what the page sends
    goes through at once, what the server sends is kept until :meth:`release`. A person who
    acts while the server's answer to an earlier action is still on its way is reproduced
    exactly, however fast the server answers.
    """

    holding: bool = False
    held: list[tuple[Any, str | bytes]] = field(default_factory=list)

    def route(self, ws: Any) -> None:
        """Connect the page's websocket ``ws`` to the server (a Playwright route handler)."""
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if self.holding:
                self.held.append((ws, message))
            else:
                ws.send(message)

        server.on_message(from_server)
        ws.on_message(server.send)

    def release(self) -> None:
        """Deliver the held messages, in order, and stop holding."""
        self.holding = False
        for ws, message in self.held:
            ws.send(message)
        self.held.clear()


def open_app(context: Any, url: str, hold: ServerHold | None = None) -> tuple[Any, PageWatch]:
    """Open the app in a new tab and wait until the Step button and the charts are there.

    With ``hold``, the page's websocket runs through :meth:`ServerHold.route`.
    """
    page = context.new_page()
    watch = PageWatch(origin=url.rstrip("/"))
    watch.attach(page)
    if hold is not None:
        page.route_web_socket("**", hold.route)
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for(timeout=60_000)
    page.locator(MONTH).wait_for(timeout=60_000)
    page.locator(".solara-echarts canvas").first.wait_for(timeout=60_000)
    return page, watch


def month_text(page: Any) -> str:
    """The month counter, e.g. ``Month 3 · 2026-04``."""
    return str(page.locator(MONTH).inner_text())


def month_number(page: Any) -> int:
    """The month counter's number."""
    match = re.search(r"Month (\d+)", month_text(page))
    if match is None:
        raise AssertionError(f"no month counter in {month_text(page)!r}")
    return int(match.group(1))


def chart_pixels(page: Any, index: int) -> str:
    """The pixels of the ``index``-th ECharts canvas on the visible tab, as a data URL."""
    canvas = page.locator(".solara-echarts canvas").nth(index)
    return str(canvas.evaluate("c => c.toDataURL()"))


def wait_chart_changed(page: Any, index: int, before: str, timeout_ms: int = 15_000) -> None:
    """Wait until the ``index``-th ECharts canvas no longer shows the pixels ``before``."""
    page.wait_for_function(
        """([i, before]) => {
            const c = document.querySelectorAll('.solara-echarts canvas')[i];
            return c && c.toDataURL() !== before;
        }""",
        arg=[index, before],
        timeout=timeout_ms,
    )


def press_step(page: Any) -> float:
    """Press Step and wait until the month counter shows the next month; seconds taken."""
    before = month_number(page)
    start = time.perf_counter()
    page.get_by_role("button", name="Step").click()
    page.wait_for_function(
        """([sel, m]) => {
            const el = document.querySelector(sel);
            return el && el.textContent.includes(`Month ${m} `);
        }""",
        arg=[MONTH, before + 1],
        timeout=STEP_TIMEOUT_MS,
    )
    return time.perf_counter() - start


def play_until(page: Any, month: int) -> None:
    """Press Play (▶) and wait until the month counter shows ``month`` or later."""
    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        """([sel, m]) => {
            const found = /Month (\\d+) /.exec(document.querySelector(sel).textContent);
            return found && Number(found[1]) >= m;
        }""",
        arg=[MONTH, month],
        timeout=STEP_TIMEOUT_MS,
    )


def lever_text(page: Any, label: str) -> str:
    """The name and value written above a sidebar slider, e.g. ``Lead time: 36 months``."""
    return str(page.locator(".gigawatt-lever-label", has_text=label).inner_text())


def nudge_slider(page: Any, label: str, presses: int = 1) -> None:
    """Move the sidebar lever slider named ``label`` right by ``presses`` steps."""
    slider = page.locator(".gigawatt-lever", has_text=label).get_by_role("slider").first
    slider.focus()
    for _ in range(presses):
        slider.press("ArrowRight")


def open_tab(page: Any, name: str, n_charts: int) -> None:
    """Open the tab ``name`` and wait until its ``n_charts`` charts have drawn."""
    page.get_by_role("tab", name=name).click()
    page.wait_for_function(
        """(n) => {
            const charts = document.querySelectorAll('.solara-echarts');
            return charts.length === n && (n === 0 || charts[n - 1].querySelector('canvas'));
        }""",
        arg=n_charts,
        timeout=STEP_TIMEOUT_MS,
    )


def choose_scenario(page: Any, name: str) -> None:
    """Open the sidebar's scenario selector and click ``name`` in its menu."""
    page.locator(".v-select", has_text="Scenario").click()
    page.locator(".menuable__content__active .v-list-item", has_text=name).click()


def press_reset(page: Any) -> None:
    """Press Reset and wait until the new run is on screen.

    That is: the month counter is back at 0 and no value is marked "applies on Reset" any
    more (a page still at month 0 shows the new run only once the marks are gone).
    """
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(
        """(sel) => {
            const el = document.querySelector(sel);
            return el && el.textContent.includes('Month 0 ')
                && document.querySelectorAll('.gigawatt-pending').length === 0;
        }""",
        arg=MONTH,
        timeout=STEP_TIMEOUT_MS,
    )
