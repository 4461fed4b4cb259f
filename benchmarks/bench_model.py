"""Model benchmarks: baseline for 120 months, and scale mode from 1k to 1M agents.

Measured side by side in one process:

- ``baseline``: 120 months of the shipped baseline; time per step split into the
  clearing kernel call (:func:`market.clearing.clear`) and everything else.
- ``baseline chk``: the same with the monthly invariant checks on (the default of
  ``run_scenario``, ``gigawatt run`` and sweeps); the ratio to ``baseline`` is printed.
- ``scale N``: baseline plus N small labs and enterprise buyers (half each); build time,
  median time per step (after one warm-up step), the ratio to ``bare N`` (a Mesa model
  stepping N agents whose ``step`` does nothing, ``model.agents.shuffle_do("step")``;
  not built at 1M, where it alone takes longer than the model), and the peak memory
  allocated while building the model and running its steps (``tracemalloc``, which
  traces numpy's buffers; a separate pass, so tracing does not slow the timed one).

- ``kernel A/B``: the 120 books of one baseline run cleared again, in turn, by a cold
  ``clear`` per month, by the warm ``Clearer`` reading its kept basis from HiGHS's basis
  object (the former way, ``read_basis=True``) and by the warm ``Clearer`` rebuilding
  it from the solution's arrays (the default); ms per book and ratios.
- ``run A/B``: the whole 120-month baseline, in turn, with the former warm way and the
  default (same answers, so the same months) and with a cold ``clear`` per month (where
  the optimum or the prices are not unique the cold solve may pick others, and the run
  then takes another path); ratios of the medians.
- ``--ab-only``: only these A/B tables. ``--before DIR``: another checkout with its own
  ``.venv`` (the code before a change); the same 120-month baseline run there and here in
  turn, twice in each new process, and the ratios of the second run's own time (a run
  as a sweep's or a calibration's worker runs it, after its first), of the first run's
  (which also loads what a process loads on first use: the compiled loops of
  :mod:`market.compiled`, HiGHS) and of the whole process (interpreter start, imports
  and both runs). Here it runs twice: with
  ``trade_pattern = "solver"``, the rule ``before`` applies (HiGHS's optimum; since tied
  orders are pooled HiGHS's path differs, so where a book has several optima it may stop at
  another: ``benchmarks/same_numbers.py`` measures the differences), and with the scenario
  as shipped. Then the second run by part: the build, each
  phase summed over the months (the phases as ``model.step()`` calls them, each timed) and
  the frames built at the end, there and here, so a change's gain is located phase by
  phase in one run.

CPU time (``time.process_time``; for the processes, ``getrusage`` of the children) is
reported in the A/B tables, as wall-clock time on a shared machine depends on the other
jobs more than on the code.

Targets: baseline 120 months in about a second; at 10k agents a step costs no more than
3x the bare Mesa loop; 100k agents <= 50 ms a step; 1M agents <= 0.5 s a step and <= 4 GB;
cost grows no faster than linearly with agents. Whole scale-mode runs (100k and 1M agents,
120 months, as ``run_scenario`` runs them) are timed in new processes with their peak
resident memory. NumPy's huge-page advice is off here, as in the ``gigawatt`` command,
unless ``NUMPY_MADVISE_HUGEPAGE`` is set (:mod:`experiments.hugepages`); the 1M step is
timed once more in a new process with it on (``NUMPY_MADVISE_HUGEPAGE=1``, NumPy's
default): on virtual machines slow to fault in huge pages the two differ by 2-3x. Those
steps are the run's first months, while the trailing 12-month history windows
still take fresh memory each month; the 1M step is also timed after them (months 14-16). ``--quick`` runs 24 baseline months and
fewer scale steps up to 100k agents.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import mesa
import numpy as np

import agents.phases.clear as clear_phase
from agents.model import GigawattModel
from benchmarks.bench_clearing import model_books
from benchmarks.options import HERE, parser, venv_python
from experiments.hugepages import ADVICE_ENV, hugepage_advice_off
from experiments.scenarios import load_scenario
from market.book import OrderBook
from market.clearing import clear
from market.warm import Clearer

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
    """Adds up the time spent in the clearing kernel: the run's warm ``Clearer.clear`` and
    the module-level ``clear`` (the LP fallback)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.inner = clear_phase.clear
        self.warm = Clearer.clear

    def _timed(self, fn):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t

        return timed

    def install(self) -> None:
        clear_phase.clear = self._timed(self.inner)
        Clearer.clear = self._timed(self.warm)

    def remove(self) -> None:
        clear_phase.clear = self.inner
        Clearer.clear = self.warm


