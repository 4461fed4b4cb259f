"""Shared fixtures for the sweep tests: toy specs built in Python and as TOML."""

from __future__ import annotations

from typing import Any

import pytest

from experiments.sweeps import SweepSpec

TOY = "tests.experiments.sweeps.toy:toy_model"


def make_spec(**overrides: Any) -> SweepSpec:
    """A toy grid sweep (a: 3 levels x c: 2 levels, 2 replicates) with overrides."""
    data: dict[str, Any] = {
        "name": "toy",
        "model": TOY,
        "months": 4,
        "replicates": 2,
        "root_seed": 11,
        "design": {"kind": "grid"},
        "parameters": [
            {"path": "a", "min": 0.0, "max": 1.0, "n": 3},
            {"path": "c", "levels": [0.0, 1.0]},
        ],
        "outputs": {"final": ["y", "deals.round_trip_ratio"], "series": ["g"]},
    }
    data.update(overrides)
    return SweepSpec.from_dict(data)


@pytest.fixture
def toy_spec() -> SweepSpec:
    return make_spec()


TOY_TOML = """
name = "toy-crash"
model = "tests.experiments.sweeps.toy:toy_model"
months = 3
replicates = 3
root_seed = 5

[design]
kind = "grid"

[[parameters]]
path = "a"
min = 0.0
max = 1.0
n = 8

[outputs]
final = ["y"]
"""
