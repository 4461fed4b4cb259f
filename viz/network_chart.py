"""The ECharts option of the trade network: agents by kind and size, edges by flow.

Pure like :mod:`viz.charts`: the model's graph and a display layout
(:func:`viz.layout.compute_layout`) in, an ECharts ``graph`` option out, so it is tested
without a browser. Node colours tell agent kinds apart; edge colours, dashes and dots
tell trade (by good), contracts and equity stakes apart.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from viz.layout import DisplayGraph, edge_flows, node_size

__all__ = [
    "EDGE_STYLE",
    "GOOD_COLORS",
    "KIND_COLORS",
    "LABEL_STYLE",
    "NETWORK_ASPECT",
    "kind_label",
    "network_option",
]

KIND_COLORS = {
    "utility": "#e6a100",
    "chip_vendor": "#2ca02c",
    "hyperscaler": "#1f77b4",
    "lab": "#d62728",
    "buyer": "#ff9896",
    "regulator": "#7f7f7f",
}
#: (colour, ECharts line type, curveness) per edge kind; jurisdiction edges are not drawn.
EDGE_STYLE = {
    "trade": ("#8a8f98", "solid", 0.0),
    "contract": ("#1565c0", "dashed", 0.18),
    "equity": ("#8e24aa", "dotted", -0.18),
}
#: Trade links take the colour of the good they carry.
GOOD_COLORS = {"power": "#e0a020", "chips": "#43a047", "compute": "#78909c"}
#: Width : height of the network's drawing box at full page width (956 x 470 px, margins off).
NETWORK_ASPECT = 2.2
#: Node labels on a white ground: they are drawn above the links, and a thick link running
#: through a name would otherwise hide it.
LABEL_STYLE = {
    "position": "right",
    "fontSize": 9,
    "color": "#333",
    "backgroundColor": "rgba(255, 255, 255, 0.85)",
    "padding": [3, 4],
    "borderRadius": 2,
}


def kind_label(kind: str) -> str:
    """How the legend and the tooltips name an agent kind: ``chip_vendor`` -> ``chip vendor``."""
    return kind.replace("_", " ")


def network_option(
    graph: Any,
    layout: DisplayGraph,
    size_measure: str = "cash",
    month_label: str = "",
    values: Mapping[Hashable, float] | None = None,
) -> dict:
    """The trade network: nodes by agent type, sized by ``size_measure``, edges by flow.

    Node size is relative within a kind (a utility's MW and a lab's dollars are not
    comparable): ``8 + 28 * sqrt(size / largest of its kind)``, negative sizes as 0. Edge width is
    ``0.6 + 7 * sqrt(flow / largest flow of its kind and good)`` (contracts, by monthly
    volume, and equity stakes, by amount invested, start at 1.5); trade links without flow
    this month are drawn faint. Trade links are coloured by good (power, chips, compute);
    contracts are dashed, equity stakes dotted. Widths compare flows of one kind and good.
    ``values`` gives each model node's size (e.g. :meth:`viz.session.VizRun.node_values`);
    nodes missing there use their graph attributes.
    """
    values = values or {}
    n = len(layout.labels)
    sizes = np.zeros(n)
    nodes_data = graph.nodes
    for mapping in (layout.index, layout.other):
        for node, i in mapping.items():
            if node in values:
                sizes[i] += values[node]
            elif node in nodes_data:
                sizes[i] += node_size(nodes_data[node], size_measure)
    sizes = np.maximum(sizes, 0.0)  # negative cash (a lab in debt) is drawn at the minimum
    kinds = layout.kinds
    kind_max = {k: 0.0 for k in kinds}
    for i, k in enumerate(kinds):
        kind_max[k] = max(kind_max[k], sizes[i])
    categories = list(dict.fromkeys(kinds))
    # ECharts stretches the layout (and the node symbols with it) to fill the box; give the
    # coordinates the box's usual aspect (about 2.2 : 1 at full width) so circles stay round.
    x_span = 400.0 * float(np.ptp(layout.x)) if n else 1.0
    y_scale = max(x_span, 1.0) / NETWORK_ASPECT
    cat_index = {k: j for j, k in enumerate(categories)}
    unit = "MW" if size_measure == "capacity" else "$"
    nodes = []
    for i in range(n):
        top = kind_max[kinds[i]]
        rel = math.sqrt(sizes[i] / top) if top > 0 else 0.3
        nodes.append(
            {
                "id": str(i),
                "name": layout.labels[i],
                "x": round(float(layout.x[i]) * 400.0, 2),
                "y": round(float(layout.y[i]) * y_scale, 2),
                "value": round(float(sizes[i]), 2),
                "category": cat_index[kinds[i]],
                "symbolSize": round(8 + 28 * rel, 1),
                "symbol": "roundRect" if layout.members[i] > 1 else "circle",
                "tooltip": {
                    "formatter": f"{layout.labels[i]}<br/>{kind_label(kinds[i])} {layout.regions[i]}"
                    f"<br/>{size_measure}: {sizes[i]:,.0f} {unit}"
                },
            }
        )
    flows = edge_flows(graph, layout)
    flow_max: dict[tuple[str, str], float] = {}  # widths compare flows of one kind and good
    for (_, _, kind, good), (flow, _) in flows.items():
        flow_max[kind, good] = max(flow_max.get((kind, good), 0.0), flow)
    links = []
    for (a, b, kind, good), (flow, count) in sorted(flows.items()):
        if kind not in EDGE_STYLE:
            continue
        color, line_type, curve = EDGE_STYLE[kind]
        if kind == "trade":
            color = GOOD_COLORS.get(good, color)
        top = flow_max.get((kind, good), 0.0)
        rel = math.sqrt(flow / top) if top > 0 else 0.0
        faint = kind == "trade" and flow <= 0
        links.append(
            {
                "source": str(a),
                "target": str(b),
                "value": round(flow, 2),
                "lineStyle": {
                    "color": color,
                    "type": line_type,
                    "curveness": curve,
                    "width": round((0.6 if kind == "trade" else 1.5) + 7 * rel, 2),
                    "opacity": 0.15 if faint else 0.75,
                },
                "tooltip": {
                    "formatter": f"{layout.labels[a]} → {layout.labels[b]}<br/>{kind}"
                    f" {good} ×{count}: flow {flow:,.0f}"
                },
            }
        )
    subtitle = (
        "solid: spot flow this month (power amber, chips green, compute grey) · "
        "dashed: contract · dotted: equity stake"
    )
    if layout.aggregated:
        subtitle += f" · {layout.n_model_nodes:,} agents, small ones aggregated"
    return {
        "animation": False,
        "title": {
            "text": f"Trade network {month_label}".strip(),
            "subtext": subtitle,
            "left": 8,
            "top": 4,
            "textStyle": {"fontSize": 13},
            "subtextStyle": {"fontSize": 10},
        },
        "tooltip": {},
        "legend": {
            "data": [kind_label(k) for k in categories],
            "bottom": 2,
            "textStyle": {"fontSize": 10},
        },
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "roam": True,
                "top": 56,
                "bottom": 30,
                "left": 30,
                "right": 90,
                "categories": [
                    {"name": kind_label(k), "itemStyle": {"color": KIND_COLORS.get(k, "#17becf")}}
                    for k in categories
                ],
                "label": {"show": n <= 60, **LABEL_STYLE},
                "labelLayout": {"hideOverlap": True},
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": 5,
                "emphasis": {"focus": "adjacency"},
                "data": nodes,
                "links": links,
            }
        ],
    }
