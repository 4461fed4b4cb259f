"""A calibration's posterior on disk: weighted parameter draws that a forecast runs forward.

A posterior folder holds two files, written atomically:

- ``posterior.csv``: one row per particle; one column per calibrated parameter, named by its
  scenario override path (``demand.elasticity``, ``labs.anthropic.capability``...), and a
  ``weight`` column (non-negative, summing to 1, as ABC-SMC's importance weights do).
- ``posterior.json``: what produced it: the scenario the paths apply to, the root seed, and
  free-form details of the method (library, particles, generations, targets file).

``gigawatt calibrate`` writes such a folder and ``gigawatt forecast --posterior DIR`` reads one;
a user may also write one by hand (e.g. a prior predictive: uniform weights over prior draws).

Several fits of the same scenario and parameters (calibrations with different seeds, on one
machine or several) can be pooled (:func:`pool_posteriors`, ``--posterior DIR DIR ...``):
the equal-weight mixture of their particle sets, each fit's weights divided by the number of
fits. Each fit is a Monte Carlo estimate of the same posterior, so their mixture averages out
part of the error any one sample carries, as pooling independent chains does in MCMC (Gelman
et al., *Bayesian Data Analysis*, 3rd ed., 2013, section 11.4) and averaging independent
particle systems does in SMC (Whiteley, Lee and Heine, "On the role of interaction in
sequential Monte Carlo algorithms", *Bernoulli* 22, 2016). The fits' final ABC tolerances
differ a little, and the mixture is of their approximations.

>>> write_posterior(frame, {"scenario": "history-2023", "root_seed": 1}, "calib-out")  # doctest: +SKIP
>>> post = read_posterior("calib-out"); post.draws.columns  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.paths import atomic_write_bytes

__all__ = [
    "DRAWS_FILE",
    "META_FILE",
    "WEIGHT",
    "Posterior",
    "PosteriorError",
    "pool_posteriors",
    "read_posterior",
    "read_posteriors",
    "write_posterior",
]

DRAWS_FILE = "posterior.csv"
"""The particles: one column per parameter (its override path) and :data:`WEIGHT`."""
META_FILE = "posterior.json"
"""What produced the particles: ``scenario``, ``root_seed`` and method details."""
WEIGHT = "weight"
"""The column of importance weights."""


class PosteriorError(ValueError):
    """A posterior folder or frame that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Posterior:
    """Weighted parameter draws and what produced them.

    Attributes
    ----------
    draws : pandas.DataFrame
        One row per particle, one column per parameter (scenario override path).
    weights : numpy.ndarray
        Importance weights, non-negative, summing to 1.
    meta : dict
        ``scenario`` (name or TOML path), ``root_seed`` (int) and method details.
    origin : tuple of (str, int)
        Where the rows come from, in order: each file and its number of rows (one file
        read, or the fits pooled); empty for a posterior made in memory.
    """

    draws: pd.DataFrame
    weights: np.ndarray
    meta: dict[str, Any]
    origin: tuple[tuple[str, int], ...] = ()

    def row_label(self, i: int) -> str:
        """Where row ``i`` of :attr:`draws` is written: ``c/posterior.csv line 4`` (the
        header is line 1), or ``posterior row 3`` without a file."""
        first = 0
        for file, rows in self.origin:
            if i < first + rows:
                return f"{file} line {i - first + 2}"
            first += rows
        return f"posterior row {i + 1}"

    @property
    def scenario(self) -> str:
        """The scenario the parameter paths apply to."""
        return str(self.meta["scenario"])

    def sample_rows(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The rows of ``n`` draws with replacement in proportion to the weights."""
        return rng.choice(len(self.draws), size=n, replace=True, p=self.weights)

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` parameter vectors drawn with replacement in proportion to the weights."""
        return self.draws.iloc[self.sample_rows(n, rng)].reset_index(drop=True)


_SAME_IN_A_POOL = (
    ("scenario_sha256", "scenario contents"),
    ("targets_sha256", "targets"),
    ("priors_sha256", "priors"),
)
"""What fits pooled into one posterior must share, by the digests a calibration records."""


def _check(frame: pd.DataFrame, meta: Mapping[str, Any], where: str) -> np.ndarray:
    if WEIGHT not in frame.columns:
        raise PosteriorError(f"{where}: no {WEIGHT!r} column; add the particles' weights")
    params = [c for c in frame.columns if c != WEIGHT]
    if not params or len(frame) == 0:
        raise PosteriorError(f"{where}: needs at least one parameter column and one row")
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            raise PosteriorError(f"{where}: column {col!r} has a missing or non-numeric value")
    w = frame[WEIGHT].to_numpy(dtype=float)
    if np.any(w < 0):
        row = int(np.flatnonzero(w < 0)[0])
        raise PosteriorError(
            f"{where}: weights must be >= 0; row {row + 1} has {float(w[row])!r} (a particle's "
            "weight is its share of the posterior: a negative one comes from a damaged or "
            "hand-edited file; write it from the calibration again)"
        )
    if not math.isclose(float(w.sum()), 1.0, rel_tol=1e-6):
        raise PosteriorError(
            f"{where}: weights must sum to 1 (sum {float(w.sum())!r}); divide them by their sum"
        )
    for key in ("scenario", "root_seed"):
        if key not in meta:
            raise PosteriorError(f"{where}: metadata needs {key!r}")
    scenario, seed = meta["scenario"], meta["root_seed"]
    if not isinstance(scenario, str) or not scenario:
        raise PosteriorError(
            f"{where}: {META_FILE}'s 'scenario' is {scenario!r}; it names the calibrated scenario "
            "(a shipped name or a .toml path), as a calibration writes it"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise PosteriorError(
            f"{where}: {META_FILE}'s 'root_seed' is {seed!r}; it is the fit's seed, a whole number "
            ">= 0, as a calibration writes it"
        )
    return w / w.sum()


def write_posterior(frame: pd.DataFrame, meta: Mapping[str, Any], folder: str | Path) -> Path:
    """Write ``frame`` (parameters + ``weight``) and ``meta`` into ``folder``, atomically."""
    out = Path(folder)
    _check(frame, meta, str(out))
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / DRAWS_FILE, frame.to_csv(index=False).encode())
    atomic_write_bytes(
        out / META_FILE, (json.dumps(dict(meta), indent=2, default=str) + "\n").encode()
    )
    return out


CALIBRATION_FILES = ("abc.db", "calibration.json")
"""What a calibration writes into its folder before its posterior (pyabc's database and
its settings: :data:`experiments.calibration.folder.DB_FILE` and ``SETTINGS_FILE``)."""


def _saved_generations(db: Path) -> int | None:
    """Generations a calibration's database holds (pyabc's ``populations`` with ``t >= 0``;
    ``t = -1`` is the prior sample), read with SQLite alone; None if it cannot be read."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as c:
            (n,) = c.execute("SELECT COUNT(DISTINCT t) FROM populations WHERE t >= 0").fetchone()
    except (sqlite3.Error, OSError, ValueError):
        return None
    return int(n)


def _missing(root: Path, name: str) -> PosteriorError:
    """Why ``root`` has no ``name``: no such folder, a calibration not finished, or neither."""
    where = f"posterior {str(root)!r}"
    if not root.exists():
        return PosteriorError(
            f"{where}: no such folder; check the path (a folder written by "
            "`gigawatt calibrate --out DIR`)"
        )
    if not root.is_dir():
        return PosteriorError(f"{where}: a file, not a folder; give the calibration's folder")
    if any((root / f).exists() for f in CALIBRATION_FILES):
        n = _saved_generations(root / CALIBRATION_FILES[0])
        saved = (
            f"{n} generation{'' if n == 1 else 's'} saved in {CALIBRATION_FILES[0]}"
            if n is not None
            else f"its {CALIBRATION_FILES[0]} unreadable"
        )
        return PosteriorError(
            f"{where}: an unfinished calibration ({saved}, no {name} yet); run the "
            "calibration again (the same `gigawatt calibrate ... --out "
            f"{root}` command resumes it) and forecast once it has finished"
        )
    return PosteriorError(
        f"{where}: {name} is missing; point --posterior at a folder written by `gigawatt calibrate`"
    )


def read_posterior(folder: str | Path) -> Posterior:
    """Read a posterior folder written by :func:`write_posterior` (or by hand).

    Raises
    ------
    PosteriorError
        Saying which: no such folder, an unfinished calibration (with the generations its
        database holds), a file missing or unreadable (naming it), or bad contents.
    """
    root = Path(folder)
    draws_path, meta_path = root / DRAWS_FILE, root / META_FILE
    for path in (draws_path, meta_path):
        if not path.is_file():
            raise _missing(root, path.name)
    rewrite = (
        "run the same `gigawatt calibrate` command again to write it anew (a finished "
        "calibration is not run again), or restore it"
    )
    try:
        frame = pd.read_csv(draws_path)
    except (ValueError, OSError) as exc:
        raise PosteriorError(
            f"posterior {str(root)!r}: {draws_path} cannot be read ({exc}); {rewrite}"
        ) from None
    try:
        meta = json.loads(meta_path.read_text())
    except (ValueError, OSError) as exc:
        raise PosteriorError(
            f"posterior {str(root)!r}: {meta_path} is not valid JSON ({exc}); {rewrite}"
        ) from None
    if not isinstance(meta, dict):
        raise PosteriorError(
            f"posterior {str(root)!r}: {meta_path} must hold a JSON object with 'scenario' "
            f"and 'root_seed'; {rewrite}"
        )
    w = _check(frame, meta, str(root))
    return Posterior(
        frame.drop(columns=[WEIGHT]).astype(float), w, meta, ((str(draws_path), len(frame)),)
    )


def pool_posteriors(posteriors: Sequence[Posterior], names: Sequence[str] = ()) -> Posterior:
    """The equal-weight mixture of fits of one scenario and parameter set (module docstring).

    Parameters
    ----------
    posteriors : sequence of Posterior
        At least one; a single one is returned as it is.
    names : sequence of str, optional
        What to call each fit in errors and in the pooled metadata (default ``fit 1``...).

    Returns
    -------
    Posterior
        Every fit's particles (parameters in the first fit's column order), each fit's
        weights divided by the number of fits; ``meta`` holds the scenario, the first fit's
        ``root_seed`` (the default seed of a forecast) and, under ``pooled``, each fit's
        name and metadata.
    """
    if not posteriors:
        raise PosteriorError("no posterior to pool: give at least one posterior folder")
    if len(posteriors) == 1:
        return posteriors[0]
    labels = list(names) or [f"fit {k + 1}" for k in range(len(posteriors))]
    if len(labels) != len(posteriors):
        raise PosteriorError(
            f"names: {len(labels)} names for {len(posteriors)} posteriors; give one per fit"
        )
    first = posteriors[0]
    for label, post in zip(labels[1:], posteriors[1:], strict=True):
        if post.scenario != first.scenario:
            raise PosteriorError(
                f"{label} is a posterior of {post.scenario!r}, {labels[0]} of "
                f"{first.scenario!r}: pool only fits of one scenario"
            )
        if set(post.draws.columns) != set(first.draws.columns):
            odd = sorted(set(post.draws.columns) ^ set(first.draws.columns))
            raise PosteriorError(
                f"{label} and {labels[0]} calibrate different parameters ({odd}); "
                "pool only fits made with the same priors"
            )
        for key, what in _SAME_IN_A_POOL:  # where both fits record it
            mine, theirs = post.meta.get(key), first.meta.get(key)
            if mine is not None and theirs is not None and mine != theirs:
                raise PosteriorError(
                    f"{label} and {labels[0]} were fitted to different {what} ({key} "
                    f"{str(mine)[:16]} against {str(theirs)[:16]}): their mixture is the "
                    "posterior of neither; pool only fits of one scenario, targets and "
                    "priors, made with different seeds"
                )
    for i, post in enumerate(posteriors):  # a fit twice (the same folder, or the same seed)
        for j in range(i):
            other = posteriors[j]
            if post.draws.shape == other.draws.shape and (
                post.draws[list(other.draws.columns)].equals(other.draws)
                and np.array_equal(post.weights, other.weights)
            ):
                raise PosteriorError(
                    f"{labels[i]} holds the same particles as {labels[j]} (one fit given twice, "
                    "or two fits of one seed): pooling adds nothing to it and narrows the "
                    "intervals of the median; pool fits of different seeds"
                )
    k = len(posteriors)
    draws = pd.concat([p.draws[list(first.draws.columns)] for p in posteriors], ignore_index=True)
    weights = np.concatenate([p.weights / k for p in posteriors])
    meta = {
        "scenario": first.scenario,
        "root_seed": first.meta["root_seed"],
        "pooled": [{"name": n, **p.meta} for n, p in zip(labels, posteriors, strict=True)],
    }
    origin = tuple(part for p in posteriors for part in p.origin)
    if sum(rows for _, rows in origin) != len(draws):  # a fit made in memory: no files
        origin = ()
    return Posterior(draws, weights / weights.sum(), meta, origin)


def read_posteriors(folders: Sequence[str | Path]) -> Posterior:
    """Read each posterior folder and pool them (:func:`pool_posteriors`); one is read as is."""
    return pool_posteriors([read_posterior(f) for f in folders], [str(f) for f in folders])
