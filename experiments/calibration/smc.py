"""Likelihood-free calibration of a scenario to history: ABC-SMC with pyabc.

:func:`calibrate` runs approximate Bayesian computation by sequential Monte Carlo (Toni et
al. 2009, J. R. Soc. Interface 6:187; pyabc: Schaelte et al. 2022, JOSS 7:4304) over the
priors' parameters, comparing the model's summary statistics with the targets' by a
weighted Euclidean distance: each statistic (a log level or log growth) is divided by its
measurement uncertainty, ``d = sqrt(sum(((s - s_obs) / log_sd)^2))``
(``pyabc.PNormDistance(p=2, fixed_weights=1/log_sd)``). Each generation's threshold is the
median distance of the previous one (``pyabc.MedianEpsilon``, the library's default);
proposals come from a multivariate normal kernel fitted to the previous population
(``pyabc.MultivariateNormalTransition``).

Samplers: by default :class:`~experiments.calibration.seeded_sampler.SeededMulticoreSampler`
(pyabc's multicore sampler with ``workers`` processes, each evaluation seeded by its
index); ``dask=ADDRESS``: pyabc's ``DaskDistributedSampler`` on a Dask cluster (``"local"``:
a LocalCluster of ``workers`` processes on 127.0.0.1).

Reproducibility. pyabc draws proposals from numpy's global random state, and its own
workers reseed it from the operating system. The default sampler seeds it before every
evaluation from (root seed, generation, evaluation index), and each model run's seed comes
from the root seed and the parameter values
(:func:`experiments.calibration.model.run_seed`), so a calibration is a function of its
root seed: same seed, same posterior, with any number of workers, also after an
interruption and resume (every generation starts from the database). The Dask sampler
keeps pyabc's reseeding: faster on many machines, not reproducible; ``posterior.json``
says which was used.

Output folder: ``abc.db`` (pyabc's SQLite history: every population, its epsilon,
particles and statistics), ``calibration.json`` (the settings a resume must match),
``posterior.csv``/``posterior.json`` (:func:`experiments.posterior.write_posterior`),
``summary.csv``, ``ppc.csv``, ``generations.csv``, ``corner.png``, ``ppc.png``. Its checks
(settings to resume, database path, what a stopped calibration saved) are in
:mod:`experiments.calibration.folder`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.errors import CalibrationError, CalibrationInterrupted
from experiments.calibration.folder import (
    DB_FILE,
    STORAGE_ERRNOS,
    calibration_settings,
    check_database_path,
    damaged_database,
    prepare_folder,
    saved_generations,
    say_nothing_added,
    storage_error,
)
from experiments.calibration.model import HistoryModel
from experiments.calibration.posterior_checks import posterior_summary, predictive_check
from experiments.calibration.priors import Priors, load_priors
from experiments.calibration.targets import Targets, load_targets
from experiments.interrupts import interruptible, raise_held, raise_here, signum_of
from experiments.paths import atomic_write_bytes
from experiments.posterior import WEIGHT, write_posterior
from experiments.quiet_logs import quieted
from experiments.sweeps.errors import ExecutorError

__all__ = [
    "DEFAULT_GENERATIONS",
    "DEFAULT_PARTICLES",
    "CalibrationResult",
    "calibrate",
]

DEFAULT_PARTICLES = 150
"""Particles per generation (see ``benchmarks/bench_calibration.py`` for the budget)."""
DEFAULT_GENERATIONS = 6
"""Generations (the prior sample that sets the first threshold comes on top)."""


@dataclass(frozen=True)
class CalibrationResult:
    """A finished (or resumed) calibration.

    Attributes
    ----------
    folder : Path
        The output folder.
    draws : pandas.DataFrame
        The last population: one row per particle, one column per override path, ``weight``.
    summary : pandas.DataFrame
        Per parameter: weighted median, 90% credible interval, prior range, shrinkage.
    ppc : pandas.DataFrame
        Per target statistic: observed value, predictive median and 90% band, ``inside``.
    ppc_share : float
        Share of target statistics inside their 90% predictive band.
    generations : pandas.DataFrame
        Per generation ``t``: epsilon, particles, model runs, acceptance rate and pyabc's
        wall time; ``t = -1`` is the prior sample that sets the first threshold.
    reproducible : bool
        Whether the sampler used makes the result a function of the root seed.
    added : int
        Generations this call ran: 0 when the folder already held as many as asked for
        (then the outputs are written again from its last generation).
    """

    folder: Path
    draws: pd.DataFrame
    summary: pd.DataFrame
    ppc: pd.DataFrame
    ppc_share: float
    generations: pd.DataFrame
    reproducible: bool
    added: int = 0


@contextlib.contextmanager
def _sampler(
    workers: int, dask: str | None, seed: int, on_progress: Any
) -> Iterator[tuple[Any, str, bool]]:
    """pyabc sampler, its name and whether it is reproducible; stops its workers (or
    closes Dask) afterwards."""
    if dask is None:
        from experiments.calibration.seeded_sampler import SeededMulticoreSampler

        name = f"multicore, seeded per evaluation ({workers} process{'es' if workers > 1 else ''})"
        sampler = SeededMulticoreSampler(seed, workers, on_progress)
        try:
            yield sampler, name, True
        finally:
            sampler.close()
        return
    from distributed import Client, LocalCluster
    from pyabc.sampler import DaskDistributedSampler

    from experiments.sweeps.executors import DASK_CONNECT_TIMEOUT_S, check_dask_address

    cluster = None
    if dask == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            host="127.0.0.1", dashboard_address="127.0.0.1:0",
        )  # fmt: skip
        client = Client(cluster)
    else:
        check_dask_address(dask)
        try:
            client = Client(dask, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise CalibrationError(
                f"dask {dask}: no Dask scheduler answered ({exc}); start one "
                '(`dask scheduler`) or use the local cluster (--dask local, dask="local")'
            ) from None
    from experiments.calibration.seeded_sampler import quiet_covariance_warning

    client.run(quiet_covariance_warning)
    print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
    try:
        yield DaskDistributedSampler(dask_client=client, batch_size=2), "dask", False
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _check_budget(particles: int, generations: int, workers: int, seed: int) -> None:
    for name, value, low in (
        ("particles", particles, 4),
        ("generations", generations, 1),
        ("workers", workers, 1),
        ("seed", seed, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise CalibrationError(f"{name} = {value!r}: give a whole number >= {low}")


def calibrate(
    scenario: str | Path = "history-2023",
    out: str | Path = "calibration-out",
    *,
    targets: str | Path | None = None,
    priors: str | Path | None = None,
    particles: int = DEFAULT_PARTICLES,
    generations: int = DEFAULT_GENERATIONS,
    workers: int = 2,
    dask: str | None = None,
    seed: int = 0,
    new: bool = False,
    progress: bool = False,
) -> CalibrationResult:
    """Calibrate ``scenario``'s priors to the targets by ABC-SMC; resume ``out`` if it holds one.

    Parameters
    ----------
    scenario
        Shipped scenario name or ``.toml`` path; the priors' override paths apply to it.
    out
        Output folder (see the module docstring). A folder holding the same calibration
        (same scenario, targets, priors, seed, particles) is resumed: the generations in its
        database are kept and the run continues up to ``generations``.
    targets, priors
        TOML files (default: the shipped ``targets.toml`` and ``priors.toml``).
    particles, generations
        Population size and number of generations.
    workers, dask
        Worker processes of the seeded multicore sampler (the result does not depend on
        it); ``dask``: a scheduler address or ``"local"`` (``workers`` local processes).
    seed
        Root seed.
    new
        Move an earlier calibration in ``out`` aside (``out.old-<time>``) and start over.
    progress
        Show a bar of model runs (and a line per finished generation).

    Returns
    -------
    CalibrationResult
    """
    import pyabc
    import sqlalchemy.exc
    from tqdm import tqdm

    from experiments.calibration.seeded_sampler import quiet_covariance_warning
    from experiments.sweeps.executors import check_not_starting_worker
    from experiments.sweeps.lock import SweepLock

    check_not_starting_worker("calibrate")  # a spawned worker importing the script
    _check_budget(particles, generations, workers, seed)
    check_database_path(Path(out))
    tgt, pri = load_targets(targets), load_priors(priors)
    scn = str(scenario)
    pri.check(scn)
    centre = {p: float(pr.quantile(np.array(0.5))) for p, pr in pri.parameters.items()}
    where = str(targets) if targets is not None else "experiments/calibration/targets.toml"
    HistoryModel(scn, tgt, pri, int(seed)).check_years(where)  # in the scenario's run
    try:  # fail early with the real error if the model cannot run at all
        HistoryModel(scn, tgt, pri, int(seed)).simulate(centre)
    except Exception as exc:
        raise CalibrationError(
            f"the model fails at the centre of the priors ({exc}); fix the scenario or priors"
        ) from exc

    folder = Path(out)
    settings = calibration_settings(scn, tgt, pri, int(seed), int(particles))
    resume = prepare_folder(folder, settings, new)
    lock = SweepLock(folder).acquire()
    db = f"sqlite:///{(folder / DB_FILE).resolve()}"
    weights = {k: 1 / v for k, v in tgt.sds().items()}
    bar = tqdm(desc="calibrate", unit="run", disable=not progress, file=sys.stderr)
    runs_before = [0]  # model runs of the finished generations of this session

    def show(started: int) -> None:
        bar.n = runs_before[0] + started
        bar.refresh()

    try:
        with (
            # SIGTERM as Ctrl-C; held while pyabc writes, where this process's sampler runs
            # (pyabc's Dask sampler is not ours: a signal stops it at once)
            interruptible(held=dask is None),
            quieted("ABC", unless_env="ABC_LOG_LEVEL"),  # pyabc's per-generation chatter
            bar,
            _sampler(workers, dask, seed, show) as (sampler, sampler_name, reproducible),
            warnings.catch_warnings(),
        ):
            quiet_covariance_warning()
            model = HistoryModel(scn, tgt, pri, int(seed))

            def fresh() -> Any:
                # one ABCSMC per generation, loaded from the database: pyabc caches the
                # first population it calibrates epsilon with, so a second run() on one
                # object reuses stale distances; loading afresh makes every generation
                # start as a resumed one does (interrupted == uninterrupted)
                return pyabc.ABCSMC(
                    models=model,
                    parameter_priors=pri.pyabc_distribution(),
                    distance_function=pyabc.PNormDistance(p=2, fixed_weights=weights),
                    population_size=particles,
                    sampler=sampler,
                    eps=pyabc.MedianEpsilon(),
                )

            abc = fresh()
            history = abc.load(db, 1) if resume else abc.new(db, tgt.observed())
            first = history.max_t + 1
            if first >= generations:
                say_nothing_added(folder, first, generations)
            for t in range(first, generations):
                raise_held()  # one that came while pyabc wrote the last generation
                if t > first:
                    abc = fresh()
                    abc.load(db, 1)
                bar.set_postfix_str(f"generation {t + 1}/{generations}")
                abc.run(max_nr_populations=1)
                if abc.history.max_t < t:  # the sampler gave up (no accepted particle)
                    raise CalibrationError(f"generation {t} could not be completed")
                pops = abc.history.get_all_populations()
                last = pops[pops["t"] == t].iloc[0]
                runs_before[0] += int(last["samples"])
                show(0)
                if progress:
                    bar.write(
                        f"generation {t + 1}/{generations}: epsilon {last['epsilon']:.3g}, "
                        f"acceptance {particles / last['samples']:.2f}, {int(last['samples'])} runs",
                    )
            # the tables and figures: each written whole or not at all, and a resume writes
            # them all, so a signal stops here at once (not held until they are done)
            with raise_here():
                result = _finish(
                    abc.history,
                    tgt,
                    pri,
                    folder,
                    settings,
                    sampler_name,
                    reproducible,
                    targets,
                    priors,
                )
            result = dataclasses.replace(result, added=max(0, generations - first))
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM under gigawatt's handler
        saved = saved_generations(db, folder)
        raise CalibrationInterrupted(str(folder), saved, signum_of(exc)) from None
    except OSError as exc:  # the folder (full, read-only, removed); another OSError as it is
        if exc.errno not in STORAGE_ERRNOS:
            raise
        raise storage_error(exc, db, folder) from None
    except sqlalchemy.exc.OperationalError as exc:  # its database
        raise storage_error(exc, db, folder) from None
    except sqlalchemy.exc.DatabaseError as exc:  # a file SQLite cannot read as a database
        raise damaged_database(exc, folder) from None
    except multiprocessing.ProcessError:  # a worker died (the sampler's health check)
        saved = saved_generations(db, folder)
        raise ExecutorError(
            f"{folder}: a calibration worker process died (killed, out of memory, or failed "
            f"as it started: its own message is above); {saved} generation"
            f"{'' if saved == 1 else 's'} are saved in {DB_FILE}: run the same call again to "
            "resume. From a script, make the call to calibrate under "
            '`if __name__ == "__main__":`, as the workers import the script'
        ) from None
    finally:
        lock.release()
    return result


def _finish(
    history: Any,
    tgt: Targets,
    pri: Priors,
    folder: Path,
    settings: dict[str, Any],
    sampler_name: str,
    reproducible: bool,
    targets: str | Path | None,
    priors: str | Path | None,
) -> CalibrationResult:
    """Write the posterior, tables and figures of the database's last population."""
    from experiments.calibration.figures import corner_plot, ppc_plot

    t = history.max_t
    df, w = history.get_distribution(m=0, t=t)
    df = df[pri.paths].reset_index(drop=True)
    w = np.asarray(w, dtype=float)
    draws = pd.DataFrame(pri.overrides(row) for row in df.to_dict("records")).astype(float)
    draws[WEIGHT] = w / w.sum()
    # t = -1 is the prior sample that sets the first threshold (all accepted, pyabc
    # records it as one particle): its runs count, its acceptance rate does not apply
    pops = history.get_all_populations().rename(columns={"samples": "model_runs"})
    pops["particles"] = pops["particles"].where(pops["t"] >= 0)
    pops["acceptance_rate"] = pops["particles"] / pops["model_runs"]
    import pyabc

    meta = {
        **settings,
        "method": f"ABC-SMC, pyabc {pyabc.__version__}",
        "sampler": sampler_name,
        "reproducible": reproducible,
        "generations": int(t + 1),
        "epsilon": [float(e) for e in pops.loc[pops["t"] >= 0, "epsilon"]],
        "targets": str(targets) if targets is not None else "experiments/calibration/targets.toml",
        "priors": str(priors) if priors is not None else "experiments/calibration/priors.toml",
        "database": DB_FILE,
    }
    write_posterior(draws, meta, folder)
    summary = posterior_summary(df, w, pri)
    sw, stats = history.get_weighted_sum_stats(t=t)
    stats_frame = pd.DataFrame([{k: float(v) for k, v in s.items()} for s in stats])
    rng = np.random.default_rng([settings["root_seed"], t, 1])
    ppc = predictive_check(stats_frame, np.asarray(sw, dtype=float), tgt, rng)
    for name, frame in (("summary.csv", summary), ("ppc.csv", ppc), ("generations.csv", pops)):
        atomic_write_bytes(folder / name, frame.to_csv(index=False).encode())
    corner_plot(df, w, pri, folder / "corner.png")
    ppc_plot(ppc, folder / "ppc.png")
    return CalibrationResult(
        folder=folder,
        draws=draws,
        summary=summary,
        ppc=ppc,
        ppc_share=float(ppc["inside"].mean()),
        generations=pops.reset_index(drop=True),
        reproducible=reproducible,
    )
