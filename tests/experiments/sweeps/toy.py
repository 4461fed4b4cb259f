"""A small deterministic toy model with known sensitivities, for testing the sweep machinery.

``y = 10 * a + 2 * a * b + noise`` with ``noise ~ N(0, 0.01)`` from the run's seed; the
parameter ``c`` has no effect at all. ``g`` is the monthly series ``a * month``;
``throttled_share`` is 0 or 0.1 depending on the noise's sign (a bounded share);
``unpriced`` is always empty (nan), as a price where nothing traded. A
``scenario`` whose name contains ``"boom"`` raises, as does ``a`` above ``fail_above``,
and any run but the dry run (seed 0) when ``fail_seeded`` is 1.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ToyResult", "toy_model", "toy_model_checked"]


@dataclass
class ToyResult:
    model_frame: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def toy_model(*, scenario: str, params: dict[str, Any], months: int, seed: int) -> ToyResult:
    """The toy model (see module docstring); sleeps ``TOY_SLEEP`` seconds if set."""
    if "boom" in scenario:
        raise RuntimeError(f"toy model refuses scenario {scenario!r}")
    a = float(params.get("a", 1.0))
    b = float(params.get("b", 0.0))
    c = float(params.get("c", 0.0))
    if a > float(params.get("fail_above", np.inf)):
        raise ValueError(f"a = {a} above fail_above")
    if params.get("fail_seeded") and seed != 0:
        raise ValueError(f"seed {seed}: fail_seeded")
    if os.environ.get("TOY_SLEEP"):
        time.sleep(float(os.environ["TOY_SLEEP"]))
    rng = np.random.default_rng(seed)
    offset = {"low": -1.0, "high": 1.0}.get(scenario, 0.0)
    month = np.arange(months)
    noise = rng.normal(0.0, 0.01, months)
    y = 10.0 * a + 2.0 * a * b + offset + noise + 0.0 * c
    share = np.where(noise > 0, 0.1, 0.0)  # a share that is 0 or 0.1 by the seed's noise
    frame = pd.DataFrame(
        {
            "month": month,
            "y": y,
            "g": a * month,
            "c_echo": c,
            "throttled_share": share,
            "unpriced": np.full(months, np.nan),
        }
    )
    deals = pd.DataFrame(
        {
            "month": np.repeat(month[-2:], 2),
            "deal": ["d1", "d2"] * 2,
            "round_trip_ratio": [a, 2 * a, a + 1, 2 * a + 1],
        }
    )
    return ToyResult(frame, {"deals": deals})


def toy_model_checked(
    *, scenario: str, params: dict[str, Any], months: int, seed: int, check: bool = True
) -> ToyResult:
    """The toy model, also reporting the ``check`` flag it was called with (column ``checked``)."""
    res = toy_model(scenario=scenario, params=params, months=months, seed=seed)
    res.model_frame["checked"] = float(check)
    return res
