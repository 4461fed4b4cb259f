"""Reading the TOML files a user writes: scenarios, sweep specs, calibration targets and priors.

TOML files are UTF-8 (the TOML 1.0 specification). An editor may still save one with a byte
order mark (Windows Notepad's "UTF-8 with BOM"), which is invisible and which Python's
``tomllib`` reads as an invalid statement at line 1, column 1: the mark is dropped here
(the ``utf-8-sig`` codec). A file in another encoding (UTF-16, Latin-1) is refused with the
fix, to save it as UTF-8; the locale's encoding is never used, so a file reads the same on
every machine.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = ["TomlFileError", "load_toml"]


class TomlFileError(ValueError):
    """A TOML file that cannot be read or parsed; the message says why and the fix, and the
    caller prefixes the file's name and role."""


def load_toml(path: str | Path) -> dict[str, Any]:
    """The table a UTF-8 TOML file holds (a leading byte order mark ignored).

    Raises
    ------
    TomlFileError
        If the file cannot be read (``cannot be read (...)``), is not UTF-8 text
        (``cannot be read as UTF-8 text (...); save it as UTF-8``) or is not valid TOML
        (``not valid TOML: <the parser's message with line and column> (fix the syntax)``).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TomlFileError(
            f"cannot be read as UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise TomlFileError(f"cannot be read ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlFileError(f"not valid TOML: {exc} (fix the syntax)") from None
