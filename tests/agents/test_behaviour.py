"""Directional behaviour over a few seeds and short horizons."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from agents.model import GigawattModel
from experiments import load_scenario, run_scenario

SEEDS = (1, 2)


def _lab_share(res, lab: str, investor: str, months: slice) -> float:
    ag = res.tables["agents"]
    rows = ag[(ag["name"] == lab)].iloc[months]
    return float(rows[f"share_{investor}"].mean())


@pytest.mark.slow
def test_deal_raises_investor_share_and_round_trip_exceeds_one():
    deal, nodeal = load_scenario("amazon-anthropic-2026"), load_scenario("no-deal")
    for seed in SEEDS:
        with_deal = run_scenario(deal, months=36, rng=seed)
        without = run_scenario(nodeal, months=36, rng=seed)
        assert _lab_share(with_deal, "anthropic", "amazon", slice(8, 36)) > _lab_share(
            without, "anthropic", "amazon", slice(8, 36)
        )
    five_years = run_scenario(deal, months=60, rng=SEEDS[0]).tables["deals"]
    live = five_years[five_years["status"].str.startswith("approved")]
    assert len(live) > 40
    assert live["round_trip_ratio"].iloc[-1] > 1.0


@pytest.mark.slow
def test_power_crunch_lowers_ai_capacity_and_raises_compute_and_power_prices():
    # over ten years the scarcity is priced: less capacity, dearer compute and dearer power
    # all in (energy plus capacity charge: less AI load can leave the energy price alone
    # lower, while the capacity price carries the tighter reserves)
    for seed in SEEDS:
        base = run_scenario("baseline", months=120, rng=seed, tables=[]).model_frame
        crunch = run_scenario("power-crunch", months=120, rng=seed, tables=[]).model_frame
        assert crunch["capacity_gw_powered"].mean() < base["capacity_gw_powered"].mean()
        assert crunch["compute_spot_price"].mean() > base["compute_spot_price"].mean()
        all_in_base = (base["power_price"] + base["capacity_price"] / 24.0).mean()
        assert (crunch["power_price"] + crunch["capacity_price"] / 24.0).mean() > all_in_base


@pytest.mark.slow
def test_a_longer_grid_queue_gives_less_ai_capacity_at_a_higher_price(baseline):
    # clouds ask for a connection for the need at its date, but build shells for the need
    # at their completion: a queue longer than the build delays capacity and never adds
    # to it, and the compute price carries the scarcity ([est-power-pacing])
    for seed in SEEDS:
        last_year = []
        for months in (21, 36, 60):  # the build's lead, baseline's queue, power-crunch's
            scn = baseline.with_overrides({"power.interconnection_months": months})
            frame = run_scenario(scn, months=96, rng=seed, tables=[]).model_frame.iloc[-12:]
            last_year.append(
                (frame["capacity_gw_powered"].mean(), frame["compute_spot_price"].mean())
            )
        gw, price = zip(*last_year, strict=True)
        assert gw[0] > gw[1] > gw[2]
        assert price[0] < price[1] < price[2]


def test_power_crunch_tightens_reserves_and_raises_capacity_charges():
    # slower generation build and a longer queue: reserves tighter, so the capacity price
    # and the charge data centres pay rise; less AI capacity is connected, so compute is
    # dearer and the labs' users buy less AI at its higher price. Labs serve inference
    # first and bid for it at what a served hour earns, so scarcity shows in the price, not
    # in throttled users: under 1% of inference goes unserved in any month of either
    for seed in SEEDS:
        base = run_scenario("baseline", months=60, rng=seed)
        crunch = run_scenario("power-crunch", months=60, rng=seed)
        b, c = base.model_frame, crunch.model_frame
        assert c["capacity_price"].mean() > b["capacity_price"].mean()
        all_in_b = (b["power_price"] + b["capacity_price"] / 24.0).mean()
        all_in_c = (c["power_price"] + c["capacity_price"] / 24.0).mean()
        assert all_in_c > all_in_b  # (energy alone can be lower: less AI load is connected)
        assert c["compute_spot_price"].mean() > b["compute_spot_price"].mean()
        assert c["ai_services_demand"].iloc[-12:].mean() < b["ai_services_demand"].iloc[-12:].mean()
        assert max(b["throttled_share"].max(), c["throttled_share"].max()) < 0.01
        rb, rc = base.tables["regions"], crunch.tables["regions"]
        assert rc["reserve_margin"].mean() < rb["reserve_margin"].mean()


def _region(res, region: str, column: str, months: slice) -> float:
    reg = res.tables["regions"]
    return float(reg[reg["region"] == region][column].iloc[months].mean())


def test_eu_data_act_lowers_lockin_in_europe_not_in_the_us():
    for seed in SEEDS:
        base = run_scenario("baseline", months=24, rng=seed)
        act = run_scenario("eu-data-act", months=24, rng=seed)
        after = slice(12, 24)  # the ban holds from month 12
        assert _region(act, "europe", "egress_fee", after) == 0.0
        assert _region(act, "us-east", "egress_fee", after) == pytest.approx(0.25)
        eu_base, eu_act = (_region(r, "europe", "lockin_index", after) for r in (base, act))
        assert eu_act < 0.5 * eu_base
        for us in ("us-east", "us-west"):
            assert _region(act, us, "lockin_index", after) >= 0.9 * _region(
                base, us, "lockin_index", after
            )


def test_strict_antitrust_strikes_exclusivity_and_the_deal_goes_ahead():
    res = run_scenario("strict-antitrust", months=12, rng=1)
    last = res.tables["deals"].iloc[-1]
    # the ban strikes the clause and approves the rest: signed, non-exclusive
    assert last["status"] == "approved with conditions" and not last["exclusive"]
    assert "exclusivity struck" in last["conditions"]
    # so the run is neither the no-deal baseline nor the exclusive deal
    for other in ("baseline", "amazon-anthropic-2026"):
        frame = run_scenario(other, months=12, rng=1).model_frame
        assert not res.model_frame["compute_spot_price"].equals(frame["compute_spot_price"])


def test_reviewing_minority_stakes_blocks_only_on_the_hhi_test():
    over = {"regulation.review_minority_stakes": True}
    exclusive = load_scenario("amazon-anthropic-2026").with_overrides(over)
    remedied = load_scenario("strict-antitrust").with_overrides(over)
    ex = run_scenario(exclusive, months=12, rng=1).tables["deals"].iloc[-1]
    rem = run_scenario(remedied, months=12, rng=1).tables["deals"].iloc[-1]
    # the exclusive deal moves all the lab's hours elsewhere to the investor: the 2023
    # Merger Guidelines presumption holds and the review blocks, citing the HHI
    assert ex["status"] == "blocked", ex["status"]
    assert ex["reasons"].startswith("post-deal HHI")
    change = float(re.search(r"change ([+-][0-9]+)", ex["reasons"]).group(1))
    assert change > exclusive.regulation.delta_hhi
    assert ex["post_hhi"] > exclusive.regulation.hhi_threshold
    # struck clause: only the commitment's shortfall moves, so the post-deal HHI is far
    # lower, under the presumption's 1,800 (1,783 at this seed): the review finds nothing
    # and the deal is approved with the clause struck
    assert rem["post_hhi"] < ex["post_hhi"] - 500
    assert rem["post_hhi"] < remedied.regulation.hhi_threshold
    assert rem["status"] == "approved with conditions" and not rem["exclusive"]
    assert rem["reasons"] == "" and rem["conditions"] == "exclusivity struck"


def _means(scn, seed: int, months: int = 36) -> tuple[float, float]:
    f = run_scenario(scn, months=months, rng=seed).model_frame
    return float(f["compute_h100e_hours"].mean()), float(f["ai_services_price"].mean())


@pytest.mark.slow
def test_more_capacity_cheaper_chips_or_faster_power_raise_compute_and_lower_ai_prices(
    baseline,
):
    variants = {
        "capacity": baseline.with_overrides(
            {
                f"hyperscalers.{i}.built_mw.{r}": mw * 2
                for i, h in enumerate(baseline.hyperscalers)
                for r, mw in h.built_mw.items()
            }
        ),
        "chips": baseline.with_overrides(
            {
                f"chips.generations.{g.name}.unit_cost": g.unit_cost / 2
                for g in baseline.chips.generations
            }
        ),
        "power": baseline.with_overrides({"power.interconnection_months": 12}),
    }
    for seed in SEEDS:
        compute0, price0 = _means(baseline, seed)
        for name, scn in variants.items():
            compute, price = _means(scn, seed)
            assert compute > compute0, name
            assert price < price0, name


def test_lab_out_of_cash_exits_and_its_contracts_end(baseline):
    extra = dict(
        kind="compute",
        seller="other-clouds",
        buyer="frontier-startup",
        volume_per_month=5e7,
        price=2.0,
        start="2026-01",
        end="2031-01",
    )
    contracts = [c.model_dump() for c in baseline.contracts] + [extra]
    scn = baseline.with_overrides(
        {
            "labs.5.cash": 1e8,
            "labs.5.opex_per_month": 3e9,
            "capital.vc_success_prob": 0.0,
            "contracts": contracts,
        }
    )
    res = run_scenario(scn, months=6, rng=1)
    labs = res.tables["labs"].set_index("name")
    assert not labs.loc["frontier-startup", "active"]
    exit_month = int(labs.loc["frontier-startup", "exit_month"])
    ct = res.tables["contracts"]
    row = ct[ct["buyer"] == "frontier-startup"].iloc[0]
    assert row["end"] <= exit_month + 1
    assert row["delivered_total"] == pytest.approx(5e7 * (exit_month + 1))
    assert res.model_frame["labs_active"].iloc[-1] == len(baseline.labs) - 1
    ag = res.tables["agents"]
    after = ag[(ag["name"] == "frontier-startup") & (ag["month"] > exit_month)]
    assert np.allclose(after["received"], 0.0)


def test_strategic_deals_rescue_labs_the_vc_pool_turns_down(baseline):
    # no VC money and no credit for labs; training bid flat (one step): a lab spending its
    # whole training budget at any price (the falling schedule) burns a strategic round too
    # within 36 months, which would hide the rescue this test is about
    dry = baseline.with_overrides(
        {
            "capital.vc_success_prob": 0.0,
            "finance.debt_multiple_lab": 0.0,
            "demand.training_bid_steps": 1,
        }
    )
    # A lab a strategic deal funded outlives its exit without one (or survives the run);
    # whether it survives 36 months depends on which cloud is richest when it asks (the
    # investor) and on the contract it signs there.
    without = run_scenario(dry, months=36, rng=1).tables["labs"].set_index("name")["exit_month"]
    failed = set(without.dropna().index)
    assert failed, "with no VC money some lab should run out of cash"
    rescued = run_scenario(dry.with_overrides({"capital.strategic_deals": True}), months=36, rng=1)
    exit_month = rescued.tables["labs"].set_index("name")["exit_month"]
    deals = rescued.tables["deals"].groupby("deal").tail(1)
    funded = set(deals.loc[deals["invested_usd"] > 0, "lab"]) & failed
    assert funded, "some lab the pool turned down should get a strategic investment"
    for name in funded:
        assert pd.isna(exit_month[name]) or exit_month[name] > without[name], name


def test_exclusivity_ban_strikes_the_clause_and_the_deal_goes_ahead():
    ban = load_scenario("amazon-anthropic-2026").with_overrides(
        {"regulation.exclusivity_ban": True}
    )
    res = run_scenario(ban, months=12, rng=1)
    last = res.tables["deals"].iloc[-1]
    assert last["status"] == "approved with conditions"
    assert last["conditions"] == "exclusivity struck" and not last["exclusive"]
    assert last["invested_usd"] > 0
    deal = run_scenario("amazon-anthropic-2026", months=12, rng=1)
    assert bool(deal.tables["deals"].iloc[-1]["exclusive"])
    base = run_scenario("baseline", months=12, rng=1)
    for other in (deal, base):
        assert not res.model_frame["compute_spot_price"].equals(
            other.model_frame["compute_spot_price"]
        )


def test_training_schedule_and_persistent_shocks_end_the_price_sawtooth(baseline):
    # one flat training bid against nearly vertical supply, with independent monthly demand
    # shocks: the spot price jumps between the sellers' cost and the bid (90th percentile of
    # the monthly moves 16-20% on seeds 1-2, 11-15 moves above 10% in 35 months, with nodes
    # selling only what their sites buy power for); the budget schedule with persistent
    # shocks clears at an interior price that moves a few % a month (90th percentile 8-9%)
    flat = baseline.with_overrides(
        {"demand.training_bid_steps": 1, "demand.shock_persistence": 0.0}
    )
    for seed in SEEDS:
        moves = {}
        for name, cfg in (("schedule", baseline), ("flat", flat)):
            p = run_scenario(cfg, months=48, rng=seed).model_frame["compute_spot_price"]
            moves[name] = np.abs(np.diff(np.log(p.to_numpy()[12:])))
        assert np.quantile(moves["schedule"], 0.9) < 0.12
        assert np.quantile(moves["flat"], 0.9) > 1.5 * np.quantile(moves["schedule"], 0.9)
        assert (moves["schedule"] > 0.1).sum() < 0.5 * (moves["flat"] > 0.1).sum()


def test_shells_paced_to_power_keep_unpowered_capacity_within_the_allowance(baseline):
    # builds take 21 months, grid connections 36 (baseline) or 60 (power-crunch). A shell
    # starts only while shells built or building stay within 1.05 x the power due by its
    # completion, so built MW never exceed 1.05 x connected MW: at most 0.05 / 1.05 = 4.8%
    # of built waits for power. Without the pacing (an allowance of 10) shells sized for
    # the need at their completion run ahead of a five-year queue (13% of built waiting on
    # seeds 1-2, more than twice the bound).
    a = baseline.datacentres.unpowered_allowance
    crunch = load_scenario("power-crunch")
    unpaced = crunch.with_overrides({"datacentres.unpowered_allowance": 10.0})
    for seed in SEEDS:
        for scn in (baseline, crunch):
            f = run_scenario(scn, months=60, rng=seed, tables=[]).model_frame
            share = 1.0 - f["capacity_gw_powered"] / f["capacity_gw_built"]
            assert share.max() <= a / (1.0 + a) + 1e-9
        g = run_scenario(unpaced, months=60, rng=seed, tables=[]).model_frame
        assert (1.0 - g["capacity_gw_powered"] / g["capacity_gw_built"]).max() > 2 * a / (1 + a)


def test_spending_on_ai_services_levels_off_at_the_ceiling(baseline):
    # $5B a month growing 150% a year for good reaches 5 x 2.5**4 = $195B in four years;
    # under a $20B ceiling at mid-2025 growing 6% a year (baseline starts in January 2026,
    # so month m's ceiling is 20 x 1.06**((6 + m) / 12)) the trend's growth is
    # 1.5 x (1 - last month's spending / ceiling), so spending levels off near the ceiling:
    # cheaper compute lifts it a little past (demand is price-elastic) and the trend falls back
    assert (baseline.start, baseline.demand.ceiling_month) == ("2026-01", "2025-07")
    fast = {
        "demand.initial_usd_per_month": 5e9,
        "demand.growth_per_year": 1.5,
        "demand.growth_decay_per_year": 0.0,
    }
    spent, ceilings = {}, 20e9 * 1.06 ** ((6 + np.arange(48)) / 12)
    for k in (20e9, 1e12):
        cfg = baseline.with_overrides({**fast, "demand.ceiling_usd_per_month": k})
        m = GigawattModel(cfg, rng=SEEDS[0])
        path, before = [], 0.0
        for month in range(48):
            m.step()
            d = m.world.demand
            ceiling = ceilings[month] * k / 20e9
            assert d.expected_growth == pytest.approx(1.5 * (1 - before / ceiling), rel=1e-12)
            before = d.spending
            path.append(d.spending)
        spent[k] = np.array(path)
    share = spent[20e9] / ceilings  # of the month's ceiling
    assert 0.95 < share[36:].min() and share[36:].max() < 1.2
    assert share[:6].max() < 0.5  # far below it, growth is unhindered
    assert spent[1e12][-1] > 4 * ceilings[-1]  # under a far ceiling it grows on


FINANCING = ["endowment", "vc_round", "borrow", "repay", "write_off"]


def test_the_labs_burn_over_2026_is_near_their_reported_projections():
    # docs/calibration.md [lab-burn-2026]: OpenAI projected to burn about 57% of its 2026
    # revenue; Anthropic about a third (cash) to 78% (an investor's EBITDA). Burn is every
    # cash flow but financing: paid out (compute, opex, fees, interest) less received
    # (revenue, penalties). Fixed costs of $1.4B and $0.9B a month gave 75% and 73%.
    flows = run_scenario("baseline", months=12, rng=SEEDS[0], tables=["cashflows"])
    cf = flows.tables["cashflows"]
    cf = cf[~cf["reason"].isin(FINANCING)]
    share = {}
    for lab in ("openai", "anthropic"):
        paid, got = cf[cf["payer"] == lab], cf[cf["payee"] == lab]
        revenue = got.loc[got["reason"] == "ai_revenue", "amount"].sum()
        share[lab] = (paid["amount"].sum() - got["amount"].sum()) / revenue
    assert 0.47 < share["openai"] < 0.67
    assert 0.25 < share["anthropic"] < 0.80


def test_capacity_that_answers_its_profitability_is_larger_and_compute_cheaper(baseline):
    # new capacity earns several times its cost at baseline prices ([est-profit-response]);
    # a capacity target that responds to that profitability builds more and so lowers the
    # price, which lowers the profitability it answers
    from agents.phases.plan import new_capacity_q

    responsive = baseline.with_overrides({"datacentres.profit_response": 0.5})
    for seed in SEEDS:
        runs = []
        for scn in (baseline, responsive):
            m = GigawattModel(scn, rng=seed)
            q = []
            for _ in range(48):
                m.step()
                q.append(new_capacity_q(m.month, scn, m.world.tech, m.world.market))
            runs.append((m.model_frame().iloc[-12:], float(np.mean(q[-12:]))))
        (flat, q_flat), (resp, q_resp) = runs
        assert resp["capacity_gw_powered"].mean() > 1.2 * flat["capacity_gw_powered"].mean()
        assert resp["compute_spot_price"].mean() < 0.9 * flat["compute_spot_price"].mean()
        assert 1.0 < q_resp < q_flat
