"""The sidebar: run controls, scenario and seed, one slider per policy lever, deal switches.

The Step, Play/Pause and Reset buttons are :func:`viz.stepping.RunButtons` (Reset rebuilds the
run as ``type(run)(**params)``); everything around them is written here in plain words.
Mesa's own sidebar (``SolaraViz``) shows its internals ("Render Interval", "Use Threads",
"Time: 6.0"), labels sliders only while they are dragged and has no number field, so the app
builds its sidebar from Solara components instead (see :mod:`viz.page`).

What the sidebar holds is the *pending* run: ``params`` = scenario, seed, scale mode, the
levers the user moved and the listed deals (``other_deals``) the user switched (model
parameters of :class:`viz.session.VizRun`). It takes effect on Reset; until then every value
that differs from the run on screen is marked "applies on Reset", here and in the status card
(:func:`pending_changes`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import solara
from mesa.visualization.utils import update_counter

from viz.facts import (
    ListedDeal,
    deal_switch_index,
    lever_applies,
    lever_hint,
    lever_note,
    listed_deals,
)
from viz.session import Backend, LeverSpec, VizRun
from viz.stepping import RunButtons

__all__ = [
    "APPLIES_ON_RESET",
    "PARAMS",
    "SCALE_MAX",
    "DealSwitch",
    "LeverInput",
    "Sidebar",
    "deal_in_effect",
    "initial_params",
    "lever_display",
    "pending_changes",
    "scenario_config",
    "scenario_label",
    "scenario_load_error",
]

#: The mark next to a value that differs from the run on screen.
APPLIES_ON_RESET = "applies on Reset"
#: Largest scale mode the slider offers (small labs and enterprise buyers added).
SCALE_MAX = 10_000
#: The pending model parameters of this browser session (a ``solara.Reactive[dict]``),
#: provided by the page so that the status card can show what Reset will change.
PARAMS = solara.create_context(None)

_CONFIGS: dict[tuple[type, str, float], Any] = {}
_LAST_GOOD: dict[tuple[type, str], Any] = {}  # each scenario's last version that loaded
_LOAD_ERRORS: dict[tuple[type, str], str] = {}  # and why its file does not load now


def scenario_config(backend: Backend, name: str) -> Any:
    """A scenario as shipped (no overrides), cached; a file is re-read when it changes.

    A file saved with a mistake while the app runs keeps its last version that loaded,
    and :func:`scenario_load_error` says why the new one does not (the page, not a
    traceback, stays on screen); a scenario that never loaded raises.
    """
    path = Path(name)
    stamp = path.stat().st_mtime if backend.is_scenario_file(name) else 0.0
    key, name_key = (type(backend), name, stamp), (type(backend), name)
    if key not in _CONFIGS:
        try:
            _CONFIGS[key] = backend.load(name)
        except (ValueError, OSError) as exc:  # a ScenarioError is a ValueError
            if name_key not in _LAST_GOOD:
                raise
            _LOAD_ERRORS[name_key] = str(exc)
            return _LAST_GOOD[name_key]
    _LAST_GOOD[name_key] = _CONFIGS[key]
    _LOAD_ERRORS.pop(name_key, None)
    return _CONFIGS[key]


def scenario_load_error(backend: Backend, name: str) -> str:
    """Why the scenario file ``name`` does not load now (its last good version is used), or
    ``""``."""
    return _LOAD_ERRORS.get((type(backend), name), "")


def scenario_label(name: str) -> str:
    """How the selector names a scenario: a file by its file name, a shipped one by name."""
    return f"file: {Path(name).name}" if name.endswith(".toml") or Path(name).is_file() else name


def initial_params(run: VizRun) -> dict[str, Any]:
    """The pending parameters of a fresh page: the run on screen, its moved levers and
    switched deals."""
    return {
        "scenario_name": run.scenario_name,
        "seed": run.seed,
        "scale_agents": run.scale_agents,
        **{path: value / run.backend.levers()[path].scale for path, value in run.overrides.items()},
        **run.switches,
    }


def lever_display(run: VizRun, params: Mapping[str, Any]) -> dict[str, float | None]:
    """Each lever's value after Reset, in slider units: moved ones, else the scenario's own."""
    config = scenario_config(run.backend, params["scenario_name"])
    out: dict[str, float | None] = {}
    for path, spec in run.backend.levers().items():
        if path in params:
            out[path] = float(params[path])
        else:
            value = run.backend.lever_value(config, path)
            out[path] = None if value is None else value / spec.scale
    return out


def deal_in_effect(run: VizRun, deal: ListedDeal) -> bool:
    """Whether ``deal`` (same place in ``other_deals``, same label) is on in the run on
    screen; a deal that run does not list is off."""
    return any(
        d.index == deal.index and d.label == deal.label and d.enabled
        for d in listed_deals(run.config)
    )


def _on_off(on: bool) -> str:
    return "on" if on else "off"


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def pending_changes(run: VizRun, params: Mapping[str, Any]) -> dict[str, str]:
    """What Reset would change: display name -> new value, for every differing setting."""
    out: dict[str, str] = {}
    if params["scenario_name"] != run.scenario_name:
        out["Scenario"] = scenario_label(params["scenario_name"])
    if int(params["seed"]) != run.seed:
        out["Seed"] = str(params["seed"])
    if int(params["scale_agents"]) != run.scale_agents:
        out["Scale mode"] = f"+{int(params['scale_agents']):,} small agents"
    now = run.lever_values()
    config = scenario_config(run.backend, params["scenario_name"])
    for path, value in lever_display(run, params).items():
        spec = run.backend.levers()[path]
        if lever_applies(config, path) and not _same(value, now[path]):
            out[spec.label] = spec.format(value)
    for deal in listed_deals(config):
        on = bool(params.get(deal.key, deal.enabled))
        if on != deal_in_effect(run, deal):
            out[deal.label] = _on_off(on)
    return out


def _slider_label(text: str, value: str, classes: str) -> None:
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<span>{text}</span>: <b class='gigawatt-value'>{value}</b>",
        classes=[classes],
        style={"font-size": "14px", "margin-top": "6px"},
    )


#: How far a mark is pulled up: into the empty details row Vuetify keeps under a slider or
#: a select (the default); a field drawn with ``hide_details`` has none, so its mark sits
#: below the field's underline (:data:`_BELOW_FIELD`).
_UNDER_DETAILS = "-14px"
_BELOW_FIELD = "4px"


def _mark(text: str, css: str, color: str, top: str = _UNDER_DETAILS) -> None:
    solara.HTML(
        tag="div",
        unsafe_innerHTML=text,
        classes=[css],
        style={"font-size": "12px", "color": color, "margin-top": top},
    )


@solara.component
def LeverInput(
    spec: LeverSpec,
    value: float | None,
    in_effect: float | None,
    note: str,
    on_value: Callable[[float], None],
    hint: str = "",
):
    """One lever: its name and value with units (always shown), the slider, its marks.

    ``note`` (e.g. "no deal in this scenario") disables the slider; ``hint`` says what a
    lever that applies does not reach here, and leaves it enabled; a value that differs
    from ``in_effect`` (the run on screen) is marked "applies on Reset".
    """
    with solara.Column(gap="0px", classes=["gigawatt-lever"]) as main:
        _slider_label(spec.label, spec.format(value), "gigawatt-lever-label")
        slider = solara.SliderInt if spec.is_int else solara.SliderFloat
        position = spec.position(value)
        slider(
            "",
            value=round(position) if spec.is_int else position,  # the nearest step, not below
            min=int(spec.min) if spec.is_int else spec.min,
            max=int(spec.max) if spec.is_int else spec.max,
            step=int(spec.step) if spec.is_int else spec.step,
            on_value=on_value,
            thumb_label=False,
            disabled=bool(note),
        )
        if note:
            _mark(note, "gigawatt-na", "#888")
        else:
            if hint:
                _mark(hint, "gigawatt-hint", "#888")
            if not _same(value, in_effect):  # under the hint, if any
                _mark(
                    f"● {APPLIES_ON_RESET}",
                    "gigawatt-pending",
                    "#b35900",
                    "0" if hint else _UNDER_DETAILS,
                )
    return main


@solara.component
def DealSwitch(deal: ListedDeal, value: bool, in_effect: bool, on_value: Callable[[bool], None]):
    """One listed deal: a checkbox named by who invests in whom, when and how much; "applies
    on Reset" when it differs from ``in_effect`` (the run on screen)."""
    with solara.Column(gap="0px", classes=["gigawatt-deal"]) as main:
        solara.Checkbox(label=deal.label, value=value, on_value=on_value)
        if value != in_effect:
            _mark(f"● {APPLIES_ON_RESET}", "gigawatt-pending", "#b35900", "-18px")
    return main


