"""Gigawatt's browser app: Mesa SolaraViz over one run (start it with ``gigawatt viz``).

Modules: :mod:`viz.app` (the file Solara runs), :mod:`viz.page` (the page),
:mod:`viz.session` (the run SolaraViz steps and rebuilds), :mod:`viz.layout` (network layout),
:mod:`viz.charts` (ECharts options), :mod:`viz.components` (Solara components).
Importing this package does not import Solara or the model.
"""

__all__: list[str] = []
