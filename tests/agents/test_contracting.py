"""Contracted volumes: per seller and family, kept while the same contracts are in force."""

from __future__ import annotations

import pytest

from agents.contracting import contract_mix, contracted_h100e_hours
from market.contracts import ContractTable


def test_contracted_volumes_and_mix_follow_new_contracts():
    t = ContractTable()
    # seller 0: 30 of family 1 (trainium) and 10 without a family (counted as the first)
    t.add(kind="compute", seller=0, buyer=0, volume=30.0, price=2.0, start=0, end=12, family=1)
    t.add(kind="compute", seller=0, buyer=1, volume=10.0, price=2.0, start=0, end=6)
    t.add(kind="power", seller=1, buyer=1, volume=99.0, price=50.0, start=0, end=12)
    assert contracted_h100e_hours(t, 3, 2).tolist() == [[10.0, 30.0, 0.0], [0.0, 0.0, 0.0]]
    total, share = contract_mix(t, 3, 2)
    assert total.tolist() == [40.0, 0.0]
    assert share[0].tolist() == pytest.approx([0.25, 0.75, 0.0])
    assert share[1].tolist() == [0.0, 0.0, 0.0]
    # the family-less contract ends at 6; a new one for seller 1 (tpu) from 3
    assert contract_mix(t, 7, 2)[0].tolist() == [30.0, 0.0]
    t.add(kind="compute", seller=1, buyer=0, volume=5.0, price=2.0, start=3, end=9, family=2)
    assert contracted_h100e_hours(t, 3, 2).tolist() == [[10.0, 30.0, 0.0], [0.0, 0.0, 5.0]]
    assert contract_mix(t, 7, 2)[0].tolist() == [30.0, 5.0]
