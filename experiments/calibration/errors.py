"""The calibration's domain error and the wording of validation failures."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from pydantic import BaseModel, ValidationError

from experiments.interrupts import exit_code, signal_name
from experiments.tomlfile import TomlFileError, load_toml

_UNION_MEMBER = re.compile(r"^(float|int|str|bool|list\[.*\]|dict\[.*\])$")

__all__ = [
    "CalibrationError",
    "CalibrationInterrupted",
    "describe_validation_error",
    "load_toml_model",
]


class CalibrationError(ValueError):
    """Bad calibration input (targets, priors, budget, output folder); the message says the fix."""


class CalibrationInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a calibration: finished generations are in the database,
    resumable.

    ``exit_code`` is ``128 + signum`` (130 for SIGINT, 143 for SIGTERM), which the
    ``gigawatt`` entry point returns.
    """

    def __init__(self, folder: str, generations: int, signum: int = signal.SIGINT) -> None:
        self.signum = int(signum)
        self.exit_code = exit_code(self)
        super().__init__(
            f"interrupted ({signal_name(self.signum)}); {generations} generation(s) saved in "
            f"{folder}/abc.db"
        )


def describe_validation_error(exc: ValidationError, source: str) -> CalibrationError:
    """One line per pydantic error: ``source: key.path = value: problem (fix)``."""
    lines: list[str] = []
    seen = set()
    for err in exc.errors():
        # a union's members appear in the location (``log_sd.float``); name the key only
        parts = [str(x) for x in err["loc"] if not _UNION_MEMBER.match(str(x))]
        loc = ".".join(parts) or "(top level)"
        if loc in seen:  # one line per key: the first member's complaint
            continue
        seen.add(loc)
        value = err.get("input")
        kind = err["type"]
        if kind == "extra_forbidden":
            msg, fix = "unknown key", "remove it or check its spelling"
        elif kind == "missing":
            msg, fix = "required key is missing", "add it"
        elif kind == "value_error":
            msg, fix = err["msg"].removeprefix("Value error, "), ""
        else:
            msg, fix = err["msg"], "use a value of the right type and range"
        shown = repr(value) if not isinstance(value, dict | list) else "{...}"
        lines.append(f"{source}: {loc} = {shown}: {msg}" + (f" ({fix})" if fix else ""))
    return CalibrationError("\n".join(lines))


def load_toml_model[M: BaseModel](path: Path, model: type[M], flag: str, kind: str) -> M:
    """Read ``path`` (given as ``flag``) as TOML and validate it as ``model``.

    Raises :class:`CalibrationError` for a missing file, bad TOML or a failed validation,
    naming the file, the key path, the value and the fix.
    """
    if not path.is_file():
        raise CalibrationError(f"{flag} {str(path)!r}: no such file; give a {kind} .toml file")
    try:
        data = load_toml(path)
    except TomlFileError as exc:
        raise CalibrationError(f"{path}: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(exc, str(path)) from None
