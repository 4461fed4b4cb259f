"""Gigawatt's browser app: one run per browser session (start it with ``gigawatt viz``).

Modules: :mod:`viz.app` (the file Solara runs), :mod:`viz.page` (the page and its tabs),
:mod:`viz.controls` (the sidebar), :mod:`viz.stepping` (Step, Play/Pause and Reset),
:mod:`viz.session` (the run those buttons step and rebuild), :mod:`viz.facts` (what the app
reads from a scenario), :mod:`viz.layout` (network layout), :mod:`viz.charts` (ECharts options
of the time series), :mod:`viz.network_chart` (of the trade network), :mod:`viz.components`
(Solara components), :mod:`viz.about` (the About tab), :mod:`viz.server` (the web server's
origin check).
Importing this package does not import Solara or the model.
"""

__all__: list[str] = []
