"""Small hand-made states for the phase tests: one region, one or two clouds."""

from __future__ import annotations

import numpy as np
import pytest

from agents.model import GigawattModel
from agents.phases import PHASES
from agents.scenario import Scenario
from agents.state import Clouds, Market, Sites, Tech


@pytest.fixture()
def one_gen() -> Tech:
    """One NVIDIA generation: 1 H100e, 1,000 W at the server, $30,000 list price, released."""
    return Tech(
        names=("h100",),
        family=np.array([0]),
        release=np.array([0]),
        h100e=np.array([1.0]),
        watts=np.array([1000.0]),
        it_watts=np.array([1000.0]),
        cost=np.array([30_000.0]),
    )


@pytest.fixture()
def small_cfg(baseline: Scenario) -> Scenario:
    """Round numbers for the economics: PUE 1.25, availability 0.8, lives 50 and 100 months."""
    return baseline.with_overrides(
        {
            "power.pue": 1.25,
            "datacentres.availability": 0.8,
            "chips.life_months": 50,
            "datacentres.life_months": 100,
            "datacentres.cost_per_mw": 10e6,
        }
    )


def cleared_model(scn: Scenario, rng: int, months: int) -> GigawattModel:
    """A model ``months`` months in, then through this month's ``clear`` phase."""
    m = GigawattModel(scn, rng=rng)
    for _ in range(months):
        m.step()
    for phase in PHASES[: PHASES.index("clear") + 1]:
        getattr(m, phase)()
    return m


def clouds(n_h: int, can_buy: list[list[float]], mix: list[list[float]]) -> Clouds:
    return Clouds(
        names=tuple(f"c{i}" for i in range(n_h)),
        hhi_firms=np.ones(n_h),
        markup=np.full(n_h, 0.5),
        other_cash_flow=np.zeros(n_h),
        non_ai_revenue=np.zeros(n_h),
        family_mix=np.array(mix, dtype=float),
        can_buy=np.array(can_buy, dtype=float),
    )


def sites(built: float, connected: float, units: float, pue: float = 1.25) -> Sites:
    """One site; its fleet PUE ``pue`` (1.25 by default, as ``small_cfg``'s new-build PUE)."""
    s = Sites(np.array([[built]]), np.array([[connected]]), np.array([[[units]]]))
    s.pue[:] = pue
    return s


def one_region_market(
    expected_price: float = 2.0, capacity_price: float = 0.0, power_price: float = 40.0
) -> Market:
    """One region's market: power at ``power_price`` $/MWh and the capacity price given, the
    expected compute price given, no family price yet and no egress fee."""
    return Market(
        power_price=np.array([power_price]),
        expected_compute_price=expected_price,
        family_price=np.full(3, np.nan),
        region_egress_fee=np.zeros(1),
        egress_fee=np.zeros(1),
        capacity_price=np.array([capacity_price]),
        reserve_margin=np.zeros(1),
    )
