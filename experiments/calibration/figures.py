"""Calibration figures (matplotlib, without ``pyplot``), written atomically as PNG.

- ``corner.png``: pyabc's KDE matrix of the posterior (``pyabc.visualization.plot_kde_matrix``:
  weighted 1-d marginals on the diagonal, 2-d KDEs and weighted scatter off it), axes at the
  prior ranges; for one parameter, its weighted 1-d KDE (``plot_kde_1d``). Each parameter
  is labelled by the shortest tail of its path that names one scenario field
  (:func:`short_names`: ``anthropic.capability``, not ``capability``), wrapped to its
  panel, and matplotlib's constrained layout keeps labels and title inside the figure.
- ``ppc.png``: one panel per target series: the posterior-predictive median and 90% band of
  the model beside the reported value with its 90% measurement interval, on log axes
  labelled in plain numbers.

Like every figure of the package (:mod:`experiments.report`), they are
:class:`~matplotlib.figure.Figure` objects made without ``pyplot``, so a calibration run from
a notebook leaves the notebook's backend and figures as they were.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.calibration.priors import Priors
from experiments.paths import atomic_write_bytes

__all__ = ["corner_figure", "corner_plot", "ppc_figure", "ppc_plot", "short_names"]


def _save(fig: Figure, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _fits(pattern: tuple[str, ...], tail: list[str]) -> bool:
    """Whether a schema path (``*`` for any list item) can end in ``tail``."""
    k = len(tail)
    return len(pattern) >= k and all(a in ("*", b) for a, b in zip(pattern[-k:], tail, strict=True))


def short_names(paths: list[str]) -> dict[str, str]:
    """Each override path's shortest tail of dotted parts that names it unambiguously.

    A tail is ambiguous when another of ``paths`` ends in it, when more than one field of
    the scenario schema can end in it (:func:`experiments.sweeps.schema.numeric_paths`,
    list items by any name: ``markup`` is a chip vendor's and a cloud's), or when the
    field it names sits in a list whose item the tail leaves out (``capability``: which
    lab's?). So ``labs.anthropic.capability`` is ``anthropic.capability``,
    ``chips.vendors.nvidia.markup`` is ``vendors.nvidia.markup`` and
    ``demand.growth_per_year`` is ``growth_per_year``. A path the schema does not hold
    (a table keyed by name) needs only to differ from the others.
    """
    from experiments.sweeps.schema import numeric_paths

    # numeric_paths gives each list's items as index 0: any item
    schema = [tuple("*" if x == "0" else x for x in p.split(".")) for p in numeric_paths()]
    out = {}
    for path in paths:
        parts = path.split(".")
        out[path] = path
        for k in range(1, len(parts) + 1):
            tail = parts[-k:]
            if any(q != path and q.split(".")[-k:] == tail for q in paths):
                continue
            hits = [pattern for pattern in schema if _fits(pattern, tail)]
            if len(hits) > 1 or (hits and "*" in hits[0][:-k]):
                continue
            out[path] = ".".join(tail)
            break
    return out


def _wrapped(label: str, width: int) -> str:
    """``label`` broken into lines of about ``width`` characters after a ``.``, ``_`` or space."""
    lines, line = [], ""
    for piece in re.findall(r"[^._ ]+[._ ]?", label):
        if line and len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    return "\n".join([*lines, line.rstrip()])


def corner_plot(draws: pd.DataFrame, weights: np.ndarray, priors: Priors, path: Path) -> Path:
    """The posterior's pairwise KDE matrix, axes at the prior ranges, into ``path``."""
    return _save(corner_figure(draws, weights, priors), path)


def corner_figure(draws: pd.DataFrame, weights: np.ndarray, priors: Priors) -> Figure:
    """The figure :func:`corner_plot` writes."""
    from pyabc.visualization import plot_kde_matrix

    paths = priors.paths
    frame = pd.DataFrame(index=draws.index)
    limits, names = {}, {}
    short = short_names(paths)
    n = len(paths)
    height = 1.6 if n > 6 else 2.5  # inches a panel, as pyabc sizes its own matrix
    width = 18 if n > 6 else 28  # characters of a label's line: about a panel's width
    for p in paths:  # loguniform parameters on a log10 axis, so the KDE sees a unit scale
        pr = priors.parameters[p]
        log = pr.distribution == "loguniform"
        frame[p] = np.log10(draws[p]) if log else draws[p]
        limits[p] = (np.log10(pr.min), np.log10(pr.max)) if log else (pr.min, pr.max)
        names[p] = _wrapped(f"log10 {short[p]}" if log else short[p], width)
    if n == 1:  # pyabc's matrix indexes a grid of axes, which one parameter does not make
        from pyabc.visualization import plot_kde_1d

        fig = Figure(figsize=(4.0, 3.0), layout="constrained")
        ax = fig.subplots()
        (p,) = paths
        plot_kde_1d(
            frame, np.asarray(weights), p, xmin=limits[p][0], xmax=limits[p][1], ax=ax,
            xname=names[p],
        )  # fmt: skip
        fig.suptitle("Posterior (weighted KDE), axis at the prior range", fontsize=10)
        return fig
    numxy = 25 if n > 6 else 50  # grid points per KDE axis: n^2 panels stay quick
    fig = Figure(figsize=(height * n, height * n))
    plot_kde_matrix(
        frame, np.asarray(weights), limits=limits, numx=numxy, numy=numxy, names=names,
        colorbar=False, arr_ax=fig.subplots(n, n, squeeze=False),
    )  # fmt: skip
    # pyabc ends with tight_layout, which leaves the title no room: lay out the figure again
    # under constrained layout, title included, when it is drawn
    fig.set_layout_engine("constrained", h_pad=0.02, w_pad=0.02, hspace=0.0, wspace=0.0)
    title = "Posterior (weighted KDE), axes at the prior ranges"
    fig.suptitle(title, fontsize=10 if n < 4 else 14)  # in the width of two or three panels
    return fig


def _plain_log_labels(ax: Any) -> None:
    """Label a log y axis in plain numbers (0.28, 3, 20), not ``2.8×10⁻¹``: the ticks
    matplotlib's log formatters would label (all the decades', and the minor ticks' where
    the axis spans little), each written with up to three significant digits."""
    from matplotlib.ticker import LogFormatterSciNotation

    class Plain(LogFormatterSciNotation):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return f"{x:.3g}" if super().__call__(x, pos) else ""

    ax.yaxis.set_major_formatter(Plain())
    ax.yaxis.set_minor_formatter(Plain(labelOnlyBase=False))


def ppc_plot(ppc: pd.DataFrame, path: Path) -> Path:
    """Posterior-predictive band (median, 90%) vs reported value and its 90% interval."""
    return _save(ppc_figure(ppc), path)


def ppc_figure(ppc: pd.DataFrame) -> Figure:
    """The figure :func:`ppc_plot` writes."""
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
        _plain_log_labels(ax)
        ax.set_xticks(x, [str(int(v)) for v in x])
        ax.set_title(f"{sid}\n({d['unit'].iloc[0]})", fontsize=9)
        ax.tick_params(which="both", labelsize=8)
    for ax in axes.flat[len(series) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="best")
    share = ppc["inside"].mean()
    fig.suptitle(f"Posterior-predictive check: {share:.0%} of targets inside the model's 90% band")
    fig.tight_layout()
    return fig
