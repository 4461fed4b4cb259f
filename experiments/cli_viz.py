"""``gigawatt viz``: start the browser app (Mesa and Solara) on localhost, fully offline.

The app is started by its file path with ``python -m viz.server run viz/app.py`` (Solara's
``solara run`` behind a websocket ``Origin`` check) in a child process, so ``experiments``
never imports ``viz`` (the layers import downwards only). This module also owns the server
settings (:func:`server_env`): every front-end asset served locally, the origins allowed to
open the app's websocket, and how soon Solara frees the session of a closed page. The
browser tests and the benchmark use them too, so that they test what users run.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from experiments.interrupts import handled
from experiments.origins import ORIGINS_ENV, normalise_origin
from experiments.scenarios import DEFAULT_SCENARIO, DEFAULT_SEED

__all__ = [
    "APP_PATH",
    "CULL_SECONDS",
    "ViewerError",
    "allowed_origins",
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
#: Seconds Solara keeps a closed page's session (its model) before freeing it. Solara's
#: default is 24 h (``solara.server.settings.Kernel.cull_timeout``), so every reload or
#: closed tab kept a whole model in memory for a day; a few minutes still lets a page that
#: lost its connection briefly reconnect to its run.
CULL_SECONDS = 180
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


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


def allowed_origins(host: str, port: int, extra: Sequence[str] = ()) -> list[str]:
    """Origins whose pages may open the app's websocket: the bound address, plus ``extra``.

    A loopback bind allows ``http://127.0.0.1:PORT``, ``http://localhost:PORT`` and
    ``http://[::1]:PORT`` (one machine, three spellings); another address allows
    ``http(s)://HOST:PORT``; a bind to every interface (``0.0.0.0``, ``::``) cannot name
    its own address, so it allows pages from the address the browser asked for
    (``same-origin``: ``Origin`` equal to the ``Host`` header). ``extra`` comes from
    ``--allow-origin`` (``*`` allows any page).
    """
    if host in ("0.0.0.0", "::", ""):
        base = ["same-origin"]
    else:
        names = _LOOPBACK if host in _LOOPBACK else (host,)
        base = [
            f"{scheme}://{f'[{name}]' if ':' in name else name}:{port}"
            for name in names
            for scheme in ("http", "https")
        ]
    return [*base, *extra]


def server_env(
    base: Mapping[str, str] | None = None,
    scenario: str | None = None,
    seed: int | None = None,
    scale: int | None = None,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    allow_origins: Sequence[str] = (),
    cull_seconds: int = CULL_SECONDS,
) -> dict[str, str]:
    """Environment for the app server: assets served locally, nothing phoned, origins checked.

    - ``SOLARA_ASSETS_PROXY=true`` and ``SOLARA_ASSETS_PROXY_CACHE_DIR``: the page loads its
      front end from this server's ``/_solara/cdn`` route, backed by ``solara-assets``;
    - ``SOLARA_ASSETS_CDN`` points at a refusing local port, so nothing is fetched from the
      internet even if an asset were missing (the browser test would then see a failure);
    - ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=false``: no usage telemetry;
    - ``GIGAWATT_VIZ_SCENARIO`` / ``_SEED`` / ``_SCALE``: the run the page opens with;
    - ``GIGAWATT_VIZ_ALLOWED_ORIGINS``: :func:`allowed_origins` for ``host`` and ``port``
      (read by ``viz.server``); without a ``port`` only ``allow_origins`` are allowed;
    - ``SOLARA_KERNEL_CULL_TIMEOUT``: free a closed page's session after ``cull_seconds``.
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
    origins = list(allow_origins) if port is None else allowed_origins(host, port, allow_origins)
    env[ORIGINS_ENV] = ",".join(origins)
    env["SOLARA_KERNEL_CULL_TIMEOUT"] = f"{int(cull_seconds)}s"
    if scenario is not None:
        env["GIGAWATT_VIZ_SCENARIO"] = scenario
    if seed is not None:
        env["GIGAWATT_VIZ_SEED"] = str(seed)
    if scale is not None:
        env["GIGAWATT_VIZ_SCALE"] = str(scale)
    return env


def server_command(app: Path | str, host: str, port: int) -> list[str]:
    """``solara run`` for ``app`` behind the origin check (``viz.server``), in production mode
    (no reloader, no version check, no browser)."""
    return [
        sys.executable,
        "-m",
        "viz.server",
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


def check_origin(origin: str) -> None:
    """Refuse an ``--allow-origin`` that is not ``*`` or a web origin (``scheme://host``,
    an optional port): the server would drop it, and that page would still be refused.

    Raises
    ------
    ViewerError
        Naming the value and the form, with the value as an https origin for a bare host.
    """
    if origin == "*":
        return
    norm = normalise_origin(origin)
    if not norm.startswith(("http://", "https://")) or norm.endswith(":0"):
        bare = origin.strip().split("://")[-1].strip("/")
        raise ViewerError(
            f"--allow-origin {origin!r} is not a web origin; give scheme://host[:port], e.g. "
            f"https://{bare or 'sim.example.org'}, or * for any page"
        )


def check_scale(scenario: str, scale: int) -> None:
    """Refuse a ``--scale`` the scenario cannot take, before the server starts (the page
    would fail as it opens, after the command said where to open it).

    Raises
    ------
    ViewerError
        Naming ``--scale``, the scenario's own bound and the fix.
    """
    from agents.population import scale_overrides
    from agents.scenario import ScenarioError
    from experiments.scenarios import load_scenario

    try:
        load_scenario(scenario).with_overrides(scale_overrides(scale))
    except ScenarioError as exc:
        raise ViewerError(
            f"--scale {scale}: scale mode adds two thirds small labs and one third "
            f"enterprise buyers, and scenario {scenario!r} cannot take them ({exc}); give "
            "a smaller --scale"
        ) from None


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
            "Start the Gigawatt browser app (Mesa and Solara) on this machine and print its "
            "address. Works offline: every front-end asset is served locally."
        ),
    )
    parser.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help=f"shipped scenario name or path to a .toml file (default {DEFAULT_SCENARIO})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the first run (default {DEFAULT_SEED})",
    )
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
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help=(
            "also accept the app's websocket from pages at ORIGIN, e.g. "
            "https://sim.example.org (repeatable; '*' for any). By default only the bound "
            "address is accepted"
        ),
    )
    parser.add_argument(
        "--kernel-cull-seconds",
        type=int,
        default=CULL_SECONDS,
        metavar="S",
        help=f"free a closed page's run after S seconds (default {CULL_SECONDS})",
    )
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
        cull = getattr(args, "kernel_cull_seconds", CULL_SECONDS)
        if cull < 1:
            raise ViewerError(f"--kernel-cull-seconds {cull} must be >= 1")
        for origin in getattr(args, "allow_origin", []):
            check_origin(origin)
        scenario = resolve_scenario(args.scenario)
        check_scale(scenario, args.scale)
        env = server_env(
            scenario=scenario,
            seed=args.seed,
            scale=args.scale,
            host=args.host,
            port=args.port,
            allow_origins=getattr(args, "allow_origin", []),
            cull_seconds=cull,
        )
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
        handled()  # Ctrl-C is how the app is stopped: exit 0
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
