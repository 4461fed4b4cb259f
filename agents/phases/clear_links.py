"""Phase 5, ``clear`` (links): the compute links of the month's book and its homing links' caps.

Compute flows from every seller node to every active major lab at a cost of
``latency_cost`` outside the lab's home region, ``lockin.platform_penalty`` x (1 - affinity
to the node's family), and the lab's egress fee away from its primary cloud; labs bound by
an exclusive contract link only to that cloud. A lab that keeps a second source
(``max_cloud_share`` below 1) buys from each cloud through a homing node, whose link on to
the lab carries at most that share of the lab's planned compute less what its contracts
with the cloud deliver this month (:func:`homing_caps`). The pairs a link may join and the
homing nodes are the run's :class:`agents.book_template.BookTemplate`.
"""

from __future__ import annotations

import numpy as np

from agents.book_template import BookTemplate
from agents.lab import LabArrays
from agents.phases.clear_contracts import ContractAllocation
from agents.scenario import Scenario
from agents.state import BoolArray, FloatArray, IntArray
from market.compiled import compiled
from market.contracts import ContractTable

__all__ = ["compute_links", "homing_caps", "link_pairs", "major_links"]


def major_links(
    labs: LabArrays, shape: tuple[int, int, int], cfg: Scenario, egress_fee: FloatArray | float
) -> tuple[IntArray, IntArray, FloatArray]:
    """Links from every seller node to every active major lab, with their costs.

    ``egress_fee`` is per lab (its home regulators' cap) or one number for all.
    """
    tpl = BookTemplate.build(cfg, shape, [], labs.major, labs.affinity.shape[1])
    src, lab, cost, _ = compute_links(
        tpl, labs, cfg, egress_fee, np.ones(tpl.layout.n_sellers, dtype=bool)
    )
    return src, lab, cost


def compute_links(
    tpl: BookTemplate,
    labs: LabArrays,
    cfg: Scenario,
    egress_fee: FloatArray | float,
    selling: BoolArray,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Compute links of the seller nodes flagged ``selling`` (see :func:`major_links`).

    Every (seller node, active major lab) pair whose lab can run the node's family and is
    not bound to another cloud, seller-major, with its cost: ``latency_cost`` outside the
    lab's home region, plus ``platform_penalty x (1 - affinity)``, plus the lab's egress
    fee away from its primary cloud; and the node each ends at.
    """
    a = labs
    fee = np.asarray(egress_fee, dtype=float)  # per lab, or one for all
    return link_pairs(
        tpl.pair_seller, tpl.pair_lab, tpl.pair_cloud, tpl.pair_region, tpl.pair_affinity,
        tpl.pair_dst, a.affinity.ravel(), a.exclusive_with, a.active, a.home, a.primary,
        fee if fee.ndim else np.full(a.n, float(fee)), selling,
        float(cfg.latency_cost), float(cfg.lockin.platform_penalty_per_h100e_hour),
    )  # fmt: skip


@compiled
def link_pairs(
    pair_seller: IntArray,
    pair_lab: IntArray,
    pair_cloud: IntArray,
    pair_region: IntArray,
    pair_affinity: IntArray,
    pair_dst: IntArray,
    affinity: FloatArray,
    exclusive_with: IntArray,
    active: BoolArray,
    home: IntArray,
    primary: IntArray,
    fee: FloatArray,
    selling: BoolArray,
    latency_cost: float,
    platform_penalty: float,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """:func:`compute_links` of the template's pairs in one pass: the pairs kept in order,
    each cost ``latency x (away) + penalty x (1 - affinity) + fee x (not primary)`` added
    left to right as numpy adds the three arrays."""
    n = pair_seller.size
    keep = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        lab, aff = pair_lab[i], affinity[pair_affinity[i]]
        excl = exclusive_with[lab]
        if (
            active[lab]
            and selling[pair_seller[i]]
            and aff > 0
            and (excl < 0 or pair_cloud[i] == excl)
        ):
            keep[k] = i
            k += 1
    keep = keep[:k]
    cost = np.empty(k)
    for m in range(k):
        i = keep[m]
        lab = pair_lab[i]
        away = latency_cost * (pair_region[i] != home[lab])
        lock = platform_penalty * (1.0 - affinity[pair_affinity[i]])
        cost[m] = away + lock + fee[lab] * (pair_cloud[i] != primary[lab])
    return pair_seller[keep], pair_lab[keep], cost, pair_dst[keep]


def homing_caps(
    tpl: BookTemplate, labs: LabArrays, alloc: ContractAllocation, contracts: ContractTable
) -> FloatArray:
    """What each homing link may carry this month: the lab's limit on one cloud, less its
    contracts' deliveries from that cloud.

    The limit is ``max_cloud_share`` times the lab's planned compute, the inference and
    training it plans at the expected price (its needs, before its training bid's lower
    tranches); a lab bound by an exclusive contract has none, as it buys from one cloud by
    contract ([est-multi-homing]).

    >>> from types import SimpleNamespace as NS
    >>> tpl = NS(home_lab=np.array([0, 0]), home_cloud=np.array([0, 1]), shape=(2, 1, 1))
    >>> labs = NS(n=1, max_cloud_share=np.array([0.6]), inference_need=np.array([70.0]),
    ...           training_need=np.array([30.0]), exclusive_with=np.array([-1]))
    >>> alloc = NS(compute_rows=np.array([0]), compute_alloc=np.array([[50.0]]))
    >>> ct = NS(buyer=np.array([0]), seller=np.array([1]))
    >>> homing_caps(tpl, labs, alloc, ct).tolist()  # 60 from each, less 50 by contract
    [60.0, 10.0]
    """
    n_h = tpl.shape[0]
    lab, cloud = tpl.home_lab, tpl.home_cloud
    rows = alloc.compute_rows
    by_contract = np.bincount(
        contracts.buyer[rows] * n_h + contracts.seller[rows],
        np.add.reduce(alloc.compute_alloc, axis=1),
        minlength=labs.n * n_h,
    )[lab * n_h + cloud]
    planned = labs.inference_need[lab] + labs.training_need[lab]
    cap = np.maximum(0.0, labs.max_cloud_share[lab] * planned - by_contract)
    out: FloatArray = np.where(labs.exclusive_with[lab] >= 0, np.inf, cap)
    return out
