"""How much of Amazon's 2026 deals' effect on concentration the economy's rules decide.

Reproduces the README's table ("Deals and regulators", "How much of this the economy's
rules decide"). It runs each rule set of :data:`RULES` on each case of :data:`CASES`, all
at Anthropic's reported 2026 size. Each cell is ``--seeds`` seeds of 120 months. The cases
are no deal, Amazon's OpenAI deal, its Anthropic deal and both. The deal files are the
README's, and the 2026 size is the docs' ``anthropic-2026`` additions (the ``[overrides]``
and ``[[append.contracts]]`` of ``docs/calibration.md``'s file), read from the documents
themselves, so the table follows what they say. For each rule set it prints:

- the AI-compute HHI over the last 12 months, as a mean over seeds (the deal cases as
  changes from no deal);
- OpenAI's compute in 2035 (billion H100e-hours a month) across seeds, for no deal and
  the OpenAI deal, marked ``split`` where the largest seed is over 1.5 times the smallest.

Usage::

    .venv/bin/python -m benchmarks.deal_rules [--seeds 16] [--workers 2] [--quick]

``--quick`` runs 4 seeds. Not a test: with the defaults it makes 512 runs, about two minutes
on a 2-core machine.
"""

from __future__ import annotations

import re
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from benchmarks.options import parse_seeds_and_workers, parser
from experiments import load_scenario, run_scenario

__all__ = [
    "CAPABILITY_VALUE",
    "CASES",
    "RULES",
    "SECOND_SOURCE",
    "LastYear",
    "case_files",
    "case_scenarios",
    "doc_blocks",
    "last_year",
    "main",
    "with_2026_additions",
]

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"```toml\n(.*?)```", re.DOTALL)

OPENAI_DEAL = "a scenario file of your own"
"""What marks the README's scenario file of Amazon's OpenAI deal."""
BOTH_DEALS = "both deals"
"""And its file of both of Amazon's deals of 2026."""
ANTHROPIC_2026 = "Anthropic's 2026"
"""What marks the docs' file of Anthropic's rise of early 2026."""

SECOND_SOURCE: dict[str, Any] = {
    "labs.anthropic.max_cloud_share": 0.5,
    "labs.openai.max_cloud_share": 0.5,
}
"""Both large labs keep a second source: at most half of their plans from one cloud."""

CAPABILITY_VALUE: dict[str, Any] = {"demand.training_bid_rule": "capability_value"}
"""Major labs bid for training what an hour is worth to them (``agents.training_bids``)."""

RULES: dict[str, dict[str, Any]] = {
    "as shipped": {},
    "labs keep a second source (0.5)": SECOND_SOURCE,
    "capacity answers profits (0.25)": {"datacentres.profit_response": 0.25},
    "both of these": {**SECOND_SOURCE, "datacentres.profit_response": 0.25},
    "training bids up to the services price": {"demand.training_bid_share": 1.0},
    "capacity answers profits, grid connections take 96 months": {
        "datacentres.profit_response": 0.25,
        "power.interconnection_months": 96,
    },
    "training bids at the value of capability": CAPABILITY_VALUE,
    "training bids at the value of capability, capacity answers profits (0.25)": {
        **CAPABILITY_VALUE,
        "datacentres.profit_response": 0.25,
    },
}
"""The rule sets of the README's table, as scenario overrides."""

CASES = ("no deal", "OpenAI deal", "Anthropic deal", "both")


