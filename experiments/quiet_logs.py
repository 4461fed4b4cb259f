"""A library's logger quieted while the package uses it, then given back.

pyabc logs every generation and the EMA workbench every box at INFO; the package's own
progress says enough. A caller's logging is the caller's, so the level is restored
afterwards, whatever it was.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quieted"]


@contextmanager
def quieted(name: str, *, unless_env: str | None = None) -> Iterator[None]:
    """Within, the logger ``name`` passes warnings and errors only; on exit, its level is
    what it was.

    ``unless_env``: a variable with which the library lets its user choose its level
    (pyabc's ``ABC_LOG_LEVEL``); when it is set, the logger is left alone.

    >>> log = logging.getLogger("lib"); log.setLevel(logging.DEBUG)
    >>> with quieted("lib"):
    ...     logging.getLevelName(log.level)
    'WARNING'
    >>> logging.getLevelName(log.level)
    'DEBUG'
    """
    log = logging.getLogger(name)
    level = log.level
    if unless_env is None or unless_env not in os.environ:
        log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)
