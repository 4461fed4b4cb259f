"""The scenario files that ``docs/calibration.md`` gives load and do what its text says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from experiments import run_scenario
from experiments.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```toml\n(.*?)```", re.DOTALL)


def _blocks() -> list[str]:
    return BLOCK.findall((ROOT / "docs" / "calibration.md").read_text(encoding="utf-8"))


def test_the_doc_gives_a_scenario_file() -> None:
    assert len(_blocks()) == 1  # the 2026 rounds ("2026 so far, out of sample")


@pytest.mark.parametrize("text", _blocks())
def test_the_rounds_of_2026_are_paid_in_their_months(text: str, tmp_path: Path) -> None:
    # the text: Anthropic $30B in February, $10B in April, $65B in May; OpenAI $87B in
    # March (the $122B round less Amazon's conditional $35B)
    path = tmp_path / "rounds.toml"
    path.write_text(text, encoding="utf-8")
    run = run_scenario(load_scenario(path), months=6, rng=0, tables=["cashflows"])
    cf = run.tables["cashflows"]
    rounds = cf[(cf["reason"] == "vc_round") & cf["payee"].isin(["anthropic", "openai"])]
    paid = rounds.groupby(["payee", "month"])["amount"].sum()
    assert paid.get(("anthropic", 1)) == pytest.approx(30e9)
    assert paid.get(("openai", 2)) == pytest.approx(87e9)
    assert paid.get(("anthropic", 3)) == pytest.approx(10e9)
    assert paid.get(("anthropic", 4)) == pytest.approx(65e9)
    # and the compute market tightens where baseline's loosens: the text's $2.16 against
    # $1.50 in June, utilisation 1.00 against 0.77
    base = run_scenario("baseline", months=6, rng=0, tables=[]).model_frame.iloc[-1]
    june = run.model_frame.iloc[-1]
    assert june["compute_spot_price"] > 1.2 * base["compute_spot_price"]
    assert june["utilisation"] > base["utilisation"] + 0.1
