"""The reported columns: the model's frames match their declarations and the glossary."""

from __future__ import annotations

from pathlib import Path

from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS, glossary_markdown
from experiments import run_scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_glossary_is_generated_from_the_declarations():
    assert DOC.read_text() == glossary_markdown(), (
        "regenerate: python -m agents.columns > docs/metrics.md"
    )


def test_frames_have_exactly_the_declared_columns():
    res = run_scenario("amazon-anthropic-2026", months=8, rng=1, keep_model=True)
    # the model frame is built from exactly the declared columns, in their order
    assert list(res.model_frame.columns) == [c.name for c in MODEL_COLUMNS]
    clouds = {f"{k}_{h.name}" for h in res.scenario.hyperscalers for k in ("share", "spend")}
    for name, cols in TABLE_COLUMNS.items():
        declared = {c.name for c in cols} - {"share_<cloud>", "spend_<cloud>"}
        got = set(res.tables[name].columns)
        if name == "agents":
            got -= clouds
        assert got == declared, name
