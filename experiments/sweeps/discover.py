"""Scenario discovery: which input boxes produce an outcome of interest (PRIM).

Given a finished sweep and a condition on one output (``"labs_active < 5"``), every run is
a case: its inputs are the design's parameter values (plus ``base_scenario``, a category,
when the design has several scenarios), its label is whether the condition holds. The Patient Rule
Induction Method (Friedman and Fisher 1999, "Bump hunting in high-dimensional data",
Statistics and Computing 9(2)) peels the input space, a ``peel_alpha`` share of the cases
at a time, toward boxes where the condition holds; in scenario discovery (Bryant and
Lempert 2010, Technological Forecasting and Social Change 77(1)) each box is judged by
its **coverage** (share of all the cases of interest that fall inside it) and **density**
(share of the cases inside it that are of interest). The algorithm is the EMA Workbench's
(``ema_workbench.analysis.prim``, Kwakkel 2017), with its lenient objective function.

Each step of a box's peeling trajectory trades coverage for density; the box reported is
the densest step among those that keep a coverage of at least ``min_coverage`` (default
0.6, a common reading of the coverage-density trade-off), or the densest step if none does; ``trajectory`` keeps every step to choose another.
Further boxes are searched on the cases the earlier boxes leave out; a box in which fewer
than ``min_density`` (default 0.5) of the cases are of interest is not reported and ends
the search.

The condition is parsed, never evaluated: ``OUTPUT OP NUMBER`` with ``OP`` one of
``< <= > >= == !=`` (``true``/``false`` count as 1/0).
"""

from __future__ import annotations

import operator
import re
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.scenario_messages import suggest
from experiments.paths import atomic_write_text, save_figure
from experiments.quiet_logs import quieted
from experiments.sweeps.figures import figure
from experiments.sweeps.store import SweepStore

__all__ = ["Condition", "DiscoveryError", "DiscoveryResult", "discover", "parse_condition", "prim"]

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_CONDITION = re.compile(
    r"^\s*(?P<name>[A-Za-z_][\w.()\-]*)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>\S+)\s*$"
)


class DiscoveryError(ValueError):
    """A bad condition or a sweep that cannot be analysed; the message says the fix."""


@dataclass(frozen=True)
class Condition:
    """``output op value``, e.g. ``labs_active < 5``."""

    output: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.output} {self.op} {self.value:g}"

    def holds(self, values: pd.Series) -> np.ndarray:
        """Where the condition holds (NaN never does)."""
        v = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
        return np.asarray(_OPS[self.op](v, self.value), dtype=bool) & np.isfinite(v)


def parse_condition(text: str) -> Condition:
    """Parse ``"OUTPUT OP NUMBER"`` without evaluating anything.

    Raises
    ------
    DiscoveryError
        If the text is not of that form.
    """
    m = _CONDITION.match(text)
    if not m:
        raise DiscoveryError(
            f"where {text!r}: give one comparison OUTPUT OP NUMBER, e.g. 'labs_active < 5' "
            "(OP one of < <= > >= == !=)"
        )
    raw = m["value"].lower()
    try:
        value = {"true": 1.0, "false": 0.0}[raw] if raw in ("true", "false") else float(raw)
    except ValueError:
        raise DiscoveryError(
            f"where {text!r}: {m['value']!r} is not a number; compare with a number, "
            "e.g. 'labs_active < 5'"
        ) from None
    return Condition(m["name"], m["op"], value)


