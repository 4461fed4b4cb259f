"""Calibration figures (matplotlib, without ``pyplot``), written atomically as PNG.

- ``corner.png``: pyabc's KDE matrix of the posterior (``pyabc.visualization.plot_kde_matrix``:
  weighted 1-d marginals on the diagonal, 2-d KDEs and weighted scatter off it), axes at the
  prior ranges; for one parameter, its weighted 1-d KDE (``plot_kde_1d``).
- ``ppc.png``: one panel per target series: the posterior-predictive median and 90% band of
  the model beside the reported value with its 90% measurement interval.

Like every figure of the package (:mod:`experiments.report`), they are
:class:`~matplotlib.figure.Figure` objects made without ``pyplot``, so a calibration run from
a notebook leaves the notebook's backend and figures as they were.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.calibration.priors import Priors
from experiments.sweeps.shards import atomic_write_bytes

__all__ = ["corner_plot", "ppc_plot"]


def _save(fig: Figure, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    atomic_write_bytes(path, buf.getvalue())
    return path


def corner_plot(draws: pd.DataFrame, weights: np.ndarray, priors: Priors, path: Path) -> Path:
    """The posterior's pairwise KDE matrix, axes at the prior ranges, into ``path``."""
    from pyabc.visualization import plot_kde_matrix

    paths = priors.paths
    frame = pd.DataFrame(index=draws.index)
    limits, names = {}, {}
    for p in paths:  # loguniform parameters on a log10 axis, so the KDE sees a unit scale
        pr = priors.parameters[p]
        log = pr.distribution == "loguniform"
        frame[p] = np.log10(draws[p]) if log else draws[p]
        limits[p] = (np.log10(pr.min), np.log10(pr.max)) if log else (pr.min, pr.max)
        short = p.split(".")[-1] if len(p) > 22 else p
        names[p] = f"log10 {short}" if log else short
    n = len(paths)
    if n == 1:  # pyabc's matrix indexes a grid of axes, which one parameter does not make
        from pyabc.visualization import plot_kde_1d

        fig = Figure(figsize=(4.0, 3.0))
        ax = fig.subplots()
        (p,) = paths
        plot_kde_1d(
            frame, np.asarray(weights), p, xmin=limits[p][0], xmax=limits[p][1], ax=ax,
            xname=names[p],
        )  # fmt: skip
        fig.suptitle("Posterior (weighted KDE), axis at the prior range", y=1.0)
        return _save(fig, path)
    numxy = 25 if n > 6 else 50  # grid points per KDE axis: n^2 panels stay quick
    height = 1.6 if n > 6 else 2.5  # inches a panel, as pyabc sizes its own matrix
    fig = Figure(figsize=(height * n, height * n))
    plot_kde_matrix(
        frame, np.asarray(weights), limits=limits, numx=numxy, numy=numxy, names=names,
        colorbar=False, arr_ax=fig.subplots(n, n, squeeze=False),
    )  # fmt: skip
    fig.suptitle("Posterior (weighted KDE), axes at the prior ranges", y=1.0)
    return _save(fig, path)


def ppc_plot(ppc: pd.DataFrame, path: Path) -> Path:
    """Posterior-predictive band (median, 90%) vs reported value and its 90% interval."""
    series = list(dict.fromkeys(ppc["series"]))
    cols = min(4, len(series))
    rows = -(-len(series) // cols)
    fig = Figure(figsize=(3.6 * cols, 2.8 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, sid in zip(axes.flat, series, strict=False):
        d = ppc[ppc["series"] == sid].sort_values("year")
        x = d["year"].to_numpy(dtype=float)
        single = len(x) == 1  # one year: the band as an error bar beside the report
        if single:
            band = [
                d["model_median"] - d["predictive_low"],
                d["predictive_high"] - d["model_median"],
            ]
            ax.errorbar(x + 0.1, d["model_median"], yerr=band, fmt="o", color="C0", capsize=4,
                        label="model median, 90% predictive")  # fmt: skip
            ax.set_xlim(x[0] - 0.5, x[0] + 0.5)
        else:
            ax.fill_between(x, d["predictive_low"], d["predictive_high"], color="C0", alpha=0.3,
                            label="model, 90% predictive")  # fmt: skip
            ax.plot(x, d["model_median"], "o-", color="C0", label="model median")
        yerr = [d["observed"] - d["observed_low"], d["observed_high"] - d["observed"]]
        ax.errorbar(x - (0.1 if single else 0), d["observed"], yerr=yerr, fmt="s", color="C1",
                    capsize=4, label="reported, 90% interval")  # fmt: skip
        ax.set_yscale("log")
        ax.set_xticks(x, [str(int(v)) for v in x])
        ax.set_title(f"{sid}\n({d['unit'].iloc[0]})", fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(series) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="best")
    share = ppc["inside"].mean()
    fig.suptitle(f"Posterior-predictive check: {share:.0%} of targets inside the model's 90% band")
    fig.tight_layout()
    return _save(fig, path)
