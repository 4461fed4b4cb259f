"""The parts of the monthly order book that stay the same through a run.

The ``clear`` phase assembles one :class:`market.book.OrderBook` a month
(:mod:`agents.phases.clear`). Its node numbering (:class:`agents.book_index.NodeLayout`),
the power links between utilities and sites, the chip links between vendors and
buyers, the bids of the non-AI load and the sites, the nodes of the major labs' bids and
the grid of every (seller node, major lab) pair a compute link may join depend only on
the scenario, the run's shape (clouds, regions, families), its vendors and which labs are
major or keep a second source, none of which changes from month to month.
:class:`BookTemplate` holds them as read-only arrays, built once; :class:`BookCache`,
one per run (the model keeps it beside its :class:`market.warm.Clearer`), hands the
template to each month's phase and builds a new one when the run's shape changed. The
month's quantities, prices and the compute links in use are filled in by the phase.

A major lab that keeps a second source (``max_cloud_share`` below 1) buys through one
homing node per cloud: its links from that cloud's seller nodes end there, and one
homing link carries their sum on to the lab's node, capped each month at what the lab
may still buy from that cloud (:func:`agents.phases.clear_links.homing_caps`). A limit on
the sum of several links is a capacity on one link of a network with an extra node, so the
book stays a transport problem; other labs' links go straight to their node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from agents.book_index import NodeLayout
from agents.chipvendor import ChipVendor
from agents.scenario import Scenario
from agents.state import BoolArray, FloatArray, IntArray
from agents.units import HOURS_PER_MONTH

__all__ = ["BookCache", "BookTemplate"]

VendorKey = tuple[tuple[int, int, int], ...]


def _frozen(arr: NDArray[Any]) -> NDArray[Any]:
    """``arr``, read-only (it is shared by every month's book)."""
    arr.flags.writeable = False
    return arr


def _homed(major: BoolArray, homed: BoolArray | None) -> BoolArray:
    """The major labs that buy through homing nodes: ``homed`` among ``major`` (none if not
    given)."""
    out: BoolArray = np.zeros(major.size, dtype=bool) if homed is None else homed & major
    return out


@dataclass(frozen=True)
class BookTemplate:
    """Fixed parts of a run's monthly book (see the module docstring).

    Link costs follow the ``clear`` phase: power flows within a region free and
    uncapped, across regions at ``power.transmission_cost`` up to
    ``power.transmission_cap_mw``; chip links are free and uncapped.
    """

    cfg: Scenario
    shape: tuple[int, int, int]
    """``(H, R, F)``: clouds, regions, chip families."""
    vendors: VendorKey
    """``(index, family, owner)`` of each vendor."""
    n_affinity: int
    """Columns of the labs' affinity table."""
    layout: NodeLayout
    major: BoolArray
    """Which lab rows are major."""
    homed: BoolArray
    """Which lab rows are major labs with homing nodes (``max_cloud_share`` below 1)."""
    majors: IntArray
    """Rows of the major labs."""
    rest: IntArray
    """Rows of the other labs and buyers (pooled by the node they buy at)."""
    offer_tail: IntArray
    """Nodes of the vendors' and the compute sellers' offers (after the utilities')."""
    bid_head: IntArray
    """Nodes of the bids of non-AI load, sites, chip buyers and major labs (inference,
    then training tranche-major)."""
    bid_price_head: FloatArray
    """Prices of the non-AI load's and the sites' bids."""
    p_util: IntArray
    """Power links: source utility (region)."""
    p_site: IntArray
    """Power links: destination site (flat ``h x R + r``)."""
    v_src: IntArray
    """Chip links: vendor."""
    v_dst: IntArray
    """Chip links: buying node (flat ``h x F + f``)."""
    link_src_head: IntArray
    link_dst_head: IntArray
    link_cost_head: FloatArray
    link_cap_head: FloatArray
    """Power then chip links: nodes, costs, capacities."""
    pair_seller: IntArray
    pair_lab: IntArray
    """Every (seller node, major lab) pair, seller-major: the compute links that may be."""
    pair_cloud: IntArray
    pair_region: IntArray
    pair_family: IntArray
    """Cloud, region and family of each pair's seller node."""
    pair_affinity: IntArray
    """Flat index of each pair's (lab, family) in the labs' affinity table."""
    pair_dst: IntArray
    """Node each pair's link ends at: the lab's, or its homing node for the seller's cloud."""
    home_src: IntArray
    home_dst: IntArray
    """Homing links: from each homing node (homed lab by homed lab, clouds in order) to its
    lab's node."""
    home_lab: IntArray
    home_cloud: IntArray
    """Lab row and cloud of each homing link."""
    node_cloud: IntArray
    node_region: IntArray
    node_family: IntArray
    """Cloud, region and family of each seller node (flat ``(h, r, f)``)."""
    no_bound: FloatArray
    """``np.inf`` for every compute and pool link there may be (capacities to slice)."""
    tranche_decay: FloatArray
    """``floor^(k / (steps - 1))`` of each training tranche ``k``: its bid over the top
    bid (:func:`agents.training_bids.training_bid_schedule`)."""
    pairs: IntArray
    """(6, pairs): ``pair_seller``, ``pair_lab``, ``pair_cloud``, ``pair_region``,
    ``pair_affinity`` and ``pair_dst`` as rows of one array (one argument of a compiled
    call)."""
    link_head_nodes: IntArray
    """(2, power and chip links): ``link_src_head`` and ``link_dst_head`` as rows."""
    link_head_values: FloatArray
    """(2, power and chip links): ``link_cost_head`` and ``link_cap_head`` as rows."""
    home_links: IntArray
    """(2, homing links): ``home_src`` and ``home_dst`` as rows."""
    merit: list[IntArray] = field(default_factory=list, compare=False, repr=False)
    """The utilities' units in merit order last month, read-only, if known: where the
    ``clear`` phase's sort starts (:func:`agents.phases.clear_contracts.merit_order`)."""

    @classmethod
    def build(
        cls,
        cfg: Scenario,
        shape: tuple[int, int, int],
        vendors: Sequence[ChipVendor],
        major: BoolArray,
        n_families_labs: int,
        homed: BoolArray | None = None,
    ) -> BookTemplate:
        """The template of a run of ``shape`` with these vendors and major labs.

        ``major`` flags the major labs' rows; ``n_families_labs`` is the width of the
        labs' affinity table; ``homed`` flags the major labs that buy through homing nodes
        (default none).
        """
        majors, rest = np.flatnonzero(major), np.flatnonzero(~major)
        homed = _homed(major, homed)
        homed_rows = np.flatnonzero(homed)
        n_h, n_r, n_f = shape
        n_v = len(vendors)
        lay = NodeLayout(n_r, n_h, n_f, n_v, int(majors.size), int(homed_rows.size))
        n_s = lay.n_sellers
        ar = np.arange
        # power: every utility to every site; free within the region, capped across
        u_grid, s_grid = np.meshgrid(ar(n_r), ar(n_h * n_r), indexing="ij")
        p_util, p_site = u_grid.ravel(), s_grid.ravel()
        same = (p_site % n_r) == p_util
        p_cost = np.where(same, 0.0, cfg.power.transmission_cost)
        p_cap = np.where(same, np.inf, cfg.power.transmission_cap_mw * HOURS_PER_MONTH)
        pairs = [
            (v.index, h * n_f + v.family)
            for v in vendors
            for h in range(n_h)
            if v.owner < 0 or v.owner == h
        ]
        v_src = np.array([p[0] for p in pairs], dtype=np.int64)
        v_dst = np.array([p[1] for p in pairs], dtype=np.int64)
        hg, rg, fg = np.meshgrid(ar(n_h), ar(n_r), ar(n_f), indexing="ij")
        h, r, f = hg.ravel(), rg.ravel(), fg.ravel()
        sg, lg = np.meshgrid(ar(n_s), majors, indexing="ij")
        pair_seller, pair_lab = sg.ravel(), lg.ravel()
        d = cfg.demand
        steps = d.training_bid_steps
        decay = d.training_bid_floor ** (ar(max(steps, 1)) / max(steps - 1.0, 1.0))
        lab_nodes = lay.lab0 + majors
        # homing: position of each homed lab among them, -1 for the others
        home_pos = np.full(major.size, -1, dtype=np.int64)
        home_pos[homed_rows] = ar(homed_rows.size)
        pos = home_pos[pair_lab]
        pair_dst = np.where(pos >= 0, lay.home0 + pos * n_h + h[pair_seller], lay.lab0 + pair_lab)
        home_lab, home_cloud = np.repeat(homed_rows, n_h), np.tile(ar(n_h), homed_rows.size)
        i64 = np.int64
        fz = _frozen
        link_src_head = np.concatenate([p_util, lay.vendor0 + v_src]).astype(i64)
        link_dst_head = np.concatenate([lay.site0 + p_site, lay.chipbuyer0 + v_dst]).astype(i64)
        link_cost_head = np.concatenate([p_cost, np.zeros(v_src.size)])
        link_cap_head = np.concatenate([p_cap, np.full(v_src.size, np.inf)])
        pair_parts = (
            pair_seller,
            pair_lab,
            h[pair_seller],
            r[pair_seller],
            pair_lab * n_families_labs + f[pair_seller],
            pair_dst,
        )
        pair_rows = np.array(pair_parts, dtype=i64).reshape(6, pair_seller.size)
        home_src = lay.home0 + ar(home_lab.size, dtype=i64)
        home_dst = (lay.lab0 + home_lab).astype(i64)
        return cls(
            cfg=cfg,
            shape=shape,
            vendors=tuple((v.index, v.family, v.owner) for v in vendors),
            n_affinity=n_families_labs,
            layout=lay,
            major=fz(major.copy()),
            homed=fz(homed.copy()),
            majors=fz(majors.astype(i64)),
            rest=fz(rest.astype(i64)),
            offer_tail=fz(np.concatenate([lay.vendor0 + ar(n_v), lay.seller0 + ar(n_s)])),
            bid_head=fz(
                np.concatenate(
                    [
                        ar(n_r),
                        lay.site0 + ar(n_h * n_r),
                        lay.chipbuyer0 + ar(n_h * n_f),
                        lab_nodes,
                        np.tile(lab_nodes, decay.size),
                    ]
                ).astype(i64)
            ),
            bid_price_head=fz(
                np.concatenate(
                    [
                        np.full(n_r, cfg.power.non_ai_bid),
                        np.full(n_h * n_r, cfg.power.datacentre_bid),
                    ]
                )
            ),
            p_util=fz(p_util.astype(i64)),
            p_site=fz(p_site.astype(i64)),
            v_src=fz(v_src),
            v_dst=fz(v_dst),
            link_src_head=fz(link_src_head),
            link_dst_head=fz(link_dst_head),
            link_cost_head=fz(link_cost_head),
            link_cap_head=fz(link_cap_head),
            pair_seller=fz(pair_seller.astype(i64)),
            pair_lab=fz(pair_lab.astype(i64)),
            pair_cloud=fz(h[pair_seller]),
            pair_region=fz(r[pair_seller]),
            pair_family=fz(f[pair_seller]),
            pair_affinity=fz(pair_lab * n_families_labs + f[pair_seller]),
            pair_dst=fz(pair_dst.astype(i64)),
            home_src=fz(home_src),
            home_dst=fz(home_dst),
            home_lab=fz(home_lab.astype(i64)),
            home_cloud=fz(home_cloud.astype(i64)),
            node_cloud=fz(h),
            node_region=fz(r),
            node_family=fz(f),
            no_bound=fz(np.full(pair_seller.size + n_s, np.inf)),
            tranche_decay=fz(decay),
            pairs=fz(pair_rows),
            link_head_nodes=fz(np.array([link_src_head, link_dst_head]).reshape(2, -1)),
            link_head_values=fz(np.array([link_cost_head, link_cap_head]).reshape(2, -1)),
            home_links=fz(np.array([home_src, home_dst], dtype=i64).reshape(2, -1)),
        )


class BookCache:
    """A run's :class:`BookTemplate`, built on first use and whenever the run's shape changes."""

    def __init__(self) -> None:
        self._template: BookTemplate | None = None
        self._key: tuple[object, ...] = ()
        """What the template was built for besides the scenario: the shape, the vendors,
        the affinity table's width, and the shape, types and bytes of ``major`` and
        ``homed``."""

    def template(
        self,
        cfg: Scenario,
        shape: tuple[int, int, int],
        vendors: Sequence[ChipVendor],
        major: BoolArray,
        n_families_labs: int,
        homed: BoolArray | None = None,
    ) -> BookTemplate:
        """The template for this scenario, shape, vendors, major labs (``major``) and
        labs with homing nodes (``homed``, default none)."""
        homed = _homed(major, homed)
        vendor_key = tuple((v.index, v.family, v.owner) for v in vendors)
        key: tuple[object, ...] = (shape, vendor_key, n_families_labs, major.shape)
        key += (major.dtype, homed.dtype, major.tobytes(), homed.tobytes())
        t = self._template
        if t is None or t.cfg is not cfg or key != self._key:
            t = self._template = BookTemplate.build(
                cfg, shape, vendors, major, n_families_labs, homed
            )
            self._key = key
        return t
