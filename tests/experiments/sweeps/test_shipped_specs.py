"""Every shipped sweep spec passes the checks a sweep runs before its first run."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.sweeps import load_spec
from experiments.sweeps.design import design_size
from experiments.sweeps.validate import validate_sweep

SPECS = sorted((Path(__file__).parents[3] / "experiments" / "sweep_specs").glob("*.toml"))


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_shipped_spec_validates(path) -> None:
    spec = load_spec(path)
    points = validate_sweep(spec)
    assert len(points) == design_size(spec)


def test_example_horizon_outlasts_every_lead_time() -> None:
    # a lead time at or beyond the horizon never connects a data centre within the run,
    # so such levels would all give the same result
    spec = load_spec(Path(__file__).parents[3] / "experiments" / "sweep_specs" / "example.toml")
    lead = next(p for p in spec.parameters if p.path == "power.interconnection_months")
    assert max(lead.grid_levels()) + 12 <= spec.months
