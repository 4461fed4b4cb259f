"""Experiments: scenario files, runs, reports, sweeps and the ``gigawatt`` CLI."""

from experiments.runner import RunResult, run_scenario
from experiments.scenarios import list_scenarios, load_scenario

__all__ = ["RunResult", "list_scenarios", "load_scenario", "run_scenario"]
