"""Output folder names built from user text (scenario and sweep names) stay where asked.

A name is data, not a path: :func:`slug` keeps letters, digits, ``.``, ``_`` and ``-``,
turns every other run of characters (``/``, ``..``, NUL, spaces...) into one ``-``, and
never returns a name that starts with ``.`` or is empty; :func:`child_dir` joins a slug to
a parent folder and checks that the result lies inside it. :func:`set_aside` archives an
earlier result folder that a command's ``--new`` replaces.
"""

from __future__ import annotations

import errno
import os
import re
import time
from pathlib import Path

__all__ = ["child_dir", "set_aside", "slug"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_LEN = 80


def slug(name: str, fallback: str = "run") -> str:
    """A file-name-safe form of ``name`` (at most 80 characters), e.g. ``/tmp/x`` -> ``tmp-x``."""
    text = _UNSAFE.sub("-", str(name)).strip("-.")
    text = re.sub(r"\.{2,}", ".", text)[:MAX_LEN].strip("-.")
    return text or fallback


def child_dir(parent: str | Path, name: str, fallback: str = "run") -> Path:
    """``parent / slug(name)``, guaranteed to lie inside ``parent``."""
    base = Path(parent)
    out = base / slug(name, fallback)
    if out.resolve().parent != base.resolve():
        raise ValueError(f"{name!r}: not a plain folder name")  # unreachable for a slug
    return out


def set_aside(folder: str | Path) -> Path:
    """Rename ``folder`` to ``<folder>.old-<UTC time>`` beside it (``-2``, ``-3``... if that
    name is taken) and return the new path: what ``--new`` does to an earlier sweep,
    comparison or calibration, so that nothing is deleted.

    The rename is atomic and never replaces another archive (two ``--new`` in one second).
    """
    root = Path(folder)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    base = root.with_name(f"{root.name}.old-{stamp}")
    dest, k = base, 1
    while True:
        try:
            if dest.exists():  # rename would replace an empty folder there
                raise FileExistsError(errno.EEXIST, "taken", str(dest))
            os.rename(root, dest)
            return dest
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                raise
        k += 1
        dest = base.with_name(f"{base.name}-{k}")
