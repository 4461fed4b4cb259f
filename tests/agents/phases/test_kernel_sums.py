"""The short-run sum of the phases' kernels against numpy's, bit for bit."""

from __future__ import annotations

import numpy as np

from agents.phases.kernel_sums import add_reduce_short


def test_add_reduce_short_is_numpys_sum_at_every_length() -> None:
    rng = np.random.default_rng(11)
    for n in [*range(0, 40), 127, 128, 129, 130, 255, 256, 257, 1000]:
        for _ in range(5):
            x = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)
            x[rng.random(n) < 0.2] = -0.0
            got = add_reduce_short(x)
            assert np.float64(got).tobytes() == np.add.reduce(x).tobytes(), n
    assert np.float64(add_reduce_short(np.full(3, -0.0))).tobytes() == np.float64(0.0).tobytes()
