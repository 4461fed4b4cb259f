"""Output folder names built from user text (scenario and sweep names) stay where asked.

A name is data, not a path: :func:`slug` keeps letters, digits, ``.``, ``_`` and ``-``,
turns every other run of characters (``/``, ``..``, NUL, spaces...) into one ``-``, and
never returns a name that starts with ``.`` or is empty; :func:`child_dir` joins a slug to
a parent folder and checks that the result lies inside it. :func:`set_aside` archives an
earlier result folder that a command's ``--new`` replaces; :func:`probe_writable` and
:func:`cannot_write` check an output folder before a command's work and word its failure.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
from pathlib import Path

__all__ = [
    "cannot_write",
    "child_dir",
    "probe_writable",
    "rename_to_free",
    "set_aside",
    "slug",
]

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
    return rename_to_free(root, root.with_name(f"{root.name}.old-{stamp}"))


_TAKEN = (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR)
"""What renaming a folder onto a path something already holds raises: a folder there that
is not empty, or a file."""


def rename_to_free(src: Path, dest: Path, *, replace_empty: bool = False) -> Path:
    """Rename the folder ``src`` to ``dest``, or to the first of ``dest-2``, ``dest-3``...
    that is free, and return where it went. The rename is atomic and never replaces what is
    there, another process's folder included; with ``replace_empty`` an empty folder at
    ``dest`` itself (an ``--out`` made ready for it) is taken."""
    target, k = dest, 1
    while True:
        try:
            if target.exists() and not (replace_empty and target == dest):
                raise FileExistsError(errno.EEXIST, "taken", str(target))
            os.rename(src, target)
            return target
        except OSError as exc:
            if exc.errno not in _TAKEN:
                raise
        k += 1
        target = dest.with_name(f"{dest.name}-{k}")


def probe_writable(folder: str | Path) -> None:
    """Make ``folder`` (and its parents) and a folder in it, then remove that: so that an
    output folder that cannot take a command's results is found before the work, not after.

    Raises
    ------
    OSError
        If it cannot (read-only, a file in the way, no space); word it with
        :func:`cannot_write`.
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    os.rmdir(tempfile.mkdtemp(prefix=".probe.", dir=root))


def cannot_write(out: str | Path, exc: OSError, *, default: bool = False) -> str:
    """What a command says of an output folder it could not write: the folder, the
    system's reason and the fix.

    ``default`` marks a folder the command chose itself (the user gave no ``--out``), which
    the message then names as such rather than as the user's ``--out``.

    >>> cannot_write("runs", PermissionError(13, "Permission denied"))
    '--out runs: cannot write (Permission denied); choose a writable folder with free space'
    >>> cannot_write("s/analysis", PermissionError(13, "Permission denied"), default=True)
    's/analysis (the default output folder): cannot write (Permission denied); give --out a writable folder with free space'

    A file where the folder (or one of its parents) should be is named as such, not by
    the system's "File exists" or "Not a directory".
    """
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) and (file := _file_in_the_way(out)):
        what = "" if file == Path(out) else f"{file} "
        if default:
            return (
                f"{out} (the default output folder): {what}is a file, not a folder; move the "
                "file or give --out a folder"
            )
        return f"--out {out}: {what}is a file, not a folder; give the path of a folder"
    reason = exc.strerror or exc
    if default:
        return (
            f"{out} (the default output folder): cannot write ({reason}); "
            "give --out a writable folder with free space"
        )
    return f"--out {out}: cannot write ({reason}); choose a writable folder with free space"


def _file_in_the_way(out: str | Path) -> Path | None:
    """``out`` or the nearest of its parents that is a file, not a folder; None if none is."""
    path = Path(out)
    for p in (path, *path.parents):
        try:
            if p.exists():
                return None if p.is_dir() else p
        except OSError:  # a name the system cannot look at: no file in the way to name
            return None
    return None
