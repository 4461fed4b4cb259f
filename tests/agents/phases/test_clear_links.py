"""The clear phase's compute links: their costs and which labs they reach, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from agents.book_template import BookTemplate
from agents.lab import LabArrays, LabKind
from agents.phases.clear_links import compute_links, major_links


def test_major_link_costs(baseline):
    a = LabArrays(1, 3)
    a.kind[0], a.home[0], a.primary[0] = LabKind.MAJOR, 0, 0
    a.affinity[0] = [1.0, 0.5, 0.0]
    src, lab, cost = major_links(a, (2, 2, 3), baseline, egress_fee=0.25)
    lat, pen = baseline.latency_cost, baseline.lockin.platform_penalty_per_h100e_hour
    # 2 clouds x 2 regions x 3 families = 12 nodes; family 2 (affinity 0) has no link -> 8
    assert src.size == 8 and (lab == 0).all()
    got = dict(zip(src.tolist(), cost.tolist(), strict=True))
    # node (h, r, f) -> (h x 2 + r) x 3 + f
    assert got[0] == pytest.approx(0.0)  # home region, own cloud, fluent family
    assert got[1] == pytest.approx(0.5 * pen)  # half affinity
    assert got[3] == pytest.approx(lat)  # other region
    assert got[6 + 3 + 1] == pytest.approx(lat + 0.5 * pen + 0.25)  # all three
    a.exclusive_with[0] = 1
    src_x, _, _ = major_links(a, (2, 2, 3), baseline, egress_fee=0.25)
    assert sorted(src_x.tolist()) == [6, 7, 9, 10]  # only cloud 1's nodes


def test_each_lab_pays_its_own_egress_fee(baseline):
    # two labs on cloud 0, one homed under a fee ban (0.0), one paying 0.25: the link to
    # cloud 1's home-region fluent node (flat (1 x 2 + 0) x 3 + 0 = 6) costs the fee only
    a = LabArrays(2, 3)
    a.kind[:], a.home[:], a.primary[:] = LabKind.MAJOR, 0, 0
    a.affinity[:] = [1.0, 0.0, 0.0]
    src, lab, cost = major_links(a, (2, 2, 3), baseline, egress_fee=np.array([0.0, 0.25]))
    got = {(int(s), int(i)): c for s, i, c in zip(src, lab, cost, strict=True)}
    assert got[(6, 0)] == 0.0 and got[(6, 1)] == pytest.approx(0.25)


def _links_in_numpy(tpl, a, cfg, fee, selling):
    """The compute links as numpy's calls gave them before they were compiled."""
    pair_lab = tpl.pair_lab
    aff = a.affinity.ravel()[tpl.pair_affinity]
    excl = a.exclusive_with[pair_lab]
    keep = (
        a.active[pair_lab]
        & selling[tpl.pair_seller]
        & (aff > 0)
        & ((excl < 0) | (tpl.pair_cloud == excl))
    ).nonzero()[0]
    src, lab, cloud = tpl.pair_seller[keep], pair_lab[keep], tpl.pair_cloud[keep]
    cost = (
        cfg.latency_cost * (tpl.pair_region[keep] != a.home[lab])
        + cfg.lockin.platform_penalty_per_h100e_hour * (1.0 - aff[keep])
        + (fee[lab] if fee.ndim else fee) * (cloud != a.primary[lab])
    )
    return src, lab, cost, tpl.pair_dst[keep]


@pytest.mark.parametrize("seed", range(8))
def test_compute_links_are_numpys_to_the_bit(baseline, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, shape = 6, (3, 2, 3)
    a = LabArrays(n, 3)
    a.kind[:] = np.where(rng.random(n) < 0.8, LabKind.MAJOR, a.kind)
    a.home[:] = rng.integers(0, 2, n)
    a.primary[:] = rng.integers(0, 3, n)
    a.affinity[:] = rng.choice([0.0, 0.3, 1.0], (n, 3))
    a.exclusive_with[:] = rng.choice([-1, -1, 0, 2], n)
    tpl = BookTemplate.build(baseline, shape, [], a.major, a.affinity.shape[1])
    selling = rng.random(tpl.layout.n_sellers) < 0.7
    for fee in (np.float64(0.25), rng.random(n)):
        got = compute_links(tpl, a, baseline, fee, selling)
        want = _links_in_numpy(tpl, a, baseline, fee, selling)
        for g, w in zip(got, want, strict=True):
            assert g.tobytes() == np.asarray(w).tobytes()
