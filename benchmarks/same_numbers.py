"""Check that a speed-up changes no result: every shipped scenario's frames, before and after.

``save DIR`` runs every shipped scenario (``experiments/scenarios/*.toml``) for 120
months on seeds 7 and 3 and writes its model frame and tables as Parquet into ``DIR``;
``compare A B`` reads two such folders and prints, per scenario and seed, the largest
relative difference of any number (``|a - b| / max(|a|, |b|)``, 0 where both are 0) in
the model frame and in the tables, and the column where it occurs. Run ``save`` with
the code before a change (from that checkout's root: the code of the working folder is
run, whichever checkout the interpreter's editable install names) and after it, then
``compare``. A column ``of scale`` gives the tables' largest difference relative
to the largest number of its column, rows matched by their names (a row of rounding dust
in one run only counts as its amount)::

    cd OTHER_CHECKOUT && .venv/bin/python PATH/benchmarks/same_numbers.py save /tmp/before
    .venv/bin/python benchmarks/same_numbers.py save /tmp/after
    .venv/bin/python benchmarks/same_numbers.py compare /tmp/before /tmp/after

``save DIR --pattern solver`` runs every scenario with that ``trade_pattern``: against a
checkout from before the proportional rule became the default, this is the same run.

Not a test (it takes about a minute); the tests compare solvers on small books.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "checkout_code",
    "compare",
    "max_relative_difference",
    "max_scaled_difference",
    "save",
]

SEEDS = (7, 3)
MONTHS = 120


def checkout_code() -> Path:
    """Import the code of the checkout this is run from (the working folder), and return it.

    The working folder goes first on ``sys.path``: run as a script, Python would look next
    to the script, then in the interpreter's packages, whose editable install names the
    checkout it was made in, not necessarily this one (a ``.venv`` linked from another).
    """
    root = Path.cwd().resolve()
    if not (root / "experiments" / "scenarios").is_dir():
        raise SystemExit(f"same_numbers: {root} is not a checkout's root; cd into one first")
    sys.path.insert(0, str(root))
    import experiments

    code = Path(experiments.__file__).resolve().parent.parent
    if code != root:
        raise SystemExit(f"same_numbers: imported {code}'s code, not {root}'s")
    return root


def save(out: Path, months: int = MONTHS, pattern: str | None = None) -> None:
    """Run every shipped scenario on :data:`SEEDS` with the code of the checkout it is run
    from (:func:`checkout_code`) and write its frames into ``out`` (with ``trade_pattern``
    set to ``pattern`` if given)."""
    print(f"code: {checkout_code()}", flush=True)
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


def max_scaled_difference(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, str]:
    """Largest difference between two frames' float columns relative to the column's
    largest magnitude, and its column.

    Rows are matched by the other columns (month, names, reasons...), so two cashflow
    tables that differ by a row of rounding dust (a payment of 1e-8 dollars posted in one
    run and exactly zero, so not posted, in the other) compare by that amount, with the
    missing row read as zero. Frames whose other columns do not identify their rows, or
    that have different columns, count as 1.0.
    """
    if list(a.columns) != list(b.columns):
        return 1.0, "columns"
    values = [c for c in a.columns if pd.api.types.is_float_dtype(a[c].dtype)]
    keys = [c for c in a.columns if c not in values]
    if a[keys].equals(b[keys]):
        x_all, y_all = a[values], b[values]
    else:
        if not keys or a[keys].duplicated().any() or b[keys].duplicated().any():
            return 1.0, "rows"
        both = a.merge(b, on=keys, how="outer", suffixes=("", "_b"))
        x_all = both[values].fillna(0.0)
        y_all = both[[f"{c}_b" for c in values]].fillna(0.0).set_axis(values, axis=1)
    worst, where = 0.0, ""
    for col in values:
        x, y = x_all[col].to_numpy(np.float64), y_all[col].to_numpy(np.float64)
        if (np.isnan(x) != np.isnan(y)).any():
            return 1.0, f"{col} (missing values differ)"
        scale = float(np.nanmax(np.maximum(np.abs(x), np.abs(y)), initial=0.0))
        if scale > 0.0:
            diff = float(np.nanmax(np.abs(x - y), initial=0.0)) / scale
            if diff > worst:
                worst, where = diff, str(col)
    return worst, where


def compare(a: Path, b: Path) -> float:
    """Print the largest relative difference per scenario and seed (and the largest of
    the tables' differences relative to their columns' scale, :func:`max_scaled_difference`);
    return the overall relative one."""
    overall = 0.0
    print(
        f"{'scenario':24s} {'seed':>4s} {'model frame':>12s} {'tables':>12s} "
        f"{'of scale':>9s}  where"
    )
    for path in sorted(a.glob("*-model_frame.parquet")):
        stem = path.name.removesuffix("-model_frame.parquet")
        name, seed = stem.rsplit("-s", 1)
        frame_diff, frame_col = max_relative_difference(
            pd.read_parquet(path), pd.read_parquet(b / path.name)
        )
        table_diff, table_col, scaled = 0.0, "", 0.0
        for tab in sorted(a.glob(f"{stem}-*.parquet")):
            if tab == path:
                continue
            ta, tb = pd.read_parquet(tab), pd.read_parquet(b / tab.name)
            scaled = max(scaled, max_scaled_difference(ta, tb)[0])
            d, col = max_relative_difference(ta, tb)
            if d > table_diff:
                table_diff = d
                table_col = f"{tab.name.removeprefix(stem + '-').removesuffix('.parquet')}.{col}"
        overall = max(overall, frame_diff, table_diff)
        where = ", ".join(x for x in (frame_col, table_col) if x)
        print(f"{name:24s} {seed:>4s} {frame_diff:12.3g} {table_diff:12.3g} {scaled:9.2g}  {where}")
    print(f"largest relative difference: {overall:.3g}")
    return overall


def main(argv: list[str] | None = None) -> int:
    """``save DIR [--pattern RULE]`` or ``compare A B``.

    The parser is the standard library's only: the script is also run from another
    checkout's root, whose ``benchmarks`` package may predate this one's helpers.
    """
    ap = argparse.ArgumentParser(
        prog="same_numbers.py", description=(__doc__ or "").splitlines()[0]
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="{save,compare}")
    s = sub.add_parser("save", help="run every shipped scenario and write its frames")
    s.add_argument("out", type=Path, metavar="DIR", help="the folder written")
    s.add_argument(
        "--pattern",
        metavar="RULE",
        choices=("solver", "proportional"),  # spelled out: an older checkout runs this too
        help="every scenario's trade_pattern: solver or proportional",
    )
    c = sub.add_parser("compare", help="the largest differences between two saved folders")
    c.add_argument("a", type=Path, metavar="A")
    c.add_argument("b", type=Path, metavar="B")
    args = ap.parse_args(argv)
    if args.command == "save":
        save(args.out, pattern=args.pattern)
    else:
        for folder in (args.a, args.b):
            if not folder.is_dir():
                ap.error(f"{folder}: no such folder; write one with: save {folder}")
        files = [{p.name for p in f.glob("*.parquet")} for f in (args.a, args.b)]
        if not any(name.endswith("-model_frame.parquet") for name in files[0]):
            ap.error(f"{args.a}: holds no saved run; write one with: save {args.a}")
        alone = sorted(files[0] ^ files[1])
        if alone:  # a run compared in part, or not at all, would read as the same numbers
            ap.error(
                f"{len(alone)} file(s) in only one of the folders, e.g. {alone[0]}: save both "
                "with the same scenarios (an interrupted save leaves some out)"
            )
        compare(args.a, args.b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
