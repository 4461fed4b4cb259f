"""The About tab: a note for every chart, true to what the model computes."""

from __future__ import annotations

from viz.about import CHART_NOTES, about_html
from viz.charts import CHARTS
from viz.components import CHART_COMPONENTS
from viz.page import TABS


def _note(chart: str) -> str:
    return next(text for _, name, text in CHART_NOTES if name == chart)


def test_every_chart_of_the_page_has_a_note_under_its_tab(stepped):
    notes = {(tab, chart.split(" (")[0]) for tab, chart, _ in CHART_NOTES}
    key_of = {component.__name__: key for key, component in CHART_COMPONENTS.items()}
    for tab, components in TABS.items():
        for component in components:
            if component.__name__ in key_of:
                title = CHARTS[key_of[component.__name__]](stepped)["title"]["text"]
                # the notes name a chart by its title's start ("Deals", "Labs' cash runway")
                assert any(t == tab and title.startswith(chart) for t, chart in notes), (tab, title)
    assert "Capacity price by region" in about_html(stepped)


def test_power_and_capacity_price_notes_say_what_the_model_computes():
    power = _note("Power price by region")
    # the energy price: the merit order's marginal unit at the month's average load
    assert "cheapest first" in power and "last unit needed" in power
    assert "stay flat for years" in power and "capacity price" in power
    assert "AI demand" not in power  # the mean is weighted by all load
    assert "add load faster than generation" not in power
    capacity = _note("Capacity price by region")
    assert "$ per MW-day" in capacity and "reserve margin" in capacity
    assert "add load faster than generation is built" in capacity
    assert "$240 per MW-day adds $10 per MWh" in capacity
