"""Trade-network layout for the browser: computed once per run, seeded, scale-ready.

The trade graph is a supply chain, so the layout is layered rather than force-directed:
suppliers (utilities, chip vendors) on the left, hyperscalers in the middle, buyers (labs,
enterprise buyers) on the right, regulators above; within a column nodes are grouped by region.
It costs O(n) (Mesa's default network drawer runs ``nx.spring_layout`` twice, about 9 s at
2,000 nodes), it is identical for the same seed, and a person can read flows left to right.

In scale mode (thousands of small labs and buyers) the drawing would freeze, so the layout
keeps every node of the small kinds and the largest ``keep_per_kind`` nodes of each big kind,
and aggregates the rest into one node per (kind, region), e.g. "other labs (europe) ×1,204".
Flows on edges between aggregated nodes are summed every month.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "EDGE_KINDS",
    "KIND_COLUMNS",
    "DisplayGraph",
    "compute_layout",
    "edge_flows",
    "edge_good",
    "edge_kind",
    "node_kind",
    "node_label",
    "node_region",
    "node_size",
]

#: Column (x position) of each agent kind: supply on the left, demand on the right.
KIND_COLUMNS: dict[str, float] = {
    "utility": 0.0,
    "chip_vendor": 0.0,
    "regulator": 1.0,
    "hyperscaler": 1.0,
    "lab": 2.0,
    "buyer": 2.6,
}
#: Kinds stacked in a column's upper part (the rest fill the lower part).
_UPPER = {"utility", "regulator"}
_ALIASES = {
    "ailab": "lab",
    "ai_lab": "lab",
    "smalllab": "lab",
    "small_lab": "lab",
    "chipvendor": "chip_vendor",
    "vendor": "chip_vendor",
    "enterprise": "buyer",
    "enterprisebuyer": "buyer",
    "enterprise_buyer": "buyer",
    "cloud": "hyperscaler",
}
#: Edge kinds the drawing distinguishes; anything else is drawn as a trade link.
EDGE_KINDS = ("trade", "contract", "equity", "jurisdiction")


def _norm(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    return _ALIASES.get(key, _ALIASES.get(key.replace("_", ""), key))


def node_kind(node: Hashable, data: Mapping[str, Any]) -> str:
    """Agent type of a graph node, normalised (``utility``, ``lab``, ...).

    Reads the node attribute ``kind`` (or ``type``/``agent_type``), else the class name of the
    ``agent`` attribute, else of the node object itself (nodes may be Mesa agents).
    """
    for key in ("kind", "type", "agent_type"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return _norm(value)
    agent = data.get("agent", node)
    if isinstance(agent, str | int | np.integer):
        return "other"
    return _norm(type(agent).__name__)


def node_region(data: Mapping[str, Any]) -> str:
    """Region of a node, or ``""`` when it has none (vendors, labs)."""
    value = data.get("region")
    return "" if value is None else str(value)


def node_label(node: Hashable, data: Mapping[str, Any]) -> str:
    """Display name: the ``name``/``label`` attribute, else the node key."""
    for key in ("name", "label"):
        value = data.get(key)
        if value:
            return str(value)
    return str(getattr(node, "name", node))


def node_size(data: Mapping[str, Any], measure: str) -> float:
    """Size measure of a node: ``capacity`` (MW) or ``cash`` (USD); 0 when absent."""
    keys = ("capacity_mw", "capacity", "mw") if measure == "capacity" else ("cash", "cash_usd")
    for key in keys:
        value = data.get(key)
        if isinstance(value, int | float | np.number) and np.isfinite(value):
            return float(value)
    return 0.0


def edge_kind(data: Mapping[str, Any]) -> str:
    """``contract``, ``equity``, ``jurisdiction`` or ``trade`` (power, chips, compute links)."""
    value = str(data.get("kind", data.get("type", "trade"))).lower()
    if "contract" in value or value in {"ppa", "commitment", "supply"}:
        return "contract"
    if "equity" in value or "stake" in value:
        return "equity"
    if "jurisdiction" in value or "regulat" in value:
        return "jurisdiction"
    return "trade"


def edge_good(data: Mapping[str, Any]) -> str:
    """The good an edge carries (``power``, ``chips``, ``compute``), or ``""``."""
    value = data.get("good")
    if value:
        return str(value)
    kind = str(data.get("kind", ""))
    return kind if kind in {"power", "chips", "compute"} else ""


def _edge_flow(data: Mapping[str, Any]) -> float:
    # trade links carry ``flow``; contracts their monthly ``volume``; equity its ``invested``
    for key in ("flow_usd", "value", "flow", "volume", "invested", "share"):
        value = data.get(key)
        if isinstance(value, int | float | np.number) and np.isfinite(value):
            return abs(float(value))
    return 0.0


@dataclass
class DisplayGraph:
    """The drawn graph: display nodes (some aggregated) with fixed positions."""

    labels: list[str]
    kinds: list[str]
    regions: list[str]
    members: np.ndarray  # number of model nodes behind each display node
    x: np.ndarray
    y: np.ndarray
    index: dict[Hashable, int]  # model node -> display node
    aggregated: bool
    n_model_nodes: int
    other: dict[Hashable, int] = field(default_factory=dict)  # late nodes -> display node

    def locate(self, node: Hashable, data: Mapping[str, Any]) -> int | None:
        """Display node of a model node, including nodes added after the layout was made.

        A late node joins the aggregate of its (kind, region) if there is one, else any
        display node of its kind; it is dropped (None) when its kind was not drawn at all.
        """
        hit = self.index.get(node)
        if hit is not None:
            return hit
        if node in self.other:
            return self.other[node]
        kind, region = node_kind(node, data), node_region(data)
        best = None
        for i, (k, r) in enumerate(zip(self.kinds, self.regions, strict=True)):
            if k == kind and (r == region or best is None):
                best = i
                if r == region and self.members[i] > 1:
                    break
        if best is not None:
            self.other[node] = best
        return best


def compute_layout(
    graph: Any,
    seed: int = 0,
    max_nodes: int = 250,
    keep_per_kind: int = 12,
    sizes: Mapping[Hashable, float] | None = None,
) -> DisplayGraph:
    """Lay out a trade graph once; aggregate small buyers when it is too big to draw.

    Parameters
    ----------
    graph
        networkx graph whose nodes carry ``kind``/``region`` attributes (see :func:`node_kind`).
    seed
        Seeds the small jitter that keeps nodes of one column from overlapping exactly.
    max_nodes
        Above this many nodes, kinds with more than ``keep_per_kind`` members are aggregated.
    keep_per_kind
        Nodes of a big kind kept individually: the largest by ``sizes`` (e.g. cash), ties
        broken by degree (the major labs trade with every cloud, small ones with one).
    sizes
        Size of each node for that ranking; nodes missing here use their ``cash`` attribute.
    """
    sizes = sizes or {}
    rng = np.random.default_rng(seed)
    nodes = list(graph.nodes(data=True))
    by_kind: dict[str, list[tuple[Hashable, Mapping[str, Any]]]] = {}
    for node, data in nodes:
        by_kind.setdefault(node_kind(node, data), []).append((node, data))
    aggregate = len(nodes) > max_nodes

    labels: list[str] = []
    kinds: list[str] = []
    regions: list[str] = []
    members: list[int] = []
    index: dict[Hashable, int] = {}
    for kind in sorted(by_kind, key=lambda k: (KIND_COLUMNS.get(k, 3.0), k not in _UPPER, k)):
        group = sorted(by_kind[kind], key=lambda nd: (node_region(nd[1]), str(nd[0])))
        if aggregate and len(group) > keep_per_kind:
            ranked = sorted(
                group,
                key=lambda nd: (-sizes.get(nd[0], node_size(nd[1], "cash")), -graph.degree(nd[0])),
            )
            keep = {id(nd) for nd in ranked[:keep_per_kind]}
            rest: dict[str, list[Hashable]] = {}
            for nd in group:
                if id(nd) in keep:
                    index[nd[0]] = len(labels)
                    labels.append(node_label(*nd))
                    kinds.append(kind)
                    regions.append(node_region(nd[1]))
                    members.append(1)
                else:
                    rest.setdefault(node_region(nd[1]), []).append(nd[0])
            for region, rest_nodes in list(rest.items()):
                if len(rest_nodes) == 1:  # an aggregate of one is just that node
                    node = rest_nodes[0]
                    index[node] = len(labels)
                    labels.append(node_label(node, graph.nodes[node]))
                    kinds.append(kind)
                    regions.append(region)
                    members.append(1)
                    del rest[region]
            for region, rest_nodes in sorted(rest.items()):
                where = f" ({region})" if region else ""
                plural = "s" if not kind.endswith("s") else ""
                labels.append(f"other {kind.replace('_', ' ')}{plural}{where} ×{len(rest_nodes):,}")
                kinds.append(kind)
                regions.append(region)
                members.append(len(rest_nodes))
                for node in rest_nodes:
                    index[node] = len(labels) - 1
        else:
            for nd in group:
                index[nd[0]] = len(labels)
                labels.append(node_label(*nd))
                kinds.append(kind)
                regions.append(node_region(nd[1]))
                members.append(1)

    n = len(labels)
    x = np.zeros(n)
    y = np.zeros(n)
    kinds_arr = np.array(kinds, dtype=object)
    columns: dict[float, list[str]] = {}
    for kind in dict.fromkeys(kinds):
        columns.setdefault(KIND_COLUMNS.get(kind, 3.0), []).append(kind)
    for col, col_kinds in columns.items():
        upper = [k for k in col_kinds if k in _UPPER]
        lower = [k for k in col_kinds if k not in _UPPER]
        bands = [(upper, 0.0, 0.3 if lower else 1.0), (lower, 0.35 if upper else 0.0, 1.0)]
        for band_kinds, lo, hi in bands:
            idx = [i for i in range(n) if kinds_arr[i] in band_kinds]
            if not idx:
                continue
            # group by region inside the band, with a gap between regions
            idx.sort(
                key=lambda i: (band_kinds.index(kinds[i]), regions[i], members[i] > 1, labels[i])
            )
            slots = []
            pos = 0.0
            for j, i in enumerate(idx):
                if j and (regions[i] != regions[idx[j - 1]] or kinds[i] != kinds[idx[j - 1]]):
                    pos += 0.6
                slots.append(pos)
                pos += 1.0
            span = max(slots[-1], 1.0)
            for j, i in enumerate(idx):
                y[i] = lo + (hi - lo) * (slots[j] / span if len(idx) > 1 else 0.5)
                x[i] = col
    jitter = rng.uniform(-0.12, 0.12, size=n)
    x = x + jitter * (np.asarray(members) == 1)
    return DisplayGraph(
        labels=labels,
        kinds=kinds,
        regions=regions,
        members=np.asarray(members, dtype=np.int64),
        x=x,
        y=y,
        index=index,
        aggregated=aggregate,
        n_model_nodes=len(nodes),
    )


def edge_flows(
    graph: Any, layout: DisplayGraph
) -> dict[tuple[int, int, str, str], tuple[float, int]]:
    """This month's flow summed per (display source, display target, edge kind, good).

    Returns a mapping to ``(flow, count)``: the summed flow and the number of model edges.
    Self-loops created by aggregation (two members of one aggregate) are dropped.
    """
    out: dict[tuple[int, int, str, str], tuple[float, int]] = {}
    nodes = graph.nodes
    for u, v, data in graph.edges(data=True):
        a = layout.locate(u, nodes[u])
        b = layout.locate(v, nodes[v])
        if a is None or b is None or a == b:
            continue
        key = (a, b, edge_kind(data), edge_good(data))
        flow, count = out.get(key, (0.0, 0))
        out[key] = (flow + _edge_flow(data), count + 1)
    return out
