"""The tutorial notebook runs from top to bottom (executed with nbclient)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[2]


def test_tutorial_notebook_runs() -> None:
    before = set(Path(tempfile.gettempdir()).glob("gigawatt-tutorial-*"))
    nb = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()  # raises CellExecutionError naming the cell if any cell fails
    outputs = {
        i: "".join(o.get("text", "") for o in c.get("outputs", []))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
    }
    text = "\n".join(outputs.values())
    assert "did you mean 'compute_spot_price'" in text  # the early check in section 3
    images = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]  # fmt: skip
    assert len(images) >= 4  # price plot, compare bands, means, series fans (+ PRIM trajectory)
    # its last cell removes the folder it wrote into: a run leaves no folder behind
    assert set(Path(tempfile.gettempdir()).glob("gigawatt-tutorial-*")) <= before
