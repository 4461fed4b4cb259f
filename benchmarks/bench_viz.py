"""Browser app: time from pressing Step to the page showing the new month.

Starts the app as ``gigawatt viz`` does (``solara run viz/app.py``, assets served locally) on
a free loopback port, opens it in headless Debian chromium (Playwright), and presses Step
repeatedly. A step counts as shown when both the month counter reads the next month and the
power-price chart's canvas has repainted (its pixels differ from before the press). Measured
for ``baseline`` and for scale mode (thousands of small labs and enterprise buyers added).
Target: under 0.5 s for ``baseline``.

Run: ``python -m benchmarks`` (all benchmarks) or ``python -m benchmarks.bench_viz [--quick]``.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.options import parser

__all__ = ["main", "measure", "measure_server"]

_REPAINTED = """([sel, m, before]) => {
    const el = document.querySelector(sel);
    if (!el || !el.textContent.includes(`Month ${m} `)) return false;
    const canvas = document.querySelectorAll('.solara-echarts canvas')[1];
    return canvas && canvas.toDataURL() !== before;
}"""


def measure(scale: int, steps: int, warmup: int = 2) -> dict[str, float]:
    """Step-to-update times (seconds) of the app on ``baseline`` with ``scale`` extra agents."""
    from playwright.sync_api import sync_playwright

    from experiments.cli_viz import APP_PATH
    from tests.viz.browser_steps import MONTH, month_number, open_app
    from tests.viz.conftest import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app

    with tempfile.TemporaryDirectory() as tmp:
        server = start_app(
            APP_PATH, Path(tmp) / "server.log", timeout=120, scenario="baseline", scale=scale
        )
        try:
            with sync_playwright() as pw:
                context = pw.chromium.launch_persistent_context(
                    str(Path(tmp) / "profile"),
                    executable_path=CHROMIUM,
                    args=CHROMIUM_ARGS,
                    headless=True,
                    viewport={"width": 1400, "height": 1000},
                )
                page, watch = open_app(context, server.url)
                times = []
                for i in range(warmup + steps):
                    month = month_number(page)
                    before = (
                        page.locator(".solara-echarts canvas").nth(1).evaluate("c => c.toDataURL()")
                    )
                    start = time.perf_counter()
                    page.get_by_role("button", name="Step").click()
                    page.wait_for_function(
                        _REPAINTED, arg=[MONTH, month + 1, before], polling="raf", timeout=60_000
                    )
                    if i >= warmup:
                        times.append(time.perf_counter() - start)
                context.close()
                if watch.console_errors or watch.failed_requests:
                    raise RuntimeError(
                        f"page errors: {watch.console_errors + watch.failed_requests}"
                    )
        finally:
            stop_app(server)
    return {
        "median": statistics.median(times),
        "p90": sorted(times)[max(0, round(0.9 * len(times)) - 1)],
        "max": max(times),
        "steps": float(len(times)),
    }


def measure_server(scale: int, steps: int, warmup: int = 2) -> float:
    """Median seconds of one Step in-process (model step + page re-render, no browser)."""
    import ipyvuetify as v
    import solara

    from viz.page import make_page
    from viz.session import VizRun

    page = make_page(VizRun, scenario_name="baseline", seed=7, scale_agents=scale)()
    # outside a served app, Solara echoes the app bar's children to stdout on each render
    with contextlib.redirect_stdout(io.StringIO()):
        _, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
        button = rc.find(v.Btn, children=["Step"]).widget
        times = []
        for i in range(warmup + steps):
            start = time.perf_counter()
            button.click()
            if i >= warmup:
                times.append(time.perf_counter() - start)
        rc.close()
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """Print the step-to-update table (``--quick``: fewer steps, one scale size)."""
    quick = parser("python -m benchmarks.bench_viz", __doc__).parse_args(argv).quick
    steps = 5 if quick else 15
    cases = [("baseline", 0), ("baseline + scale mode", 3000)]
    if not quick:
        cases.append(("baseline + scale mode", 10_000))
    print("\nBrowser app: Step pressed -> month counter and chart updated (headless chromium)")
    print(
        f"{'case':<26} {'agents added':>12} {'median s':>9} {'p90 s':>7} {'max s':>7}"
        f" {'steps':>6} {'server s':>9}"
    )
    for name, scale in cases:
        r = measure(scale, steps)
        server = measure_server(scale, steps)
        print(
            f"{name:<26} {scale:>12,} {r['median']:>9.3f} {r['p90']:>7.3f} {r['max']:>7.3f}"
            f" {int(r['steps']):>6} {server:>9.3f}"
        )
    print("target: median under 0.5 s for baseline")
    print("server s: median Step in-process (model step + page re-render), without the browser")


if __name__ == "__main__":
    main()
