"""Scale mode: buyers held as arrays, Mesa agents materialised on demand, a small graph."""

from __future__ import annotations

import numpy as np
import pytest

from agents.lab import AILab, EnterpriseBuyer, LabKind
from agents.model import GigawattModel
from agents.population import pool_index, pool_node


def _scaled(baseline, n_small: int, n_ent: int):  # type: ignore[no-untyped-def]
    return baseline.with_overrides({"scale.small_labs": n_small, "scale.enterprise_buyers": n_ent})


def test_ten_thousand_buyers_keep_the_invariants_on_a_small_graph(baseline):
    m = GigawattModel(_scaled(baseline, 5_000, 5_000), rng=3, check=True)
    for _ in range(3):
        m.step()  # check=True: ledgers, stocks, contracts and finance checked every month
    w, a = m.world, m.world.labs
    n_major = int(a.major.sum())
    assert a.n == n_major + 10_000
    # only the major labs are Mesa agents; none of the 10k buyers was materialised
    assert sum(isinstance(x, AILab) for x in m.agents) == n_major
    # one graph node per (kind, home region) holding buyers, each with its member count
    pools = [(n, d) for n, d in m.graph.nodes(data=True) if d.get("pooled")]
    n_regions = len(w.utilities)
    homes = {(int(k), int(h)) for k, h in zip(a.kind[~a.major], a.home[~a.major], strict=True)}
    assert len(pools) == len(homes) <= 2 * n_regions
    assert sum(d["members"] for _, d in pools) == 10_000
    assert m.graph.number_of_nodes() == len(m.agents) + len(pools)
    # the pools' edge flows are the buyers' compute, summed (an independent sum per pool)
    vol = m.settled.compute.volume
    pool = pool_index(a, n_regions)
    for node, _ in pools:
        (p,) = [q for q in range(2 * n_regions) if pool_node(q) == node]
        flows = [d["flow"] for _, v, d in m.graph.in_edges(node, data=True) if v == node]
        assert sum(flows) == pytest.approx(vol[pool == p].sum(), rel=1e-12)
    assert vol[~a.major].sum() > 0


def test_a_materialised_buyer_reads_its_row(baseline):
    m = GigawattModel(_scaled(baseline, 40, 60), rng=5, check=False)
    for _ in range(2):
        m.step()
    w, a = m.world, m.world.labs
    n_major = int(a.major.sum())
    before = len(m.agents)
    rows = [n_major, n_major + 39, n_major + 40, a.n - 1]
    for i in rows:
        assert not w.lab_agents.is_materialised(i)
        agent = w.lab_agents[i]
        assert agent in m.agents and w.lab_agents[i] is agent
        small = a.kind[i] == LabKind.SMALL
        assert type(agent) is (AILab if small else EnterpriseBuyer)
        assert agent.name == (
            f"small-lab-{i - n_major}" if small else f"enterprise-{i - n_major - 40}"
        )
        assert agent.unique_id == a.account[i]
        assert agent.cash == w.accounts.usd.balances[a.account[i]]
        assert agent.capability == a.capability[i]
        assert agent.active == a.active[i]
        np.testing.assert_array_equal(agent.affinity, a.affinity[i])
    assert len(m.agents) == before + len(rows)
    # the view reads its row's need and service: 30 of 40 hours served leaves a quarter
    # throttled; with no need nothing is
    i = rows[1]
    saved = a.inference_need[i], a.served[i]
    a.inference_need[i], a.served[i] = 40.0, 30.0
    assert w.lab_agents[i].throttled_share == 0.25
    a.inference_need[i], a.served[i] = 0.0, 0.0
    assert w.lab_agents[i].throttled_share == 0.0
    a.inference_need[i], a.served[i] = saved
    # the reserved ids are the ones eager creation would give, none shared with another agent
    ids = [x.unique_id for x in m.agents]
    assert len(set(ids)) == len(ids)
    np.testing.assert_array_equal(
        w.lab_agents.ids[n_major:], w.lab_agents.ids[n_major - 1] + 1 + np.arange(100)
    )
    # the view follows the row as the run goes on
    agent = w.lab_agents[rows[0]]
    m.step()
    assert agent.capability == a.capability[rows[0]]
    assert agent.cash == w.accounts.usd.balances[a.account[rows[0]]]
    assert m.tables()["labs"]["name"].iloc[rows[0]] == agent.name
