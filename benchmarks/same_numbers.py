"""Check that a speed-up changes no result: every shipped scenario's frames, before and after.

``save DIR`` runs every shipped scenario (``experiments/scenarios/*.toml``) for 120
months on seeds 7 and 3 and writes its model frame and tables as Parquet into ``DIR``;
``compare A B`` reads two such folders and prints, per scenario and seed, the largest
relative difference of any number (``|a - b| / max(|a|, |b|)``, 0 where both are 0) in
the model frame and in the tables, and the column where it occurs. Run ``save`` with
the code before a change (another checkout's interpreter, from that checkout) and after
it, then ``compare``::

    cd OTHER_CHECKOUT && .venv/bin/python PATH/benchmarks/same_numbers.py save /tmp/before
    .venv/bin/python benchmarks/same_numbers.py save /tmp/after
    .venv/bin/python benchmarks/same_numbers.py compare /tmp/before /tmp/after

``save DIR --pattern solver`` runs every scenario with that ``trade_pattern``: against a
checkout from before the proportional rule became the default, this is the same run.

Not a test (it takes about a minute); the tests compare solvers on small books.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["compare", "max_relative_difference", "save"]

SEEDS = (7, 3)
MONTHS = 120


def save(out: Path, months: int = MONTHS, pattern: str | None = None) -> None:
    """Run every shipped scenario on :data:`SEEDS` and write its frames into ``out``
    (with ``trade_pattern`` set to ``pattern`` if given)."""
    from experiments import run_scenario
    from experiments.scenarios import load_scenario

    out.mkdir(parents=True, exist_ok=True)
    names = sorted(p.stem for p in Path("experiments/scenarios").glob("*.toml"))
    for name in names:
        for seed in SEEDS:
            scn = load_scenario(name)
            if pattern is not None:
                scn = scn.with_overrides({"trade_pattern": pattern})
            res = run_scenario(scn, months=months, rng=seed, check=False)
            res.model_frame.to_parquet(out / f"{name}-s{seed}-model_frame.parquet")
            for table, frame in res.tables.items():
                frame.to_parquet(out / f"{name}-s{seed}-{table}.parquet")
            print(f"{name} seed {seed}: {len(res.model_frame)} months", flush=True)


def max_relative_difference(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, str]:
    """Largest relative difference between two frames' numbers, and its column.

    Frames of different shape or columns, or differing non-numeric cells, count as 1.0.
    """
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return 1.0, "shape or columns"
    worst, where = 0.0, ""
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if not (np.issubdtype(x.dtype, np.number) and np.issubdtype(y.dtype, np.number)):
            if not a[col].equals(b[col]):
                return 1.0, str(col)
            continue
        x, y = x.astype(np.float64), y.astype(np.float64)
        both_nan = np.isnan(x) & np.isnan(y)
        if (np.isnan(x) != np.isnan(y)).any():
            return 1.0, f"{col} (missing values differ)"
        scale = np.maximum(np.abs(x), np.abs(y))
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(both_nan | (scale == 0), 0.0, np.abs(x - y) / scale)
        if rel.size and float(rel.max()) > worst:
            worst, where = float(rel.max()), str(col)
    return worst, where


def compare(a: Path, b: Path) -> float:
    """Print the largest relative difference per scenario and seed; return the overall one."""
    overall = 0.0
    print(f"{'scenario':24s} {'seed':>4s} {'model frame':>12s} {'tables':>12s}  where")
    for path in sorted(a.glob("*-model_frame.parquet")):
        stem = path.name.removesuffix("-model_frame.parquet")
        name, seed = stem.rsplit("-s", 1)
        frame_diff, frame_col = max_relative_difference(
            pd.read_parquet(path), pd.read_parquet(b / path.name)
        )
        table_diff, table_col = 0.0, ""
        for tab in sorted(a.glob(f"{stem}-*.parquet")):
            if tab == path:
                continue
            d, col = max_relative_difference(pd.read_parquet(tab), pd.read_parquet(b / tab.name))
            if d > table_diff:
                table_diff = d
                table_col = f"{tab.name.removeprefix(stem + '-').removesuffix('.parquet')}.{col}"
        overall = max(overall, frame_diff, table_diff)
        where = ", ".join(x for x in (frame_col, table_col) if x)
        print(f"{name:24s} {seed:>4s} {frame_diff:12.3g} {table_diff:12.3g}  {where}")
    print(f"largest relative difference: {overall:.3g}")
    return overall


def main(argv: list[str] | None = None) -> int:
    """``save DIR [--pattern RULE]`` or ``compare A B``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "save":
        save(Path(args[1]))
        return 0
    if len(args) == 4 and args[0] == "save" and args[2] == "--pattern":
        save(Path(args[1]), pattern=args[3])
        return 0
    if len(args) == 3 and args[0] == "compare":
        compare(Path(args[1]), Path(args[2]))
        return 0
    print("usage: same_numbers.py save DIR [--pattern RULE] | compare A B", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
