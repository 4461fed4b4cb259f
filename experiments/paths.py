"""Output folder names built from user text (scenario and sweep names) stay where asked.

A name is data, not a path: :func:`slug` keeps letters, digits, ``.``, ``_`` and ``-``,
turns every other run of characters (``/``, ``..``, NUL, spaces...) into one ``-``, and
never returns a name that starts with ``.`` or is empty; :func:`child_dir` joins a slug to
a parent folder and checks that the result lies inside it. :func:`set_aside` archives an
earlier result folder that a command's ``--new`` replaces; :func:`probe_writable` and
:func:`cannot_write` check an output folder before a command's work and word its failure.

Results are written atomically, so that nothing a user ran is lost to an interrupted write:
:func:`atomic_write_bytes` (and :func:`atomic_write_text`, :func:`save_figure` for a
table's CSV text and a matplotlib figure) writes to a temporary name in the same folder,
flushes and ``fsync``-s it, moves it into place with ``os.replace`` (atomic on POSIX) and
``fsync``-s the folder: the file under its final name is the old one or the whole new one,
never a part. ``tempfile.mkstemp`` makes its file private (mode 0600), so each file is
given the mode a plain ``open`` would have given it (0666 less the process umask,
:func:`new_file_mode`) before it is moved into place.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "cannot_write",
    "child_dir",
    "new_file_mode",
    "probe_writable",
    "rename_to_free",
    "save_figure",
    "set_aside",
    "slug",
    "umask",
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


_KEPT = (errno.EBUSY, errno.EPERM, errno.EACCES)
"""What renaming a folder onto an empty folder that cannot be replaced raises: a mount
point, an immutable folder, or one in a sticky folder owned by another user."""


def rename_to_free(src: Path, dest: Path, *, replace_empty: bool = False) -> Path:
    """Rename the folder ``src`` to ``dest``, or to the first of ``dest-2``, ``dest-3``...
    that is free, and return where it went. The rename is atomic and never replaces what is
    there, another process's folder included; with ``replace_empty`` an empty folder at
    ``dest`` itself (an ``--out`` made ready for it) is taken, or, if it cannot be replaced
    (:data:`_KEPT`), the next free name is."""
    target, k = dest, 1
    while True:
        try:
            if target.exists() and not (replace_empty and target == dest):
                raise FileExistsError(errno.EEXIST, "taken", str(target))
            os.rename(src, target)
            return target
        except OSError as exc:
            kept = replace_empty and target == dest and exc.errno in _KEPT
            if exc.errno not in _TAKEN and not kept:
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


def umask() -> int:
    """The process umask.

    Read from ``/proc/self/status`` where Linux gives it, else by setting and restoring it
    (``os.umask`` has no getter; another thread creating a file in between would get the
    value set).

    Returns
    -------
    int
        The umask, e.g. ``0o022``.
    """
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(folder: bool = False) -> int:
    """The mode ``open`` (or, with ``folder``, ``os.mkdir``) gives what it creates.

    ``tempfile.mkstemp`` (``mkdtemp``) gives 0600 (0700) instead, so what is written
    through them and moved into place takes this first.

    Parameters
    ----------
    folder
        The mode of a new folder rather than of a new file.

    Returns
    -------
    int
        0666 (0777 for a folder) less the process umask.
    """
    return (0o777 if folder else 0o666) & ~umask()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, rename.

    The file under ``path`` is either what was there before or the whole of ``data``; if
    the write fails, the temporary file is removed and the error raised.

    Parameters
    ----------
    path
        The file to write (its folder must exist).
    data
        The file's contents.
    durable
        ``False`` skips both fsyncs: the file still appears whole or not at all, but a
        power cut may lose it (for files whose loss is detected, such as checksums).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), new_file_mode())  # mkstemp made it 0600
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, encoded as UTF-8 (see :func:`atomic_write_bytes`).

    Parameters
    ----------
    path
        The file to write (its folder must exist).
    text
        The file's contents, e.g. ``frame.to_csv(index=False)``.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def save_figure(fig: Figure, path: str | Path, **savefig_kwargs: Any) -> None:
    """Render ``fig`` in memory and write it to ``path`` atomically.

    The figure is drawn by ``fig.savefig`` into a buffer, in the format of the path's
    suffix (``.png``, ``.pdf``, ``.svg``...), then written with
    :func:`atomic_write_bytes`: a figure that fails to draw leaves no file at all.

    Parameters
    ----------
    fig
        A matplotlib figure.
    path
        The file to write (its folder must exist).
    **savefig_kwargs
        Passed to ``fig.savefig`` (``dpi``, ``metadata``, ``bbox_inches``...); a
        ``format`` given here overrides the suffix.

    Raises
    ------
    ValueError
        If ``path`` has no suffix and no ``format`` is given.
    """
    path = Path(path)
    fmt = savefig_kwargs.pop("format", None) or path.suffix.removeprefix(".").lower()
    if not fmt:
        raise ValueError(f"{path}: no suffix to take the figure's format from; give format=")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, **savefig_kwargs)
    atomic_write_bytes(path, buf.getvalue())
