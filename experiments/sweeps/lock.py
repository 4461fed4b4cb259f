"""The exclusive lock a running sweep holds on its folder.

One sweep writes into a folder at a time: :class:`SweepLock` takes an exclusive, non-blocking
``flock`` (POSIX advisory lock, ``fcntl.flock(2)``) on ``DIR/.sweep.lock`` and writes who holds
it (pid, host, start time, command) into that file. The kernel drops a ``flock`` when its
holder dies, however it dies (SIGKILL included), so a lock left by a dead sweep is stale by
construction and the next sweep simply takes it; the file's old text is then overwritten.
The descriptor is opened close-on-exec, so worker processes never inherit the lock.

``flock`` is advisory and local: it guards against other sweeps on the same machine (and on
file systems that forward ``flock``, such as NFSv4 and Lustre); it does not stop a process
that ignores it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from experiments.sweeps.errors import SweepLockedError

__all__ = ["LOCK_NAME", "SweepLock", "holder_of"]

LOCK_NAME = ".sweep.lock"


def holder_of(root: str | Path) -> dict[str, Any]:
    """What the lock file of ``root`` says about its (last) holder; ``{}`` if unreadable."""
    try:
        data = json.loads((Path(root) / LOCK_NAME).read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "another sweep (still starting)"
    return (
        f"another sweep (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
        f"started {holder.get('started', '?')})"
    )


class SweepLock:
    """An exclusive lock on a sweep folder, held until :meth:`release` (or process exit).

    Parameters
    ----------
    root
        The sweep folder (must exist).

    Raises
    ------
    SweepLockedError
        From :meth:`acquire`, if a live process holds the lock.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.path = self.root / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> SweepLock:
        """Take the lock without waiting, and record this process as its holder."""
        if self._fd is not None:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SweepLockedError(
                f"{self.root} is in use by {_describe(holder_of(self.root))}; wait for it to "
                "finish or stop it, or choose another --out folder"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": " ".join(sys.argv),
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
        except OSError:
            pass  # the lock holds even if its description cannot be written (disk full)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (the file stays; its text is overwritten by the next holder)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> SweepLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # also at interpreter shutdown
            self.release()
