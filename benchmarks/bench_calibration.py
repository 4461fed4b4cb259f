"""Calibration benchmarks: model runs per second, acceptance and wall time of ABC-SMC.

Measured side by side in one process, on the shipped targets and priors (history-2023):

- ``direct``: the calibration's simulator (:class:`experiments.calibration.model.HistoryModel`)
  called in a loop at prior draws: the cost of one model run with its statistics.
- ``calibrate, N workers``: :func:`experiments.calibrate` with a small budget on the seeded
  multicore sampler (1 and 2 processes; the same posterior, so only speed differs).
- ``calibrate, Dask local 2``: the same budget on pyabc's Dask sampler, a LocalCluster of 2
  single-threaded workers on 127.0.0.1 (cluster start-up included in the wall time).

``runs/s`` counts every model run (prior sample, rejected proposals, accepted particles)
over pyabc's sampling time (its per-generation wall time); ``wall s`` is the whole call
(imports, a check run, database, figures, and for Dask the cluster start). ``speed-up`` is
runs/s over the 1-worker calibration's. ``--quick``: fewer particles.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.options import parser

__all__ = ["main"]


def _direct(n: int) -> float:
    from experiments.calibration import load_priors, load_targets
    from experiments.calibration.model import HistoryModel

    pri = load_priors()
    model = HistoryModel("history-2023", load_targets(), pri, 0)
    rng = np.random.default_rng(0)
    draws = [
        {p: float(pr.quantile(rng.random())) for p, pr in pri.parameters.items()} for _ in range(n)
    ]
    model(draws[0])  # warm: scenario cache, imports
    start = time.perf_counter()
    for d in draws:
        model(d)
    return n / (time.perf_counter() - start)


def _calibrate(
    root: Path, name: str, particles: int, generations: int, **kw: object
) -> dict[str, object]:
    from experiments import calibrate

    start = time.perf_counter()
    res = calibrate(out=root / name, particles=particles, generations=generations, seed=1, **kw)
    wall = time.perf_counter() - start
    g = res.generations
    runs = int(g["model_runs"].sum())
    sampling = float(g["wall_time"].sum())  # pyabc's time in the generations (and prior sample)
    acc = g.loc[g["t"] >= 0, "acceptance_rate"].round(2).tolist()
    return {"name": name, "wall": wall, "runs": runs, "runs/s": runs / sampling, "acceptance": acc}


def main(argv: list[str] | None = None) -> None:
    """Print the calibration table (``--quick``: fewer particles and runs)."""
    quick = parser("python -m benchmarks.bench_calibration", __doc__).parse_args(argv).quick
    particles, generations = (10, 2) if quick else (40, 3)
    print(
        f"history-2023, 36 months, shipped targets and priors; {particles} particles, "
        f"{generations} generations (+ the prior sample that sets the first threshold)"
    )
    direct = _direct(10 if quick else 30)
    print(f"direct: {direct:.2f} runs/s ({1 / direct:.3f} s a run, one process)")
    root = Path(tempfile.mkdtemp(prefix="bench-calib-"))
    rows = []
    try:
        rows.append(_calibrate(root, "calibrate, 1 worker", particles, generations, workers=1))
        rows.append(_calibrate(root, "calibrate, 2 workers", particles, generations, workers=2))
        rows.append(
            _calibrate(
                root, "calibrate, Dask local 2", particles, generations, workers=2, dask="local"
            )
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base = rows[0]["runs/s"]
    print("| run | wall s | model runs | runs/s | speed-up | acceptance by generation |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['name']} | {r['wall']:.1f} | {r['runs']} | {r['runs/s']:.2f} | "
            f"{r['runs/s'] / base:.2f}x | {r['acceptance']} |"
        )


if __name__ == "__main__":
    main()
