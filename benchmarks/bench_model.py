"""Model benchmarks: baseline for 120 months, and scale mode against a bare Mesa loop.

Measured side by side in one process:

- ``baseline``: 120 months of the shipped baseline; time per step split into the
  clearing kernel call (:func:`market.clearing.clear`) and everything else.
- ``baseline chk``: the same with the monthly invariant checks on (the default of
  ``run_scenario``, ``gigawatt run`` and sweeps); the ratio to ``baseline`` is printed.
- ``scale N``: baseline plus N small labs and enterprise buyers (half each); time per
  step (after one warm-up step), and the ratio to ``bare N``, a Mesa model stepping N
  agents whose ``step`` does nothing (``model.agents.shuffle_do("step")``).

Targets: baseline 120 months in about a second; at 10k agents a step costs
no more than 3x the bare Mesa loop; cost grows no faster than linearly with agents.
``--quick`` runs 24 baseline months and fewer scale steps.
"""

from __future__ import annotations

import sys
import time

import mesa
import numpy as np

import agents.phases.clear as clear_phase
from agents.model import GigawattModel
from experiments.scenarios import load_scenario

__all__ = ["main"]


class _Noop(mesa.Agent):
    def step(self) -> None:
        pass


class _Bare(mesa.Model):
    def __init__(self, n: int) -> None:
        super().__init__(rng=0)
        for _ in range(n):
            _Noop(self)

    def step(self) -> None:
        self.agents.shuffle_do("step")


class _Timer:
    """Wraps the kernel's ``clear`` to add up the time spent inside it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.inner = clear_phase.clear

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t


def _time_model(
    scn, months: int, warmup: int = 1, check: bool = False
) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Median seconds per step (total, in the kernel) and the summed run time."""
    m = GigawattModel(scn, rng=1, check=check)
    for _ in range(warmup):
        m.step()
    timer = _Timer()
    clear_phase.clear = timer
    steps, kernel = [], []
    try:
        for _ in range(months):
            k0 = timer.seconds
            t = time.perf_counter()
            m.step()
            steps.append(time.perf_counter() - t)
            kernel.append(timer.seconds - k0)
    finally:
        clear_phase.clear = timer.inner
    return float(np.median(steps)), float(np.median(kernel)), float(np.sum(steps))


def _time_bare(n: int, steps: int) -> float:
    """Median seconds per step of a bare Mesa model of ``n`` no-op agents."""
    m = _Bare(n)
    m.step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        m.step()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark table."""
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    base = load_scenario("baseline")
    months = 24 if quick else 120
    steps = 5 if quick else 20
    rows = []
    t0 = time.perf_counter()
    GigawattModel(base, rng=1, check=False)  # import and build once before timing
    per, kernel, total = _time_model(base, months, warmup=0)
    rows.append(("baseline", len(base.labs), months, per, kernel, float("nan"), total))
    per_c, kernel_c, total_c = _time_model(base, months, warmup=0, check=True)
    checked = ("baseline chk", len(base.labs), months, per_c, kernel_c, float("nan"), total_c)
    for n in (1_000, 10_000):
        scn = base.with_overrides(
            {"scale.small_labs": n // 2, "scale.enterprise_buyers": n - n // 2}
        )
        per_n, kernel_n, _ = _time_model(scn, steps)
        bare = _time_bare(n, steps * 3)
        rows.append(
            (f"scale {n:,}", n + len(base.labs), steps, per_n, kernel_n, bare, float("nan"))
        )
    print("\nModel (benchmarks/bench_model.py)" + (" --quick" if quick else ""))
    print("(median ms per step; total s = the whole run)")
    head = f"{'case':12s} {'agents':>7s} {'steps':>6s} {'ms/step':>9s} {'clear ms':>9s} {'rest ms':>9s} "
    head += f"{'bare ms':>9s} {'x bare':>7s} {'total s':>8s}"
    print(head)
    for name, n, k, per, kernel, bare, total in [rows[0], checked, *rows[1:]]:
        ratio = per / bare if bare == bare else float("nan")
        print(
            f"{name:12s} {n:7,d} {k:6d} {per * 1e3:9.2f} {kernel * 1e3:9.2f} {(per - kernel) * 1e3:9.2f} "
            + (f"{bare * 1e3:9.2f} {ratio:7.2f} " if bare == bare else f"{'-':>9s} {'-':>7s} ")
            + (f"{total:8.2f}" if total == total else f"{'-':>8s}")
        )
    print(
        f"invariant checks: {months} baseline months take {total_c / rows[0][6]:.2f}x the "
        "unchecked time (check=True is the default; --no-check / check=False skips them)"
    )
    rest = [r[3] - r[4] for r in rows]
    per_agent = [(rest[i] - rest[0]) / (rows[i][1] - rows[0][1]) * 1e6 for i in (1, 2)]
    print(
        f"growth: model work outside the kernel, per added agent: {per_agent[0]:.2f} us at 1k, "
        f"{per_agent[1]:.2f} us at 10k (linear or better: the 10k figure is not larger)"
    )
    print(
        f"targets: baseline 120 months ~1 s; 10k agents <= 3x bare Mesa; growth <= linear "
        f"(measured in {time.perf_counter() - t0:.0f} s)"
    )


if __name__ == "__main__":
    main()
