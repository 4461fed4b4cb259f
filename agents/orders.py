"""The ``orders`` phase: every agent's offers and bids, and the month's order book.

One book holds all spot markets (DESIGN.md, "The clearing kernel"): power (utility
nodes to data-centre sites, with transmission links between regions), chips (vendors
to hyperscalers; captive vendors only to their owner) and compute (hyperscaler
region-family nodes to labs, with link costs for latency, platform switching and
egress). Links always run from seller nodes to buyer nodes (a bipartite book).

Scale mode: small labs and enterprise buyers buy at one seller node each (their home
region, their chip family, their provider); identical bids at one node are pooled into
one bid per node (same price, summed quantity), which leaves the clearing's welfare and
prices unchanged; fills are shared back pro rata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.lab import KIND_ENTERPRISE, KIND_MAJOR
from agents.utility import HOURS_PER_MONTH

if TYPE_CHECKING:
    from agents.model import GigawattModel

__all__ = ["Gross", "Layout", "assemble_orders", "choose_nodes"]


@dataclass(frozen=True)
class Layout:
    """Node numbering of the monthly book."""

    n_r: int
    n_h: int
    n_f: int
    n_v: int
    n_major: int

    @property
    def site0(self) -> int:
        return self.n_r

    @property
    def vendor0(self) -> int:
        return self.site0 + self.n_h * self.n_r

    @property
    def chipbuyer0(self) -> int:
        return self.vendor0 + self.n_v

    @property
    def seller0(self) -> int:
        return self.chipbuyer0 + self.n_h * self.n_f

    @property
    def n_sellers(self) -> int:
        return self.n_h * self.n_r * self.n_f

    @property
    def lab0(self) -> int:
        return self.seller0 + self.n_sellers

    @property
    def pool0(self) -> int:
        return self.lab0 + self.n_major

    @property
    def n_nodes(self) -> int:
        return self.pool0 + self.n_sellers


@dataclass
class Gross:
    """Offers and bids before contracts are settled."""

    unit_util: np.ndarray
    unit_qty: np.ndarray
    unit_price: np.ndarray
    non_ai_qty: np.ndarray
    site_use: np.ndarray  # (H, R, F) expected H100e-hours to run
    site_need: np.ndarray  # (H, R) MWh
    vendor_qty: np.ndarray
    vendor_price: np.ndarray
    compute_qty: np.ndarray  # (H, R, F)
    compute_price: np.ndarray  # (H, R, F)
    small_node: np.ndarray  # seller node (flat h, r, f) chosen by each non-major buyer


def choose_nodes(model: GigawattModel) -> np.ndarray:
    """Each non-major buyer's seller node: cheapest provider for its family at home.

    The landed price is last month's node price plus the egress fee when leaving
    the current provider; providers without that family at home are skipped.
    """
    a = model.labs
    rest = np.flatnonzero(a.kind != KIND_MAJOR)
    if rest.size == 0:
        return np.zeros(0, dtype=np.int64)
    price = model.node_price_last  # (H, R, F)
    cap = model.node_capacity
    p = np.where(cap > 0, price, np.inf)[:, a.home[rest], a.family[rest]].T  # (k, H)
    p = p + model.egress_fee * (np.arange(model.n_h)[None, :] != a.primary[rest][:, None])
    best = np.argmin(p, axis=1)
    ok = np.isfinite(p[np.arange(rest.size), best])
    a.primary[rest] = np.where(ok, best, a.primary[rest])
    h = a.primary[rest]
    return (h * model.n_r + a.home[rest]) * model.n_f + a.family[rest]


def assemble_orders(model: GigawattModel) -> Gross:
    """Gather every agent's offers and bids for this month (before contracts)."""
    m, _cfg = model, model.config
    t = m.month
    units = [u.offers(t) for u in m.utilities]
    unit_util = np.concatenate([np.full(len(q), i) for i, (q, _) in enumerate(units)])
    unit_qty = np.concatenate([q for q, _ in units])
    unit_price = np.concatenate([p for _, p in units])
    non_ai = np.array([u.non_ai_load_mw * HOURS_PER_MONTH for u in m.utilities])
    cap = m.node_capacity
    contracted = m._contracted_h100e_hours(t)  # (H, F)
    share_r = np.divide(
        cap,
        cap.sum(axis=1, keepdims=True),
        out=np.zeros_like(cap),
        where=cap.sum(axis=1, keepdims=True) > 0,
    )
    use = np.minimum(cap, 1.3 * m.node_sold + 0.1 * cap + contracted[:, None, :] * share_r)
    need = (use * m.node_mwh).sum(axis=2)
    vendor_qty = np.array([v.capacity for v in m.vendors])
    vendor_price = np.array([v.offer_price() for v in m.vendors])
    return Gross(
        unit_util,
        unit_qty,
        unit_price,
        non_ai,
        use,
        need,
        vendor_qty,
        vendor_price,
        cap.copy(),
        m.node_cost.copy(),
        choose_nodes(m),
    )


def major_link_costs(model: GigawattModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Links from every seller node to every active major lab, with their costs.

    Cost = ``latency_cost`` outside the lab's home region + ``platform_penalty`` x
    (1 - affinity to the node's chip family) + the egress fee (as capped by the
    regulators) when buying away from the lab's primary provider. Labs bound by an
    exclusive contract link only to that provider.
    """
    m, cfg, a = model, model.config, model.labs
    majors = np.flatnonzero((a.kind == KIND_MAJOR) & a.active)
    h, r, f = np.meshgrid(np.arange(m.n_h), np.arange(m.n_r), np.arange(m.n_f), indexing="ij")
    h, r, f = h.ravel(), r.ravel(), f.ravel()
    seller = np.arange(h.size)
    S, L = np.meshgrid(seller, majors, indexing="ij")
    S, L = S.ravel(), L.ravel()
    cost = (
        cfg.latency_cost * (r[S] != a.home[L])
        + cfg.lockin.platform_penalty_per_h100e_hour * (1.0 - a.affinity[L, f[S]])
        + m.egress_fee * (h[S] != a.primary[L])
    )
    excl = a.exclusive_with[L]
    keep = ((excl < 0) | (h[S] == excl)) & (a.affinity[L, f[S]] > 0)
    return S[keep], L[keep], cost[keep]


def enterprise_mask(model: GigawattModel) -> np.ndarray:
    return model.labs.kind == KIND_ENTERPRISE
