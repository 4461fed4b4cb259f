"""Run every benchmark module (``benchmarks/bench_*.py``) and print its table.

Usage: ``python -m benchmarks [--quick] [NAME ...]`` where NAME is a module suffix
(``calibration``, ``clearing``, ``model``, ``sweeps``, ``viz``); all of them by default.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main() -> int:
    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    found = sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
    unknown = sorted(set(names) - set(found))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {found}", file=sys.stderr)
        return 2
    for name in names or found:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"\n== benchmarks.bench_{name} ==", flush=True)
        start = time.perf_counter()
        module.main()
        print(f"({time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
