"""Money with limits: borrowing, interest, emergency rounds, exits with write-offs, payouts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.accounts import Accounts
from agents.finance import Debt, capex_budget, scale_to_budget
from agents.finance_month import settle_finance
from agents.invariants import InvariantError, check_finance
from agents.lab import LabArrays, LabKind
from agents.model import GigawattModel
from agents.scenario import Scenario
from agents.units import months_between
from experiments import run_scenario
from tests.agents.conftest import one_of_each_accounts


def _world(lab_debt: float, burn: float) -> tuple[Accounts, LabArrays, Debt]:
    """One cloud (cash 100, debt 20); one major lab, revenue 5 a month, 30 overdrawn."""
    acc = one_of_each_accounts()
    a = LabArrays(1, 3)
    a.kind[0] = LabKind.MAJOR
    a.account[:] = acc.lab
    a.revenue[0], a.opex[0], a.spend[0], a.burn[0] = 5.0, 40.0, 0.0, burn
    acc.pay(0, acc.hyperscaler, 100.0, "endowment")
    acc.pay(acc.lab, 0, 30.0, "lab_opex")
    acc.flush()
    debt = Debt.start(1, np.array([10.0]))
    debt.hs[0], debt.lab[0] = 20.0, lab_debt
    debt.capex_dc[0], debt.capex_chips[0] = 30.0, 0.0
    return acc, a, debt


def _settle(cfg: Scenario, acc: Accounts, a: LabArrays, debt: Debt) -> np.ndarray:
    """``settle_finance`` on :func:`_world`'s cloud: other cash flow 10, AI sales 20, power
    bill 5."""
    return settle_finance(
        cfg,
        np.random.default_rng(0),
        debt,
        a,
        np.array([10.0]),
        np.array([20.0]),
        np.array([5.0]),
        acc,
    )


@pytest.fixture()
def fin_cfg(baseline):
    return baseline.with_overrides(
        {
            "finance.debt_rate_hyperscaler": 0.06,
            "finance.debt_rate_lab": 0.12,
            "finance.debt_multiple_lab": 1.0,
            "finance.cash_buffer_months": 2.0,
            "capital.round_months": 18.0,
            "capital.runway_months": 6.0,
        }
    )


def test_lab_that_cannot_pay_exits_and_its_debt_is_written_off(fin_cfg):
    cfg = fin_cfg.with_overrides({"capital.vc_success_prob": 0.0})
    acc, a, debt = _world(lab_debt=50.0, burn=3.0)
    out = _settle(cfg, acc, a, debt)
    # lab: interest 50 x 0.12 / 12 = 0.5 -> cash -30.5; limit 1.0 x 12 x 5 = 60 leaves 10
    # to borrow -> cash -20.5, debt 60; no round (success 0) -> exits; creditors lose
    # 60 + 20.5 = 80.5 (write_off from outside), the 60 of debt repaid from it -> 0 and 0
    assert out.tolist() == [True]
    assert debt.borrowed.tolist() == [0.0, 10.0]
    assert debt.written_off.tolist() == [0.0, 80.5]
    assert debt.lab.tolist() == [0.0] and acc.cash(acc.lab).tolist() == [0.0]
    # cloud: interest 20 x 0.06 / 12 = 0.1 -> cash 99.9; costs (first month: the month
    # itself) = capex 30 + power 5 = 35, buffer 2 x 35 = 70; surplus 29.9 repays the 20 of
    # debt and 9.9 is paid out; operating cash flow = 10 + 20 - 5 = 25
    assert debt.interest.tolist() == pytest.approx([0.1, 0.5])
    assert debt.hs.tolist() == [0.0] and debt.payout.tolist() == pytest.approx([9.9, 0.0])
    assert acc.cash(acc.hyperscaler).tolist() == pytest.approx([70.0])
    assert debt.hs_ocf.tolist() == [25.0] and debt.hs_costs.tolist() == [35.0]
    check_finance(acc, a, debt)  # not exited yet: the caller marks it inactive
    a.active[0], a.exit_month[0] = False, 0
    check_finance(acc, a, debt)


def test_a_cloud_keeps_its_reserve_and_the_building_it_owes(fin_cfg):
    # _world's cloud (cash 100, debt 20; costs 35, so buffer 2 x 35 = 70) with building
    # still owed or a reserve: interest 0.1 leaves 99.9 of cash
    # - owes 15 of building: buffer 70 + 15 = 85; 14.9 repays debt, nothing paid out
    # - keeps 95 (its starting cash): buffer max(70, 95) = 95; 4.9 repays debt
    # - keeps 50: below 70, so as without a reserve: repays 20, pays out 9.9
    for owed, reserve, repaid, paid in ((15.0, 0.0, 14.9, 0.0), (0.0, 95.0, 4.9, 0.0),
                                        (0.0, 50.0, 20.0, 9.9)):  # fmt: skip
        acc, a, debt = _world(lab_debt=0.0, burn=0.0)
        debt.dc_committed[0], debt.hs_reserve[0] = owed, reserve
        _settle(fin_cfg, acc, a, debt)
        assert debt.repaid[0] == pytest.approx(repaid)
        assert debt.payout[0] == pytest.approx(paid)
        assert acc.cash(acc.hyperscaler)[0] == pytest.approx(99.9 - repaid - paid)


def test_an_equity_round_rescues_a_lab_credit_cannot(fin_cfg):
    cfg = fin_cfg.with_overrides({"capital.vc_success_prob": 1.0})
    acc, a, debt = _world(lab_debt=50.0, burn=3.0)
    out = _settle(cfg, acc, a, debt)
    # as above to cash -20.5 and debt 60; then a round of 18 months x burn 3 = 54 -> 33.5,
    # below the buffer 2 x (opex 40 + spend 0) = 80, so no repayment
    assert out.tolist() == [False]
    assert acc.cash(acc.lab).tolist() == pytest.approx([33.5])
    assert debt.lab.tolist() == [60.0] and a.raised_total.tolist() == [54.0]


def test_a_lab_overdrawn_by_its_debt_service_raises_a_round_though_it_burned_nothing(fin_cfg):
    # no trailing burn, debt 60 at its limit (1.0 x 12 x revenue 5): interest 60 x 0.12 / 12
    # = 0.6 takes the cash from -30 to -30.6 and nothing is left to borrow. The lab is short
    # all the same, burning 30.6 / 18 = 1.7 a month over a round: a round of 18 x 1.7 =
    # 30.6 brings it to 0, so it does not exit (and repays nothing, below its buffer)
    cfg = fin_cfg.with_overrides({"capital.vc_success_prob": 1.0})
    acc, a, debt = _world(lab_debt=60.0, burn=0.0)
    out = _settle(cfg, acc, a, debt)
    assert out.tolist() == [False]
    assert debt.interest[1] == pytest.approx(0.6) and debt.borrowed.tolist() == [0.0, 0.0]
    assert a.raised_total.tolist() == pytest.approx([30.6])
    assert acc.cash(acc.lab).tolist() == pytest.approx([0.0], abs=1e-12)
    assert debt.lab.tolist() == [60.0]
    check_finance(acc, a, debt)


def test_a_lab_paid_more_in_penalties_than_it_spends_repays_no_more_than_its_cash(fin_cfg):
    # cash 10 (a round of 40 after the world's opex of 30), debt 50, opex 40, and compute
    # spend -100 (a cloud's shortfall penalties exceed what the lab pays). Interest 50 x
    # 0.12 / 12 = 0.5 leaves 9.5; the buffer 2 x (40 - 100) was -120 and repaid 50, leaving
    # -40.5 of cash no debt covers (a random valid scenario: -$4.7T). Floored at 0, the
    # lab repays its 9.5: cash 0, debt 40.5.
    acc, a, debt = _world(lab_debt=50.0, burn=0.0)
    acc.pay(0, acc.lab, 40.0, "vc_round")
    acc.flush()
    a.spend[0] = -100.0
    _settle(fin_cfg, acc, a, debt)
    assert acc.cash(acc.lab).tolist() == pytest.approx([0.0])
    assert debt.lab.tolist() == pytest.approx([40.5])
    check_finance(acc, a, debt)


def test_capex_budget_is_cash_plus_unused_credit(baseline):
    debt = Debt.start(0, np.array([5.0, 5.0]))
    debt.hs[:] = [100.0, 200.0]
    # limit 3 x 12 x 5 = 180: unused 80 and 0; cash 10 and -4 (counts as 0)
    got = capex_budget(np.array([10.0, -4.0]), debt, baseline)
    assert got.tolist() == [90.0, 0.0]
    # building started and unpaid is set aside: 90 - 30, and 0 - 5 floored at 0
    got = capex_budget(np.array([10.0, -4.0]), debt, baseline, np.array([30.0, 5.0]))
    assert got.tolist() == [60.0, 0.0]
    assert scale_to_budget(90.0, 120.0, 50.0) == (0.75, 0.0)


def _schedule(scn: Scenario, months: int) -> np.ndarray:
    """By hand: (months, H) instalments due on the building under way at the start.

    ``building_mw`` completes evenly over months 1..k, so the shells completing in month
    j pay cost x MW/k/k in each of months 0..j-1; a project online in month m > 0 pays
    cost x MW/k in each of months max(0, m - k)..m-1.
    """
    k, cost = scn.datacentres.build_months, scn.datacentres.cost_per_mw
    clouds = [h.name for h in scn.hyperscalers]
    out = np.zeros((months, len(clouds)))
    for h, hc in enumerate(scn.hyperscalers):
        for j in range(1, k + 1):
            out[: min(j, months), h] += cost * sum(hc.building_mw.values()) / k / k
    for p in scn.projects:
        m = months_between(scn.start, p.online)
        if m > 0:
            out[max(0, m - k) : min(m, months), clouds.index(p.owner)] += cost * p.mw / k
    return out


def test_chip_bids_and_starts_never_exceed_cash_plus_credit(baseline):
    # other-clouds with $1B beyond its pipeline's cost and no credit: chips first, then
    # data centres, committed within that $1B
    h = 3
    left = float(_schedule(baseline, 400)[:, h].sum())
    scn = baseline.with_overrides(
        {
            "hyperscalers.other-clouds.cash": 1e9 + left,
            "finance.debt_multiple_hyperscaler": 0.0,
        }
    )
    m = GigawattModel(scn, rng=1)
    m.exogenous()
    m.plan()
    p, debt = m.month_plan, m.world.debt
    bids = float((p.chip_want[h] * p.chip_bid_price[h]).sum())
    assert bids + debt.dc_started[h] == pytest.approx(1e9)
    # the pipeline and the new starts are set aside, less this month's instalment
    assert debt.dc_committed[h] + debt.capex_dc[h] == pytest.approx(left + debt.dc_started[h])
    m.deals()
    m.orders()
    m.clear()
    m.settle()
    assert m.settled.chip_spend[h] + debt.dc_started[h] <= 1e9 * (1 + 1e-9)


def test_datacentre_building_is_paid_in_instalments_over_the_build(baseline):
    # the ledger's capex_datacentre rows against a schedule rebuilt by hand from the
    # months' starts: the building under way at the start (_schedule) plus 1/k of every
    # start in each of its k months; what is set aside is the instalments not yet due
    k = baseline.datacentres.build_months
    m = GigawattModel(baseline, rng=7)
    clouds = [h.name for h in baseline.hyperscalers]
    months = k + 6
    start = _schedule(baseline, 400)
    started = np.zeros((months, len(clouds)))
    due = start[:months].copy()
    for t in range(months):
        m.step()
        started[t] = m.world.debt.dc_started
        first = max(0, t - k + 1)
        due[t] += started[first : t + 1].sum(axis=0) / k
        starts_left = sum(started[s] * (s + k - 1 - t) / k for s in range(first, t + 1))
        left = start[t + 1 :].sum(axis=0) + starts_left
        assert m.world.debt.dc_committed == pytest.approx(left, rel=1e-9)
    cf = m.tables(["cashflows"])["cashflows"]
    paid = cf[cf["reason"] == "capex_datacentre"].pivot_table(
        index="month", columns="payer", values="amount", aggfunc="sum", fill_value=0.0
    )
    np.testing.assert_allclose(paid.reindex(columns=clouds).to_numpy(), due, rtol=1e-9)
    assert (started[: months - k] > 0).sum() >= 4  # starts made and paid in full


def _one_of_each() -> tuple[Accounts, LabArrays, Debt]:
    """Accounts of one hyperscaler (1), utility (2), vendor (3) and lab (4), with the lab's
    arrays and no debt: the books :func:`check_finance` reads."""
    acc = one_of_each_accounts()
    a = LabArrays(1, 3)
    a.account[:] = acc.lab
    return acc, a, Debt.start(1, np.zeros(1))


def test_check_finance_catches_unfunded_cash_and_unsettled_exits():
    acc, a, debt = _one_of_each()
    acc.pay(acc.lab, 0, 5.0, "lab_opex")
    acc.flush()
    with pytest.raises(InvariantError, match="negative cash"):
        check_finance(acc, a, debt)
    acc.pay(0, acc.lab, 7.0, "vc_round")
    acc.flush()
    a.active[0], a.exit_month[0] = False, 3
    with pytest.raises(InvariantError, match="exited lab"):
        check_finance(acc, a, debt)


def test_check_finance_reads_rounding_at_the_scale_of_the_months_transfers():
    # A cloud gets $1B and pays it out in sevenths: its cash ends at -2.4e-7 (rounding) and
    # every balance is that small. At 1e-9 of the largest balance that was unfunded cash
    # (a random valid scenario stopped on -1e-5); at 1e-9 of the month's $2B turnover
    # (2 dollars) it is rounding. A real shortfall of $3 is still caught.
    acc, a, debt = _one_of_each()
    acc.set_step(0)
    acc.pay(0, acc.hyperscaler, 1e9, "endowment")
    for _ in range(7):
        acc.pay(acc.hyperscaler, 0, 1e9 / 7, "lab_opex")
    acc.flush()
    assert -1e-6 < acc.cash(acc.hyperscaler)[0] < 0.0
    assert acc.month_turnover == pytest.approx(2e9)
    check_finance(acc, a, debt)
    acc.pay(acc.hyperscaler, 0, 3.0, "lab_opex")
    acc.flush()
    with pytest.raises(InvariantError, match="negative cash"):
        check_finance(acc, a, debt)
    acc.set_step(1)  # a new month: its own transfers set the scale
    assert acc.month_turnover == 0.0


def test_rounding_an_earlier_month_left_stays_rounding_after_the_economy_shrinks():
    # A vendor sells $1e-6 and pays $2e-6 of costs in a month that moves $5B (a random
    # valid scenario's vendor: its offer filled by a dust quantity, within the solver's
    # tolerance, that its links did not carry in full, so it paid production on more than
    # it was paid for). Nothing brings a vendor's cash back to zero; 80 months later every
    # balance is under a cent and nothing moves, so 1e-9 of this month's scale (1e-9) made
    # the -1e-6 a shortfall. At 1e-9 of the largest month so far ($5) it is rounding; a
    # real $6 shortfall is still caught.
    acc, a, debt = _one_of_each()
    acc.set_step(0)
    acc.pay(0, acc.hyperscaler, 2.5e9, "endowment")
    acc.pay(acc.hyperscaler, 0, 2.5e9, "lab_opex")
    acc.pay(acc.hyperscaler, acc.vendor, 1e-6, "chips_spot")
    acc.pay(acc.vendor, 0, 2e-6, "chip_production")
    acc.flush()
    check_finance(acc, a, debt)
    acc.set_step(80)
    assert acc.month_turnover == 0.0 and acc.peak_month_turnover == pytest.approx(5e9)
    check_finance(acc, a, debt)
    acc.pay(acc.vendor, 0, 6.0, "chip_production")
    acc.flush()
    with pytest.raises(InvariantError, match="negative cash"):
        check_finance(acc, a, debt)


def test_tighter_credit_means_less_capex_and_no_fewer_exits(baseline):
    # an adverse world: scarce VC money, dearer small labs; then lenders lend a quarter as
    # much to labs, at twice the rate, and nothing to clouds (which borrow only a few $B
    # there, since merchant chips trade at their ask: half of their credit barely binds)
    adverse = baseline.with_overrides(
        {
            "capital.vc_success_prob": 0.3,
            "labs.frontier-startup.opex_per_month": 0.6e9,
            "labs.mistral.opex_per_month": 0.3e9,
            "labs.asia-lab.opex_per_month": 0.3e9,
        }
    )
    tight = adverse.with_overrides(
        {
            "finance.debt_multiple_lab": 0.25,
            "finance.debt_rate_lab": 0.2,
            "finance.debt_multiple_hyperscaler": 0.0,
            "finance.debt_rate_hyperscaler": 0.1,
        }
    )
    for seed in (1, 2):
        a = run_scenario(adverse, months=48, rng=seed).model_frame
        b = run_scenario(tight, months=48, rng=seed).model_frame
        assert b["capex_usd"].sum() < a["capex_usd"].sum()
        assert b["labs_exited"].iloc[-1] >= a["labs_exited"].iloc[-1]


def test_an_exited_lab_ends_with_zero_cash_and_its_loss_booked(baseline):
    # a small lab with little cash, high fixed costs and no VC money runs out in month 0
    scn = baseline.with_overrides(
        {
            "labs.frontier-startup.cash": 1e8,
            "labs.frontier-startup.opex_per_month": 3e9,
            "capital.vc_success_prob": 0.0,
        }
    )
    m = GigawattModel(scn, rng=1)
    i = scn.labs.index(next(lab for lab in scn.labs if lab.name == "frontier-startup"))
    for _ in range(3):
        m.step()
    a, debt, acc = m.world.labs, m.world.debt, m.world.accounts
    assert not a.active[i] and a.exit_month[i] == 0
    assert acc.cash(a.account[[i]])[0] == pytest.approx(0.0, abs=1e-3)
    assert debt.lab[i] == 0.0
    # from the ledger: before financing its cash was c0 = inflows - outflows of month 0;
    # it borrowed b, lost debt b + overdraft -(c0 + b) = -c0, and repaid b out of it
    ent = acc.usd.entries()
    names = acc.usd.reasons
    me = int(a.account[i])
    why = np.array([names[int(r)] for r in ent["reason"]])
    into, outof = ent["payee"] == me, ent["payer"] == me
    fin = np.isin(why, ["borrow", "repay", "write_off", "interest"])
    c0 = ent["amount"][into & ~fin].sum() - ent["amount"][outof & ~fin].sum()
    assert c0 < 0
    assert ent["amount"][into & (why == "write_off")].sum() == pytest.approx(-c0)
    borrowed = ent["amount"][into & (why == "borrow")].sum()
    assert borrowed > 0
    assert ent["amount"][outof & (why == "repay")].sum() == pytest.approx(borrowed)
    assert m.model_frame()["labs_exited"].tolist() == [1, 1, 1]


def test_utility_loss_is_recovered_from_ratepayers(fin_cfg):
    # the utility (account 2) served a contract below its units' cost: -40 at the month's
    # end (below the lab's -30); ratepayers (outside) pay it 40, so it ends at 0 and the finance check holds
    acc, a, debt = _world(lab_debt=0.0, burn=0.0)
    acc.pay(acc.utility, 0, 40.0, "fuel")
    acc.flush()
    with pytest.raises(InvariantError, match="account 2"):
        check_finance(acc, a, debt)
    settle_finance(
        fin_cfg, np.random.default_rng(0), debt, a, np.zeros(1), np.zeros(1), np.zeros(1), acc
    )
    acc.flush()
    assert acc.cash(acc.utility).tolist() == [0.0]


def test_a_vendors_shortfall_is_borrowed_and_repaid_from_its_next_cash(fin_cfg):
    # the vendor (account 3) paid a penalty of 40 it had not earned: it borrows 40, ends at
    # 0 and owes 40; the next month it pays 40 x 6% / 12 = 0.2 of interest (borrowed too,
    # having no cash); when 100 comes in, it repays its 40.2 and keeps the rest
    acc, a, _ = _world(lab_debt=0.0, burn=0.0)
    debt = Debt.start(1, np.array([10.0]), n_vendors=1)
    acc.pay(acc.vendor, acc.hyperscaler, 40.0, "penalty")
    acc.flush()
    with pytest.raises(InvariantError, match="account 3"):
        check_finance(acc, a, debt)

    def month_end() -> None:
        settle_finance(
            fin_cfg, np.random.default_rng(0), debt, a, np.zeros(1), np.zeros(1), np.zeros(1), acc
        )
        acc.flush()
        check_finance(acc, a, debt)

    month_end()
    assert acc.cash(acc.vendor).tolist() == [0.0] and debt.vendor.tolist() == [40.0]
    month_end()
    assert acc.cash(acc.vendor).tolist() == [0.0]
    assert debt.vendor.tolist() == pytest.approx([40.2], rel=1e-15)
    acc.pay(acc.hyperscaler, acc.vendor, 100.0, "chips_spot")
    month_end()  # 0.201 of interest on 40.2 first, then all of it repaid
    assert debt.vendor.tolist() == [0.0]
    assert acc.cash(acc.vendor).tolist() == pytest.approx([100.0 - 40.2 - 40.2 * 0.005])


def test_a_chip_contract_beyond_the_vendors_capacity_is_financed_by_the_vendor(baseline):
    # a year of 600k chips a month from a vendor that makes 80k: it delivers what it makes
    # and owes a quarter of the shortfall's value each month, far more than it earns. It
    # borrows what it cannot pay (the run's checks hold every month; the run stopped with an
    # InvariantError before vendors borrowed), pays interest on it and repays from its
    # sales once the contract ends
    scn = baseline.with_overrides(
        {
            "contracts": [
                *baseline.to_dict()["contracts"],
                {
                    "kind": "chips",
                    "seller": "nvidia",
                    "buyer": "amazon",
                    "volume_per_month": 600_000.0,
                    "price": 30_000.0,
                    "start": "2026-01",
                    "end": "2027-01",
                    "penalty_rate": 0.25,
                },
            ]
        }
    )
    res = run_scenario(scn, months=30, rng=7)  # invariant checks on
    agents, cf = res.tables["agents"], res.tables["cashflows"]
    debt = agents[agents["name"] == "nvidia"].set_index("month")["debt"]
    flows = cf[(cf["payer"] == "nvidia") | (cf["payee"] == "nvidia")]

    def by_month(reason: str, side: str) -> pd.Series:
        rows = flows[(flows["reason"] == reason) & (flows[side] == "nvidia")]
        return rows.groupby("month")["amount"].sum().reindex(debt.index, fill_value=0.0)

    borrowed, repaid = by_month("borrow", "payee"), by_month("repay", "payer")
    # the ledger and the lenders' record agree: debt is what was borrowed less repaid
    np.testing.assert_allclose(debt, (borrowed - repaid).cumsum(), rtol=1e-12)
    assert debt[0] > 1e9 and (debt[:12].diff()[1:] > 0).all()  # it grows with the contract
    # a month's interest is the debt at the month before's end at 6% a year (the scenario's
    # hyperscalers' rate, which vendors borrow at), by hand
    rate = scn.finance.debt_rate_hyperscaler
    interest = by_month("interest", "payer")
    np.testing.assert_allclose(interest[1:], debt.shift(1)[1:] * rate / 12.0, rtol=1e-12)
    # then the vendor's sales repay it, in full within the run
    assert (repaid[:12] == 0).all() and (repaid[12:] > 0).any() and debt.iloc[-1] == 0.0
