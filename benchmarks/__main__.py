"""Run every benchmark module (``benchmarks/bench_*.py``) and print its table.

Usage: ``python -m benchmarks [--quick] [NAME ...]`` where NAME is a module suffix
(``calibration``, ``clearing``, ``model``, ``sweeps``, ``viz``); all of them by default.
A module's own options (``--before DIR``, ``--ab-only``...) are its own command's:
``python -m benchmarks.bench_model --help``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

import benchmarks

__all__ = ["NAMES", "main"]

NAMES = tuple(
    sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
)
"""The benchmarks, by module suffix."""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named (all by default), each with ``--quick`` if given."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the benchmarks and print their tables, measured side by side.",
        epilog="A benchmark's own options: python -m benchmarks.bench_NAME --help",
    )
    ap.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run, of {', '.join(NAMES)} (default: all)",
    )
    ap.add_argument("--quick", action="store_true", help="fewer and shorter runs")
    args = ap.parse_intermixed_args(argv)  # names before and after --quick
    unknown = [n for n in args.names if n not in NAMES]
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    for name in args.names or NAMES:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"\n== benchmarks.bench_{name} ==", flush=True)
        start = time.perf_counter()
        module.main(["--quick"] if args.quick else [])
        print(f"({time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
