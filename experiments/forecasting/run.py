"""``forecast``: posterior draws run forward, summarised as bands and paired differences.

A forecast reads a posterior folder (:mod:`experiments.posterior`), resamples ``draws``
parameter vectors (:func:`experiments.forecasting.plan.draw_table`), runs each scenario once
per draw through the sweep machinery (one crash-safe, resumable store per scenario under
``OUT/runs/``, on the process pool or Dask), and writes, each file atomically:

- ``quantiles.parquet``/``.csv``: per scenario, metric, month and quantile (5/25/50/75/95%);
- ``differences.parquet``/``.csv`` (with two or more scenarios): the same for the per-draw
  differences of every other scenario from the first
  (:func:`experiments.forecasting.bands.paired_differences`);
- ``draws.csv`` (draw, model seed, parameters), ``summary.txt`` (the deal lines, each
  scenario's key metrics at its last month and the last month's differences, each median
  with its 95% interval over draws, :func:`experiments.forecasting.bands.quantile_interval`,
  and its unit), ``fan.png`` and, with two or more scenarios, ``differences.png``.

Any of these an earlier forecast into the same folder wrote and this one does not (the
differences, with one scenario now; the figures, without them) is removed.

>>> res = forecast("calib-out", ["history-2023", "history-2023-deal"], out="fc", draws=20)  # doctest: +SKIP
>>> res.quantiles.query("metric == 'compute_spot_price' and quantile == 0.5")  # doctest: +SKIP
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.forecasting.bands import final_band, paired_differences, quantile_table
from experiments.forecasting.model import DEAL_COLUMNS, DEAL_CUM, TWIN_PREFIX
from experiments.forecasting.plan import (
    ForecastError,
    ScenarioLoadError,
    ScenarioPlan,
    check_draws,
    check_lineage,
    draw_table,
    drawn_rows,
    plan_scenarios,
    served_by_twins,
    sweep_spec,
)
from experiments.paths import atomic_write_bytes
from experiments.posterior import META_FILE, PosteriorError, read_posteriors

__all__ = ["KEY_METRICS", "ForecastResult", "forecast", "forecast_metrics"]

KEY_METRICS = (
    "compute_spot_price",
    "ai_services_price",
    "capacity_gw_built",
    "capacity_gw_powered",
    "throttled_share",
    "us_dc_power_share",
    "cloud_hhi",
    "chip_hhi",
    "ai_compute_hhi",
    "lockin_index",
    "labs_active",
    DEAL_CUM,
)
"""Metrics drawn in the fan charts (model-frame names, :mod:`agents.columns`)."""


@dataclass
class ForecastResult:
    """A forecast's tables, its summary lines and the files written.

    Attributes
    ----------
    quantiles : DataFrame
        :func:`experiments.forecasting.bands.quantile_table` of every scenario.
    differences : DataFrame
        The same over per-draw differences from the first scenario (empty with one).
    draws : DataFrame
        One row per scenario, draw and month: the values the bands summarise.
    parameters : DataFrame
        ``draw``, ``seed`` and the drawn parameters.
    summary : list of str
        The deal lines (the revenue each scenario's deal adds), then each scenario's key
        metrics at its last month (median, the median's 95% interval over draws and the 90%
        band, with units), then the last month's differences from the first scenario.
    failed : dict
        Runs that failed per scenario (left out of the bands).
    """

    quantiles: pd.DataFrame
    differences: pd.DataFrame
    draws: pd.DataFrame
    parameters: pd.DataFrame
    summary: list[str]
    failed: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    ran: int = 0
    """Sweep jobs executed by this call (resumed ones excluded): one per draw and scenario
    run, a deal scenario's including its no-deal twin."""
    model_runs: int = 0
    """Model runs in those jobs: two in a deal scenario's (the scenario and its twin)."""
    seconds: float = 0.0
    """Wall time of those runs (the sweeps, validation included)."""


def forecast_metrics() -> list[str]:
    """Every numeric model-frame column (:data:`agents.columns.MODEL_COLUMNS`)."""
    from agents.columns import MODEL_COLUMNS

    return [c.name for c in MODEL_COLUMNS if c.name not in ("month", "date")]


def _draw_frame(store_dir: Path, plan: ScenarioPlan, series: Sequence[str]) -> pd.DataFrame:
    from experiments.sweeps.store import SweepStore

    store = SweepStore.open(store_dir)
    long = store.load_series()  # design columns (point_id = draw) with the series
    if long.empty:
        return pd.DataFrame(columns=["scenario", "draw", "month", "date", *series])
    out = pd.DataFrame(
        {
            "scenario": plan.name,
            "draw": long["point_id"].to_numpy(np.int64),
            "month": long["month"].to_numpy(np.int64),
        }
    )
    start = pd.Timestamp(f"{plan.start}-01")
    dates = {m: start + pd.DateOffset(months=int(m)) for m in out["month"].unique()}
    out["date"] = out["month"].map(dates).astype("datetime64[ns]")
    for name in series:
        out[name] = long[name].to_numpy(float)
    return out


def _money(x: float) -> str:
    return f"${x / 1e9:,.1f}B"


def _median_interval(b: pd.Series, fmt: Callable[[float], str]) -> str:
    """The median's 95% interval over draws (:func:`experiments.forecasting.bands.quantile_interval`)."""
    low, high = float(b["median_low"]), float(b["median_high"])
    if not (np.isfinite(low) and np.isfinite(high)):
        return "too few draws to bound the median"
    return f"95% interval of the median over draws {fmt(low)} to {fmt(high)}"


def _labelled(metric: str) -> str:
    """``metric [unit]``, or the metric alone when it has no unit."""
    from experiments.forecasting.model import metric_unit

    unit = metric_unit(metric)
    return f"{metric} [{unit}]" if unit else metric


def _band_text(b: pd.Series, sign: str, draws: str) -> str:
    """A final band: median, the median's 95% interval over draws, the 90% band, draws."""

    def fmt(x: float) -> str:
        return f"{x:{sign}.4g}"

    return (
        f"median {fmt(b[0.5])} ({_median_interval(b, fmt)}; 90% band {fmt(b[0.05])} to "
        f"{fmt(b[0.95])}; {int(b['n'])} {draws})"
    )


def _summary(plans: Sequence[ScenarioPlan], frame: pd.DataFrame, diffs: pd.DataFrame) -> list[str]:
    """The summary lines: the revenue each deal adds, each scenario's key metrics at its
    last month, then the last month's paired differences from the first scenario."""
    lines = []
    band = final_band(frame, DEAL_CUM) if DEAL_CUM in frame.columns else pd.DataFrame()
    for plan in plans:
        if plan.name not in band.index:
            continue
        b = band.loc[plan.name]
        until = pd.Timestamp(b["date"]).strftime("%Y-%m")
        lines.append(
            f"{plan.name}: the deal adds {_money(b[0.5])} of {plan.investor} revenue from "
            f"{plan.lab} through {until} (median; {_median_interval(b, _money)}; 90% band "
            f"{_money(b[0.05])} to {_money(b[0.95])}; {int(b['n'])} draws, each against its "
            "no-deal twin)"
        )
    metrics = [m for m in KEY_METRICS if m not in DEAL_COLUMNS]
    bands = {m: final_band(frame, m) for m in metrics if m in frame.columns}
    for plan in plans:  # scenario by scenario
        for metric, band in bands.items():
            if plan.name in band.index:
                b = band.loc[plan.name]
                at = pd.Timestamp(b["date"]).strftime("%Y-%m")
                lines.append(
                    f"{plan.name}, {_labelled(metric)} at {at}: {_band_text(b, '', 'draws')}"
                )
    if diffs.empty:
        return lines
    ref = str(diffs["reference"].iloc[0])
    for metric in (m for m in metrics if m in diffs.columns):
        for scn, b in final_band(diffs, metric).iterrows():
            at = pd.Timestamp(b["date"]).strftime("%Y-%m")
            lines.append(
                f"{scn} - {ref}, {_labelled(metric)} at {at}: {_band_text(b, '+', 'paired draws')}"
            )
    return lines


OUTPUT_FILES = frozenset(
    f"{stem}.{ext}" for stem in ("quantiles", "differences") for ext in ("parquet", "csv")
) | {"draws.csv", "summary.txt", "fan.png", "differences.png"}
"""Every file a forecast writes in its folder (besides ``runs/``), some only with two or
more scenarios or with figures: one it does not write this time is removed."""


def _refuse_other_settings(store_dir: Path, spec: Any, folder: Path) -> None:
    """Refuse a forecast into a folder whose runs were made with other settings, naming
    the settings that changed (the sweep store would name only two digests).

    Raises
    ------
    ForecastError
        Naming ``--until``, ``--seed``, ``--draws`` or the posterior, and the fix.
    """
    from experiments.sweeps import SweepStore

    if not (store_dir / "manifest.json").is_file():
        return
    manifest = SweepStore(store_dir).manifest()  # a damaged one is a clear error
    if manifest.get("digest") == spec.digest():
        return
    old, new = manifest.get("spec", {}), spec.model_dump(mode="json")
    changed = []
    if old.get("months") != new["months"]:
        changed.append(f"--until (runs of {old.get('months')} months, now {new['months']})")
    if old.get("root_seed") != new["root_seed"]:
        changed.append(f"--seed ({old.get('root_seed')}, now {new['root_seed']})")
    draws = [len(p.get("levels") or []) for p in (old.get("parameters") or [{}])[:1]]
    if draws and draws[0] != len(new["parameters"][0]["levels"]):
        changed.append(f"--draws ({draws[0]}, now {len(new['parameters'][0]['levels'])})")
    elif old.get("parameters") != new["parameters"] and not changed:
        changed.append("the posterior (other parameter draws)")
    if not changed:
        changed.append("what the runs keep (a version of the project with other metrics)")
    raise ForecastError(
        f"--out {folder} holds a forecast made with other settings ({'; '.join(changed)}); "
        f"give another --out, or delete {store_dir.parent} to start this folder over"
    )


def _write_table(frame: pd.DataFrame, folder: Path, stem: str) -> list[Path]:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    atomic_write_bytes(folder / f"{stem}.parquet", buf.getvalue())
    atomic_write_bytes(folder / f"{stem}.csv", frame.to_csv(index=False).encode())
    return [folder / f"{stem}.parquet", folder / f"{stem}.csv"]


def forecast(
    posterior: str | Path | Sequence[str | Path],
    scenarios: Sequence[str] | None = None,
    *,
    out: str | Path,
    draws: int = 100,
    until: str | None = None,
    seed: int | None = None,
    workers: int | None = None,
    dask: str | None = None,
    executor: Executor | None = None,
    metrics: Sequence[str] | None = None,
    figures: bool = True,
    check: bool = True,
    progress: bool = False,
    share_twins: bool = True,
) -> ForecastResult:
    """Run ``draws`` posterior draws of each scenario forward and summarise them.

    Parameters
    ----------
    posterior : str, Path or sequence of them
        A posterior folder (:func:`experiments.posterior.read_posterior`), or several fits
        of one scenario, pooled (:func:`experiments.posterior.pool_posteriors`).
    scenarios : sequence of str, optional
        Scenario names or TOML paths (default: the posterior's scenario). The first is the
        reference of the paired differences.
    out : str or Path
        The forecast folder; running the same call again resumes its runs.
    draws : int
        Parameter vectors drawn (with replacement, by weight) and run in every scenario.
    until : str, optional
        Last month ``YYYY-MM`` (default: each scenario's own horizon).
    seed : int, optional
        Root of the draw sampling and of the model seeds (default: the posterior's
        ``root_seed``; the first fit's when several are pooled).
    workers, dask, executor
        Where the runs go (see :func:`experiments.sweeps.run_sweep`).
    metrics : sequence of str, optional
        Model-frame columns kept and summarised (default: :func:`forecast_metrics`).
    figures : bool
        Draw ``fan.png`` (and ``differences.png`` with two or more scenarios).
    share_twins : bool
        Read a scenario that is a deal scenario's no-deal twin from that scenario's twin
        runs instead of running it again (:func:`experiments.forecasting.plan.served_by_twins`;
        the same numbers, a third fewer model runs for ``history-2023`` beside
        ``history-2023-deal``). A folder whose runs were started without it resumes without it.

    Raises
    ------
    ForecastError
        For a bad input (posterior, scenario, path, ``until``, ``draws``, ``seed``).
    experiments.sweeps.errors.ExecutorError
        If called in a pool worker as it imports the script that started the pool
        (:func:`experiments.sweeps.executors.check_not_starting_worker`), or if the pool
        broke (as :func:`experiments.sweeps.run_sweep`).
    """
    from experiments.sweeps.executors import check_not_starting_worker, open_executor
    from experiments.sweeps.sweep import run_sweep

    check_not_starting_worker("forecast")
    try:
        folders = [posterior] if isinstance(posterior, str | Path) else list(posterior)
        post = read_posteriors(folders)
    except PosteriorError as exc:
        raise ForecastError(str(exc)) from None
    refs = list(scenarios) if scenarios else [post.scenario]
    try:
        plans = plan_scenarios(refs, until)
    except ScenarioLoadError as exc:
        if scenarios:
            raise
        # the posterior's own scenario, as its calibration was given it (a relative file
        # name reads from where the calibration ran)
        raise ForecastError(
            f"{exc} (the scenario {META_FILE} of {', '.join(str(f) for f in folders)} names); "
            "name the scenario (a shipped name or a .toml path) before --posterior"
        ) from None
    check_lineage(plans, post.scenario, f"{META_FILE} of {', '.join(str(f) for f in folders)}")
    root = int(post.meta.get("root_seed", 0)) if seed is None else seed
    params = draw_table(post, draws, root)
    check_draws(params, plans, [post.row_label(int(i)) for i in drawn_rows(post, draws, root)])
    kept = list(metrics) if metrics is not None else forecast_metrics()
    unknown = sorted(set(kept) - set(forecast_metrics()))
    if unknown:
        raise ForecastError(
            f"metrics {unknown}: not model-frame columns; see gigawatt list metrics"
        )
    folder = Path(out)
    twin_series = [TWIN_PREFIX + name for name in kept]
    started = {  # whether runs already in the folder keep their twins (None: none yet)
        k: _keeps_twins(folder / "runs" / _slug(p.name), twin_series) for k, p in enumerate(plans)
    }
    served = served_by_twins(plans) if share_twins else {}
    served = {j: i for j, i in served.items() if started[i] is not False}  # resumed as begun
    failed: dict[str, int] = {}
    stores: dict[int, Path] = {}
    ran, model_runs, seconds = 0, 0, 0.0
    series = [kept + (list(DEAL_COLUMNS) if plan.has_deal else []) for plan in plans]
    with ExitStack() as stack:
        ex = executor
        for k, plan in enumerate(plans):
            if k in served:
                continue  # read from the deal scenario's twins
            keep_twin = k in served.values() or started[k] is True
            spec = sweep_spec(
                plan, params, root, series[k] + (twin_series if keep_twin else []), keep_twin
            )
            store_dir = stores[k] = folder / "runs" / _slug(plan.name)
            _refuse_other_settings(store_dir, spec, folder)
            if ex is None:
                ex = stack.enter_context(open_executor(workers=workers, dask=dask))
            summary = run_sweep(
                spec,
                store_dir,
                executor=ex,
                progress=progress,
                check=check,
                shared_fs=dask in (None, "local"),
            )
            failed[plan.name] = _failures(store_dir) if summary.planned else 0
            ran, seconds = ran + summary.ran, seconds + summary.seconds
            model_runs += summary.ran * (2 if plan.has_deal else 1)
    frames = []
    for k, plan in enumerate(plans):
        if k in served:  # the twins' columns, under the scenario's own names
            deal = served[k]
            failed[plan.name] = failed[plans[deal].name]
            twins = _draw_frame(stores[deal], plan, twin_series)
            frames.append(twins.rename(columns=lambda c: c.removeprefix(TWIN_PREFIX)))
        else:
            frames.append(_draw_frame(stores[k], plan, series[k]))
    frame = pd.concat(frames, ignore_index=True)
    failed = {plan.name: failed[plan.name] for plan in plans}
    quantiles = quantile_table(frame)
    diff_draws = paired_differences(frame, plans[0].name) if len(plans) > 1 else pd.DataFrame()
    differences = quantile_table(diff_draws) if not diff_draws.empty else pd.DataFrame()
    lines = _summary(plans, frame, diff_draws)
    files = _write_table(quantiles, folder, "quantiles")
    if not differences.empty:
        files += _write_table(differences, folder, "differences")
    atomic_write_bytes(folder / "draws.csv", params.to_csv(index=False).encode())
    text = "\n".join(lines + [f"{k}: {v} failed runs left out" for k, v in failed.items() if v])
    atomic_write_bytes(folder / "summary.txt", (text + "\n").encode())
    files += [folder / "draws.csv", folder / "summary.txt"]
    if figures:
        from experiments.forecasting.figures import plot_fans

        files.append(plot_fans(quantiles, folder / "fan.png"))
        if not differences.empty:
            files.append(plot_fans(differences, folder / "differences.png", zero_line=True))
    # an earlier forecast into this folder may have written what this one does not (the
    # differences of two or more scenarios, the figures): left, they would be read as its
    for stale in OUTPUT_FILES - {f.name for f in files}:
        (folder / stale).unlink(missing_ok=True)
    return ForecastResult(
        quantiles, differences, frame, params, lines, failed, files, ran, model_runs, seconds
    )


def _slug(name: str) -> str:
    from experiments.paths import slug

    return slug(name, "scenario")


def _keeps_twins(store_dir: Path, twin_series: Sequence[str]) -> bool | None:
    """Whether the sweep begun in ``store_dir`` keeps its twins' ``twin_series``; None where
    none has begun. A forecast resumed in the same folder goes on as it began. The manifest
    is read by :meth:`experiments.sweeps.store.SweepStore.manifest`, which reports a damaged
    one."""
    from experiments.sweeps.store import SweepStore

    if not (store_dir / "manifest.json").exists():
        return None
    kept = SweepStore.open(store_dir).manifest()["outputs"]["series"]
    return set(twin_series) <= set(kept)


def _failures(store_dir: Path) -> int:
    from experiments.sweeps.store import SweepStore

    return int(SweepStore.open(store_dir).status()["failed"])
