"""Entry file of the browser app, run by ``gigawatt viz`` as ``solara run viz/app.py``.

Solara serves the module-level ``page``: Mesa's SolaraViz for one run of the world model,
opening with ``$GIGAWATT_VIZ_SCENARIO`` (default ``baseline``) and ``$GIGAWATT_VIZ_SEED``.
The page itself is built in :mod:`viz.page`.
"""

from __future__ import annotations

from viz.page import make_page

__all__ = ["page"]

page = make_page()
