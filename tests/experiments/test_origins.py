"""Web origins as the browser app's command and server spell them."""

from __future__ import annotations

import pytest

from experiments.cli_viz import ViewerError, check_origin
from experiments.origins import normalise_origin


def test_an_origin_is_scheme_host_and_port_with_the_default_port_spelled_out():
    assert normalise_origin("HTTP://LocalHost") == "http://localhost:80"
    assert normalise_origin("https://Sim.Example.org/any/path") == "https://sim.example.org:443"
    assert normalise_origin("https://[::1]:8765") == "https://[::1]:8765"
    assert normalise_origin("http://a.example:0") == "http://a.example:0"  # kept, not 80
    for bad in ("null", "sim.example.org", "ftp://a.example", "https://a.example:99999", ""):
        assert normalise_origin(bad) == "", bad


CANDIDATES = [
    "https://sim.example.org",
    "http://127.0.0.1:8765",
    "HTTPS://Sim.Example.org:8443/",
    "http://[::1]:8765",
    "http://a.example:0",
    "ws://a.example",
    "sim.example.org",
    "https://",
    "https://a.example:99999",
    "null",
]


@pytest.mark.parametrize("origin", CANDIDATES)
def test_every_origin_the_command_accepts_is_one_the_server_keeps(origin):
    # the server drops an origin it cannot normalise: accepting one would leave that page
    # refused without a word
    try:
        check_origin(origin)
    except ViewerError:
        return
    assert normalise_origin(origin).startswith(("http://", "https://"))
    assert not normalise_origin(origin).endswith(":0")
