"""Scenario comparison with common random numbers.

Each scenario is run with the same ``replicates`` seeds (replicate ``r`` gets child ``r``
of ``SeedSequence(root_seed)`` in every scenario), so differences between scenarios are
paired: the difference for replicate ``r`` removes the noise the scenarios share, and its
Student-t interval over replicates is far tighter than comparing two independent means
(common random numbers, Law & Kelton, *Simulation Modeling and Analysis*, ch. 11).
The runs go through the sweep store, so an interrupted comparison resumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.sweeps.analysis import mean_ci
from experiments.sweeps.spec import DEFAULT_MODEL, SweepSpec
from experiments.sweeps.store import SweepStore
from experiments.sweeps.sweep import run_sweep

__all__ = ["DEFAULT_COMPARE_OUTPUTS", "CompareResult", "compare_scenarios", "compare_table"]

DEFAULT_COMPARE_OUTPUTS: list[str | dict[str, Any]] = [
    "compute_spot_price",
    "power_price",
    "capacity_gw_powered",
    "throttled_share",
    "cloud_hhi",
    "lockin_index",
    "labs_active",
    {"name": "round_trip_ratio", "table": "deals", "column": "round_trip_ratio", "agg": "max"},
]
"""Final-month model-frame metrics (issue 3) and the largest deal round-trip ratio."""


@dataclass
class CompareResult:
    """The comparison table, its figure and the sweep directory behind them."""

    table: pd.DataFrame
    store: Path
    files: list[Path] = field(default_factory=list)


def compare_spec(
    scenarios: list[str],
    *,
    replicates: int,
    months: int,
    root_seed: int = 0,
    outputs: list[str | dict[str, Any]] | None = None,
    model: str = DEFAULT_MODEL,
) -> SweepSpec:
    """The sweep spec of a comparison: a ``scenarios`` design, common random numbers."""
    return SweepSpec.from_dict(
        {
            "name": "compare",
            "base": scenarios[0],
            "months": months,
            "replicates": replicates,
            "root_seed": root_seed,
            "common_random_numbers": True,
            "model": model,
            "design": {"kind": "scenarios", "scenarios": list(scenarios)},
            "outputs": {"final": list(outputs or DEFAULT_COMPARE_OUTPUTS)},
        },
        source="compare",
    )


def compare_table(
    frame: pd.DataFrame, outputs: list[str], reference: str, conf: float = 0.95
) -> pd.DataFrame:
    """Per scenario and output: mean with CI, and the paired difference to ``reference``.

    Differences pair runs by replicate (same seed); a replicate missing or NaN in either
    scenario is left out of that difference.
    """
    rows = []
    ref = frame[frame["scenario"] == reference].set_index("replicate")
    for scn, grp in frame.groupby("scenario", sort=False):
        g = grp.set_index("replicate")
        for out in outputs:
            m, lo, hi, n = mean_ci(g[out].to_numpy(float), conf)
            common = g.index.intersection(ref.index)
            diff = g.loc[common, out].to_numpy(float) - ref.loc[common, out].to_numpy(float)
            dm, dlo, dhi, dn = mean_ci(diff, conf)
            rows.append(
                {
                    "scenario": scn,
                    "output": out,
                    "mean": m,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": n,
                    "diff": dm,
                    "diff_ci_low": dlo,
                    "diff_ci_high": dhi,
                    "n_pairs": dn,
                }
            )
    table = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(dict.fromkeys(frame["scenario"]))}
    table["_o"] = table["scenario"].map(order)
    return (
        table.sort_values(["output", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    )


def _plot(table: pd.DataFrame, reference: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outs = list(dict.fromkeys(table["output"]))
    ncol = min(3, len(outs))
    nrow = int(np.ceil(len(outs) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 2.8 * nrow), squeeze=False)
    for ax, out in zip(axes.flat, outs, strict=False):
        t = table[(table["output"] == out) & (table["scenario"] != reference)]
        if t["diff"].notna().any():
            x, lo, hi, title = t["diff"], t["diff_ci_low"], t["diff_ci_high"], f"Δ vs {reference}"
            ax.axvline(0.0, color="grey", lw=0.8)
        else:  # the reference has no value (e.g. no deal): show each scenario's mean
            t = table[table["output"] == out]
            x, lo, hi, title = t["mean"], t["ci_low"], t["ci_high"], "mean (none in reference)"
        y = np.arange(len(t))
        err = np.vstack([x - lo, hi - x])
        ax.errorbar(x, y, xerr=np.nan_to_num(err), fmt="o", capsize=3)
        ax.set_yticks(y, t["scenario"], fontsize=8)
        ax.set_title(f"{out}: {title}", fontsize=9)
    for ax in list(axes.flat)[len(outs) :]:
        ax.set_visible(False)
    fig.suptitle("Scenario differences (paired, common random numbers; 95% CI)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def compare_scenarios(
    scenarios: list[str],
    out: str | Path,
    *,
    replicates: int = 8,
    months: int = 120,
    root_seed: int = 0,
    outputs: list[str | dict[str, Any]] | None = None,
    model: str = DEFAULT_MODEL,
    workers: int | None = None,
    dask: str | None = None,
    progress: bool = True,
    figures: bool = True,
    check: bool = True,
) -> CompareResult:
    """Run ``scenarios`` with common random numbers and compare them to the first one.

    Writes ``compare.csv`` and ``compare.png`` into ``out`` (which is also the sweep
    directory of the runs, so the comparison resumes after an interruption).
    """
    spec = compare_spec(
        scenarios,
        replicates=replicates,
        months=months,
        root_seed=root_seed,
        outputs=outputs,
        model=model,
    )
    run_sweep(spec, out, workers=workers, dask=dask, progress=progress, check=check)
    store = SweepStore.open(out)
    frame = store.load()
    names = [o.name for o in spec.outputs.final]
    table = compare_table(frame, names, reference=scenarios[0])
    files = []
    csv = store.root / "compare.csv"
    table.to_csv(csv, index=False)
    files.append(csv)
    if figures and not table.empty:
        png = store.root / "compare.png"
        _plot(table, scenarios[0], png)
        files.append(png)
    return CompareResult(table=table, store=store.root, files=files)
