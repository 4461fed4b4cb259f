"""Sweep machinery benchmarks: throughput serially and on 2 workers, overhead per run.

Measured side by side in one process:

- ``direct``: the model function called in a loop (``run_scenario`` on ``baseline``).
- ``sweep serial``: the same runs through ``run_sweep`` in-process (spec, design, seeds,
  output extraction, atomic Parquet shards); overhead = its time per run over ``direct``'s.
- ``sweep 2 workers``: a warmed process pool of 2 (pool start-up reported separately);
  scaling = its runs/second over the serial sweep's.

With ``--before DIR`` (another checkout with a ``.venv``, its own or a link to this one's:
its code is put first on ``PYTHONPATH``; the code before a change)
it also runs the same baseline runs (invariants checked, as sweeps do) there and here, in
turn, each time in a new process: serially, then on a warmed pool of 2 processes, and
prints runs per second and their ratios (``--throughput-only``: just that table).

Targets: scaling >= 1.7x on 2 cores; overhead < 10% of a baseline run. If the
world (``experiments.run_scenario``) is not importable, a CPU-bound stand-in model of
similar cost is used and the table says so. ``--quick`` runs fewer, shorter runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.options import HERE, parser, venv_python

__all__ = ["main", "stand_in_model"]


@dataclass
class _Result:
    model_frame: pd.DataFrame
    tables: dict[str, pd.DataFrame]


def stand_in_model(*, scenario: str, params: dict[str, Any], months: int, seed: int) -> _Result:
    """A CPU-bound single-threaded stand-in (about 8 ms per month) when the world is absent."""
    rng = np.random.default_rng(seed)
    rows = []
    a = rng.random(20_000)
    for m in range(months):
        for _ in range(20):
            a = np.tanh(np.sort(a) * 0.9 + rng.random(a.size) * 0.1)
        rows.append({"month": m, "compute_spot_price": float(a.mean())})
    return _Result(pd.DataFrame(rows), {})


def null_model(*, scenario: str, params: dict[str, Any], months: int, seed: int) -> _Result:
    """A model that does nothing but return a frame of ``months`` rows (machinery cost)."""
    frame = pd.DataFrame({"month": np.arange(months), "compute_spot_price": float(seed % 7)})
    return _Result(frame, {})


def _machinery_cost(n: int, months: int) -> float:
    """Seconds per run that the sweep adds around a model that costs nothing."""
    from experiments.sweeps import InProcessExecutor, SweepSpec, run_sweep

    spec = SweepSpec.from_dict(
        {
            "name": "null",
            "months": months,
            "replicates": n,
            "common_random_numbers": False,
            "model": "benchmarks.bench_sweeps:null_model",
            "design": {"kind": "scenarios", "scenarios": ["baseline"]},
            "outputs": {
                "final": ["compute_spot_price"],
                "series": [{"name": "spot_series", "column": "compute_spot_price"}],
            },
        }
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-null-"))
    try:
        t0 = time.process_time()
        for i in range(n):
            null_model(scenario="baseline", params={}, months=months, seed=i)
        direct = time.process_time() - t0
        t0 = time.process_time()
        run_sweep(spec, tmp / "s", executor=InProcessExecutor(), progress=False)
        swept = time.process_time() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return (swept - direct) / n


def _warm(model: str) -> int:
    """Warm a worker as the direct loop is warmed: imports, scenario cache, a 2-month run."""
    from experiments.sweeps.model import resolve_model

    resolve_model(model)(scenario="baseline", params={}, months=2, seed=0)
    time.sleep(0.3)
    return 0


def _world() -> bool:
    try:
        from experiments import load_scenario, run_scenario  # noqa: F401
    except ImportError:
        return False
    return True


_THROUGHPUT = """
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context


def one(seed):
    from experiments import load_scenario, run_scenario

    run_scenario(load_scenario("baseline"), months=int(sys.argv[2]), rng=seed, check=True)
    return seed


if __name__ == "__main__":
    import os

    import experiments

    print(os.path.dirname(experiments.__file__))  # whose code runs
    n = int(sys.argv[1])
    one(0)
    t = time.perf_counter()
    for seed in range(n):
        one(seed)
    serial = time.perf_counter() - t
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        list(pool.map(one, [0, 1]))
        t = time.perf_counter()
        list(pool.map(one, range(n)))
        pooled = time.perf_counter() - t
    print(n / serial, n / pooled)
