"""The Gigawatt page: run buttons, a plain-words sidebar and named tabs.

The app file is :mod:`viz.app`; start it with ``gigawatt viz`` (``solara run`` with the
settings that keep every front-end asset local). The main area has four tabs:

- Market: the trade network; month counter, levers in effect, listed deals on or off and
  data downloads; power (energy) price by region; compute spot vs contract price; capacity
  price by region (under the power price).
- Capacity & concentration: capacity built, powered and used; chip price; throttled share;
  cloud and chip HHI with the scenario's review threshold.
- Deals & labs: each deal's cumulative investment vs cloud revenue; labs' cash runway.
- About: what each chart and metric means.

Why not Mesa's ``SolaraViz`` itself: Mesa 3.5 hard-codes its tab names ("Page 0", "Page 1"),
always shows its internal controls ("Render Interval", "Use Threads", "Time: 6.0") and draws
its sliders from ``model_params`` without their values or units and without a number field.
None of that can be configured, so :class:`GigawattViz` keeps only Mesa's ``update_counter``
(which redraws the components after a step) and lays out the rest: the run buttons
(:mod:`viz.stepping`, which also close a race in Mesa's ``ModelController``: a Pause or Reset
pressed between two months of Play let one more month land), the sidebar (:mod:`viz.controls`)
and the tabs below, which are Mesa's ``ComponentsView`` (Vuetify tabs over a
``GridDraggable`` of the visible tab only) with names.
"""

from __future__ import annotations

from typing import Any

import solara

from viz.about import AboutPanel
from viz.components import (
    CapacityChart,
    CapacityPriceChart,
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
from viz.controls import PARAMS, Sidebar, initial_params
from viz.session import VizRun, initial_scale, initial_scenario, initial_seed

__all__ = ["PLAY_INTERVAL_MS", "TABS", "GigawattViz", "grid_layout", "make_page"]

#: Tab name -> its components; the first of a chart tab spans the full width
#: (:func:`grid_layout`). Only the visible tab is drawn, which keeps a step cheap.
TABS: dict[str, list[Any]] = {
    "Market": [NetworkView, StatusPanel, PowerPriceChart, ComputePriceChart, CapacityPriceChart],
    "Capacity & concentration": [CapacityChart, ChipPriceChart, ThrottledChart, ConcentrationChart],
    "Deals & labs": [DealsChart, RunwayChart],
    "About": [AboutPanel],
}
#: Tabs whose charts each span the full width.
FULL_WIDTH = {"Deals & labs"}
#: Play speed the page opens with: one month every 150 ms.
PLAY_INTERVAL_MS = 150


def grid_layout(num_components: int, full_width: bool = False) -> list[dict[str, Any]]:
    """Initial grid of a tab: the first component full width, the rest two per row.

    With ``full_width`` every component spans the page, one below the other. Mesa's
    ``make_initial_grid_layout`` makes every component half width and 10 rows high, which
    leaves the trade network too small to read. Heights are grid rows (about 39 px).
    """
    if full_width:
        return [
            {
                "i": i,
                "w": 12,
                "h": 13 if i == 0 else 11,
                "x": 0,
                "y": 13 * min(i, 1) + 11 * max(i - 1, 0),
                "moved": False,
            }
            for i in range(num_components)
        ]
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


@solara.component
def TabsView(run: VizRun):
    """The named tabs; only the selected one is drawn (as in Mesa's ``ComponentsView``)."""
    current, set_current = solara.use_state(0)
    names = list(TABS)
    layouts, set_layouts = solara.use_state(
        {name: grid_layout(len(comps), name in FULL_WIDTH) for name, comps in TABS.items()}
    )
    with solara.Column(gap="0px") as main:
        with solara.v.Tabs(v_model=current, on_v_model=set_current):
            for name in names:
                solara.v.Tab(children=[name], class_="text-none")
        name = names[current]
        components = TABS[name]
        if len(components) == 1:
            components[0](run)
        else:

            def on_layout(new_layout: list[dict[str, Any]], name: str = name) -> None:
                set_layouts(lambda old: {**old, name: new_layout})

            solara.GridDraggable(
                items=[component(run) for component in components],
                grid_layout=layouts[name],
                resizable=True,
                draggable=True,
                on_grid_layout=on_layout,
            ).key(name)
    return main


@solara.component
def GigawattViz(run: VizRun, scenario_names: list[str]):
    """The page of one browser session over ``run`` (rebuilt on Reset)."""
    model = solara.use_reactive(run)
    params = solara.use_reactive(solara.use_memo(lambda: initial_params(run), []))
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    PARAMS.provide(params)
    with solara.AppBar():
        solara.AppBarTitle("Gigawatt · AI compute market simulation")
    with solara.Sidebar():
        Sidebar(model, params, play_interval, scenario_names)
    TabsView(model.value)


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
    names = list(first.backend.scenario_names())
    if run_kwargs["scenario_name"] not in names:  # the file given: offered all along
        names.append(run_kwargs["scenario_name"])

    @solara.component
    def Page():
        """One session's page."""
        run = solara.use_memo(lambda: run_class(**run_kwargs), [])
        return GigawattViz(run, names)

    return Page
