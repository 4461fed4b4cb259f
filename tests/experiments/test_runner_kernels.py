"""A run's numbers do not hang on which vector kernels NumPy picks for the processor.

NumPy chooses its SIMD kernels at import (AVX-512, AVX2 or the baseline), and their results
can differ in the last bits (exp, log and sums among them). A model whose path turned on
such a bit (a threshold met or missed by a rounding) would give different histories on
different machines from the same seed. Here the same run is made twice, once as NumPy
chooses and once in a process with every kernel above NumPy's baseline build turned off
(``NPY_DISABLE_CPU_FEATURES``, NumPy's runtime dispatch switch), and every number of the
monthly frame must agree to 1e-9 of its column's scale: last-bit noise passes (about 2e-13
relative over these runs), a flipped decision does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy._core._multiarray_umath import __cpu_dispatch__ as DISPATCH
from numpy._core._multiarray_umath import __cpu_features__ as CPU_FEATURES

from experiments import run_scenario
from experiments.scenarios import load_scenario

_ABOVE_BASELINE = [t for t in DISPATCH if CPU_FEATURES.get(t)]
"""The kernels NumPy dispatches to on this processor beyond its baseline build (in NumPy
2.5 on x86: ``X86_V3``, AVX2 and FMA; ``X86_V4`` and ``AVX512_ICL``, AVX-512)."""

_CHILD = """
import sys
from numpy._core._multiarray_umath import __cpu_features__ as on
from experiments import run_scenario
from experiments.scenarios import load_scenario
res = run_scenario(load_scenario({name!r}), months={months}, rng={seed})
res.model_frame.to_pickle(sys.argv[1])
print(sorted(t for t in {targets!r} if on.get(t)))
"""


@pytest.mark.parametrize(("name", "months"), [("history-2023", 36), ("baseline", 24)])
def test_a_run_agrees_with_itself_under_other_vector_kernels(
    name: str, months: int, tmp_path: Path
) -> None:
    if not _ABOVE_BASELINE:
        pytest.skip("NumPy runs its baseline kernels here: no other kernels to compare")
    out = tmp_path / "frame.pkl"
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD.format(name=name, months=months, seed=7, targets=_ABOVE_BASELINE),
            str(out),
        ],
        env={**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(_ABOVE_BASELINE)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.splitlines()[-1] == "[]"  # the other run had them all off
    other = pd.read_pickle(out)
    here = run_scenario(load_scenario(name), months=months, rng=7).model_frame
    assert list(other.columns) == list(here.columns)
    for col in here.select_dtypes("number").columns:
        a, b = here[col].to_numpy(float), other[col].to_numpy(float)
        scale = float(np.nanmax(np.abs(a), initial=0.0))
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9 * scale, equal_nan=True, err_msg=col)