"""


def _throughput_ab(before: Path, n: int, months: int, repeats: int) -> dict[str, list[float]]:
    """Median runs/s (serial, 2 workers) of ``n`` baseline runs there and here, in turn."""
    import subprocess

    rates: dict[str, list[list[float]]] = {"before": [], "here": []}
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        script = Path(tmp) / "throughput.py"
        script.write_text(_THROUGHPUT)
        for _ in range(repeats):
            for name, root in (("before", before), ("here", HERE)):
                # PYTHONPATH: the checkout's own code, in the script and in its pool's
                # processes, even where its .venv is another checkout's (a link to it,
                # whose editable install points there)
                env = {**os.environ, "PYTHONPATH": str(root)}
                out = subprocess.run(
                    [str(venv_python(root)), str(script), str(n), str(months)],
                    cwd=root,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                code = Path(out[0]).resolve()
                if code != root.resolve() / "experiments":
                    raise RuntimeError(f"{name}: the runs imported {code}, not {root}'s code")
                rates[name].append([float(out[-2]), float(out[-1])])
    return {k: np.median(np.array(v), axis=0).tolist() for k, v in rates.items()}


def _print_throughput(before: Path, quick: bool) -> None:
    months = 24 if quick else 120
    n = 4 if quick else 8
    res = _throughput_ab(before, n, months, 2 if quick else 3)
    print(f"\n## Throughput: {n} baseline runs of {months} months, {before} and here in turn")
    print(f"{'checkout':10s} {'serial runs/s':>14s} {'2 workers runs/s':>17s}")
    for name, (serial, pooled) in res.items():
        print(f"{name:10s} {serial:14.2f} {pooled:17.2f}")
    b, h = res["before"], res["here"]
    print(
        f"here / before: serial {h[0] / b[0]:.2f}x, 2 workers {h[1] / b[1]:.2f}x "
        f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)"
    )


def main(argv: list[str] | None = None) -> None:
    """Print the sweep benchmark table (with ``--before``, the throughput A/B first)."""
    ap = parser(
        "python -m benchmarks.bench_sweeps",
        __doc__,
        before="another checkout with a .venv (the code before a change): its runs/s "
        "against this one's, in new processes in turn",
    )
    ap.add_argument(
        "--throughput-only", action="store_true", help="only the A/B table (needs --before)"
    )
    args = ap.parse_args(argv)
    quick = args.quick
    if args.throughput_only and args.before is None:
        ap.error("--throughput-only prints the A/B against another checkout: give --before DIR")
    if args.before is not None:
        _print_throughput(args.before, quick)
        if args.throughput_only:
            return
    from experiments.sweeps import InProcessExecutor, SweepSpec, run_sweep
    from experiments.sweeps.model import resolve_model

    real = _world()
    months = 24 if quick else 120
    n_runs = 4 if quick else 12
    model = (
        "experiments.sweeps.model:run_scenario_model"
        if real
        else "benchmarks.bench_sweeps:stand_in_model"
    )
    spec = SweepSpec.from_dict(
        {
            "name": "bench",
            "base": "baseline",
            "months": months,
            "replicates": n_runs,
            "common_random_numbers": False,
            "model": model,
            "design": {"kind": "scenarios", "scenarios": ["baseline"]},
            "outputs": {
                "final": ["compute_spot_price"],
                "series": [{"name": "spot_series", "column": "compute_spot_price"}],
            },
        }
    )
    from experiments.sweeps import build_runs

    seeds = build_runs(spec)["seed"].tolist()
    fn = resolve_model(model)
    fn(scenario="baseline", params={}, months=2, seed=0)  # warm imports and caches

    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    for s in seeds:
        fn(scenario="baseline", params={}, months=months, seed=int(s))
    t_direct, c_direct = time.perf_counter() - t0, time.process_time() - c0

    tmp = Path(tempfile.mkdtemp(prefix="bench-sweeps-"))
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        run_sweep(spec, tmp / "serial", executor=InProcessExecutor(), progress=False)
        t_serial, c_serial = time.perf_counter() - t0, time.process_time() - c0

        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
            list(pool.map(_warm, [model, model]))
            t_start = time.perf_counter() - t0
            t0 = time.perf_counter()
            run_sweep(spec, tmp / "pool", executor=pool, progress=False)
            t_pool = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    n = len(seeds)
    machinery = _machinery_cost(50 if quick else 300, months)
    rows = [
        (
            "direct (model function in a loop)",
            t_direct,
            n / t_direct,
            "1.00x",
            f"CPU {c_direct / n:.3f} s/run",
        ),
        (
            "sweep, serial (in-process)",
            t_serial,
            n / t_serial,
            f"{t_direct / t_serial:.2f}x",
            f"CPU {c_serial / n:.3f} s/run: overhead {100 * (c_serial - c_direct) / c_direct:+.1f}%"
            f" (wall {100 * (t_serial - t_direct) / t_direct:+.1f}%)",
        ),
        (
            "sweep, 2 worker processes",
            t_pool,
            n / t_pool,
            f"{t_serial / t_pool:.2f}x vs serial sweep",
            f"pool start-up {t_start:.2f} s (not included)",
        ),
    ]
    what = f"run_scenario('baseline', {months} months)" if real else "stand-in model (no world)"
    print(f"\n## Sweeps: {n} runs of {what}")
    print(f"{'configuration':<36} {'seconds':>8} {'runs/s':>8}  {'ratio':<22} note")
    for name, t, rps, ratio, note in rows:
        print(f"{name:<36} {t:>8.2f} {rps:>8.2f}  {ratio:<22} {note}")
    print(
        f"sweep machinery alone (null model, CPU): {1e3 * machinery:.1f} ms per run = "
        f"{100 * machinery / (c_direct / n):.2f}% of a direct run's CPU time"
    )
    print(
        f"load average (1 min) before/after: {load_before:.2f} / {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} cores (other processes distort wall-clock ratios)"
    )
    print("targets: 2 workers >= 1.70x on 2 cores; sweep overhead < 10% of a baseline run")


if __name__ == "__main__":
    main()
