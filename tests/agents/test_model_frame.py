"""The model frame: its columns computed from the recorder for all months at once."""

from __future__ import annotations

import pytest

from experiments import run_scenario
from market.metrics import hhi


def test_ai_compute_hhi_is_the_hhi_of_hours_the_clouds_sold():
    # oracle: the agents table's hours per cloud over the trailing 12 months, fringe not squared
    res = run_scenario("baseline", months=15, rng=1)
    ag = res.tables["agents"]
    clouds = ag[(ag["kind"] == "hyperscaler") & (ag["month"].between(3, 14))]
    hours = clouds.groupby("name", sort=False)["compute_h100e_hours"].sum()
    fringe = [h.fringe for h in res.scenario.hyperscalers if h.name in hours.index]
    want = hhi(hours.to_numpy(), fringe)
    assert res.model_frame["ai_compute_hhi"].iloc[14] == pytest.approx(want)
    assert abs(want - res.model_frame["cloud_hhi"].iloc[14]) > 50  # not the revenue HHI
