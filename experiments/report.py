"""Report figures of one run (matplotlib, Agg backend): PNG files the CLI and the app reuse.

Figures: prices, capacity, concentration, throttling, deal cash flows, each built from
a run's ``model_frame`` and ``tables`` (see :func:`experiments.runner.run_scenario`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "FIGURES",
    "capacity_figure",
    "concentration_figure",
    "deals_figure",
    "prices_figure",
    "throttling_figure",
    "write_report",
]


def _x(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["date"], format="%Y-%m")


def prices_figure(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> Figure:
    """Compute (spot, contract), power and chip prices over time."""
    fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    x = _x(frame)
    axes[0].plot(x, frame["compute_spot_price"], label="spot")
    axes[0].plot(x, frame["compute_contract_price"], label="contracts", ls="--")
    axes[0].set_ylabel("$ / H100e-hour")
    axes[0].legend()
    axes[0].set_title("Compute")
    axes[1].plot(x, frame["power_price"], color="tab:orange", label="demand-weighted")
    reg = tables.get("regions")
    if reg is not None and len(reg):
        for name, g in reg.groupby("region"):
            axes[1].plot(
                x.iloc[: len(g)],
                g["power_price"].to_numpy()[: len(x)],
                lw=0.8,
                alpha=0.6,
                label=str(name),
            )
    axes[1].set_ylabel("$ / MWh")
    axes[1].legend(fontsize=7, ncol=3)
    axes[1].set_title("Power")
    axes[2].plot(x, frame["chip_price"] / 1e3, color="tab:green")
    axes[2].set_ylabel("$k per H100e")
    axes[2].set_title("Chips")
    fig.tight_layout()
    return fig


def capacity_figure(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> Figure:
    """Data-centre GW built and powered, utilisation, and data centres' share of power."""
    fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    x = _x(frame)
    axes[0].plot(x, frame["capacity_gw_built"], label="built")
    axes[0].plot(x, frame["capacity_gw_powered"], label="powered")
    axes[0].set_ylabel("GW of IT load")
    axes[0].legend()
    axes[0].set_title("Data-centre capacity")
    axes[1].plot(x, frame["utilisation"], label="utilisation")
    axes[1].plot(x, frame["dc_power_share"], label="DC share of power demand")
    axes[1].set_ylim(0, 1.05)
    axes[1].legend()
    fig.tight_layout()
    return fig


def concentration_figure(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> Figure:
    """Cloud and chip HHI with the 1,800 threshold, and the lock-in index."""
    fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    x = _x(frame)
    axes[0].plot(x, frame["cloud_hhi"], label="cloud HHI")
    axes[0].plot(x, frame["ai_compute_hhi"], label="AI compute HHI")
    axes[0].plot(x, frame["chip_hhi"], label="chip HHI")
    axes[0].axhline(1800, color="grey", ls=":", label="1,800 (2023 Merger Guidelines)")
    axes[0].set_ylabel("HHI")
    axes[0].legend(fontsize=8)
    axes[0].set_title("Concentration")
    axes[1].plot(x, frame["lockin_index"], color="tab:purple")
    axes[1].set_ylabel("switching cost / annual spend")
    axes[1].set_title("Lock-in index")
    fig.tight_layout()
    return fig


def throttling_figure(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> Figure:
    """Throttled share of inference demand, per lab, and labs active."""
    fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    x = _x(frame)
    axes[0].plot(x, frame["throttled_share"], color="black", lw=2, label="all labs")
    ag = tables.get("agents")
    if ag is not None and len(ag) and "throttled_share" in ag:
        labs = ag[ag["kind"] == "lab"]
        for name, g in labs.groupby("name"):
            axes[0].plot(
                x.iloc[: len(g)], g["throttled_share"].to_numpy()[: len(x)], lw=0.8, label=str(name)
            )
    axes[0].set_ylabel("unserved share of inference")
    axes[0].legend(fontsize=7, ncol=3)
    axes[0].set_title("Throttling")
    axes[1].step(x, frame["labs_active"], where="post")
    axes[1].set_ylabel("labs active")
    fig.tight_layout()
    return fig


def deals_figure(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> Figure:
    """Each deal's cumulative investment and cloud revenue from the lab, and their ratio."""
    fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    deals = tables.get("deals")
    if deals is None or deals.empty:
        axes[0].text(
            0.5,
            0.5,
            "no deal in this scenario",
            ha="center",
            va="center",
            transform=axes[0].transAxes,
        )
    else:
        x = _x(frame)
        months = dict(zip(frame["month"], x, strict=True))
        for (inv, lab), g in deals.groupby(["investor", "lab"]):
            gx = g["month"].map(months)
            axes[0].plot(gx, g["invested_usd"] / 1e9, label=f"{inv} invests in {lab}")
            axes[0].plot(gx, g["cloud_revenue_usd"] / 1e9, ls="--", label=f"{lab} spends on {inv}")
            axes[0].plot(gx, g["contract_payments_usd"] / 1e9, ls=":", label="under the deal")
            axes[1].plot(gx, g["round_trip_ratio"], label=f"{inv}-{lab}: {g['status'].iloc[-1]}")
            axes[1].plot(gx, g["payments_to_investment"], ls=":", label="deal contract only")
        axes[1].axhline(1.0, color="grey", ls=":")
        axes[0].legend(fontsize=8)
        axes[1].legend(fontsize=8)
    axes[0].set_ylabel("$B, cumulative")
    axes[0].set_title("Deal cash flows (the round trip)")
    axes[1].set_ylabel("spend at investor / investment")
    fig.tight_layout()
    return fig


FIGURES = {
    "prices": prices_figure,
    "capacity": capacity_figure,
    "concentration": concentration_figure,
    "throttling": throttling_figure,
    "deals": deals_figure,
}
"""Report figures by file stem."""


def write_report(
    frame: pd.DataFrame, tables: dict[str, pd.DataFrame], out_dir: str | Path
) -> list[Path]:
    """Write every figure as ``<out_dir>/<name>.png`` (each atomically); return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in FIGURES.items():
        fig = make(frame, tables)
        fd, tmp = tempfile.mkstemp(dir=out, suffix=".png.tmp")
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=110, format="png")
            os.replace(tmp, out / f"{name}.png")
        finally:
            plt.close(fig)
            if os.path.exists(tmp):
                os.unlink(tmp)
        paths.append(out / f"{name}.png")
    return paths
