"""Shared fixtures of the experiments tests: a caller's own matplotlib session, and a
user's script run as its own process."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest

ROOT = Path(__file__).parents[2]
"""The checkout's root, where a user's script is run from."""


def run_script(path: Path) -> subprocess.CompletedProcess[str]:
    """Run the Python script ``path`` from the checkout's root, as a user would; its output
    is captured as text."""
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def users_pyplot() -> Iterator[Callable[[], None]]:
    """A notebook user's ``pyplot`` session: another backend and one open figure.

    Yields a check to call after the package drew its figures: the backend is still the
    user's, the user's figure is still open and current, and no figure of the package is
    left in ``pyplot``'s registry. The backend is ``pdf`` (any backend other than the Agg
    that the package renders with will do; ``pdf`` needs no display). Afterwards the
    test session's backend is restored.
    """
    before = matplotlib.get_backend()
    plt.close("all")
    plt.switch_backend("pdf")
    mine = plt.figure()

    def untouched() -> None:
        assert matplotlib.get_backend() == "pdf", "the caller's backend was switched"
        assert plt.get_fignums() == [mine.number], "pyplot's figures were changed"
        assert plt.gcf() is mine, "the caller's current figure was changed"

    try:
        yield untouched
    finally:
        plt.close("all")
        plt.switch_backend(before)


@pytest.fixture(params=[0o022, 0o002, 0o077])
def mask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask set to each value for the test, restored after it."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def file_mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)
