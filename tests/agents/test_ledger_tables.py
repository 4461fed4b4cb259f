"""The contracts and cashflows tables: the ledger summed by name, its two groupings alike."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import agents.build
from agents.lab import LabKind
from agents.ledger_tables import OUTSIDE_NAME, _cashflows_by_frame, cashflows_table
from agents.model import GigawattModel


def test_cashflows_table_is_the_ledger_summed(deal_scenario):
    m = GigawattModel(deal_scenario, rng=2)
    for _ in range(6):
        m.step()
    t = m.tables()
    assert len(t["regions"]) == 6 * len(deal_scenario.regions)
    # every transfer has a payer and a payee, so the month's gross turnover in the table
    # equals the ledger's turnover booked over those months
    ledger = m.world.accounts.usd.entries()
    assert t["cashflows"]["amount"].sum() == pytest.approx(float(ledger["amount"].sum()), rel=1e-12)
    for lab in m.world.lab_agents[:3]:
        last = t["agents"][t["agents"]["name"] == lab.name].iloc[-1]
        assert last["cash"] == pytest.approx(lab.cash)
        # accounts open at zero, so a lab's cash is what it was paid less what it paid
        cf = t["cashflows"]
        net = cf.loc[cf["payee"] == lab.name, "amount"].sum()
        net -= cf.loc[cf["payer"] == lab.name, "amount"].sum()
        assert net == pytest.approx(lab.cash, rel=1e-9)
    names = {f.name for f in m.world.firms} | {"outside"}
    assert set(t["cashflows"]["payer"]) | set(t["cashflows"]["payee"]) <= names
    assert "outside" in set(t["cashflows"]["payer"])


def test_cashflows_grouped_on_one_packed_key_as_on_four(deal_scenario):
    m = GigawattModel(deal_scenario, rng=3)
    for _ in range(4):
        m.step()
    accounts, start = m.world.accounts, m.recorder.start
    by_id = {f.unique_id: f for f in m.world.firms}
    packed = cashflows_table(accounts, by_id, start)
    reasons = [accounts.usd.reasons[i] for i in range(len(accounts.usd.reasons))]
    four = _cashflows_by_frame(
        accounts.usd.entries(), reasons, by_id, start, accounts.pool_names, False
    )
    pd.testing.assert_frame_equal(packed, four)
    assert len(packed) > 0 and set(packed["payer"]) >= {OUTSIDE_NAME}


def test_cashflows_of_two_agents_with_one_name_are_one_party(deal_scenario):
    """Two hyperscalers under one name: the table is the by-name sums of the table with
    their own names (pandas' groupby on the renamed rows as the oracle)."""
    m = GigawattModel(deal_scenario, rng=3)
    for _ in range(4):
        m.step()
    accounts, start = m.world.accounts, m.recorder.start
    by_id = {f.unique_id: f for f in m.world.firms}
    a, b = (h.name for h in m.world.hyperscalers[:2])
    own = cashflows_table(accounts, by_id, start)
    renamed = {
        i: SimpleNamespace(name="one cloud" if f.name in (a, b) else f.name)
        for i, f in by_id.items()
    }
    shared = cashflows_table(accounts, renamed, start)  # type: ignore[arg-type]
    keys = ["month", "date", "reason", "payer", "payee"]
    expected = own.replace({"payer": {a: "one cloud", b: "one cloud"}})
    expected = expected.replace({"payee": {a: "one cloud", b: "one cloud"}})
    expected = expected.groupby(keys, as_index=False)["amount"].sum()
    got = shared.sort_values(keys, ignore_index=True)
    assert "one cloud" in set(got["payer"]) | set(got["payee"])
    pd.testing.assert_frame_equal(
        got[keys].astype(str), expected[keys].astype(str), check_dtype=False
    )
    np.testing.assert_allclose(got["amount"], expected["amount"], rtol=1e-12, atol=1e-6)


def test_scale_mode_populations_are_pooled_in_the_journal_and_nothing_else_changes(
    baseline, monkeypatch
):
    scn = baseline.with_overrides({"scale.small_labs": 300, "scale.enterprise_buyers": 200})

    def run():  # type: ignore[no-untyped-def]
        m = GigawattModel(scn, rng=4)
        for _ in range(6):
            m.step()
        return m

    pooled = run()
    monkeypatch.setattr(agents.build, "POPULATION_NAMES", {})  # every buyer journalled alone
    alone = run()
    # the journal feeds nothing back: the same months, balances and state, bit for bit
    pd.testing.assert_frame_equal(pooled.model_frame(), alone.model_frame())
    for a, b in zip(pooled.world.accounts.ledgers, alone.world.accounts.ledgers, strict=True):
        np.testing.assert_array_equal(a.balances[: b.n_accounts], b.balances)
        assert (a.balances[b.n_accounts :] == 0.0).all()  # the populations' journal accounts
    # the cashflows table: each member's flows summed under its population's name
    # (without pools, a member holds an account but no agent: it is named by its account)
    ids, kind = alone.world.lab_agents.ids, alone.world.labs.kind
    kinds = {f"account-{i}": k for i, k in zip(ids.tolist(), kind.tolist(), strict=True)}
    population = {LabKind.SMALL: "small labs", LabKind.ENTERPRISE: "enterprise buyers"}
    full = alone.tables()["cashflows"].copy()
    for side in ("payer", "payee"):
        full[side] = [population.get(kinds.get(n), n) for n in full[side]]
    keys = ["month", "date", "reason", "payer", "payee"]
    want = full.groupby(keys, as_index=False, sort=True)["amount"].sum()
    got = pooled.tables()["cashflows"].sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(
        got.drop(columns="amount"), want.drop(columns="amount"), check_dtype=False
    )
    np.testing.assert_allclose(got["amount"], want["amount"], rtol=1e-12)
    assert {"small labs", "enterprise buyers"} <= set(got["payer"]) | set(got["payee"])
    assert len(got) < len(alone.tables()["cashflows"]) / 10
