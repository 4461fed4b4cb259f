"""The reported columns: the model's frames match their declarations and the glossary."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.columns import MODEL_COLUMNS, TABLE_COLUMNS, glossary_markdown
from experiments import run_scenario
from market.metrics import hhi

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


def test_ai_compute_hhi_is_the_hhi_of_hours_the_clouds_sold():
    # oracle: the agents table's hours per cloud over the trailing 12 months, fringe not squared
    res = run_scenario("baseline", months=15, rng=1)
    ag = res.tables["agents"]
    clouds = ag[(ag["kind"] == "hyperscaler") & (ag["month"].between(3, 14))]
    hours = clouds.groupby("name", sort=False)["compute_h100e_hours"].sum()
    fringe = [h.fringe for h in res.scenario.hyperscalers if h.name in hours.index]
    want = hhi(hours.to_numpy(), fringe)
    assert res.model_frame["ai_compute_hhi"].iloc[14] == pytest.approx(want)
    assert abs(want - res.model_frame["cloud_hhi"].iloc[14]) > 50  # not the revenue HHI


def test_tables_give_names_dates_and_missing_values():
    res = run_scenario("amazon-anthropic-2026", months=3, rng=1)
    months = res.model_frame["month"]
    dates = res.model_frame["date"]
    assert dates.dtype.kind == "M"
    assert dates.dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02", "2026-03"]
    assert (dates.dt.day == 1).all()
    by_month = dict(zip(months, dates, strict=True))
    for name in ("regions", "agents", "deals", "cashflows"):
        table = res.tables[name]
        assert table["date"].tolist() == table["month"].map(by_month).tolist(), name
    ct = res.tables["contracts"]
    assert set(ct["kind"]) <= {"compute", "power", "chips"}
    compute = ct[ct["kind"] == "compute"]
    assert set(compute["seller"]) <= {h.name for h in res.scenario.hyperscalers}
    assert set(compute["buyer"]) <= {lab.name for lab in res.scenario.labs}
    assert set(ct["family"].dropna()) <= {"nvidia", "trainium", "tpu"}
    assert set(ct["region"].dropna()) <= {r.name for r in res.scenario.regions}
    assert (ct["end_date"] - ct["start_date"]).dt.days.ge(28 * (ct["end"] - ct["start"])).all()
    labs = res.tables["labs"]
    assert labs.loc[labs["active"], "exit_month"].isna().all()
    assert labs.loc[labs["active"], "exit_date"].isna().all()
