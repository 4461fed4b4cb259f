"""The sampling profile: stacks counted by phase and own function, the checkout's own code.

The stand-in checkout's model spends each step in two functions, so the samples must fall
on them; it also checks that the code sampled is the stand-in's, not this checkout's (its
``.venv`` is this one's, linked).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.profile_run import profile, tally

_MODEL = """
import time


def _burn(seconds):
    t = time.process_time()
    while time.process_time() - t < seconds:
        pass


def heavy():
    _burn(0.006)


def light():
    _burn(0.002)


class GigawattModel:
    def __init__(self, scenario, rng=None, check=True):
        pass

    def step(self):
        heavy()
        light()
"""


def test_tally_counts_stacks_under_step_by_phase_and_own_function() -> None:
    stacks = [
        "<module> (r.py:1);GigawattModel.step (agents/model.py:9);clear (c.py:3);f (m.py:2) 4",
        "<module> (r.py:1);GigawattModel.step (agents/model.py:9);clear (c.py:8);f (m.py:5) 3",
        "<module> (r.py:1);GigawattModel.step (agents/model.py:9);settle (s.py:1) 2",
        "<module> (r.py:1);GigawattModel.step (agents/model.py:10) 1",
        "<module> (r.py:1);GigawattModel.__init__ (agents/model.py:2);f (m.py:2) 50",
        "<module> (r.py:1) 9",
    ]
    s = tally(stacks)
    # the two stacks outside step (building, the module) are left out; lines merge
    assert s.total == 10
    assert s.phases == {"clear (c.py)": 7, "settle (s.py)": 2, "(step itself)": 1}
    assert s.own == {"f (m.py)": 7, "settle (s.py)": 2, "GigawattModel.step (agents/model.py)": 1}


def _stand_in(tmp_path: Path) -> Path:
    root = tmp_path / "before"
    (root / "experiments").mkdir(parents=True)
    (root / "agents").mkdir()
    (root / "experiments" / "__init__.py").write_text("def load_scenario(name):\n    return name\n")
    (root / "agents" / "__init__.py").write_text("")
    (root / "agents" / "model.py").write_text(_MODEL)
    (root / ".venv").symlink_to(Path(sys.prefix))
    return root


def test_profile_samples_the_checkouts_own_code(tmp_path) -> None:
    root = _stand_in(tmp_path)
    try:
        p = profile(root, months=40, runs=2)  # 80 steps of 8 ms
    except subprocess.CalledProcessError as err:
        said = (err.stdout or "") + (err.stderr or "")
        if "permission denied" in said.lower() or "operation not permitted" in said.lower():
            pytest.skip(f"this machine does not let py-spy read a child's memory: {said}")
        raise
    s = p.samples
    assert p.months == 80
    heavy, light = s.phases["heavy (agents/model.py)"], s.phases["light (agents/model.py)"]
    # only the stand-in's functions run under its step (this checkout's model has neither),
    # both sampled, and the time is their _burn's own
    assert heavy + light >= 0.95 * s.total > 0
    assert heavy > 0 and light > 0
    assert s.own["_burn (agents/model.py)"] >= 0.95 * s.total


def test_a_checkout_without_an_interpreter_is_refused_with_the_fix(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"no \.venv/bin/python there.*ln -s"):
        profile(tmp_path, months=1, runs=1)
