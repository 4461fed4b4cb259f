"""The model: phases in order, invariants every step, determinism, the graph."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace

import numpy as np
import pytest

import market.warm
from agents.columns import MODEL_COLUMNS
from agents.model import PHASES, GigawattModel, InvariantError, PhaseOrderError
from agents.scenario import Scenario, ScenarioError
from experiments.scenarios import load_scenario
from market.clearing import clear, equilibrium_violations
from market.warm import Clearer


def _goods_balance(m: GigawattModel) -> None:
    """Each market's offers filled equal its bids filled (links carry the difference)."""
    res, ix = m.cleared.result, m.cleared.index
    o, b = res.offer_fill, res.bid_fill
    power = (o[ix.offers["units"]].sum(), b[ix.bids["non_ai"]].sum() + b[ix.bids["sites"]].sum())
    chips = (o[ix.offers["vendors"]].sum(), b[ix.bids["chip_buyers"]].sum())
    compute_bids = [
        ix.bids[k] for k in ("lab_inference", "lab_training", "pool_inference", "pool_training")
    ]
    compute = (o[ix.offers["sellers"]].sum(), sum(b[s].sum() for s in compute_bids))
    for sold, bought in (power, chips, compute):
        assert sold == pytest.approx(bought, rel=1e-6, abs=1e-3)


def test_phases_run_alone_in_order_and_out_of_order_is_refused(baseline):
    m = GigawattModel(baseline, rng=3)
    with pytest.raises(PhaseOrderError, match=r"settle\(\) called out of order.*at exogenous\(\)"):
        m.settle()
    with pytest.raises(PhaseOrderError, match="nothing from the clear phase"):
        _ = m.cleared
    for name in PHASES:
        getattr(m, name)()
    assert m.month == 1 and len(m.model_frame()) == 1
    assert list(m.model_frame().columns) == [c.name for c in MODEL_COLUMNS]
    m.exogenous()
    with pytest.raises(PhaseOrderError, match="at plan"):
        m.record()


@pytest.mark.parametrize("name", ["baseline", "amazon-anthropic-2026"])
def test_invariants_hold_every_month(name):
    m = GigawattModel(load_scenario(name), rng=11, check=True)
    w = m.world
    methods, short = [], 0
    for _ in range(30):
        m.step()  # check_invariants runs in record and raises on any breach
        usd = w.accounts.usd
        assert abs(usd.total()) <= 1e-9 * max(1.0, float(np.abs(usd.balances).sum()))
        assert (w.sites.fleet >= -1e-6).all()
        _goods_balance(m)
        s = m.settled.settlement
        vol = w.contracts.volume[s.index]
        owed = w.contracts.penalty_rate[s.index] * w.contracts.price[s.index] * (vol - s.delivered)
        assert np.allclose(s.penalty, owed)
        # buyers take all they are offered, so even a take-or-pay buyer pays for what came:
        # a shortfall is the seller's (market.contracts)
        assert np.allclose(s.payment, w.contracts.price[s.index] * s.delivered)
        short_rows = s.index[w.contracts.take_or_pay[s.index] & (s.delivered < 0.99 * vol)]
        short += short_rows.size
        # a contract falls short only where its seller ran out: every node it draws from
        # is taken whole by the month's contracts (its capacity, the orders' compute_qty)
        ca = m.cleared.contracts
        load = ca.compute_alloc.sum(axis=0)
        cap = m.month_orders.compute_qty.ravel()
        for r in short_rows:
            draws = ca.compute_alloc[np.flatnonzero(ca.compute_rows == r)[0]] > 0
            assert draws.any() and (load[draws] >= cap[draws] * (1 - 1e-9)).all()
        # The run's warm clearer solved every month itself (no fallback to the LP), from
        # last month's basis when the book kept its shape, and the answer is an equilibrium
        res = m.cleared.result
        assert m.fallbacks == 0 and res.method in ("fast", "warm")
        assert equilibrium_violations(m.cleared.book, res) == []
        methods.append(res.method)
    assert "warm" in methods
    # the deal's take-or-pay contract meets a power-bound seller (months 6 and 7), so the
    # check above has a case to hold on
    assert (short > 0) == (name == "amazon-anthropic-2026")
    # the last month against the LP oracle: the same welfare
    ref = clear(m.cleared.book, method="lp")
    assert m.cleared.result.welfare == pytest.approx(ref.welfare, rel=1e-9)


def test_broken_ledger_is_detected(baseline):
    m = GigawattModel(baseline, rng=1)
    m.step()
    m.world.accounts.usd._balances[1] += 1e6  # a balance changed outside Ledger.post
    with pytest.raises(InvariantError, match="does not balance"):
        m.check_invariants()


