"""The app server: websockets from foreign origins refused, closed pages' sessions freed."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from experiments.cli import build_parser
from experiments.cli_viz import CULL_SECONDS, allowed_origins, server_env
from tests.viz.conftest import STANDIN_APP, start_app, stop_app
from viz.server import OriginGuard


def _ws_url(server) -> str:
    """The URL a page uses for its kernel websocket (any kernel and session id)."""
    base = server.url.rstrip("/").replace("http://", "ws://")
    return f"{base}/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id={uuid.uuid4()}"


def _kernels(server) -> dict:
    with urllib.request.urlopen(server.url + "resourcez", timeout=5) as resp:
        return json.load(resp)["kernels"]


def test_origins_are_compared_by_scheme_host_and_port():
    guard = OriginGuard(lambda *a: None, allowed_origins("127.0.0.1", 8765))
    assert guard.allows("http://127.0.0.1:8765", None)
    assert guard.allows("http://localhost:8765", None)
    assert not guard.allows("http://127.0.0.1:8766", None)  # another local app
    assert not guard.allows("http://evil.example", None)
    assert not guard.allows("null", None)  # sandboxed iframes and file:// pages
    wide = OriginGuard(lambda *a: None, allowed_origins("0.0.0.0", 8765))
    assert wide.allows("http://10.0.0.5:8765", "10.0.0.5:8765")
    assert not wide.allows("http://evil.example:8765", "10.0.0.5:8765")
    extra = allowed_origins("127.0.0.1", 8765, ["https://sim.example.org"])
    assert OriginGuard(lambda *a: None, extra).allows("https://sim.example.org", None)
    assert OriginGuard(lambda *a: None, ["*"]).allows("http://anything.example", None)


def test_cli_options_reach_the_server_environment():
    args = build_parser().parse_args(
        ["viz", "--allow-origin", "https://sim.example.org", "--kernel-cull-seconds", "60"]
    )
    assert args.allow_origin == ["https://sim.example.org"]
    assert args.kernel_cull_seconds == 60
    assert build_parser().parse_args(["viz"]).kernel_cull_seconds == CULL_SECONDS
    env = server_env(
        {}, host="127.0.0.1", port=8765, allow_origins=args.allow_origin, cull_seconds=60
    )
    origins = env["GIGAWATT_VIZ_ALLOWED_ORIGINS"].split(",")
    assert "http://127.0.0.1:8765" in origins and "https://sim.example.org" in origins
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == "60s"


@pytest.mark.xdist_group("browser")
def test_websocket_from_a_foreign_origin_is_refused(standin_server):
    with pytest.raises(InvalidStatus) as info:
        with connect(_ws_url(standin_server), origin="http://evil.example", open_timeout=10):
            pass
    assert info.value.response.status_code == 403
    port = standin_server.url.rstrip("/").rsplit(":", 1)[1]
    with pytest.raises(InvalidStatus):
        with connect(_ws_url(standin_server), origin=f"http://127.0.0.1:{int(port) + 1}"):
            pass
    for origin in (standin_server.url.rstrip("/"), f"http://localhost:{port}"):
        with connect(_ws_url(standin_server), origin=origin, open_timeout=10) as ws:
            assert ws.protocol.state.name == "OPEN"


@pytest.mark.xdist_group("browser")
def test_closed_pages_sessions_are_culled_after_the_setting(tmp_path):
    server = start_app(STANDIN_APP, tmp_path / "server.log", cull_seconds=2)
    try:
        with connect(_ws_url(server), origin=server.url.rstrip("/"), open_timeout=10):
            deadline = time.monotonic() + 10
            while _kernels(server)["total"] == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _kernels(server)["total"] == 1
        deadline = time.monotonic() + 30  # 2 s of cull plus generous slack on a busy machine
        while _kernels(server)["total"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _kernels(server)["total"] == 0
    finally:
        stop_app(server)
