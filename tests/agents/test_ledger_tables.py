"""The contracts and cashflows tables: the ledger summed by name, its two groupings alike."""

from __future__ import annotations

import pandas as pd
import pytest

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
    four = _cashflows_by_frame(accounts.usd.entries(), reasons, by_id, start)
    pd.testing.assert_frame_equal(packed, four)
    assert len(packed) > 0 and set(packed["payer"]) >= {OUTSIDE_NAME}
