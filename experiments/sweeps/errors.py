"""The errors of running and storing sweeps (spec errors live in :mod:`.spec`).

Every error a user can cause is a ``ValueError`` subclass whose message names the file,
flag or value at fault and the fix; the command line prints it on one line and exits 2.
An interrupted sweep raises :class:`SweepInterrupted`, a ``KeyboardInterrupt``, so code that
does not handle it stops as on Ctrl-C.
"""

from __future__ import annotations

from pathlib import Path

from experiments.interrupts import exit_code

__all__ = [
    "DamagedFileError",
    "ExecutorError",
    "SweepInterrupted",
    "SweepLockedError",
    "SweepStoreError",
]


class SweepStoreError(ValueError):
    """A sweep directory cannot be used as asked (wrong spec, missing manifest...)."""


class SweepLockedError(SweepStoreError):
    """Another live sweep holds the folder's lock; the message says which one."""


class DamagedFileError(SweepStoreError):
    """A sweep's manifest or design file is unreadable or fails its checksum."""


class ExecutorError(SweepStoreError):
    """An executor cannot be opened as asked (e.g. no Dask scheduler at the address)."""


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped on SIGINT or SIGTERM; what finished is saved and resumable.

    Attributes
    ----------
    saved, planned
        Runs with a shard in the store, runs in the design.
    store
        The sweep folder.
    signum
        The signal that stopped it.
    exit_code
        ``128 + signum``, the shell convention (130 for SIGINT, 143 for SIGTERM).
    """

    def __init__(self, saved: int, planned: int, store: Path, signum: int) -> None:
        self.saved, self.planned, self.store, self.signum = saved, planned, Path(store), signum
        self.exit_code = exit_code(self)
        super().__init__(f"interrupted: {saved}/{planned} runs saved")
