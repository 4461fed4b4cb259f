"""Utilities: the capacity demand curve, pipeline-aware entry and the merit order, by hand."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from agents.scenario import GenUnitCfg, PowerCfg, RegionCfg
from agents.utility import (
    Utility,
    capacity_price,
    entry_build_mw,
    entry_margin,
    merit_price,
    reserve_margin,
)


def test_capacity_price_follows_the_demand_curve():
    # defaults: cap $329.17, $360 at the target, zero 3 points above it; target 19%
    p = PowerCfg()
    assert capacity_price(0.25, 0.19, p) == 0.0  # far above
    assert capacity_price(0.22, 0.19, p) == pytest.approx(0.0)  # the zero point, 0.19 + 0.03
    assert capacity_price(0.21, 0.19, p) == pytest.approx(120.0)  # 360 x 0.01 / 0.03
    # PJM 2025/26: 0.7 points above target cleared $269.92; the line: 360 x 0.023 / 0.03 = 276
    assert capacity_price(0.197, 0.19, p) == pytest.approx(276.0)
    assert capacity_price(0.19, 0.19, p) == pytest.approx(329.17)  # 360 capped
    assert capacity_price(0.05, 0.19, p) == pytest.approx(329.17)  # short: at the cap


def test_entry_margin_is_where_the_curve_meets_net_cone():
    # 0.19 + 0.03 x (1 - 230 / 360) = 0.200833...; the price there is net CONE
    p = PowerCfg()
    m = entry_margin(0.19, p)
    assert m == pytest.approx(0.19 + 0.03 * (1 - 230 / 360))
    assert capacity_price(m, 0.19, p) == pytest.approx(230.0)


def test_entry_counts_units_under_construction():
    # net CONE 240 on a $360 curve: entry stops at target + 0.03 / 3 = 0.16
    p = PowerCfg(build_share_per_year=0.12, capacity_net_cone=240.0)
    # 100 MW online + 10 building against a 100 MW peak: 116 - 110 = 6 MW to start
    assert entry_build_mw(100.0, 10.0, 100.0, 0.15, 1000.0, p) == pytest.approx(6.0)
    # 16 MW already building restore the margin: nothing more
    assert entry_build_mw(100.0, 16.0, 100.0, 0.15, 1000.0, p) == 0.0
    assert entry_build_mw(100.0, 30.0, 100.0, 0.15, 1000.0, p) == 0.0
    # the build rate caps it: 0.12 / 12 x 100 MW of fleet = 1 MW a month
    assert entry_build_mw(100.0, 0.0, 100.0, 0.15, 100.0, p) == pytest.approx(1.0)
    assert reserve_margin(116.0, 100.0) == pytest.approx(0.16)


def _utility(units_mw: float, non_ai: float) -> Utility:
    cfg = RegionCfg(
        name="r",
        non_ai_load_mw=non_ai,
        demand_weight=1.0,
        units=[GenUnitCfg(kind="gas", mw=units_mw, marginal_cost=30.0, availability=0.9)],
        peak_to_average=1.0,
        reserve_target=0.15,
    )
    return Utility(mesa.Model(rng=1), 0, cfg)


def test_a_utility_building_enough_does_not_add_another_unit():
    p = PowerCfg(
        generation_build_months=12,
        interconnection_months=12,
        non_ai_load_growth=0.0,
        build_share_per_year=1.0,  # at most 1/12 of the 100 MW fleet a month: 8.33 MW
        capacity_net_cone=240.0,  # entry margin 0.16
    )
    u = _utility(100.0, 80.0)
    # peak 80 MW non-AI + 20 MW of AI expected in a year = 100: 116 - 100 = 16 MW short;
    # month 0 starts the 8.33 MW the rate allows, month 1 the other 16 - 8.33 = 7.67
    u.plan(0, p, 20.0)
    assert u.unit_mw[1:].tolist() == pytest.approx([100 / 12])
    u.plan(1, p, 20.0)
    assert u.unit_mw[1:].tolist() == pytest.approx([100 / 12, 16 - 100 / 12])
    assert u.unit_online[1:].tolist() == [12, 13]
    # from then on the 16 MW being built restore 0.16: nothing is added
    for month in (2, 3, 4):
        u.plan(month, p, 20.0)
    assert u.unit_mw.size == 3 and u.mw_building == pytest.approx(16.0)
    # a higher forecast adds only the difference: 1.16 x 105 - 116 = 5.8 MW
    u.plan(5, p, 25.0)
    assert u.unit_mw[-1] == pytest.approx(5.8)


def test_seeded_pipeline_covers_the_load_growth_of_the_lead_time():
    # lead one month; non-AI load grows 1% a month: 100 -> 101 MW at month 1
    p = PowerCfg(
        generation_build_months=1,
        interconnection_months=1,
        non_ai_load_growth=1.01**12 - 1,
        build_share_per_year=1.0,
        capacity_net_cone=240.0,
    )
    u = _utility(116.0, 100.0)  # margin 0.16 = the entry margin
    u.seed_pipeline(p, 0.0)
    # 1.16 x 101 - 116 = 1.16 MW online at month 1
    assert u.unit_mw[1:].tolist() == pytest.approx([1.16])
    assert u.unit_online[1] == 1
    v = _utility(130.0, 100.0)  # 0.30 above: nothing needed within the lead time
    v.seed_pipeline(p, 0.0)
    assert v.unit_mw.size == 1


def test_merit_price_is_the_marginal_unit():
    # merit order 20 (10 MWh), 50 (10 MWh): a load of 15 MWh is set by the 50 unit
    assert merit_price(np.array([10.0, 10.0]), np.array([50.0, 20.0]), 15.0) == 50.0
    assert merit_price(np.array([10.0, 10.0]), np.array([50.0, 20.0]), 5.0) == 20.0
    assert merit_price(np.array([10.0, 10.0]), np.array([50.0, 20.0]), 50.0) == 50.0


def test_online_sums_match_the_units_picked_by_mask_in_and_out_of_order():
    # units added in the order they come online are summed as a prefix (memoised); one added
    # out of order switches to masks; both give what summing the masked arrays gives
    p = PowerCfg(new_unit_availability=0.5, new_unit_marginal_cost=60.0)
    u = _utility(100.0, 80.0)
    for mw, online in ((10.0, 3), (20.0, 5), (40.0, 5), (80.0, 9)):
        u._add_unit(mw, online, p)

    def by_mask(month: int) -> tuple[float, float, float, list[float]]:
        on = u.unit_online <= month
        firm = float((u.unit_mw * u.unit_credit)[on].sum())
        building = float((u.unit_mw * u.unit_credit)[~on].sum())
        energy = float((u.unit_mw * u.unit_avail)[on].sum())
        qty = np.where(on, u.unit_mw * u.unit_avail * 730.0, 0.0).tolist()
        return firm, building, energy, qty

    def read(month: int) -> tuple[float, float, float, list[float]]:
        qty = u.offers(month)[0].tolist()
        firm, building = u.firm_mw(month), u.firm_mw(month, building=True)
        return firm, building, u.capacity_mw(month), qty

    for month in (0, 3, 4, 5, 9):
        assert read(month) == by_mask(month)
    assert read(5)[:3] == (170.0, 80.0, 0.9 * 100.0 + 0.5 * 70.0)  # by hand
    u._add_unit(5.0, 4, p)  # comes online before the last unit added
    for month in (0, 4, 5, 9):
        assert read(month) == by_mask(month)
    assert u.firm_mw(4) == 115.0 and u.unit_mw.size == 6


def test_sums_of_many_units_are_those_of_the_masked_rows_bit_for_bit():
    # enough units for numpy's pairwise summation to group them (more than 8), in order and
    # then out of order: every sum equals summing the masked row (the same bits)
    rng = np.random.default_rng(5)
    p = PowerCfg(new_unit_availability=0.85, new_unit_marginal_cost=60.0)
    u = _utility(1000.0, 800.0)
    for month in range(1, 40):
        u._add_unit(float(rng.uniform(1.0, 300.0)), month, p)

    def check() -> None:
        for month in (0, 7, 20, 39, 60):
            on = u.unit_online <= month
            assert u.firm_mw(month) == float((u.unit_mw * u.unit_credit)[on].sum())
            assert u.firm_mw(month, building=True) == float((u.unit_mw * u.unit_credit)[~on].sum())
            assert u.capacity_mw(month) == float((u.unit_mw * u.unit_avail)[on].sum())

    check()
    for month in (30, 5, 12):  # out of order: sums of the units a mask picks
        u._add_unit(float(rng.uniform(1.0, 300.0)), month, p)
    check()


def test_plan_in_one_compiled_call_starts_what_entry_build_mw_gives_bit_for_bit() -> None:
    # many units in order (the compiled path): each month's start and MW being built equal
    # entry_build_mw of the sums of the masked rows, and the new unit's columns its products
    rng = np.random.default_rng(11)
    p = PowerCfg(
        generation_build_months=6,
        interconnection_months=4,
        non_ai_load_growth=0.03,
        build_share_per_year=0.3,
        new_unit_availability=0.85,
        new_unit_marginal_cost=61.5,
    )
    u = _utility(1000.0, 800.0)
    for month in range(1, 30):
        u._add_unit(float(rng.uniform(1.0, 60.0)), month, p)
    for month in range(20):
        ai = float(rng.uniform(0.0, 1500.0))
        on = u.unit_online <= month
        firm = u.unit_mw * u.unit_credit
        peak = u.peak_load_mw(ai, month + 6, p)
        size = entry_build_mw(
            float(firm[on].sum()), float(firm[~on].sum()), peak, 0.15, float(u.unit_mw[on].sum()), p
        )
        n = u.unit_mw.size
        u.plan(month, p, ai)
        assert u.unit_mw.size == n + (size > 0)
        if size > 0:
            assert u.units[:, -1].tolist() == [size, size, size * 0.85, 61.5, month + 6, 0.85, 1.0]
            assert u.unit_online[-1] == month + 6
        assert u.mw_building == float(u.unit_mw[u.unit_online > month].sum())
