"""Layout of the trade network: seeded, layered by kind, aggregated at scale."""

from __future__ import annotations

import networkx as nx
import numpy as np

from tests.viz.standin import StandInModel, StandInScenario
from viz.layout import KIND_COLUMNS, compute_layout, edge_flows, edge_kind, node_kind


def _graph(n_small: int = 0) -> nx.MultiDiGraph:
    return StandInModel(StandInScenario(n_small_labs=n_small), rng=1).graph


def test_same_seed_same_positions_and_columns_follow_kinds():
    g = _graph()
    a, b = compute_layout(g, seed=3), compute_layout(g, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, compute_layout(g, seed=4).x)
    assert not a.aggregated and a.n_model_nodes == g.number_of_nodes() == len(a.labels)
    for i, kind in enumerate(a.kinds):
        assert abs(a.x[i] - KIND_COLUMNS[kind]) <= 0.12  # jitter bound
    assert ((a.y >= 0) & (a.y <= 1)).all()


def test_scale_mode_aggregates_and_keeps_every_member():
    g = _graph(n_small=2000)
    lay = compute_layout(g, seed=0, max_nodes=250, keep_per_kind=12)
    assert lay.aggregated
    assert len(lay.labels) < 60
    assert int(lay.members.sum()) == g.number_of_nodes()  # every agent is drawn somewhere
    assert set(lay.index) == set(g.nodes)
    labs = [i for i, k in enumerate(lay.kinds) if k == "lab" and lay.members[i] == 1]
    assert len(labs) == 12
    assert "anthropic" in lay.labels  # largest by cash are kept individually
    assert any(lbl.startswith("other labs (europe) ×500") for lbl in lay.labels)


def test_edge_flows_sum_to_graph_flows_minus_self_loops():
    model = StandInModel(StandInScenario(n_small_labs=300), rng=2)
    model.step()
    g = model.graph
    lay = compute_layout(g, seed=0, max_nodes=100)
    flows = edge_flows(g, lay)
    drawn = sum(f for f, _ in flows.values())
    total = sum(d.get("flow", 0.0) for _, _, d in g.edges(data=True))
    inside = sum(
        d.get("flow", 0.0) for u, v, d in g.edges(data=True) if lay.index[u] == lay.index[v]
    )
    assert abs(drawn - (total - inside)) < 1e-6 * total
    assert sum(c for _, c in flows.values()) == g.number_of_edges() - sum(
        1 for u, v in g.edges() if lay.index[u] == lay.index[v]
    )


def test_late_nodes_join_their_kinds_aggregate():
    g = _graph(n_small=600)
    lay = compute_layout(g, seed=0)
    g.add_node("newcomer", kind="lab", region="europe", cash=1.0)
    g.add_edge("aws", "newcomer", kind="compute", flow=5.0)
    i = lay.locate("newcomer", g.nodes["newcomer"])
    assert lay.labels[i].startswith("other labs (europe)")
    assert any(k[1] == i for k in edge_flows(g, lay))


def test_kind_and_edge_kind_normalisation():
    assert node_kind(1, {"kind": "vendor"}) == "chip_vendor"
    assert node_kind(1, {"kind": "enterprise"}) == "buyer"
    assert node_kind(1, {"kind": "AILab"}) == "lab"
    assert edge_kind({"kind": "trade", "good": "power"}) == "trade"
    assert edge_kind({"kind": "contract"}) == "contract"
    assert edge_kind({"kind": "equity"}) == "equity"
    assert edge_kind({"kind": "jurisdiction"}) == "jurisdiction"


def test_without_sizes_the_best_connected_nodes_are_kept():
    g = nx.MultiDiGraph()
    for h in ("h1", "h2", "h3"):
        g.add_node(h, kind="hyperscaler")
    for k in range(50):
        g.add_node(f"s{k}", kind="lab")
        g.add_edge("h1", f"s{k}", kind="trade", good="compute")
    for major in ("s7", "s30"):  # majors buy from every cloud
        g.add_edge("h2", major, kind="trade", good="compute")
        g.add_edge("h3", major, kind="trade", good="compute")
    lay = compute_layout(g, seed=0, max_nodes=20, keep_per_kind=2)
    kept = {lay.labels[i] for i in range(len(lay.labels)) if lay.members[i] == 1}
    assert kept == {"h1", "h2", "h3", "s7", "s30"}
