"""Where a baseline run spends its time, sampled by py-spy: here and in another checkout.

Usage::

    python -m benchmarks.profile_run [--months N] [--runs K] [--top T] [--before DIR]

Each checkout is profiled in new processes started in its root (``python -c`` with the
root as working folder, so that checkout's code is imported first, whatever its
``.venv``'s editable install names). A process runs the model a year first (imports,
caches, and what a process loads on first use: the compiled loops of
:mod:`market.compiled`, HiGHS), then runs ``K`` runs (default 10) of ``N`` baseline
months (default 120; seed 7, invariant checks off, as ``bench_model --ab-only`` times
them) and prints the CPU time of their steps. It runs twice: once alone, for that time,
and once while py-spy samples its stack 1,000 times a second (pausing it for each
sample, so each stack is whole; the pauses slow it by about a quarter). Only the samples
taken inside ``GigawattModel.step`` are counted.
The tables give:

- each phase's share of the samples (the frame below ``step``);
- the functions with the most own samples (the innermost Python frame of a sample).

Each share is also given as ms a month: the share times the steps' CPU time in the run
without sampling, divided by the months run.

A sampling profiler adds no cost to the code it watches, so unlike cProfile it does not
inflate code of many small calls against code of few long ones; and in CPython 3.12
cProfile charges a HiGHS re-solve about three times the time a clock around it measures
(0.90 against 0.30 ms a month). Time in C (a numpy call, a HiGHS solve) counts as its
Python caller's own. Shares of a few hundred samples are good to about a percentage
point.

Not a test: a profile of the code as it runs, for the "profile first" of speed work and
the before-and-after tables of its note.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.options import HERE, checkout, venv_python

__all__ = ["STEP", "Profile", "Samples", "main", "profile", "tally"]

STEP = "GigawattModel.step"
"""The frame whose samples are counted: a month of the model."""

RATE = 1000
"""py-spy's samples a second."""

_LINE = re.compile(r":\d+\)$")


@dataclass(frozen=True)
class Samples:
    """Samples taken inside :data:`STEP`: in all, by phase and by function's own."""

    total: int
    phases: Counter[str]
    """Samples under each frame directly below ``step`` (``(step itself)`` for none)."""
    own: Counter[str]
    """Samples whose innermost frame is each function (``name (file)``)."""


def tally(lines: Iterable[str], step: str = STEP) -> Samples:
    """Count py-spy's raw (collapsed) stacks: ``frame;frame;... count`` per line.

    A frame is ``name (file:line)``; the line is dropped, so a function's samples at all
    its lines count together. A stack counts from its first ``step`` frame; stacks
    without one (imports, building the model) are left out.

    >>> s = tally([
    ...     "<module> (x.py:1);GigawattModel.step (agents/model.py:9);clear (p.py:3) 5",
    ...     "<module> (x.py:1);GigawattModel.step (agents/model.py:9);clear (p.py:4);f (m.py:2) 2",
    ...     "<module> (x.py:1);GigawattModel.step (agents/model.py:9) 1",
    ...     "<module> (x.py:1);build (b.py:1) 7",
    ... ])
    >>> s.total, dict(s.phases)
    (8, {'clear (p.py)': 7, '(step itself)': 1})
    >>> dict(s.own)
    {'clear (p.py)': 5, 'f (m.py)': 2, 'GigawattModel.step (agents/model.py)': 1}
    """
    phases: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.strip().rpartition(" ")
        frames = stack.split(";")
        at = next((i for i, f in enumerate(frames) if f.startswith(step + " (")), None)
        if at is None:
            continue
        n = int(count)
        total += n
        below = frames[at + 1] if at + 1 < len(frames) else None
        phases[_LINE.sub(")", below) if below else "(step itself)"] += n
        own[_LINE.sub(")", frames[-1])] += n
    return Samples(total, phases, own)


_CHILD = """
import json, time
from experiments import load_scenario
from agents.model import GigawattModel
scn = load_scenario("baseline")
warm = GigawattModel(scn, rng=7, check=False)
try:  # phase by phase, as samples are counted under step() only
    from agents.phases import PHASES
    phases = [getattr(warm, name) for name in PHASES]
except (ImportError, AttributeError):  # a checkout from before the named phases
    phases = [warm.step]
for _ in range(12):  # imports, caches, what loads on first use (compiled loops, HiGHS)
    for phase in phases:
        phase()
cpu = 0.0
for _ in range({runs}):
    m = GigawattModel(scn, rng=7, check=False)
    t = time.process_time()
    for _ in range({months}):
        m.step()
    cpu += time.process_time() - t
print(json.dumps({{"step_cpu": cpu}}))
"""


