"""The tie-sensitivity diagnostic's summary against hand-computed figures."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.tie_sensitivity import summarise


def test_summary_of_paired_runs_by_hand() -> None:
    # three seeds, one month: the other setting moves the second and third runs
    ref = {"x": np.array([[10.0], [20.0], [30.0]])}
    other = {"x": np.array([[10.0], [22.0], [27.0]])}
    row = summarise(ref, other, months=(5,)).iloc[0]
    assert row["month"] == 5 and row["mean"] == pytest.approx(20.0)
    assert row["seed_cv"] == pytest.approx(10.0 / 20.0)  # sample sd of 10, 20, 30 is 10
    # per-run changes 0, 2/22, 3/30
    assert row["run_change_median"] == pytest.approx(2.0 / 22.0)
    assert row["run_change_max"] == pytest.approx(0.1)
    assert row["runs_changed"] == 2
    # differences 0, 2, -3: mean -1/3, sample sd sqrt(19/3), over the mean 20
    assert row["mean_shift"] == pytest.approx(-1.0 / 3.0 / 20.0)
    assert row["shift_se"] == pytest.approx(np.sqrt(19.0 / 3.0) / np.sqrt(3.0) / 20.0)
