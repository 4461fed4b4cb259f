"""The app's web server: ``solara run``, with websockets refused from foreign origins.

Run as ``python -m viz.server run viz/app.py --host ... --port ...`` (what ``gigawatt viz``
starts; the arguments are ``solara run``'s). Before handing over to Solara's command line it
adds :class:`OriginGuard` to Solara's Starlette app, so that a web page on another site
cannot open the app's websocket in a visitor's browser and drive the model (cross-site
websocket hijacking: browsers send cookies and let any page open a websocket anywhere, but
they always send the page's ``Origin``). Solara 1.64 has no setting for this; its websocket
route accepts every origin.

The allowed origins come from ``$GIGAWATT_VIZ_ALLOWED_ORIGINS`` (comma-separated, set by
``gigawatt viz`` from the bound host and port plus ``--allow-origin``): exact origins such as
``http://127.0.0.1:8765``, ``*`` for any, or ``same-origin`` to accept an ``Origin`` whose
host and port equal the request's ``Host`` header (the only check possible when bound to
every interface, 0.0.0.0). A websocket without an ``Origin`` header is not from a browser
page and is let through; the check protects browsers, it does not authenticate clients.

Idle sessions are culled by Solara itself (``SOLARA_KERNEL_CULL_TIMEOUT``, set by
``gigawatt viz --kernel-cull-seconds``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from experiments.origins import ORIGINS_ENV, normalise_origin

__all__ = ["ORIGINS_ENV", "OriginGuard", "install_guard", "main", "normalise_origin"]


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _host_port(host_header: str, scheme: str) -> str:
    """A ``Host`` header as ``host:port`` (default port of ``scheme`` added)."""
    return normalise_origin(f"{scheme}://{host_header}").split("://", 1)[-1]


class OriginGuard:
    """ASGI middleware: close websockets whose ``Origin`` is not allowed (HTTP 403).

    Parameters
    ----------
    app
        The ASGI app to protect (Solara's Starlette app).
    allowed
        Origins as ``scheme://host[:port]``; ``*`` allows any; ``same-origin`` allows an
        ``Origin`` matching the request's ``Host`` header.
    """

    def __init__(self, app: Callable[..., Awaitable[None]], allowed: Iterable[str]) -> None:
        self.app = app
        entries = [a.strip() for a in allowed if a.strip()]
        self.any = "*" in entries
        self.same_origin = "same-origin" in entries
        self.allowed = {normalise_origin(a) for a in entries if a not in {"*", "same-origin"}}
        self.allowed.discard("")

    def allows(self, origin: str, host_header: str | None) -> bool:
        """Whether a websocket opened by a page at ``origin`` is accepted."""
        if self.any:
            return True
        norm = normalise_origin(origin)
        if not norm:
            return False
        if norm in self.allowed:
            return True
        if self.same_origin and host_header:
            scheme = norm.split("://", 1)[0]
            return norm.split("://", 1)[1] == _host_port(host_header, scheme)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            origin = headers.get("origin")
            if origin is not None and not self.allows(origin, headers.get("host")):
                await receive()  # the websocket.connect event
                # closing before accepting makes the server answer the handshake with 403
                await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)


def install_guard(allowed: Iterable[str]) -> None:
    """Put :class:`OriginGuard` in front of Solara's app (before the server starts it)."""
    import solara.server.starlette as solara_app

    solara_app.app.add_middleware(OriginGuard, allowed=list(allowed))


def main(argv: list[str] | None = None) -> None:
    """``solara run`` with the origin check; ``argv`` as for ``python -m solara``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) >= 2 and args[0] == "run":
        # Solara reads the app path when its server module is imported, which
        # install_guard does before the command line runs; give it the path now.
        os.environ["SOLARA_APP"] = args[1]
    allowed = os.environ.get(ORIGINS_ENV, "").split(",")
    install_guard(allowed)
    from solara.__main__ import cli

    cli(args)


if __name__ == "__main__":
    main()