def test_a_clearing_that_creates_goods_is_detected(baseline):
    # the ledgers balance by construction of the postings, so compute delivered over a
    # link beyond what its seller sold shows only against the book: a node out of balance
    m = GigawattModel(baseline, rng=1)
    m.step()
    m.check_invariants()  # the month as cleared passes
    res = m.cleared.result
    flow = res.link_flow.copy()
    flow[np.argmax(flow)] *= 1.001
    m._cleared = replace(m.cleared, result=replace(res, link_flow=flow))
    with pytest.raises(InvariantError, match=r"not an equilibrium.*node out of balance"):
        m.check_invariants()


def test_same_seed_same_numbers_different_seed_different(baseline):
    def frame(seed):
        m = GigawattModel(baseline, rng=seed)
        for _ in range(8):
            m.step()
        return m.model_frame().drop(columns=["date"]).to_numpy(dtype=float)

    a, b, c = frame(5), frame(5), frame(6)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c, equal_nan=True)


@pytest.mark.parametrize("copy_of", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_a_copied_run_goes_on_like_the_original_and_leaves_it_alone(deal_scenario, copy_of):
    # the deal scenario branched (or saved) at month 6, as its deal is approved after review:
    # the copy solves its next book cold and goes on the same to rounding; the original,
    # stepped in turn with it, stays bit for bit a run never copied
    def numbers(m):
        return m.model_frame().select_dtypes("number").to_numpy(dtype=float)

    alone, original = GigawattModel(deal_scenario, rng=4), GigawattModel(deal_scenario, rng=4)
    for _ in range(6):
        alone.step()
        original.step()
    twin = copy_of(original)
    methods = []  # how the original cleared its first book after the copy
    for _ in range(12):
        alone.step()
        original.step()
        twin.step()  # checks its invariants too
        methods.append(original.cleared.result.method)
    np.testing.assert_array_equal(numbers(original), numbers(alone))
    np.testing.assert_allclose(numbers(twin), numbers(original), rtol=1e-9, atol=1e-9)
    for name, table in original.tables(["deals", "labs"]).items():
        mine = twin.tables([name])[name]
        assert list(mine.columns) == list(table.columns) and len(mine) == len(table), name
    # the twin's first book was solved cold, whether or not the original's was
    assert twin.clearer.cold_solves == original.clearer.cold_solves + (methods[0] == "warm")


def test_the_scenario_of_a_built_model_cannot_be_replaced(baseline):
    # phases read the scenario every month and the build made arrays from it: a new one
    # would apply in part (a copy given one moved its numbers by a factor of 6 in 24 months)
    m = GigawattModel(baseline, rng=3)
    m.step()
    other = baseline.with_overrides({"power.interconnection_months": 72})
    with pytest.raises(AttributeError, match=r"model\.config: .* cannot be replaced"):
        m.config = other
    assert m.config is baseline
    m.step()  # the model goes on with its own scenario


def test_any_horizon_runs_past_the_scenario_months(baseline):
    """Pipelines grow with the run: a 6-month scenario runs 30 months with 120-month leads."""
    short = baseline.with_overrides({"months": 6, "power.interconnection_months": 120})
    m = GigawattModel(short, rng=2)
    for _ in range(30):
        m.step()
    assert m.world.sites.pipeline_power.shape[2] > 30 + 120


def test_a_run_stops_at_the_calendars_last_month(baseline):
    # dates are the calendar's, 2000-01 to 2100-12 (a strategic deal proposed in 2101 failed
    # to validate mid-run): a scenario may not run past it, nor a model be stepped past it
    with pytest.raises(ScenarioError, match=r"key 'months' = 3: .* run at most 2 months"):
        baseline.with_overrides({"start": "2100-11", "months": 3})
    m = GigawattModel(baseline.with_overrides({"start": "2100-11", "months": 2}), rng=2)
    m.step()
    m.step()
    assert m.date(1) == "2100-12"
    with pytest.raises(ScenarioError, match=r"month 2 is 2101-01: a run of 3 months from 2100-11"):
        m.step()
    # as many months as the calendar holds from the earliest start run
    assert GigawattModel(baseline.with_overrides({"start": "2000-01"})).last_month == 1211


def test_graph_has_agents_trade_edges_and_flows(deal_scenario):
    m = GigawattModel(deal_scenario, rng=2)
    for _ in range(8):
        m.step()
    g = m.graph
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert {"utility", "vendor", "hyperscaler", "lab", "regulator"} <= kinds
    edges = {d["kind"] for _, _, d in g.edges(data=True)}
    assert {"trade", "contract", "equity", "jurisdiction"} <= edges
    w = m.world
    amazon, lab = w.hyperscalers[0].unique_id, w.lab_agents[0].unique_id
    assert g.edges[amazon, lab, "compute"]["flow"] == pytest.approx(m.settled.compute.volume[0, 0])
    assert g.edges[amazon, lab, "equity-0"]["share"] > 0


def test_scale_mode_keeps_invariants_and_serves_small_buyers(baseline):
    scn = baseline.with_overrides({"scale.small_labs": 300, "scale.enterprise_buyers": 300})
    m = GigawattModel(scn, rng=4, check=True)
    for _ in range(6):
        m.step()
        _goods_balance(m)
    a = m.world.labs
    small = ~a.major
    assert small.sum() == 600 and len(m.world.lab_agents) == a.n
    # pooled bids are shared back: small buyers received compute and paid for it
    assert a.received[small].sum() > 0
    assert m.world.history.lab_spend_cum[small].sum() > 0
    assert (m.model_frame()["labs_active"] >= 300).all()


def test_a_scenario_with_the_proportional_pattern_runs_the_same_whatever_highs_path(
    baseline: Scenario,
) -> None:
    # the scenario's rule reaches the run's Clearer; HiGHS's random seed then picks among
    # optima without changing any number (beyond rounding) over a year
    scn = baseline.with_overrides({"trade_pattern": "proportional"})
    frames = []
    for highs_seed in (0, 1):
        m = GigawattModel(scn, rng=5, check=True)
        assert m.clearer.pattern == "proportional"
        m.clearer = Clearer(highs_options={"random_seed": highs_seed}, pattern=m.clearer.pattern)
        for _ in range(12):
            m.step()
        frames.append(m.model_frame().select_dtypes("number").to_numpy(dtype=float))
    np.testing.assert_allclose(frames[0], frames[1], rtol=1e-9, atol=1e-12)


def test_a_month_the_fast_solver_fails_keeps_the_scenarios_trade_pattern(
    baseline: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Clearer whose network simplex finds no optimum and whose HiGHS is allowed no
    # simplex iteration fails every month, so the LP oracle clears; under the
    # proportional rule it must return the same flows as the Clearer would
    scn = baseline.with_overrides({"trade_pattern": "proportional"})
    results = []
    for options in ({}, {"simplex_iteration_limit": 0}):
        if options:
            monkeypatch.setattr(
                market.warm, "solve_network", lambda *a: (np.zeros(0), np.zeros(0), 0, False)
            )
        m = GigawattModel(scn, rng=3, check=True)
        m.clearer = Clearer(highs_options=options, pattern=m.clearer.pattern)
        for name in PHASES[: PHASES.index("clear") + 1]:
            getattr(m, name)()
        results.append(m.cleared)
    assert (results[0].fell_back, results[1].fell_back) == (False, True)
    for part in ("offer_fill", "bid_fill", "link_flow"):
        a, b = getattr(results[0].result, part), getattr(results[1].result, part)
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9 * float(np.abs(a).max()))


def test_a_labs_drift_runs_from_the_start_to_its_month():
    # history-2023 starts in 2023-01 and Anthropic's drift stops in 2026-01: 36 months.
    # After 12 months, capability less its start and less training's gain (from the
    # training the run recorded) is the drift: 0.5 for Anthropic, nothing for the others
    cfg = load_scenario("history-2023").with_overrides(
        {"labs.anthropic.capability_drift_per_year": 0.5}
    )
    m = GigawattModel(cfg, rng=7)
    labs = m.world.labs
    assert labs.drift_months[0] == 36.0 and np.isinf(labs.drift_months[1:]).all()
    for _ in range(12):
        m.step()
    gain = cfg.demand.scaling_exponent * np.log1p(labs.cum_training / m.world.history.training_ref)
    drift = labs.capability - labs.capability0 - gain
    assert drift[0] == pytest.approx(0.5, rel=1e-12)
    assert np.abs(drift[1:]).max() < 1e-12


def test_a_numpy_seed_is_the_same_run_as_its_int_and_bad_seeds_are_named() -> None:
    # Mesa seeds Python's random.Random, which refuses NumPy integers: np.arange(3) loops
    scn = load_scenario("baseline")
    a, b = GigawattModel(scn, rng=np.int64(3)), GigawattModel(scn, rng=3)
    a.step()
    b.step()
    assert a.model_frame().equals(b.model_frame())
    for bad, said in ((-1, "rng = -1: a seed must be"), (1.5, "rng = 1.5: give a seed")):
        with pytest.raises(ScenarioError, match=said):
            GigawattModel(scn, rng=bad)
    with pytest.raises(ScenarioError, match=r"scenario = 'baseline': give a Scenario"):
        GigawattModel("baseline", rng=7)  # type: ignore[arg-type]
