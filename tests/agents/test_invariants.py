"""The invariant checks' closeness test decides as ``np.allclose`` (the oracle)."""

from __future__ import annotations

import numpy as np

from agents.invariants import _allclose


def test_closeness_is_numpys_allclose() -> None:
    rng = np.random.default_rng(3)
    special = np.array([0.0, 1e-3, -1e-3, np.nan, np.inf, -np.inf, 1e300])
    for _ in range(300):
        n = int(rng.integers(1, 6))
        a = rng.normal(0.0, 1e3, n)
        b = a * (1.0 + rng.choice([0.0, 1e-12, 1e-7, 1e-5], n)) + rng.choice([0.0, 1e-4, 1e-2], n)
        if rng.random() < 0.3:
            a[rng.integers(n)] = rng.choice(special)
        if rng.random() < 0.3:
            b[rng.integers(n)] = rng.choice(special)
        for rtol, atol in ((1e-6, 1e-3), (1e-9, 1e-6)):
            assert _allclose(a, b, rtol, atol) == np.allclose(a, b, rtol=rtol, atol=atol)