def doc_blocks(doc: str = "docs/calibration.md", marker: str = "") -> list[str]:
    """The TOML blocks of a document of the project (``doc``, from its root) holding
    ``marker``."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    return [b for b in _BLOCK.findall(text) if marker in b]


def with_2026_additions(scenario_file: str) -> str:
    """A scenario file's text with the docs' anthropic-2026 additions appended: its
    ``[overrides]`` and ``[[append.contracts]]``, without its own ``extends`` and ``name``,
    as the README says to add them."""
    (trend,) = doc_blocks(marker=ANTHROPIC_2026)
    additions = "\n".join(
        line for line in trend.splitlines() if not line.startswith(("extends", "name"))
    )
    return scenario_file + "\n" + additions


def case_files() -> dict[str, str]:
    """Each case's scenario file at Anthropic's 2026 size."""
    (openai,) = doc_blocks("README.md", OPENAI_DEAL)
    (both,) = doc_blocks("README.md", BOTH_DEALS)
    files = {
        "no deal": 'extends = "baseline"\nname = "no-deal"\n',
        "OpenAI deal": openai,
        "Anthropic deal": 'extends = "amazon-anthropic-2026"\nname = "anthropic-deal"\n',
        "both": both,
    }
    return {case: with_2026_additions(text) for case, text in files.items()}


def case_scenarios(folder: Path) -> dict[str, Any]:
    """Each case's scenario at Anthropic's 2026 size, its file written into ``folder``."""
    out = {}
    for case, text in case_files().items():
        path = Path(folder) / f"{case.replace(' ', '-').lower()}.toml"
        path.write_text(text, encoding="utf-8")
        out[case] = load_scenario(path)
    return out


class LastYear(NamedTuple):
    """A 120-month run's last year."""

    hhi: float
    """AI-compute HHI, the mean of the last 12 months."""
    openai: float
    anthropic: float
    """OpenAI's and Anthropic's compute in 2035, H100e-hours a month."""


def last_year(scenario: Any, seed: int) -> LastYear:
    """:class:`LastYear` of a 120-month run of ``scenario`` on ``seed``."""
    run = run_scenario(scenario, months=120, rng=seed, tables=["agents"])
    ag = run.tables["agents"]
    last = ag[ag["month"] >= 108]

    def received(lab: str) -> float:
        return float(last[last["name"] == lab]["received"].mean())

    hhi = float(run.model_frame["ai_compute_hhi"].iloc[-12:].mean())
    return LastYear(hhi, received("openai"), received("anthropic"))


def _one(job: tuple[str, str, Any, int]) -> tuple[str, str, LastYear]:
    rule, case, scenario, seed = job
    return rule, case, last_year(scenario, seed)


def _spread(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.1f}-{hi:.1f}" + (" split" if hi > 1.5 * lo else "")


def main(argv: list[str] | None = None) -> int:
    """Run the table's cells and print it."""
    args = parse_seeds_and_workers(
        parser("python -m benchmarks.deal_rules", __doc__), argv, seeds=16, quick_seeds=4
    )
    jobs = []
    with tempfile.TemporaryDirectory() as tmp:
        for case, base in case_scenarios(Path(tmp)).items():
            for rule, overrides in RULES.items():
                scenario = base.with_overrides(overrides) if overrides else base
                jobs += [(rule, case, scenario, seed) for seed in range(args.seeds)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(_one, jobs))
    print(f"AI-compute HHI, last 12 of 120 months, mean of seeds 0-{args.seeds - 1}; deals as")
    print("changes from no deal; OpenAI's compute in 2035 across seeds (billion H100e-hours)")
    w = max(map(len, RULES))
    head = f"{'rules':{w}s} {'no deal':>8s} {'OpenAI':>7s} {'Anthr.':>7s} {'both':>7s}"
    print(f"{head}  OpenAI, no deal / OpenAI deal")
    for rule in RULES:
        cells = {c: [r[2] for r in results if r[:2] == (rule, c)] for c in CASES}
        hhi = {c: float(np.mean([y.hhi for y in cells[c]])) for c in CASES}
        openai = {c: [y.openai / 1e9 for y in cells[c]] for c in CASES[:2]}
        deltas = " ".join(f"{hhi[c] - hhi['no deal']:+7.0f}" for c in CASES[1:])
        print(
            f"{rule:{w}s} {hhi['no deal']:8,.0f} {deltas}  "
            f"{_spread(openai['no deal'])} / {_spread(openai['OpenAI deal'])}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
