"""The clear phase's contracts: each contract's share of its seller's capacity, by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from agents.lab import LabArrays
from agents.model import GigawattModel
from agents.phases import PHASES
from agents.phases.clear_contracts import (
    allocate_contracts,
    compute_shares,
    merit_order,
    ppa_delivery,
)
from agents.phases.orders import Orders
from market.contracts import ContractTable, pro_rata
from market.tied_orders import tie_groups


def _compute_orders(region0: float, region1: float = 0.0) -> Orders:
    """One cloud's H100e-hours of family 0 in two regions (the others none), two utilities'
    units of 10 MWh at $5 and nothing else."""
    cap = np.zeros((1, 2, 3))
    cap[0, :, 0] = region0, region1
    return Orders(
        np.array([0, 1]), np.array([10.0, 10.0]), np.array([5.0, 5.0]), np.zeros(2),
        cap, np.zeros((1, 2)), np.zeros(0), np.zeros(0), cap, cap, np.zeros(0, dtype=np.int64),
    )  # fmt: skip


def test_compute_contract_takes_a_pro_rata_share_of_its_sellers_capacity():
    ct = ContractTable()
    ct.add(kind="compute", seller=0, buyer=0, volume=100.0, price=2.0, start=0, end=12)
    alloc, units, _, lab_got = allocate_contracts(
        0, _compute_orders(300.0, 100.0), LabArrays(1, 3), ct, [], 2
    )
    # 100 over nodes of 300 and 100 (the contract names no family: any node of the seller)
    assert alloc.compute_alloc[0].reshape(2, 3)[:, 0].tolist() == pytest.approx([75.0, 25.0])
    assert lab_got.tolist() == pytest.approx([100.0])
    assert units.tolist() == [10.0, 10.0]  # no PPA: power offers untouched


def test_contracts_asking_more_than_a_node_has_are_cut_by_the_same_share_there():
    # nodes (cloud, region, family): a (0, 0, 0) of 10 and b (0, 1, 0) of 30. Contract 1
    # (any region) asks 20: 5 at a, 15 at b; contract 2 (region 0 only) asks 15, all at a.
    # a is asked 20 of its 10: both cut by half there (2.5 and 7.5); b is asked 15 of 30.
    alloc, taken = compute_shares(
        np.array([0, 0]), np.array([0, 1]), np.array([0, 0]), np.array([10.0, 30.0]),
        np.array([0, 0]), np.array([-1, 0]), np.array([-1, 0]), np.array([20.0, 15.0]),
    )  # fmt: skip
    assert alloc.tolist() == [[2.5, 15.0], [7.5, 0.0]]
    assert taken.tolist() == [17.5, 7.5]


def test_a_compute_contract_for_one_region_takes_only_that_regions_nodes():
    # seller 0 has 300 H100e-hours in region 0 and 100 in region 1; one contract names region
    # 1, one names none: the first's 50 all come from region 1, the second's 80 from both
    # pro rata (60 and 20); the nodes' loads, 60 and 70, fit their capacity: nothing is cut
    ct = ContractTable()
    ct.add(kind="compute", seller=0, buyer=0, volume=50.0, price=2.0, start=0, end=12, region=1)
    ct.add(kind="compute", seller=0, buyer=0, volume=80.0, price=2.0, start=0, end=12)
    alloc, _, _, lab_got = allocate_contracts(
        0, _compute_orders(300.0, 100.0), LabArrays(1, 3), ct, [], 2
    )
    by_node = alloc.compute_alloc.reshape(2, 2, 3)[:, :, 0]
    assert by_node[0].tolist() == pytest.approx([0.0, 50.0])
    assert by_node[1].tolist() == pytest.approx([60.0, 20.0])
    assert lab_got.tolist() == pytest.approx([130.0])


def test_a_contract_for_next_to_nothing_takes_it_without_a_warning():
    # a compute contract for 1e-310 H100e-hours (a random valid scenario): its load on a
    # node of 300 is subnormal, capacity over it overflows; the share is cut to 1, silently
    ct = ContractTable()
    ct.add(kind="compute", seller=0, buyer=0, volume=1e-310, price=2.0, start=0, end=12)
    a = LabArrays(1, 3)
    g = _compute_orders(300.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alloc, _, _, lab_got = allocate_contracts(0, g, a, ct, [], 2)
    got = pytest.approx(1e-310, rel=1e-9, abs=0.0)  # subnormal: 300 x (1e-310 / 300)
    assert lab_got[0] == got and alloc.compute_alloc[0, 0] == got


def test_a_ppa_takes_its_utilitys_cheapest_units_first():
    ct = ContractTable()
    ct.add(kind="power", seller=0, buyer=0, volume=15.0, price=40.0, start=0, end=12, region=0)
    a = LabArrays(1, 3)
    cap = np.zeros((1, 2, 3))
    g = Orders(
        np.array([0, 0, 1]), np.array([10.0, 10.0, 10.0]), np.array([30.0, 10.0, 1.0]),
        np.zeros(2), cap, np.zeros((1, 2)), np.zeros(0), np.zeros(0), cap, cap,
        np.zeros(0, dtype=np.int64),
    )  # fmt: skip
    alloc, units, _, _ = allocate_contracts(0, g, a, ct, [], 2)
    # 15 MWh from utility 0: all 10 of the unit at $10, then 5 of the unit at $30
    assert units.tolist() == [5.0, 0.0, 10.0]
    assert alloc.ppa_cost.tolist() == [10 * 10.0 + 5 * 30.0, 0.0]
    assert alloc.site_ppa.tolist() == [15.0, 0.0]


def test_a_chip_contract_for_far_more_than_the_vendor_makes_leaves_it_nothing_to_offer(baseline):
    # a billion chips a month from a vendor that makes about 100k takes all it makes. In
    # month 22 it makes 129,415.45181701 chips, and volume x (capacity / volume) passes that
    # by an ulp: capacity less the contract's share was an offer of -1.5e-11 chips, which the
    # book refused (BookError)
    contract = {
        "kind": "chips",
        "seller": "nvidia",
        "buyer": "amazon",
        "volume_per_month": 1e9,
        "price": 1.0,
        "start": "2026-01",
        "end": "2030-01",
    }
    scn = baseline.with_overrides({"contracts": [*baseline.to_dict()["contracts"], contract]})
    m = GigawattModel(scn, rng=7)
    for _ in range(22):
        m.step()
    for phase in PHASES[: PHASES.index("clear") + 1]:
        getattr(m, phase)()
    c = m.cleared
    nvidia = [v.name for v in m.world.vendors].index("nvidia")
    offered = np.asarray(c.book.offer_qty)[c.index.offers["vendors"]]
    assert offered[nvidia] == 0.0
    made = m.month_orders.vendor_qty[nvidia]
    assert c.contracts.chip_delivered.sum() == pytest.approx(made, rel=1e-15)


def _ppa_delivery_in_numpy(seller, volume, site, unit_util, unit_qty, unit_price, n_r, n_sites):
    """The agreements' merit-order delivery written with numpy's calls, as the clear phase
    computed it before it was compiled: the oracle of ``ppa_delivery``."""
    unit_qty = unit_qty.copy()
    deliver = pro_rata(seller, volume, np.bincount(unit_util, unit_qty, minlength=n_r))
    take = np.bincount(seller, deliver, minlength=n_r)
    order = np.lexsort((unit_price, unit_util))
    q, util = unit_qty[order], unit_util[order]
    before = np.add.accumulate(q) - q
    counts = np.bincount(util, minlength=n_r)
    first = np.add.accumulate(counts) - counts
    used = np.clip(take[util] - (before - before[first[util]]), 0.0, q)
    unit_qty[order] = q - used
    cost = np.bincount(util, used * unit_price[order], minlength=n_r)
    return deliver, unit_qty, cost, np.bincount(site, deliver, minlength=n_sites)


@pytest.mark.parametrize("seed", range(20))
def test_ppa_delivery_gives_numpys_numbers_to_the_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_r, n_units, n_ppa, n_sites = 4, int(rng.integers(1, 40)), int(rng.integers(1, 6)), 12
    unit_util = rng.integers(0, n_r, n_units)
    unit_qty = rng.choice([0.0, 1.0, 7.5, 1e6], n_units) * rng.random(n_units)
    unit_price = rng.choice([5.0, 20.0, 60.0], n_units)  # ties within a utility too
    seller = rng.integers(0, n_r, n_ppa)
    volume = rng.choice([0.0, 10.0, 1e7], n_ppa) * rng.random(n_ppa)
    site = rng.integers(0, n_sites, n_ppa)
    args = (seller, volume, site, unit_util, unit_qty, unit_price, n_r, n_sites)
    want = (*_ppa_delivery_in_numpy(*args), np.lexsort((unit_price, unit_util)))
    stale = rng.permutation(n_units)  # a hint that is not the order: sorted afresh
    for hint in (np.zeros(0, dtype=np.int64), stale, want[-1]):
        for got, w in zip(ppa_delivery(*args, hint), want, strict=True):
            assert got.tobytes() == w.tobytes()


@pytest.mark.parametrize("seed", range(20))
def test_merit_order_is_tie_groups_order_with_any_hint(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    node = rng.integers(0, 4, n)
    price = rng.choice([5.0, 20.0, 60.0, -0.0, 0.0], n) * rng.choice([1.0, 1.0 + 1e-16], n)
    if seed % 4 == 0:
        price[rng.integers(0, n)] = np.nan
    want = tie_groups(node, price)[0]  # np.lexsort's order unless a price is nan
    assert seed % 4 == 0 or want.tolist() == np.lexsort((price, node)).tolist()
    moved = want.copy()
    moved[[0, -1]] = moved[[-1, 0]]
    hints = [np.zeros(0, dtype=np.int64), want, moved, want[:-1], want + n, want[::-1].copy()]
    for m in (n - 1, n - 4, n - 33, 1):  # last month's order of the first m orders
        if m > 0:
            hints.append(np.lexsort((price[:m], node[:m])))
            hints.append(rng.permutation(m))  # far from sorted: sorted afresh or in place
    hints.append(np.zeros(n, dtype=np.int64))  # not each once
    for hint in hints:
        got = merit_order(node, price, hint)
        assert got.tolist() == want.tolist() and got is not hint