@solara.component
def RunCard(
    model: solara.Reactive[VizRun],
    params: solara.Reactive[dict[str, Any]],
    play_interval: solara.Reactive[int],
):
    """Month counter, the Reset / Play / Step buttons, and the play speed."""
    update_counter.get()
    run = model.value
    with solara.Card("Run", margin=0) as main:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"Month <b>{run.month}</b> of {run.horizon} · {run.date_label}",
            classes=["gigawatt-sidebar-month"],
        )
        RunButtons(model, params, play_interval)
        _slider_label("Play speed", f"one month every {play_interval.value} ms", "gigawatt-speed")
        solara.SliderInt(
            "",
            value=play_interval,
            min=50,
            max=1000,
            step=50,
            thumb_label=False,
        )
    return main


@solara.component
def Sidebar(
    model: solara.Reactive[VizRun],
    params: solara.Reactive[dict[str, Any]],
    play_interval: solara.Reactive[int],
    scenario_names: list[str],
):
    """The whole sidebar: run controls, scenario and seed, policy levers, and the scenario's
    listed deals (``other_deals``) as switches when it has any."""
    run = model.value
    p = params.value
    seed_error = solara.use_reactive("")

    def update(**changes: Any) -> None:
        params.set({**params.value, **changes})

    def set_seed(value: int | None) -> None:
        if value is None or value < 0:
            seed_error.set("The seed is a whole number, 0 or more.")
            return
        seed_error.set("")
        update(seed=int(value))

    levers = run.backend.levers()
    shown = lever_display(run, p)
    config = scenario_config(run.backend, p["scenario_name"])
    now = run.lever_values()

    def set_lever(path: str, value: float) -> None:
        own = run.backend.lever_value(config, path)
        own = None if own is None else own / levers[path].scale
        rest = {k: v for k, v in params.value.items() if k != path}
        # back at the scenario's own value: no longer an override
        params.set(rest if _same(float(value), own) else {**rest, path: float(value)})

    def set_switch(deal: ListedDeal, on: bool) -> None:
        rest = {k: v for k, v in params.value.items() if k != deal.key}
        # back at the scenario's own setting: no longer an override
        params.set(rest if bool(on) == deal.enabled else {**rest, deal.key: bool(on)})

    def select_scenario(name: str) -> None:
        # a moved lever the new scenario does not use (a deal lever without a deal) is
        # dropped, and so is a switched deal it does not list (or lists as it is switched)
        target = scenario_config(run.backend, name)
        source = scenario_config(run.backend, params.value["scenario_name"])
        was = {d.index: d.label for d in listed_deals(source)}
        has = {d.index: d for d in listed_deals(target)}

        def kept(key: str, value: Any) -> bool:
            index = deal_switch_index(key)
            if index is not None:
                own = has.get(index)
                return own is not None and own.label == was.get(index) and value != own.enabled
            return key not in levers or lever_applies(target, key)

        rest = {k: v for k, v in params.value.items() if kept(k, v)}
        params.set({**rest, "scenario_name": name})

    with solara.Column(gap="10px") as main:
        RunCard(model, params, play_interval)
        with solara.Card("Scenario", margin=0):
            names = list(scenario_names)
            if p["scenario_name"] not in names:
                names.append(p["scenario_name"])
            # The marks below come and go, and an unkeyed element is known by its place
            # among its siblings: a mark appearing above a field would make the field a new
            # widget, and what was typed into the one on screen meanwhile would be lost. The
            # inputs are keyed so that they stay the same widgets whatever is shown above them.
            solara.Select(
                "Scenario",
                values=names,
                value=p["scenario_name"],
                on_value=select_scenario,
            ).key("scenario-select")
            if p["scenario_name"] != run.scenario_name:
                _mark(f"● {APPLIES_ON_RESET}", "gigawatt-pending", "#b35900")
            if failed := scenario_load_error(run.backend, p["scenario_name"]):
                solara.Error(f"{failed}; the last version that loaded is in use", dense=True)
            solara.InputInt(
                "Seed",
                value=int(p["seed"]),
                on_value=set_seed,
                classes=["gigawatt-seed"],
                continuous_update=True,
                hide_details=True,
            ).key("seed-field")
            if seed_error.value:
                solara.Error(seed_error.value, dense=True)
            elif int(p["seed"]) != run.seed:  # the field hides its details row
                _mark(f"● {APPLIES_ON_RESET}", "gigawatt-pending", "#b35900", _BELOW_FIELD)
            scale = int(p["scale_agents"])
            _slider_label(
                "Scale mode",
                f"+{scale:,} small labs and buyers" if scale else "off",
                "gigawatt-scale",
            )
            solara.SliderInt(
                "",
                value=scale,
                min=0,
                max=max(SCALE_MAX, scale),
                step=500,
                on_value=lambda n: update(scale_agents=int(n)),
                thumb_label=False,
            ).key("scale-slider")
            if scale != run.scale_agents:
                _mark(f"● {APPLIES_ON_RESET}", "gigawatt-pending", "#b35900")
        with solara.Card("Policy levers", margin=0):
            solara.Text(
                "Moved levers override the scenario's values; Reset starts a new run with them.",
                style={"font-size": "12px", "color": "#666"},
            )
            for path, spec in levers.items():
                LeverInput(
                    spec,
                    shown[path],
                    now[path] if lever_applies(run.config, path) else None,
                    lever_note(config, path),
                    lambda value, path=path: set_lever(path, value),
                    lever_hint(config, path),
                ).key(path)
        deals = listed_deals(config)
        if deals:
            with solara.Card("Other deals", margin=0):
                solara.Text(
                    "Deals the scenario lists beside its headline deal (other_deals); an "
                    "unchecked one is left out of the run Reset starts.",
                    style={"font-size": "12px", "color": "#666"},
                )
                for deal in deals:
                    DealSwitch(
                        deal,
                        bool(p.get(deal.key, deal.enabled)),
                        deal_in_effect(run, deal),
                        lambda on, deal=deal: set_switch(deal, on),
                    ).key(deal.key)
    return main
