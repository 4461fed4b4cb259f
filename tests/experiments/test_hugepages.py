"""NumPy's huge-page advice: the gigawatt script turns it off unless the user set it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from experiments.hugepages import ADVICE_ENV

# NumPy's state before and after the script's entry ran a command (in a new process: the
# setting is process-wide), and the variable the process then hands to its children
_CHILD = """
import os, sys
import numpy
from numpy._core import multiarray
before = multiarray._get_madvise_hugepage()
from experiments import cli
sys.argv = ["gigawatt", "list", "scenarios"]
try:
    cli.script()
except SystemExit as stop:
    code = stop.code
print(code, before, multiarray._get_madvise_hugepage(), os.environ.get("{env}"))
"""


def _script_state(**env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k != ADVICE_ENV}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD.format(env=ADVICE_ENV)],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[-4:]


def test_the_script_turns_the_advice_off_for_itself_and_its_workers() -> None:
    code, before, after, inherited = _script_state()
    if before != "True":
        pytest.skip("NumPy gives no huge-page advice here (not Linux, or an old kernel)")
    assert (code, after, inherited) == ("0", "False", "0")


def test_a_user_setting_stands() -> None:
    code, before, after, inherited = _script_state(**{ADVICE_ENV: "1"})
    assert (code, after, inherited) == ("0", before, "1")  # True on Linux
