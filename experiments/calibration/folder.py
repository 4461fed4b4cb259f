"""A calibration's output folder: its settings, its database path, what it has saved.

:func:`calibrate <experiments.calibration.smc.calibrate>` writes into one folder pyabc's
SQLite history (:data:`DB_FILE`) and the settings a resume must match
(:data:`SETTINGS_FILE`). Before any model runs, :func:`check_database_path` refuses a
folder whose path pyabc's database URL would change, and :func:`prepare_folder` creates
the folder, or checks that it holds the same calibration (:func:`calibration_settings`)
and says whether to resume it, or moves an earlier one aside. :func:`say_nothing_added`
tells a caller whose folder already holds the generations asked for. When a calibration
stops, :func:`saved_generations` counts what its database holds, and
:func:`storage_error` words a folder that cannot take its files (full, read-only,
removed: the errors of :data:`STORAGE_ERRNOS`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from experiments.calibration.errors import CalibrationError
from experiments.calibration.priors import Priors
from experiments.calibration.targets import Targets
from experiments.paths import atomic_write_bytes, cannot_write, set_aside

__all__ = [
    "DB_FILE",
    "SETTINGS_FILE",
    "STORAGE_ERRNOS",
    "calibration_settings",
    "check_database_path",
    "damaged_database",
    "prepare_folder",
    "saved_generations",
    "say_nothing_added",
    "storage_error",
]

DB_FILE = "abc.db"
"""pyabc's SQLite database in the output folder."""
SETTINGS_FILE = "calibration.json"
"""The settings a resumed calibration must match."""


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


ADDED_SETTINGS = frozenset({"scenario_sha256"})
"""Settings kept since a later version: a folder written before them is not checked on
them (it resumes as it did)."""


def calibration_settings(
    scenario: str, targets: Targets, priors: Priors, seed: int, particles: int
) -> dict[str, Any]:
    """The settings a resumed calibration must match, as written to :data:`SETTINGS_FILE`.

    Parameters
    ----------
    scenario
        The scenario's name or path, as given; it is also recorded by a digest of what it
        holds, as loaded (a file edited since is another scenario).
    targets, priors
        The targets and priors; each is recorded by a digest of its contents.
    seed
        The root seed.
    particles
        Particles per generation.

    Returns
    -------
    dict
        ``scenario``, ``scenario_sha256``, ``root_seed``, ``particles``,
        ``targets_sha256``, ``priors_sha256``.
    """
    from experiments.scenarios import scenario_digest
    from experiments.sweeps.model import scenario_with

    return {
        "scenario": scenario,
        # the scenario the runs start from, through their loader (read again if edited)
        "scenario_sha256": scenario_digest(scenario_with(scenario, {})),
        "root_seed": seed,
        "particles": particles,
        "targets_sha256": _digest(targets.model_dump()),
        "priors_sha256": _digest(priors.model_dump()),
    }


