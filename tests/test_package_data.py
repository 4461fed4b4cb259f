"""An installed package (a wheel, not a clone) has every data file the code reads.

``pyproject.toml``'s ``package-data`` globs decide what a wheel carries besides the Python
modules. Each tracked file in a package folder that is not a module must match one, or
``gigawatt run baseline`` and ``gigawatt sweep example`` fail once installed.
"""

from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("market", "agents", "experiments", "viz")


def _shipped(data: dict[str, list[str]], path: str) -> bool:
    package, _, rest = path.partition("/")
    return any(fnmatch.fnmatch(rest, glob) for glob in data.get(package, []))


def test_every_data_file_in_a_package_is_in_the_wheel() -> None:
    try:
        tracked = subprocess.run(
            ["git", "ls-files", "-z", *PACKAGES], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data = config["tool"]["setuptools"]["package-data"]
    files = [f for f in tracked.decode().split("\0") if f and not f.endswith(".py")]
    assert "experiments/sweep_specs/example.toml" in files
    assert [f for f in files if not _shipped(data, f)] == []
    assert not _shipped({"experiments": ["scenarios/*.toml"]}, "experiments/notes.txt")
