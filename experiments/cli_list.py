"""``gigawatt list scenarios|specs|levers|metrics``: what can be run, moved and measured.

Plain tables on standard output: the shipped scenarios with their descriptions, the
shipped sweep specs (design, runs, horizon and the file to copy), the policy levers (dotted
scenario path, meaning, range, unit, baseline value) that sweeps, ``compare`` and the
browser app move, and every reported column (the model frame's and each tidy table's:
name, unit, definition, as declared in :mod:`agents.columns`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = [
    "LISTS",
    "MODEL_FRAME",
    "levers_table",
    "metrics_table",
    "plain_table",
    "register",
    "scenarios_table",
    "specs_table",
]

MODEL_FRAME = "model"
"""The ``table`` value of the model frame's columns in :func:`metrics_table`."""


def scenarios_table() -> pd.DataFrame:
    """Shipped scenarios: name, horizon in months, description."""
    from experiments.scenarios import list_scenarios, load_scenario

    rows = []
    for name in list_scenarios():
        scn = load_scenario(name)
        rows.append({"scenario": name, "months": scn.months, "description": scn.description})
    return pd.DataFrame(rows)


def specs_table() -> pd.DataFrame:
    """Shipped sweep specs: name, design, runs (points x replicates), months, base scenario
    and the installed file (a spec is run by its name; its file is the one to copy)."""
    from experiments.sweeps.design import check_design_size
    from experiments.sweeps.spec import SPEC_DIR, list_specs, load_spec

    rows = []
    for name in list_specs():
        spec = load_spec(name)
        rows.append(
            {
                "spec": name,
                "design": spec.design.kind,
                "runs": check_design_size(spec),
                "months": spec.months,
                "base": spec.base,
                "file": str(SPEC_DIR / f"{name}.toml"),
            }
        )
    return pd.DataFrame(rows)


def levers_table() -> pd.DataFrame:
    """Policy levers: path, meaning, range, unit and the default scenario's value."""
    from agents.scenario import LEVERS
    from experiments.scenarios import DEFAULT_SCENARIO, load_scenario

    base = load_scenario(DEFAULT_SCENARIO).to_dict()

    def value(path: str) -> Any:
        node: Any = base
        for key in path.split("."):
            node = node[int(key)] if isinstance(node, list) else node.get(key)
        return node

    rows = [
        {
            "path": lever.path,
            "meaning": lever.label,
            "min": _num(lever.min),
            "max": _num(lever.max),
            "unit": lever.unit,
            DEFAULT_SCENARIO: "none" if value(lever.path) is None else _num(value(lever.path)),
        }
        for lever in LEVERS.values()
    ]
    return pd.DataFrame(rows)


def metrics_table() -> pd.DataFrame:
    """Every reported column: table (``model`` for the model frame), column, unit, definition."""
    from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS

    tables = {MODEL_FRAME: MODEL_COLUMNS, **TABLE_COLUMNS}
    rows = [
        {"table": table, "column": c.name, "unit": c.unit, "definition": c.definition}
        for table, cols in tables.items()
        for c in cols
    ]
    return pd.DataFrame(rows)


def _num(x: float) -> str:
    """``40 billion`` rather than ``4e+10``."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= size:
            return f"{x / size:g} {word}"
    return f"{x:g}"


def plain_table(frame: pd.DataFrame) -> str:
    """Columns padded to their widest cell, text left-aligned, two spaces apart."""
    cells = [[str(c) for c in frame.columns]] + [
        [str(v) for v in row] for row in frame.itertuples(index=False)
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(frame.columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


LISTS: dict[str, tuple[str, Callable[[], pd.DataFrame]]] = {
    "scenarios": ("shipped scenarios with their descriptions", scenarios_table),
    "specs": ("shipped sweep specs: design, runs, months, file", specs_table),
    "levers": ("policy levers: scenario path, range, unit, baseline value", levers_table),
    "metrics": (
        "reported columns of the model frame and each table: unit, definition",
        metrics_table,
    ),
}
"""What ``gigawatt list`` can show: name -> (help line, table builder)."""


def register(subparsers: Any) -> None:
    """Add the ``list`` subcommand."""
    p = subparsers.add_parser(
        "list",
        help="list shipped scenarios, sweep specs, policy levers or reported metrics",
        description="Print a plain table of what can be listed:\n"
        + "\n".join(f"  {k:<10} {v[0]}" for k, v in LISTS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", nargs="?", choices=list(LISTS), help="what to list")
    p.set_defaults(func=_list, list_help=p.format_help)


def _list(args: argparse.Namespace) -> int:
    if args.what is None:  # `gigawatt list` alone: what can be listed
        sys.stdout.write(args.list_help())
        return 0
    sys.stdout.write(plain_table(LISTS[args.what][1]()) + "\n")
    return 0
