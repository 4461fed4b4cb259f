"""Experiments: scenario files, runs, reports, sweeps and the ``gigawatt`` CLI."""

from experiments.runner import RunResult, run_scenario
from experiments.scenarios import list_scenarios, load_scenario

__all__ = ["RunResult", "list_scenarios", "load_scenario", "run_scenario"]

from experiments.forecasting import forecast
from experiments.sweeps import SweepSpec, SweepStore, load_spec, run_sweep
from experiments.sweeps.discover import discover

__all__ += ["SweepSpec", "SweepStore", "discover", "forecast", "load_spec", "run_sweep"]


def __getattr__(name: str) -> object:
    """``experiments.calibrate`` without importing the calibration (and pyabc) up front."""
    if name == "calibrate":
        from experiments.calibration import calibrate

        return calibrate
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")


__all__ += ["calibrate"]
