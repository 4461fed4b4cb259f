"""``gigawatt viz``: start the browser app (Mesa SolaraViz) on localhost, fully offline.

The app is started by its file path with ``solara run viz/app.py`` in a child process, so
``experiments`` never imports ``viz`` (the layers import downwards only). This module also
owns the server settings that keep the page working without internet (:func:`server_env`),
shared with the browser tests and the benchmark so that they test what users run.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "APP_PATH",
    "ViewerError",
    "assets_dir",
    "handler",
    "port_free",
    "register",
    "resolve_scenario",
    "server_command",
    "server_env",
]

#: The app file, found next to this package (``viz/`` is a sibling of ``experiments/``).
APP_PATH = Path(__file__).resolve().parent.parent / "viz" / "app.py"
#: Where the ``solara-assets`` package installs Solara's front end (Vue app, requirejs, fonts,
#: ECharts): ``<prefix>/share/solara/cdn``, which Solara serves as ``/_solara/cdn``.
_ASSET_PROBE = "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js"
#: An address that refuses connections at once: if an asset were missing, Solara's server
#: would fail fast here instead of reaching out to the public CDN (cdn.jsdelivr.net).
_NO_CDN = "http://127.0.0.1:9/npm/"


class ViewerError(ValueError):
    """The viewer cannot start: bad host/port, port taken, front-end assets missing."""


def assets_dir() -> Path:
    """Directory of Solara's local front-end assets; raises :class:`ViewerError` if absent."""
    path = Path(sys.prefix) / "share" / "solara" / "cdn"
    if not (path / _ASSET_PROBE).is_file():
        raise ViewerError(
            f"Solara's front-end assets are not installed at {path} (missing {_ASSET_PROBE}); "
            "install them with: pip install 'solara-assets==1.58.2'"
        )
    return path


def server_env(
    base: Mapping[str, str] | None = None,
    scenario: str | None = None,
    seed: int | None = None,
    scale: int | None = None,
) -> dict[str, str]:
    """Environment for ``solara run`` that serves every asset locally and phones nowhere.

    - ``SOLARA_ASSETS_PROXY=true`` and ``SOLARA_ASSETS_PROXY_CACHE_DIR``: the page loads its
      front end from this server's ``/_solara/cdn`` route, backed by ``solara-assets``;
    - ``SOLARA_ASSETS_CDN`` points at a refusing local port, so nothing is fetched from the
      internet even if an asset were missing (the browser test would then see a failure);
    - ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=false``: no usage telemetry;
    - ``GIGAWATT_VIZ_SCENARIO`` / ``_SEED`` / ``_SCALE``: the run the page opens with.
    """
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "SOLARA_ASSETS_PROXY": "true",
            "SOLARA_ASSETS_PROXY_CACHE_DIR": str(assets_dir()),
            "SOLARA_ASSETS_CDN": _NO_CDN,
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
            # Solara warns on every page load that plain-http cookies fall back to samesite=lax;
            # that is the right behaviour on localhost, so the warning is noise.
            "PYTHONWARNINGS": "ignore:Cookies with samesite=none require https",
        }
    )
    if scenario is not None:
        env["GIGAWATT_VIZ_SCENARIO"] = scenario
    if seed is not None:
        env["GIGAWATT_VIZ_SEED"] = str(seed)
    if scale is not None:
        env["GIGAWATT_VIZ_SCALE"] = str(scale)
    return env


def server_command(app: Path | str, host: str, port: int) -> list[str]:
    """``solara run`` for ``app`` in production mode (no reloader, no version check, no browser)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(app),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def port_free(host: str, port: int) -> bool:
    """True when ``host:port`` can be bound now (nothing else listens there)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise ViewerError(f"cannot bind --host {host!r}: {exc.strerror}") from exc
    return True


def resolve_scenario(name: str) -> str:
    """The scenario to open: a shipped name, or a ``.toml`` file's absolute path.

    Loads it once (as ``gigawatt run`` does) so that a bad file fails here, before the
    server starts; raises :class:`ViewerError` with the loader's message.
    """
    from agents.scenario import ScenarioError
    from experiments.scenarios import list_scenarios, load_scenario

    names = list(list_scenarios())
    if name in names:
        return name
    path = Path(name)
    if path.suffix != ".toml" and not path.exists():
        raise ViewerError(
            f"--scenario {name!r} is neither shipped nor a .toml file; "
            f"choose one of {names} or give a path to a .toml file"
        )
    try:
        load_scenario(path)
    except ScenarioError as exc:
        raise ViewerError(f"--scenario {name!r}: {exc}") from None
    return str(path.resolve())


def register(subparsers: Any) -> None:
    """Add ``gigawatt viz`` to the ``gigawatt`` parser."""
    parser = subparsers.add_parser(
        "viz",
        help="open the browser app: watch one run, move the levers",
        description=(
            "Start the Gigawatt browser app (Mesa SolaraViz) on this machine and print its "
            "address. Works offline: every front-end asset is served locally."
        ),
    )
    parser.add_argument(
        "--scenario",
        default="baseline",
        help="shipped scenario name or path to a .toml file (default baseline)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the first run (default 7)")
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="scale mode: add N small labs and enterprise buyers (default 0)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the app until interrupted; returns the exit code (2 when it cannot start)."""
    if not 0 < args.port < 65536:
        print(f"gigawatt viz: --port {args.port} is not a port; use 1-65535", file=sys.stderr)
        return 2
    try:
        if not port_free(args.host, args.port):
            print(
                f"gigawatt viz: port {args.port} on {args.host} is already in use "
                f"(another app, or gigawatt viz already running?). "
                f"Choose another one, e.g. --port {args.port + 1}",
                file=sys.stderr,
            )
            return 2
        if args.scale < 0:
            raise ViewerError(f"--scale {args.scale} must be >= 0 (number of small agents)")
        if args.seed < 0:
            raise ViewerError(f"--seed {args.seed} must be >= 0")
        scenario = resolve_scenario(args.scenario)
        env = server_env(scenario=scenario, seed=args.seed, scale=args.scale)
    except ViewerError as exc:
        print(f"gigawatt viz: {exc}", file=sys.stderr)
        return 2
    shown = f"[{args.host}]" if ":" in args.host else args.host
    scale = f", scale mode +{args.scale:,} small agents" if args.scale else ""
    print(f"Gigawatt viz: scenario {args.scenario}, seed {args.seed}{scale}")
    print(f"Open http://{shown}:{args.port}/ in a browser (Ctrl-C to stop)", flush=True)
    proc = subprocess.Popen(server_command(APP_PATH, args.host, args.port), env=env)
    # stop the server with us, on Ctrl-C or on a plain `kill` (SIGTERM)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
