"""The chips' values in one compiled call against the Python expressions they replace."""

from __future__ import annotations

import numpy as np
import pytest

from agents.hyperscaler import chip_value
from agents.phases.chip_values import NVIDIA, chip_terms, newest_values
from agents.scenario import FAMILIES, Scenario
from agents.state import Tech
from agents.units import HOURS_PER_MONTH, W_PER_MW


def _value(tech: Tech, g: int, cfg: Scenario, rent: float, power_price: float) -> float:
    """``unit_value`` as it was written: ``chip_value`` less the running cost."""
    dc = cfg.datacentres
    it_mw_per_h100e = float(tech.it_watts[g]) / W_PER_MW / float(tech.h100e[g])
    hours = HOURS_PER_MONTH * dc.availability
    power = it_mw_per_h100e * cfg.power.pue * power_price
    shell = it_mw_per_h100e * dc.cost_per_mw / (dc.life_months * hours)
    return chip_value(
        float(tech.h100e[g]),
        rent,
        power + shell,
        dc.availability,
        cfg.chips.life_months,
        cfg.chips.discount_rate,
    )


@pytest.mark.parametrize("rate", [0.0, 0.1])
def test_newest_values_are_those_of_the_python_expressions(baseline: Scenario, rate: float) -> None:
    cfg = baseline.with_overrides({"chips.discount_rate": rate})
    tech = Tech.from_scenario(cfg)
    t = chip_terms(tech, cfg)
    assert chip_terms(tech, cfg) is t  # once per run
    rng = np.random.default_rng(3)
    for month in range(int(tech.release.min()) - 3, int(tech.release.max()) + 3):
        rent = float(rng.choice([0.0, 0.05, 2.3, 40.0]))
        prices = rng.uniform(0.0, 300.0, 4)
        values, q = newest_values(
            month,
            t.releases,
            t.newest,
            t.it_watts,
            t.power,
            t.shell,
            t.hours,
            t.cost,
            t.annuity,
            rent,
            prices,
        )
        mean = float(np.add.reduce(prices)) / prices.size
        gens = [tech.newest(f, month) for f in range(len(FAMILIES))]
        assert values[0].tolist() == [float(tech.it_watts[g]) for g in gens]
        assert values[1].tolist() == [_value(tech, g, cfg, rent, mean) for g in gens]
        assert q == _value(tech, gens[NVIDIA], cfg, rent, mean) / float(tech.cost[gens[NVIDIA]])