@dataclass(frozen=True)
class Profile:
    """One checkout's sampled runs."""

    root: Path
    months: int
    """Months run in all (runs x months a run)."""
    step_cpu: float
    """CPU seconds of the steps in a run of the same process without sampling."""
    sampled_cpu: float
    """The same while py-spy sampled it (it pauses the process for each sample)."""
    samples: Samples

    def ms_a_month(self, n: int) -> float:
        """``n`` samples' share of the steps, as ms a month of the run without sampling."""
        return n / self.samples.total * self.step_cpu / self.months * 1e3


def _py_spy() -> Path:
    """py-spy, installed beside this interpreter (the test extra of ``make setup``)."""
    exe = Path(sys.executable).parent / "py-spy"
    if not exe.exists():
        raise ValueError(f"py-spy is not installed at {exe}: run make setup (it installs it)")
    return exe


def profile(root: Path, months: int = 120, runs: int = 10) -> Profile:
    """Sample ``runs`` runs of ``months`` baseline months in a new process started in
    ``root`` (run by its ``.venv/bin/python``).

    Raises
    ------
    ValueError
        If ``root`` is no folder with a ``.venv/bin/python`` (a
        :class:`benchmarks.options.CheckoutError`, naming it and how to link one),
        py-spy is missing, or ``months`` or ``runs`` is below 1.
    subprocess.CalledProcessError
        If py-spy or the run fails; their output is in the error.
    RuntimeError
        If the run printed no result.
    """
    python = venv_python(root)
    if months < 1 or runs < 1:
        raise ValueError(f"months = {months}, runs = {runs}: each must be a whole number >= 1")
    code = _CHILD.format(runs=runs, months=months)
    plain = _step_cpu(
        subprocess.run(
            [str(python), "-c", code], cwd=root, capture_output=True, text=True, check=True
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "stacks.txt"
        sampled = _step_cpu(subprocess.run(
            [str(_py_spy()), "record", "--rate", str(RATE), "--format", "raw",
             "--output", str(raw), "--", str(python), "-c", code],
            cwd=root, capture_output=True, text=True, check=True,
        ))  # fmt: skip
        samples = tally(raw.read_text().splitlines())
    return Profile(root.resolve(), months * runs, plain, sampled, samples)


def _step_cpu(done: subprocess.CompletedProcess[str]) -> float:
    """The steps' CPU seconds a run of :data:`_CHILD` printed (py-spy writes its own
    lines to stdout too)."""
    result = [x for x in done.stdout.splitlines() if x.startswith('{"step_cpu"')]
    if not result:
        raise RuntimeError(f"the profiled run printed no result:\n{done.stdout}{done.stderr}")
    return float(json.loads(result[-1])["step_cpu"])


def _print(name: str, p: Profile, top: int) -> None:
    """One checkout's tables."""
    s = p.samples
    print(
        f"\n{name} ({p.root}): {p.months} months, {p.step_cpu / p.months * 1e3:.3f} ms a "
        f"month of CPU ({p.sampled_cpu / p.months * 1e3:.3f} while sampled), {s.total:,} "
        "samples in its steps"
    )
    print(f"{'share':>6s} {'ms/month':>9s}  phase")
    for phase, n in s.phases.most_common():
        print(f"{n / s.total:6.1%} {p.ms_a_month(n):9.3f}  {phase}")
    print(f"{'share':>6s} {'ms/month':>9s}  function (own samples)")
    for fn, n in s.own.most_common(top):
        print(f"{n / s.total:6.1%} {p.ms_a_month(n):9.3f}  {fn}")


def main(argv: list[str] | None = None) -> None:
    """Print the tables (``--before``'s first if given, then this checkout's)."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.profile_run",
        description="Sample a baseline run's stacks with py-spy, here and in another checkout.",
    )
    ap.add_argument("--months", type=int, default=120, help="months a run (default 120)")
    ap.add_argument("--runs", type=int, default=10, help="runs sampled (default 10)")
    ap.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    ap.add_argument(
        "--before", type=checkout, metavar="DIR", help="another checkout, profiled first"
    )
    args = ap.parse_args(argv)
    try:
        checkouts = [("before", args.before)] if args.before else []
        for name, root in [*checkouts, ("here", HERE)]:
            _print(name, profile(root, args.months, args.runs), args.top)
    except ValueError as err:
        ap.error(str(err))
    except subprocess.CalledProcessError as err:  # the run's or py-spy's own words
        said = ((err.stderr or "") + (err.stdout or "")).strip().splitlines()
        ap.exit(1, f"{ap.prog}: the profiled run failed: {said[-1] if said else err}\n")


if __name__ == "__main__":
    main()