def prepare_folder(out: Path, settings: dict[str, Any], new: bool) -> bool:
    """Create ``out`` or check it holds the same calibration; True when resuming.

    Parameters
    ----------
    out
        The output folder.
    settings
        This calibration's settings (:func:`calibration_settings`).
    new
        Move an earlier calibration in ``out`` aside (``out.old-<time>``) and start over.

    Returns
    -------
    bool
        Whether ``out`` holds this calibration's database, to be resumed.

    Raises
    ------
    CalibrationError
        If ``out`` holds a calibration with other settings, a database without its
        settings, unreadable settings, or cannot be written.
    """
    db, cfg = out / DB_FILE, out / SETTINGS_FILE
    if out.exists() and new and (db.exists() or cfg.exists()):
        aside = set_aside(out)
        print(f"calibrate: moved the earlier calibration to {aside}", file=sys.stderr)
    if db.exists() and cfg.exists():
        try:
            old = json.loads(cfg.read_text())
        except (OSError, ValueError) as exc:
            raise CalibrationError(
                f"{cfg}: cannot be read ({exc}); use --new (new=True) to start over"
            ) from None
        changed = sorted(
            k
            for k in settings
            if (k in old or k not in ADDED_SETTINGS) and old.get(k) != settings[k]
        )
        if changed:
            raise CalibrationError(
                f"{out} holds a calibration with other settings ({', '.join(changed)}); "
                "use the same settings to resume it, --new (new=True) to move it aside, "
                "or another --out folder"
            )
        return True
    if db.exists():
        raise CalibrationError(
            f"{out}: {DB_FILE} without {SETTINGS_FILE}; use --new (new=True) to move it "
            "aside, or another --out folder"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(cfg, (json.dumps(settings, indent=2) + "\n").encode())
    except OSError as exc:  # before any run: a folder that cannot take the calibration
        raise CalibrationError(cannot_write(out, exc)) from None
    return False


_URL_SPECIAL = ("?", "%")
"""Characters pyabc's SQLite URL (``sqlite:///`` and the path) does not keep: SQLAlchemy
reads ``?`` as the start of options and ``%XX`` as an escape, while pyabc checks the
unescaped path for an existing database, so no escaping serves both."""


def check_database_path(out: Path) -> None:
    """Refuse an output folder whose database path pyabc's URL would change.

    A folder ``q?x`` put the database in a file ``q`` beside it, and ``50%20`` in none.

    Parameters
    ----------
    out
        The output folder.

    Raises
    ------
    CalibrationError
        Naming the folder, the characters and the fix.
    """
    path = str((out / DB_FILE).resolve())
    found = [c for c in _URL_SPECIAL if c in path]
    if found:
        chars = " and ".join(repr(c) for c in found)
        raise CalibrationError(
            f"{out}: the calibration's database path {path} holds {chars}, which pyabc's "
            "database URL reads as options or escapes (the database would be written "
            "elsewhere); choose a folder whose path has no '?' or '%'"
        )


def say_nothing_added(folder: Path, saved: int, asked: int) -> None:
    """Tell the caller (on stderr) that a resumed folder already holds the generations asked
    for: none is run, and the outputs are written again from the last one.

    Parameters
    ----------
    folder
        The output folder.
    saved
        Generations its database holds.
    asked
        Generations asked for (at most ``saved``).
    """
    than = "as many as" if saved == asked else "more than"
    print(
        f"calibrate: {folder} already holds {saved} generation{'' if saved == 1 else 's'}, "
        f"{than} the {asked} asked for (--generations {asked}); nothing was added and its "
        f"outputs are written again from generation {saved}: ask for more than {saved} to "
        "refine it, or use --new (new=True) to start over",
        file=sys.stderr,
    )


STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.EIO}
)
"""The errors of a folder that cannot take the calibration's files: full, over quota,
read-only, not permitted, removed, failing. Any other OSError (a broken pipe to a worker)
is not the folder's and is raised as it is, not reported as "cannot write"."""


def saved_generations(db: str, folder: Path) -> int:
    """Generations finished in the database (0 if there is none, or it cannot be read).

    Parameters
    ----------
    db
        pyabc's database URL (``sqlite:///`` and the path of :data:`DB_FILE` in ``folder``).
    folder
        The output folder.

    Returns
    -------
    int
        The number of generations pyabc's history holds.
    """
    from pyabc import History

    if not (folder / DB_FILE).exists():
        return 0
    try:
        return int(History(db).max_t + 1)
    except Exception:  # a database the failure left unreadable
        return 0


def storage_error(exc: BaseException, db: str, folder: Path) -> CalibrationError:
    """A calibration stopped by its folder (full, read-only, removed): what is saved, and that
    the same command resumes once the folder can be written (the figures of a finished one
    are written then).

    Parameters
    ----------
    exc
        The error: an OSError of :data:`STORAGE_ERRNOS`, or SQLite's through SQLAlchemy.
    db
        pyabc's database URL.
    folder
        The output folder.

    Returns
    -------
    CalibrationError
        The error to raise, naming the file, the reason and the generations saved.
    """
    if isinstance(exc, OSError):
        where = exc.filename or folder
        why = exc.strerror or str(exc)
    else:  # SQLite, through pyabc's SQLAlchemy: "database or disk is full"...
        where, why = folder / DB_FILE, str(getattr(exc, "orig", exc))
    done = saved_generations(db, folder)
    return CalibrationError(
        f"{where}: cannot write ({why}); {done} generation(s) saved in {folder}/{DB_FILE}. "
        "Free space (or make the folder writable) and run the same command to resume"
    )


def damaged_database(exc: BaseException, folder: Path) -> CalibrationError:
    """A calibration database SQLite cannot read (not SQLite, or cut short): name it and
    the two ways on, as a damaged manifest of a sweep does.

    Parameters
    ----------
    exc
        SQLAlchemy's ``DatabaseError`` (SQLite's message in its ``orig``).
    folder
        The output folder.
    """
    why = str(getattr(exc, "orig", exc))
    return CalibrationError(
        f"{folder / DB_FILE}: not a calibration database SQLite can read ({why}); it was "
        "damaged (a disk error, or a copy cut short) or is another file. Start over with "
        "--new (new=True: the folder is moved aside, nothing deleted) or give another --out"
    )
