"""The browser app over the stand-in model (``solara run tests/viz/standin_app.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.viz.standin import StandInRun  # noqa: E402
from viz.page import make_page  # noqa: E402

Page = make_page(StandInRun)
