"""Entry file of the browser app, run by ``gigawatt viz`` (``solara run viz/app.py``).

Solara serves the module-level ``Page`` component: the Gigawatt page for one run of the world
model per browser session, opening with ``$GIGAWATT_VIZ_SCENARIO`` (default ``baseline``),
``$GIGAWATT_VIZ_SEED`` and ``$GIGAWATT_VIZ_SCALE``.
The page itself is built in :mod:`viz.page`.
"""

from __future__ import annotations

from viz.page import make_page

__all__ = ["Page"]

Page = make_page()
