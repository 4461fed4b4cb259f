"""The simulator a calibration calls: parameters in, summary statistics out.

:class:`HistoryModel` is a plain picklable callable (pyabc wraps it as a model; process
pools and Dask workers import it by name). One call overrides the scenario with the
particle's parameters, runs it to the end of the targets' last year and returns the
statistics of :meth:`experiments.calibration.targets.Targets.statistics`.

Each run's seed is derived from the calibration's root seed and the parameter values
(:func:`run_seed`), not from the order in which particles are evaluated, so the same
particle gives the same statistics on any worker, in any order, after a restart.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from experiments.calibration.priors import Priors
from experiments.calibration.targets import Targets
from experiments.sweeps.model import scenario_with

__all__ = ["HistoryModel", "horizon_months", "run_seed"]

log = logging.getLogger(__name__)


def run_seed(root_seed: int, params: Mapping[str, float]) -> int:
    """The seed of one model run: a 63-bit hash of the root seed and the parameter values.

    Values are hashed as their shortest round-trip ``repr`` (Python's float repr is exact),
    keyed by path in sorted order, with BLAKE2b (``hashlib``).
    """
    text = json.dumps(
        [int(root_seed), sorted((k, repr(float(v))) for k, v in params.items())],
        separators=(",", ":"),
    )
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def horizon_months(start: str, last_year: int) -> int:
    """Months from the scenario's start month (``YYYY-MM``) to the end of ``last_year``."""
    from agents.units import months_between

    return months_between(start, f"{last_year}-12") + 1


@dataclass(frozen=True)
class HistoryModel:
    """Runs ``scenario`` with a particle's parameters; returns the targets' statistics.

    Attributes
    ----------
    scenario : str
        A shipped scenario name or a ``.toml`` path (the base of the overrides).
    targets, priors :
        The validated targets and priors.
    root_seed : int
        The calibration's root seed (each run's seed: :func:`run_seed`).
    """

    scenario: str
    targets: Targets
    priors: Priors
    root_seed: int

    def check_years(self, where: str = "targets") -> None:
        """Refuse target years outside the scenario's run (:meth:`Targets.check_years`)."""
        scn = scenario_with(self.scenario, {})
        self.targets.check_years(self.scenario, scn.start, scn.months, where)

    @property
    def months(self) -> int:
        """The run's horizon: through December of the targets' last year, which must lie in
        the scenario's own run (:meth:`check_years`)."""
        self.check_years()
        return horizon_months(scenario_with(self.scenario, {}).start, self.targets.last_year())

    def simulate(self, params: Mapping[str, float]) -> dict[tuple[str, int], float]:
        """The model's yearly values ``{(metric, year): value}`` for one parameter vector."""
        from experiments import run_scenario
        from experiments.history import yearly_values

        scn = scenario_with(self.scenario, self.priors.overrides(params))
        res = run_scenario(
            scn,
            months=self.months,
            rng=run_seed(self.root_seed, params),
            keep_model=True,
            tables=("agents",),  # all yearly_values reads
        )
        frame = yearly_values(res)
        return {
            (str(m), int(y)): float(v)
            for m, y, v in zip(frame["metric"], frame["year"], frame["model"], strict=True)
        }

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        """Summary statistics for ``params``; a run that fails gets the floor statistics.

        A model error (an invariant the economics cannot meet at these parameters) is
        logged and answered with every value at the floor
        (:data:`experiments.calibration.targets.FLOOR_RATIO` of the reported one), so the
        particle is rejected rather than the calibration stopped; a calibration checks
        first that the prior's centre runs.
        """
        values = {str(k): float(v) for k, v in params.items()}
        try:
            yearly = self.simulate(values)
        except Exception as exc:  # any model failure rejects the particle
            log.warning("model run failed at %s: %s", values, exc)
            yearly = {}
        return self.targets.statistics(yearly)