@dataclass
class DiscoveryResult:
    """Boxes found by PRIM, with their statistics and peeling trajectories.

    ``boxes``: one row per (box, restricted input): ``box``, ``input``, ``min``, ``max``
    (or ``values`` for a category), and the range the sweep's design spans,
    ``range_min``/``range_max`` (wider than the finished runs' in an unfinished sweep).
    ``notes``: what the boxes leave out (failed and pending runs).
    ``stats``: one row per box: ``coverage``, ``density``, ``mass``, ``n`` (cases inside),
    ``res_dim`` (restricted inputs). ``trajectory``: every peeling/pasting step of every
    box with the same columns and ``chosen`` marking the reported step.
    """

    condition: Condition
    cases: int
    of_interest: int
    boxes: pd.DataFrame
    stats: pd.DataFrame
    trajectory: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _ema_prim() -> Any:
    # the workbench warns about optional parallel back ends and logs progress at import
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim as ema_prim
    return ema_prim


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    max_boxes: int = 3,
    min_coverage: float = 0.6,
    min_density: float = 0.5,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run PRIM on inputs ``x`` (numeric or category columns) and labels ``y`` (bool).

    Returns ``(boxes, stats, trajectory)`` as described in :class:`DiscoveryResult`.
    """
    y = np.asarray(y, dtype=bool)
    if len(x) != len(y):
        raise DiscoveryError(f"{len(x)} input rows but {len(y)} labels")
    x = x.reset_index(drop=True)
    ema_prim = _ema_prim()
    with quieted("EMA"), warnings.catch_warnings():  # the workbench's per-box progress
        warnings.simplefilter("ignore", FutureWarning)  # the workbench's pandas idioms
        warnings.simplefilter("ignore", DeprecationWarning)
        return _prim(ema_prim, x, y, max_boxes, min_coverage, min_density, peel_alpha, mass_min)


def _prim(
    ema_prim: Any,
    x: pd.DataFrame,
    y: np.ndarray,
    max_boxes: int,
    min_coverage: float,
    min_density: float,
    peel_alpha: float,
    mass_min: float,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    p = ema_prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
    box_rows: list[dict[str, Any]] = []
    stat_rows: list[dict[str, Any]] = []
    traj: list[pd.DataFrame] = []
    for k in range(1, max_boxes + 1):
        box = p.find_box()
        if box is None:
            break
        t = box.peeling_trajectory.reset_index(drop=True)
        ok = t[t["coverage"] >= min_coverage]
        ok = ok if len(ok) else t
        # densest step; among equally dense ones the one that covers most
        chosen = int(ok.sort_values(["density", "coverage"], kind="stable").index[-1])
        box.select(chosen)
        t = t.assign(box=k, step=np.arange(len(t)), chosen=np.arange(len(t)) == chosen)
        traj.append(t[["box", "step", "coverage", "density", "mass", "res_dim", "chosen"]])
        row = t.iloc[chosen]
        if row["coverage"] <= 0 or row["res_dim"] == 0 or row["density"] < min_density:
            break  # nothing left to explain, the whole space, or mostly other cases
        stat_rows.append(
            {
                "box": k,
                "coverage": float(row["coverage"]),
                "density": float(row["density"]),
                "mass": float(row["mass"]),
                "n": int(t["n"].iloc[chosen]),
                "res_dim": int(row["res_dim"]),
            }
        )
        lim = box.box_lim
        for col in x.columns:
            lo, hi = lim[col].iloc[0], lim[col].iloc[1]
            init_lo, init_hi = p.box_init[col].iloc[0], p.box_init[col].iloc[1]
            if isinstance(lo, set):
                if lo == init_lo:
                    continue
                box_rows.append({"box": k, "input": col, "values": ", ".join(sorted(map(str, lo)))})
                continue
            if lo == init_lo and hi == init_hi:
                continue
            box_rows.append(
                {
                    "box": k,
                    "input": col,
                    "min": float(lo),
                    "max": float(hi),
                    "range_min": float(init_lo),
                    "range_max": float(init_hi),
                }
            )
    stats = pd.DataFrame(stat_rows, columns=["box", "coverage", "density", "mass", "n", "res_dim"])
    boxes = pd.DataFrame(
        box_rows, columns=["box", "input", "min", "max", "range_min", "range_max", "values"]
    )
    if not any("values" in r for r in box_rows):
        boxes = boxes.drop(columns="values")
    trajectory = (
        pd.concat(traj, ignore_index=True)
        if traj
        else pd.DataFrame(columns=["box", "step", "coverage", "density", "mass", "res_dim"])
    )
    trajectory = trajectory[trajectory["box"].isin(stats["box"])].reset_index(drop=True)
    trajectory["chosen"] = trajectory["chosen"].astype(bool)
    return boxes, stats, trajectory


def _plot_trajectory(traj: pd.DataFrame, condition: Condition, path: Path) -> None:
    n = max(1, int(traj["box"].nunique()))
    fig = figure((4.6 * n, 4.0), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)
    for ax, (k, t) in zip(axes[0], traj.groupby("box", sort=True), strict=False):
        sc = ax.scatter(
            t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", vmin=0, s=18, zorder=2
        )
        ax.plot(t["coverage"], t["density"], color="grey", lw=0.6, zorder=1)
        c = t[t["chosen"]]
        ax.scatter(
            c["coverage"], c["density"], s=120, facecolors="none", edgecolors="red", zorder=3,
            label="reported box",
        )  # fmt: skip
        ax.set_xlabel("coverage (share of cases of interest inside)")
        ax.set_ylabel("density (share inside that are of interest)")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"box {k}: peeling trajectory", fontsize=10)
        ax.legend(fontsize=8, loc="lower left")
        top = int(t["res_dim"].max())
        fig.colorbar(sc, ax=ax, label="restricted inputs", ticks=range(top + 1))
    # wrapped to the figure's width: one panel holds about 48 characters of the title
    title = textwrap.fill(f"Scenario discovery (PRIM): where {condition}", 48 * n)
    fig.suptitle(title, fontsize=11)
    save_figure(fig, path, dpi=110)


def discover(
    sweep_dir: str | Path,
    where: str | Condition,
    *,
    out_dir: str | Path | None = None,
    max_boxes: int = 3,
    min_coverage: float = 0.6,
    min_density: float = 0.5,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    figures: bool = True,
) -> DiscoveryResult:
    """Find input boxes of a finished sweep where ``where`` holds (PRIM).

    Parameters
    ----------
    sweep_dir
        A sweep folder (``gigawatt sweep --out``).
    where
        ``"OUTPUT OP NUMBER"``, e.g. ``"labs_active < 5"``, over any final output.
    out_dir
        Where ``discover_boxes.csv``, ``discover_stats.csv``, ``discover_trajectory.csv``
        and ``discover_trajectory.png`` go (default ``sweep_dir/analysis``).
    max_boxes, min_coverage, min_density, peel_alpha, mass_min
        PRIM settings (see the module docstring).

    Raises
    ------
    DiscoveryError
        Bad condition, unknown output, or no case (or every case) meets the condition.
    """
    cond = parse_condition(where) if isinstance(where, str) else where
    store = SweepStore.open(sweep_dir)
    spec = store.spec()
    frame = store.load()
    status = store.status()
    if frame.empty:
        raise DiscoveryError(
            f"{store.root}: no run of this sweep has finished ({status['pending']} pending, "
            f"{status['failed']} failed); run the sweep first (the same gigawatt sweep "
            "command resumes it)"
        )
    outputs = [o.name for o in spec.outputs.final]
    if cond.output not in outputs:
        raise DiscoveryError(
            f"where {str(cond)!r}: {cond.output!r} is not a final output of this sweep"
            f"{suggest(cond.output, outputs)} (outputs: {', '.join(outputs)})"
        )
    params = [p.path for p in spec.parameters]
    x = frame[params].astype(float)
    if frame["scenario"].nunique() > 1:  # (the workbench drops a column named "scenario")
        x["base_scenario"] = frame["scenario"].astype("category")
    if x.shape[1] == 0:
        raise DiscoveryError(f"{store.root}: the sweep varies no input; nothing to discover")
    varied = [c for c in x.columns if x[c].nunique() > 1]
    x = x[varied]
    values = frame[cond.output].astype(float)
    if not np.isfinite(values).any():
        raise DiscoveryError(
            f"where {str(cond)!r}: {cond.output} has no value in any of the {len(values)} "
            "runs of this sweep (it is empty where it does not apply, e.g. a contract price "
            "with no contract); choose another output"
        )
    y = cond.holds(frame[cond.output])
    if not y.any() or y.all():
        raise DiscoveryError(
            f"where {str(cond)!r} holds in {int(y.sum())} of {len(y)} runs; pick a "
            f"threshold inside the range of {cond.output} "
            f"({frame[cond.output].min():g} to {frame[cond.output].max():g})"
        )
    settings = {"min_coverage": min_coverage, "min_density": min_density}
    boxes, stats, traj = prim(
        x, y, max_boxes=max_boxes, peel_alpha=peel_alpha, mass_min=mass_min, **settings
    )
    if not boxes.empty and "range_min" in boxes:  # the design's span, not the runs' so far
        design = store.design()
        for col in boxes["input"].unique():
            if col in design and pd.api.types.is_numeric_dtype(design[col]):
                at = boxes["input"] == col
                boxes.loc[at, "range_min"] = float(design[col].min())
                boxes.loc[at, "range_max"] = float(design[col].max())
    result = DiscoveryResult(cond, len(y), int(y.sum()), boxes, stats, traj)
    if status["failed"] or status["pending"]:
        result.notes.append(
            f"{status['failed']} failed and {status['pending']} pending runs are left out"
        )
    out = Path(out_dir) if out_dir is not None else store.analysis_dir
    out.mkdir(parents=True, exist_ok=True)
    for name, table in (("boxes", boxes), ("stats", stats), ("trajectory", traj)):
        path = out / f"discover_{name}.csv"
        atomic_write_text(path, table.to_csv(index=False))
        result.files.append(path)
    if figures and not traj.empty:
        png = out / "discover_trajectory.png"
        _plot_trajectory(traj, cond, png)
        result.files.append(png)
    return result
