"""Web origins for the browser app: how ``gigawatt viz`` hands the allowed ones to its
server, and how both spell an origin.

One definition read by the command that checks ``--allow-origin``
(:mod:`experiments.cli_viz`) and by the server that enforces it (:mod:`viz.server`). An
origin is ``scheme://host[:port]`` as browsers send it in the ``Origin`` header (RFC 6454,
section 6.2); two origins are the same when scheme, host and port are, the port taken as
the scheme's default where it is left out (RFC 6454, section 5).
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["DEFAULT_PORTS", "ORIGINS_ENV", "normalise_origin"]

ORIGINS_ENV = "GIGAWATT_VIZ_ALLOWED_ORIGINS"
"""Environment variable that carries the allowed origins, comma-separated, to the server."""

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
"""Port of a scheme when an origin leaves it out."""


def normalise_origin(origin: str) -> str:
    """``scheme://host:port`` in lower case with the port spelled out, or ``""`` if invalid.

    >>> normalise_origin("HTTPS://Sim.Example.org")
    'https://sim.example.org:443'
    >>> normalise_origin("sim.example.org")
    ''
    """
    try:
        parts = urlsplit(origin.strip().lower())
        port = DEFAULT_PORTS.get(parts.scheme) if parts.port is None else parts.port
    except ValueError:
        return ""
    if not parts.scheme or not parts.hostname or port is None:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"
