"""Output folder names built from user text (scenario and sweep names) stay where asked.

A name is data, not a path: :func:`slug` keeps letters, digits, ``.``, ``_`` and ``-``,
turns every other run of characters (``/``, ``..``, NUL, spaces...) into one ``-``, and
never returns a name that starts with ``.`` or is empty; :func:`child_dir` joins a slug to
a parent folder and checks that the result lies inside it.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["child_dir", "slug"]

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