def _time_model(
    scn, months: int, warmup: int = 1, check: bool = False
) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Median seconds per step (total, in the kernel) and the summed run time."""
    m = GigawattModel(scn, rng=1, check=check)
    for _ in range(warmup):
        m.step()
    timer = _Timer()
    timer.install()
    steps, kernel = [], []
    try:
        for _ in range(months):
            k0 = timer.seconds
            t = time.perf_counter()
            m.step()
            steps.append(time.perf_counter() - t)
            kernel.append(timer.seconds - k0)
    finally:
        timer.remove()
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


def _numpy_ns_per_element(n: int, repeats: int = 9) -> dict[str, float]:
    """Median ns per element of two plain numpy passes over ``n`` float64s: ``a * b + a``
    (streaming) and ``a[idx]`` (a gather at random indices, as a population's rows are
    read through ids). Their growth from one size to the next is the machine's own (arrays
    leaving the cache), the yardstick for the model's growth per agent."""
    rng = np.random.default_rng(0)
    a, b, idx = rng.random(n), rng.random(n), rng.integers(0, n, n)
    out = {}
    for name, op in (("a*b+a", lambda: a * b + a), ("gather", lambda: a[idx])):
        op()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            op()
            times.append(time.perf_counter() - t)
        out[name] = float(np.median(times)) / n * 1e9
    return out


