"""The short-row sum of the compiled phases against numpy's, to the bit."""

from __future__ import annotations

import numpy as np

from agents.kernel_sums import row_sum


def test_row_sum_is_numpys_sum_of_rows_of_every_length_to_past_a_block() -> None:
    rng = np.random.default_rng(3)
    for n in [*range(140), *range(248, 272), 300, 511, 600, 1000]:
        for _ in range(20):
            a = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
            a[rng.random(n) < 0.2] = 0.0
            assert row_sum(a) == np.add.reduce(a)
            strided = np.repeat(a, 2)[::2]  # a row that is not contiguous
            assert row_sum(strided) == np.add.reduce(strided)
    negative_zeros = np.full(9, -0.0)
    assert np.signbit(row_sum(negative_zeros)) == np.signbit(np.add.reduce(negative_zeros))
