"""The repository stands alone: no tracked file cites documents or trackers outside it.

Sources are cited as the project's own files (``docs/calibration.md`` row ids,
``docs/architecture.md``). This file is the only one allowed to spell the patterns.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = re.compile(
    r"\b(?:DESIGN|CALIBRATION|PERFORMANCE)\.md\b"  # specs kept outside the repository
    r"|\.\./shared"  # the folder they live in
    r"|\b[Ii]ssue (?:[0-9]+|N)\b"  # tracker numbers
    r"|\([Ii]ssue\b"
)


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [ROOT / p for p in out.decode().split("\0") if p]


def test_the_pattern_catches_each_form():
    cited = [
        "see DESIGN.md",
        "(CALIBRATION.md rows)",
        "PERFORMANCE.md",
        "../shared/x",
        "issue 3",
        "Issue N",
        "(issue: viz)",
    ]
    assert all(FORBIDDEN.search(text) for text in cited)
    fine = ["docs/calibration.md [reg-merger-2023]", "bond issues for AI capex", "tissue 3"]
    assert not any(FORBIDDEN.search(text) for text in fine)


def test_no_tracked_file_cites_outside_documents():
    me = Path(__file__).resolve()
    found = []
    for path in _tracked_files():
        if path.resolve() == me or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary files
        for n, line in enumerate(text.splitlines(), start=1):
            if FORBIDDEN.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "cite the project's own files instead:\n" + "\n".join(found)
