"""The world's state arrays: the newest released generation of a family."""

from __future__ import annotations

import numpy as np

from agents.state import Tech


def test_newest_generation_of_a_family_the_scenario_lacks_is_any_familys():
    # NVIDIA gens released at months 0 and 10, one TPU gen at 30; no Trainium at all
    t = Tech(
        names=("a", "b", "tpu"),
        family=np.array([0, 0, 2]),
        release=np.array([0, 10, 30]),
        h100e=np.ones(3),
        watts=np.ones(3),
        it_watts=np.ones(3),
        cost=np.ones(3),
    )
    assert t.newest(0, 12) == 1  # newest NVIDIA released by month 12
    assert t.newest(2, 12) == 2  # TPU not out yet: its pre-release generation
    assert t.newest(1, 12) == 1  # no Trainium: the newest of any family released by 12


def test_newest_generation_table_agrees_with_a_scan_of_the_arrays():
    # releases out of order, a shared release month, a family with none (1)
    t = Tech(
        names=("a", "b", "c", "tpu", "tpu2"),
        family=np.array([0, 0, 0, 2, 2]),
        release=np.array([10, -5, 10, 30, 4]),
        h100e=np.ones(5),
        watts=np.ones(5),
        it_watts=np.ones(5),
        cost=np.ones(5),
    )
    for f in (0, 1, 2, 7):
        for month in range(-10, 40):
            assert t.newest(f, month) == t._scan_newest(f, month)
    assert t.newest(0, 10) == 0  # two released at 10: the first
    assert [t.released(2, m) for m in (3, 4)] == [False, True]
    assert not t.released(1, 100)
