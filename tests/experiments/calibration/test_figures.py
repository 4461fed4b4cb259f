"""Calibration figures: labels that name one field, laid out apart and inside the figure."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.calibration.figures import corner_figure, ppc_figure, short_names
from experiments.calibration.priors import Priors, load_priors


def test_short_names_name_one_field_each() -> None:
    names = short_names(load_priors().paths)
    assert names["labs.anthropic.capability"] == "anthropic.capability"  # not "capability"
    assert names["chips.vendors.nvidia.markup"] == "vendors.nvidia.markup"  # a cloud's too
    assert names["chips.vendors.nvidia.capacity_units_per_month"] == (
        "nvidia.capacity_units_per_month"
    )
    assert names["demand.growth_per_year"] == "growth_per_year"  # one field ends so
    assert len(set(names.values())) == len(names)
    two = short_names(["labs.anthropic.capability", "labs.openai.capability", "cloud.x"])
    assert two == {
        "labs.anthropic.capability": "anthropic.capability",
        "labs.openai.capability": "openai.capability",
        "cloud.x": "x",  # not a schema path: it need only differ from the others
    }


def _drawn(fig):  # type: ignore[no-untyped-def]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _inside(box, fig) -> bool:  # type: ignore[no-untyped-def]
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height


SEVEN = [  # the shipped priors' longest names, a matrix of small panels (n > 6)
    "demand.initial_usd_per_month",
    "demand.growth_decay_per_year",
    "labs.anthropic.capability",
    "labs.anthropic.capability_drift_per_year",
    "power.interconnection_months",
    "chips.vendors.nvidia.capacity_units_per_month",
    "chips.vendors.nvidia.markup",
]


def _corner(paths: list[str]) -> Figure:
    """The corner figure of 20 uniform draws of the shipped priors of ``paths``."""
    shipped = load_priors()
    priors = Priors(description="some", parameters={p: shipped.parameters[p] for p in paths})
    rng = np.random.default_rng(0)
    draws = pd.DataFrame(
        {p: rng.uniform(pr.min, pr.max, 20) for p, pr in priors.parameters.items()}
    )
    return corner_figure(draws, np.full(20, 1 / 20), priors)


def test_corner_labels_and_title_stay_apart_and_inside() -> None:
    fig = _corner(SEVEN)
    renderer = _drawn(fig)
    n = len(SEVEN)
    axes = np.array(fig.axes[: n * n]).reshape(n, n)
    bottom = [ax.xaxis.label.get_window_extent(renderer) for ax in axes[-1]]
    left = [ax.yaxis.label.get_window_extent(renderer) for ax in axes[:, 0]]
    for a, b in itertools.pairwise(bottom):
        assert a.x1 < b.x0, "bottom labels run into each other"
    for a, b in itertools.pairwise(left):
        assert b.y1 < a.y0, "left labels run into each other"
    assert all(_inside(box, fig) for box in bottom + left), "a label is cut off"
    (title,) = [t.get_window_extent(renderer) for t in fig.texts if t.get_text().startswith("Post")]
    top = max(ax.get_tightbbox(renderer).y1 for ax in axes[0])
    assert title.y0 >= top and _inside(title, fig), "the title overlaps the top panels"
    said = {ax.xaxis.label.get_text().replace("\n", "") for ax in axes[-1]}
    assert {"anthropic.capability", "vendors.nvidia.markup"} <= said


@pytest.mark.parametrize("keep", [SEVEN[3:4], SEVEN[:2]])
def test_a_corner_of_one_or_two_parameters_keeps_its_title_and_labels_inside(keep) -> None:
    fig = _corner(keep)
    renderer = _drawn(fig)
    boxes = [t.get_window_extent(renderer) for t in fig.texts]  # the title
    for ax in fig.axes:
        boxes += [ax.xaxis.label.get_window_extent(renderer)]
        boxes += [ax.yaxis.label.get_window_extent(renderer)] if ax.get_ylabel() else []
    assert len(boxes) > 1 and all(_inside(box, fig) for box in boxes)


@pytest.mark.parametrize(("low", "high"), [(0.24, 0.32), (0.2, 30.0)])
def test_ppc_log_axes_are_labelled_in_plain_numbers(low, high) -> None:
    ppc = pd.DataFrame(
        {
            "series": ["a", "a", "b"],
            "unit": ["GW", "GW", "share"],
            "year": [2023, 2024, 2025],
            "observed": [low * 1.1, high * 0.9, 0.28],
            "observed_low": [low, high * 0.8, 0.24],
            "observed_high": [low * 1.2, high, 0.32],
            "model_median": [low * 1.05, high * 0.85, 0.3],
            "predictive_low": [low, high * 0.7, 0.25],
            "predictive_high": [low * 1.3, high, 0.31],
            "inside": [True, True, False],
        }
    )
    fig = ppc_figure(ppc)
    _drawn(fig)
    shown = [
        t.get_text()
        for ax in fig.axes
        if ax.get_visible()
        for t in [*ax.get_yticklabels(), *ax.get_yticklabels(minor=True)]
        if t.get_text()
    ]
    assert shown
    for text in shown:
        float(text)  # "0.28", "3", "20": not "2.8×10⁻¹" (mathtext)
