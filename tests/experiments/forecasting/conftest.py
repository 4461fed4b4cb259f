"""A small hand-made posterior for the forecast tests (three particles, two parameters)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.posterior import write_posterior

PARTICLES = pd.DataFrame(
    {
        "demand.growth_per_year": [0.3, 0.5, 0.9],
        "power.interconnection_months": [36.4, 48.0, 59.6],  # whole-number field: rounded
        "weight": [0.25, 0.5, 0.25],
    }
)


def make_posterior(folder: Path, scenario: str = "baseline", root_seed: int = 3) -> Path:
    """Write :data:`PARTICLES` as a posterior of ``scenario`` into ``folder``."""
    return write_posterior(PARTICLES, {"scenario": scenario, "root_seed": root_seed}, folder)
