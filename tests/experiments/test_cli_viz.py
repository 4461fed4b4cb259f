"""``gigawatt viz``: parser, offline server settings, a taken port, a real start."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from experiments.cli import build_parser
from experiments.cli_viz import (
    APP_PATH,
    assets_dir,
    handler,
    port_free,
    resolve_scenario,
    server_command,
    server_env,
)
from tests.viz.conftest import free_port


def test_parser_defaults_bind_localhost():
    args = build_parser().parse_args(["viz"])
    assert (args.host, args.port, args.scenario, args.seed) == ("127.0.0.1", 8765, "baseline", 7)
    assert args.func is handler


def test_server_env_serves_assets_locally_and_disables_telemetry():
    env = server_env({}, scenario="power-crunch", seed=3)
    assert env["SOLARA_ASSETS_PROXY"] == "true"
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(assets_dir())
    assert env["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")  # never the public CDN
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert (env["GIGAWATT_VIZ_SCENARIO"], env["GIGAWATT_VIZ_SEED"]) == ("power-crunch", "3")
    cmd = server_command(APP_PATH, "127.0.0.1", 9999)
    assert cmd[1:4] == ["-m", "viz.server", "run"] and cmd[4] == str(APP_PATH)
    assert APP_PATH.is_file() and APP_PATH.parent.name == "viz"


def test_taken_port_is_reported_and_exits_nonzero(capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_free("127.0.0.1", port)
        args = argparse.Namespace(scenario="baseline", seed=7, host="127.0.0.1", port=port)
        assert handler(args) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert f"--port {port + 1}" in err


def test_bad_port_number_exits_nonzero(capsys):
    args = argparse.Namespace(scenario="baseline", seed=7, host="127.0.0.1", port=70000)
    assert handler(args) == 2
    assert "--port 70000 is not a port" in capsys.readouterr().err


def test_unknown_scenario_and_negative_scale_exit_nonzero(capsys):
    args = argparse.Namespace(scenario="mars", seed=7, host="127.0.0.1", port=free_port(), scale=0)
    assert handler(args) == 2
    assert "--scenario 'mars' is neither shipped nor a .toml file" in capsys.readouterr().err
    args.scenario, args.scale = "baseline", -5
    assert handler(args) == 2
    assert "--scale -5 must be >= 0" in capsys.readouterr().err


def test_a_scale_the_scenario_cannot_take_and_a_bare_host_origin_exit_before_serving(capsys):
    # both used to pass: the first failed as the page opened, after "Open http://...";
    # the second was dropped by the server, so that site's pages were still refused
    args = argparse.Namespace(
        scenario="baseline", seed=7, host="127.0.0.1", port=free_port(), scale=2_000_000
    )
    assert handler(args) == 2
    out, err = capsys.readouterr()
    assert err.startswith("gigawatt viz: --scale 2000000: scale mode adds two thirds small")
    assert "'scale.small_labs' = 1333333" in err and "Open http" not in out
    args.scale, args.allow_origin = 0, ["https://ok.example.org", "sim.example.org"]
    assert handler(args) == 2
    assert "--allow-origin 'sim.example.org' is not a web origin" in capsys.readouterr().err


def test_a_scenario_file_is_accepted_and_a_bad_one_named(tmp_path, capsys, monkeypatch):
    good = tmp_path / "mine.toml"
    good.write_text('extends = "baseline"\nname = "mine"\n')
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario("mine.toml") == str(good)  # absolute: the server may run elsewhere
    assert resolve_scenario("baseline") == "baseline"
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "baseline"\nmonths = -4\n')
    args = argparse.Namespace(
        scenario=str(bad), seed=7, host="127.0.0.1", port=free_port(), scale=0
    )
    assert handler(args) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "months" in err
    args.scenario = str(tmp_path / "missing.toml")
    assert handler(args) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.xdist_group("browser")
def test_gigawatt_viz_starts_and_answers(tmp_path):
    """The real command: prints the address, serves the page and its front end locally."""
    port = free_port()
    log = tmp_path / "viz.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "experiments.cli", "viz", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert "/_solara/cdn/@widgetti/solara-vuetify-app@10.1.1" in body
        asset = url + "_solara/cdn/requirejs@2.3.6/require.js"
        with urllib.request.urlopen(asset, timeout=5) as resp:
            assert resp.status == 200
        assert f"Open {url} in a browser" in log.read_text()
        proc.terminate()  # SIGTERM: the command stops its server too
        assert proc.wait(timeout=20) == 0
        deadline = time.monotonic() + 10
        while not port_free("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert port_free("127.0.0.1", port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
