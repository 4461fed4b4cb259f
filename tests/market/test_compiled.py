"""Compiled sums against numpy's own, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from market.compiled import add_reduce


@pytest.mark.parametrize("seed", range(4))
def test_add_reduce_is_numpys_sum_to_the_bit(seed: int) -> None:
    # lengths across every branch of numpy's pairwise sum (under 8, one block of up to
    # 128, halves of longer runs), magnitudes 22 decades apart so that the order of the
    # additions shows in the last bits
    rng = np.random.default_rng(seed)
    for n in [*range(20), 127, 128, 129, 135, 136, 255, 256, 257, 1000, 1031, 4096]:
        a = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 17, n)
        assert add_reduce(a) == np.add.reduce(a), n
        assert add_reduce(a[::-1].copy()) == np.add.reduce(a[::-1].copy()), n


def test_a_naive_running_sum_would_differ() -> None:
    # the oracle can tell: a left-to-right sum of these rounds differently
    a = np.array([1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1e16] * 3)
    running = 0.0
    for x in a:
        running += x
    assert add_reduce(a) == np.add.reduce(a) != running
