"""The trade graph: agents as nodes; trade, contract, equity and jurisdiction edges.

A ``networkx.MultiDiGraph`` keyed by Mesa ``unique_id``. Node attributes: ``name``,
``kind`` (the agent's ``kind``). Edge keys and attributes:

- ``"power"``, ``"chips"``, ``"compute"``: ``kind="trade"``, ``good``, ``flow`` (last
  month's volume: MWh, units, H100e-hours); power edges carry ``region``.
- ``"contract-<row>"``: ``kind="contract"``, ``good``, ``row`` (contract table row),
  ``volume``, ``price``, ``exclusive``.
- ``"equity-<deal>"``: ``kind="equity"``, ``share``, ``invested``.
- ``"jurisdiction"``: ``kind="jurisdiction"`` from a regulator to a utility it governs.
"""

from __future__ import annotations

import networkx as nx

__all__ = ["add_equity_edge", "write_flows"]


def add_equity_edge(
    graph: nx.MultiDiGraph, investor_id: int, lab_id: int, deal: int, share: float, invested: float
) -> None:
    """Write (or update) a deal's equity stake on the graph."""
    graph.add_edge(
        investor_id, lab_id, key=f"equity-{deal}", kind="equity", share=share, invested=invested
    )


def write_flows(graph: nx.MultiDiGraph, flows: dict[tuple[int, int, str], float]) -> None:
    """Set ``flow`` on the trade edges ``(u, v, key)`` that exist."""
    for (u, v, key), flow in flows.items():
        if graph.has_edge(u, v, key):
            graph.edges[u, v, key]["flow"] = flow
