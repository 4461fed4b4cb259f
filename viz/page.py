"""The Gigawatt page: Mesa's SolaraViz page for one run of the world model.

The app file is :mod:`viz.app`; start it with ``gigawatt viz`` (``solara run`` with the settings that
keep every front-end asset local). The sidebar has SolaraViz's Step, Play/Pause and Reset, the
scenario selector, the seed, and one slider per policy lever (``agents.scenario.LEVERS``);
Reset rebuilds the model from the sidebar's values. The main area has three tabs:

- Page 0: the trade network; month counter, levers in effect and data downloads; power price
  by region; compute spot vs contract price.
- Page 1: capacity built, powered and used; chip price; throttled share; cloud and chip HHI.
- Page 2: each deal's cumulative investment vs cloud revenue; labs' cash runway.
"""

from __future__ import annotations

from typing import Any

import mesa.visualization.solara_viz as _solara_viz
import solara
from mesa.visualization import SolaraViz

from viz.components import (
    CapacityChart,
    ChipPriceChart,
    ComputePriceChart,
    ConcentrationChart,
    DealsChart,
    NetworkView,
    PowerPriceChart,
    RunwayChart,
    StatusPanel,
    ThrottledChart,
)
from viz.session import VizRun, initial_scale, initial_scenario, initial_seed

__all__ = ["PAGES", "grid_layout", "make_page", "model_params"]

#: Components per tab; the first of each tab spans the full width (see :func:`grid_layout`).
#: SolaraViz renders only the visible tab, which keeps a step cheap.
PAGES: list[tuple[Any, int]] = [
    (NetworkView, 0),
    (StatusPanel, 0),
    (PowerPriceChart, 0),
    (ComputePriceChart, 0),
    (CapacityChart, 1),
    (ChipPriceChart, 1),
    (ThrottledChart, 1),
    (ConcentrationChart, 1),
    (DealsChart, 2),
    (RunwayChart, 2),
]


def grid_layout(num_components: int) -> list[dict[str, Any]]:
    """Initial grid of a tab: the first component full width, the rest two per row.

    Replaces Mesa's ``make_initial_grid_layout`` (every component half width, 10 rows high),
    which leaves the trade network too small to read. Heights are grid rows (about 39 px).
    """
    layout = []
    y = 0
    for i in range(num_components):
        if i == 0:
            layout.append({"i": 0, "w": 12, "h": 13, "x": 0, "y": 0, "moved": False})
            y = 13
            continue
        j = i - 1
        layout.append(
            {"i": i, "w": 6, "h": 10, "x": 6 * (j % 2), "y": y + 10 * (j // 2), "moved": False}
        )
    return layout


# SolaraViz looks this function up at render time; it has no parameter for the grid.
_solara_viz.make_initial_grid_layout = grid_layout


#: Largest scale mode the slider offers (small labs and enterprise buyers added).
SCALE_MAX = 10_000


def model_params(run: VizRun) -> dict[str, Any]:
    """SolaraViz ``model_params``: scenario selector, seed, one slider per lever.

    Slider start positions are the lever values of the run the page opens with (a lever the
    scenario leaves unset, such as "no switching-fee cap", starts at the slider's right end);
    they are also passed as ``levers_start`` so that a lever left untouched keeps whatever
    value the scenario chosen at Reset has (see :class:`viz.session.VizRun`).
    """
    levers = run.backend.levers()
    start = {
        path: spec.max if value is None else min(max(value, spec.min), spec.max)
        for (path, value), spec in zip(run.lever_values().items(), levers.values(), strict=True)
    }
    params: dict[str, Any] = {
        "scenario_name": {
            "type": "Select",
            "label": "Scenario",
            "value": run.scenario_name,
            "values": run.backend.scenario_names(),
        },
        "seed": {"type": "SliderInt", "label": "Seed", "value": run.seed, "min": 0, "max": 99},
        "scale_agents": {
            "type": "SliderInt",
            "label": "Scale mode: extra small agents",
            "value": run.scale_agents,
            "min": 0,
            "max": max(SCALE_MAX, run.scale_agents),
            "step": 500,
        },
        "levers_start": start,
    }
    for path, spec in levers.items():
        value = start[path]
        unit = f" ({spec.unit})" if spec.unit else ""
        params[path] = {
            "type": "SliderInt" if spec.is_int else "SliderFloat",
            "label": f"{spec.label}{unit}",
            "value": int(value) if spec.is_int else value,
            "min": int(spec.min) if spec.is_int else spec.min,
            "max": int(spec.max) if spec.is_int else spec.max,
            "step": int(spec.step) if spec.is_int else spec.step,
        }
    return params


def make_page(run_class: type[VizRun] = VizRun, **run_kwargs: Any) -> Any:
    """The page component: each browser session gets its own run of ``run_class``.

    The run is built when a session opens the page (not when the module is imported), so
    two tabs never share, or step, one model. ``run_kwargs`` default to
    ``$GIGAWATT_VIZ_SCENARIO``, ``$GIGAWATT_VIZ_SEED`` and ``$GIGAWATT_VIZ_SCALE`` (set by
    ``gigawatt viz``) and are validated once here, so a bad value stops the server at start.
    """
    run_kwargs.setdefault("scenario_name", initial_scenario())
    run_kwargs.setdefault("seed", initial_seed())
    run_kwargs.setdefault("scale_agents", initial_scale())
    first = run_class(**run_kwargs)  # fail fast on a bad scenario, seed or scale
    params = model_params(first)

    @solara.component
    def Page():
        """One session's SolaraViz page."""
        run = solara.use_memo(lambda: run_class(**run_kwargs), [])
        return SolaraViz(
            run,
            components=list(PAGES),
            model_params=params,
            name="Gigawatt",
            play_interval=150,
        )

    return Page