def _peak_mb(scn, steps: int) -> float:  # type: ignore[no-untyped-def]
    """Peak MB allocated (``tracemalloc``) building ``scn`` and running ``steps`` months."""
    tracemalloc.start()
    try:
        m = GigawattModel(scn, rng=1, check=False)
        for _ in range(steps):
            m.step()
        del m
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _scale(base, n: int, steps: int) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    """One ``scale N`` row: agents, steps, ms/step, kernel, bare, build s, peak MB."""
    scn = base.with_overrides({"scale.small_labs": n // 2, "scale.enterprise_buyers": n - n // 2})
    t = time.perf_counter()
    GigawattModel(scn, rng=1, check=False)
    build = time.perf_counter() - t
    per_n, kernel_n, _ = _time_model(scn, steps)
    bare = _time_bare(n, steps * 3) if n <= 100_000 else float("nan")
    peak = _peak_mb(scn, 2)
    return (f"scale {n:,}", n + len(base.labs), steps, per_n, kernel_n, bare, build, peak)


_SCALE_STEP_CHILD = """
from benchmarks.bench_model import _time_model
from experiments.scenarios import load_scenario
n = {n}
scn = load_scenario("baseline").with_overrides(
    {{"scale.small_labs": n // 2, "scale.enterprise_buyers": n - n // 2}}
)
print(_time_model(scn, {steps})[0])
"""


def _child(python: str, root: Path, code: str, env: dict[str, str] | None = None) -> str:
    """What ``code`` prints, run by ``python`` in a new process in ``root`` (``env``: the
    process's environment, this one's by default)."""
    return subprocess.run(
        [python, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    ).stdout


_LONG_RUN_CHILD = """
import resource, time
from experiments import run_scenario
from experiments.scenarios import load_scenario
n = {n}
scn = load_scenario("baseline").with_overrides(
    {{"scale.small_labs": n // 2, "scale.enterprise_buyers": n - n // 2}}
)
t = time.process_time()
res = run_scenario(scn, months={months}, rng=1)
cpu = time.process_time() - t
try:  # this process's own peak (ru_maxrss would count the parent's pages at the fork)
    with open("/proc/self/status") as f:
        peak_kb = next(int(x.split()[1]) for x in f if x.startswith("VmHWM:"))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(cpu, peak_kb, len(res.tables["cashflows"]))
"""


def _long_run(n: int, months: int) -> tuple[float, float, int]:
    """A whole ``scale n`` run as a user runs it, in a new process: ``run_scenario`` for
    ``months`` months, invariant checks on, every table built; its CPU seconds, the
    process's peak resident memory (GB) and the cashflows table's rows.

    The steps above measure memory over two months; this shows what a long run keeps
    (its journal, its history windows, its tables).
    """
    out = _child(sys.executable, HERE, _LONG_RUN_CHILD.format(n=n, months=months))
    cpu, rss_kb, rows = out.split()[-3:]
    return float(cpu), int(rss_kb) / 2**20, int(rows)


def _step_with_hugepage_advice(n: int, steps: int) -> float:
    """Median seconds per ``scale n`` step in a new process with ``NUMPY_MADVISE_HUGEPAGE=1``.

    NumPy advises the kernel to back arrays of 4 MB or more with 2 MB transparent huge
    pages (NumPy's documented ``NUMPY_MADVISE_HUGEPAGE`` setting, read at import). On a
    virtual machine where the kernel is slow to fault in a huge page (this 2-core VM:
    about 10-20 ms a page, ~50 fresh pages a step at 1M agents), the advice costs more
    than it saves; the row shows how much.
    """
    code = _SCALE_STEP_CHILD.format(n=n, steps=steps)
    out = _child(sys.executable, HERE, code, {**os.environ, ADVICE_ENV: "1"})
    return float(out.split()[-1])


def _kernel_ab(books: list[OrderBook], repeats: int) -> dict[str, float]:
    """Median seconds per book of each way to clear the run's books, in turn."""
    ways = {
        "cold clear() per month": lambda: [clear(b) for b in books],
        "warm, basis read from HiGHS": lambda: [
            c.clear(b) for c in [Clearer(read_basis=True)] for b in books
        ],
        "warm, basis from the solution": lambda: [c.clear(b) for c in [Clearer()] for b in books],
    }
    times: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(repeats):
        for name, run in ways.items():
            t = time.process_time()
            run()
            times[name].append((time.process_time() - t) / len(books))
    return {k: float(np.median(v)) for k, v in times.items()}


def _run_ab(scn, months: int, repeats: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median seconds of a whole run with each way of clearing, in turn."""

    def cold(self: Clearer, book: OrderBook):  # type: ignore[no-untyped-def]
        return clear(book)

    warm = Clearer.clear
    ways = {
        "cold clear() per month": (cold, {}),
        "warm, basis read from HiGHS": (warm, {"read_basis": True}),
        "warm, basis from the solution": (warm, {}),
    }
    times: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(repeats):
        for name, (fn, kw) in ways.items():
            Clearer.clear = fn  # type: ignore[method-assign]
            try:
                m = GigawattModel(scn, rng=7, check=False)
                m.clearer = Clearer(**kw)
                t = time.process_time()
                for _ in range(months):
                    m.step()
                m.model_frame()
                m.tables()
                times[name].append(time.process_time() - t)
            finally:
                Clearer.clear = warm  # type: ignore[method-assign]
    return {k: float(np.median(v)) for k, v in times.items()}


_CHILD = """
import json, time
pt = time.process_time
t0 = pt()
from experiments import load_scenario
from agents.model import GigawattModel
try:
    from agents.phases import PHASES
except ImportError:  # a checkout from before the named phases: the step timed whole
    PHASES = ("step",)
scn = load_scenario("baseline")
if {overrides!r}:
    scn = scn.with_overrides({overrides!r})
t1 = pt()
runs = []
for _ in range(2):  # the process's first run, then one more as a sweep's worker runs it
    t2 = pt()
    m = GigawattModel(scn, rng=7, check=False)
    parts = {{"build": pt() - t2}} | dict.fromkeys(PHASES, 0.0)
    for _ in range({months}):
        for name in PHASES:  # what model.step() does, timed phase by phase
            t = pt()
            getattr(m, name)()
            parts[name] += pt() - t
    t = pt()
    m.model_frame()
    m.tables()
    parts["frames"] = pt() - t
    runs.append((pt() - t2, parts))
print(json.dumps({{"first": runs[0][0], "run": runs[1][0], "imports": t1 - t0,
                  "parts": runs[1][1]}}))
"""


def _children_cpu() -> float:
    """CPU seconds (user + system) of every child process reaped so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


_AB_RUNS: dict[str, tuple[bool, dict[str, str]]] = {
    "before": (True, {}),
    "here, solver": (False, {"trade_pattern": "solver"}),
    "here": (False, {}),
}
"""The A/B's runs: which checkout (before or here) and the scenario's overrides. ``here,
solver`` applies the rule ``before`` applies (its clearing returned HiGHS's optimum), so
their ratio is the speed-up at the same trade pattern rule; ``here`` is this checkout's
default."""


def _process_ab(
    before: Path, months: int, repeats: int
) -> dict[str, tuple[float, float, float, float, dict[str, float]]]:
    """Median CPU seconds (a process's first run, its second run, imports, whole process)
    and of each part of the second run (build, each phase summed over the months, frames)
    of each of :data:`_AB_RUNS`, run in turn."""
    times: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in _AB_RUNS}
    parts: dict[str, list[dict[str, float]]] = {k: [] for k in _AB_RUNS}
    for _ in range(repeats):
        for name, (is_before, overrides) in _AB_RUNS.items():
            root = before if is_before else HERE
            code = _CHILD.format(months=months, overrides=overrides)
            t = _children_cpu()
            out = _child(str(venv_python(root)), root, code)
            got = json.loads(out.splitlines()[-1])
            cpu = _children_cpu() - t
            times[name].append((got["first"], got["run"], got["imports"], cpu))
            parts[name].append(got["parts"])
    res = {}
    for k, v in times.items():
        first, run, imp, proc = (float(x) for x in np.median(v, axis=0))
        res[k] = (
            first,
            run,
            imp,
            proc,
            {p: float(np.median([d[p] for d in parts[k]])) for p in parts[k][0]},
        )
    return res


def _print_ab(months: int, quick: bool, before: Path | None) -> None:
    """The A/B tables: kernel, whole run, and (with ``--before``) another checkout."""
    base = load_scenario("baseline")
    books = model_books(months, seed=7)
    kern = _kernel_ab(books, 3 if quick else 9)
    runs = _run_ab(base, months, 2 if quick else 7)
    ref_k, ref_r = kern["warm, basis read from HiGHS"], runs["warm, basis read from HiGHS"]
    print(f"\nKernel and run A/B ({months} baseline months, in turn; median CPU time)")
    print(f"{'way of clearing':32s} {'ms/book':>8s} {'x':>6s} {'run s':>7s} {'x':>6s}")
    for name in kern:
        print(
            f"{name:32s} {kern[name] * 1e3:8.3f} {ref_k / kern[name]:6.2f} "
            f"{runs[name]:7.3f} {ref_r / runs[name]:6.2f}"
        )
    print("(x: the former warm way's time over this way's; above 1 is faster)")
    if before is not None:
        res = _process_ab(before, months, 3 if quick else 7)
        print(
            f"\nThis checkout against {before} ({months} baseline months, new processes in "
            "turn; median CPU seconds)"
        )
        print(
            f"{'checkout':14s} {'first run s':>12s} {'run s':>7s} {'imports s':>10s} "
            f"{'process s':>10s}"
        )
        for name, (first, run, imp, proc, _) in res.items():
            print(f"{name:14s} {first:12.3f} {run:7.3f} {imp:10.3f} {proc:10.3f}")
        b = res["before"]
        for name, what in (("here, solver", "the same rule"), ("here", "the default")):
            h = res[name]
            print(
                f"speed-up, {what} ({name}): run {b[1] / h[1]:.2f}x, first run "
                f"{b[0] / h[0]:.2f}x, whole process {b[3] / h[3]:.2f}x (before's time "
                "over this checkout's)"
            )
        print(
            "(first run: a new process's first; run: its second, as each run after the "
            "first in a sweep or a calibration; process: both runs and the imports)"
        )
        print("\nThe second run by part (ms per month; build and frames: ms per run)")
        names = list(res)
        print(f"{'part':10s} " + " ".join(f"{n:>13s}" for n in names))
        for part in dict.fromkeys(p for n in names for p in res[n][4]):
            scale = 1e3 if part in ("build", "frames") else 1e3 / months
            cells = (res[n][4].get(part, float("nan")) * scale for n in names)
            print(f"{part:10s} " + " ".join(f"{c:13.3f}" for c in cells))


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark tables."""
    ap = parser(
        "python -m benchmarks.bench_model",
        __doc__,
        before="another checkout with a .venv (the code before a change): its 120-month "
        "baseline run against this one's, in new processes in turn",
    )
    ap.add_argument("--ab-only", action="store_true", help="only the A/B tables")
    args = ap.parse_args(argv)
    quick, before = args.quick, args.before
    hugepage_advice_off()  # as the gigawatt command has it, unless the user set it
    if args.ab_only:
        _print_ab(24 if quick else 120, quick, before)
        return
    base = load_scenario("baseline")
    months = 24 if quick else 120
    t0 = time.perf_counter()
    GigawattModel(base, rng=1, check=False)  # import and build once before timing
    per, kernel, total = _time_model(base, months, warmup=0)
    per_c, kernel_c, total_c = _time_model(base, months, warmup=0, check=True)
    print("\nModel (benchmarks/bench_model.py)" + (" --quick" if quick else ""))
    print("(median ms per step; total s = the whole run)")
    print(
        f"{'case':12s} {'agents':>7s} {'months':>6s} {'ms/step':>9s} {'clear ms':>9s} {'total s':>8s}"
    )
    for name, k, p, kern, tot in (
        ("baseline", months, per, kernel, total),
        ("baseline chk", months, per_c, kernel_c, total_c),
    ):
        print(f"{name:12s} {len(base.labs):7,d} {k:6d} {p * 1e3:9.2f} {kern * 1e3:9.2f} {tot:8.2f}")
    print(
        f"invariant checks: {months} baseline months take {total_c / total:.2f}x the "
        "unchecked time (check=True is the default; --no-check / check=False skips them)"
    )
    sizes = (1_000, 10_000, 100_000) if quick else (1_000, 10_000, 100_000, 1_000_000)
    rows = [_scale(base, n, 3 if quick or n >= 1_000_000 else 10) for n in sizes]
    print("\nScale mode (median ms per step after one warm-up; peak MB: build + 2 steps)")
    head = f"{'case':12s} {'agents':>9s} {'steps':>5s} {'ms/step':>9s} {'clear ms':>9s} "
    head += f"{'rest ms':>9s} {'bare ms':>9s} {'x bare':>7s} {'build s':>8s} {'peak MB':>8s}"
    print(head)
    for name, n, k, p, kern, bare, build, peak in rows:  # type: ignore[misc]
        ratio = f"{bare * 1e3:9.2f} {p / bare:7.2f}" if bare == bare else f"{'-':>9s} {'-':>7s}"
        print(
            f"{name:12s} {n:9,d} {k:5d} {p * 1e3:9.2f} {kern * 1e3:9.2f} {(p - kern) * 1e3:9.2f} "
            f"{ratio} {build:8.2f} {peak:8.0f}"
        )
    # growth: model work outside the kernel per added agent, and each size against the last
    rest = [r[3] - r[4] for r in rows]  # type: ignore[operator]
    per_agent = [(rest[i] - per + kernel) / rows[i][1] * 1e6 for i in range(len(rows))]  # type: ignore[operator]
    print(
        "growth (model work outside the kernel, us per agent): "
        + ", ".join(
            f"{r[0].removeprefix('scale ')}: {u:.2f}" for r, u in zip(rows, per_agent, strict=True)
        )  # type: ignore[union-attr]
        + "; step time ratio per 10x agents: "
        + ", ".join(f"{rows[i][3] / rows[i - 1][3]:.1f}x" for i in range(1, len(rows)))  # type: ignore[operator]
        + " (linear: 10x or less)"
    )
    sizes = [r[1] - len(base.labs) for r in rows]  # type: ignore[operator]
    ns = [_numpy_ns_per_element(n) for n in sizes]
    print(
        "the machine's own growth (plain numpy, ns per element): "
        + ", ".join(
            f"{n:,}: " + " ".join(f"{k} {v:.2f}" for k, v in d.items())
            for n, d in zip(sizes, ns, strict=True)
        )
        + " (per element, so a flat line is linear)"
    )
    by_n = {r[1] - len(base.labs): r for r in rows}  # type: ignore[operator]
    t100 = by_n[100_000][3] * 1e3  # type: ignore[operator]
    line = f"targets: baseline 120 months ~1 s; 100k <= 50 ms/step (now {t100:.0f} ms)"
    if 1_000_000 in by_n:
        r = by_n[1_000_000]
        line += f"; 1M <= 0.5 s/step (now {r[3]:.2f} s) and <= 4 GB (now {r[7] / 1024:.2f} GB)"  # type: ignore[operator]
    print(line + f"; growth <= linear (measured in {time.perf_counter() - t0:.0f} s)")
    if 1_000_000 in by_n:
        on = _step_with_hugepage_advice(1_000_000, 3)
        print(
            f"1M with NumPy's huge-page advice on (NUMPY_MADVISE_HUGEPAGE=1, a new process): "
            f"{on:.2f} s/step against {by_n[1_000_000][3]:.2f} s above ({ADVICE_ENV}="
            f"{os.environ[ADVICE_ENV]})"  # type: ignore[operator]
        )
    if 1_000_000 in by_n:
        # the rows above time months 2-4, while the trailing history windows still take
        # fresh memory each month; a long run spends most of its months after that
        window = len(GigawattModel(base, rng=1, check=False).world.history.lab_spend)
        steady = _time_model(
            base.with_overrides({"scale.small_labs": 500_000, "scale.enterprise_buyers": 500_000}),
            3,
            warmup=window + 1,
        )[0]
        print(
            f"1M after its first {window + 1} months (history windows full; huge-page "
            f"advice as this process has it): {steady:.2f} s/step"
        )
    long_runs = [(100_000, 24)] if quick else [(100_000, 120), (1_000_000, 120)]
    print("\nScale mode, whole runs (run_scenario: checks on, every table; a new process each)")
    print(f"{'case':12s} {'months':>6s} {'CPU s':>8s} {'peak GB':>8s} {'cashflows rows':>15s}")
    for n, k in long_runs:
        cpu, gb, rows = _long_run(n, k)
        print(f"{'scale ' + format(n, ','):12s} {k:6d} {cpu:8.1f} {gb:8.2f} {rows:15,d}")
    _print_ab(months, quick, before)


if __name__ == "__main__":
    main()
