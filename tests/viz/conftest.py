"""Fixtures for the browser-app tests: stand-in runs, a live app server, headless chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from experiments.cli_viz import APP_PATH, server_command, server_env
from tests.viz.standin import StandInRun

HERE = Path(__file__).resolve().parent
STANDIN_APP = HERE / "standin_app.py"
CHROMIUM = "/usr/bin/chromium"
#: Flags for a quiet, offline headless chromium (no background downloads or sync).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: The README's scenario with both of Amazon's 2026 deals: ``amazon-anthropic-2026`` and,
#: listed in ``other_deals``, its OpenAI deal.
DEALS_TOML = """\
extends = "amazon-anthropic-2026"
name = "amazon-2026-deals"

[[other_deals]]
investor = "amazon"
lab = "openai"
propose = "2026-02"
investment_usd = 15e9
milestone_usd = 35e9
milestone_tranches = 4
committed_spend_usd = 100e9
term_months = 96
silicon = "trainium"
reserved_mw = 2000.0
exclusive = false
"""
#: How the sidebar and the status card name that listed deal.
OPENAI_DEAL = "amazon in openai, 2026-02, $15B"


@pytest.fixture
def deals_file(tmp_path: Path) -> str:
    """The path of a scenario file with one listed deal (:data:`DEALS_TOML`)."""
    path = tmp_path / "amazon-2026-deals.toml"
    path.write_text(DEALS_TOML)
    return str(path)


@pytest.fixture
def run() -> StandInRun:
    """A fresh stand-in run of the ``baseline`` stand-in scenario, seed 7."""
    return StandInRun(scenario_name="baseline", seed=7)


@pytest.fixture
def stepped(run: StandInRun) -> StandInRun:
    """The stand-in run three months in (trade, contracts and a deal on the books)."""
    for _ in range(3):
        run.step()
    return run


def free_port() -> int:
    """A loopback port that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AppServer:
    """A ``solara run`` child process serving an app file on a loopback port."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_app(app: Path, log: Path, timeout: float = 60.0, **env_kw: object) -> AppServer:
    """Start ``app`` the way ``gigawatt viz`` does and wait until it answers HTTP."""
    port = free_port()
    env = server_env(host="127.0.0.1", port=port, **env_kw)  # type: ignore[arg-type]
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parents[1]), env.get("PYTHONPATH", "")])
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server_command(app, "127.0.0.1", port), env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return AppServer(url=url, proc=proc, log=log)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"app server did not answer within {timeout} s:\n{log.read_text()}")


def stop_app(server: AppServer) -> None:
    """Stop a server started by :func:`start_app`."""
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture(scope="module")
def standin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app over the stand-in model, served on a free loopback port for this module."""
    log = tmp_path_factory.mktemp("viz-server") / "server.log"
    server = start_app(STANDIN_APP, log)
    yield server
    stop_app(server)


@pytest.fixture(scope="module")
def gigawatt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The real app (``viz/app.py``) on ``baseline``, served on a free loopback port."""
    log = tmp_path_factory.mktemp("viz-server") / "server.log"
    server = start_app(APP_PATH, log, scenario="baseline", seed=7)
    yield server
    stop_app(server)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    """A headless Debian chromium driven by Playwright, with a fresh user-data-dir."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"Debian chromium is not installed at {CHROMIUM}: run `make browser`")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()
