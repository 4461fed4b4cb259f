"""The clear phase's compute links: their costs and which labs they reach, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from agents.lab import LabArrays, LabKind
from agents.phases.clear_links import major_links


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
