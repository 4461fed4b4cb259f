"""The calibration's domain error and the wording of validation failures."""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["CalibrationError", "describe_validation_error"]


class CalibrationError(ValueError):
    """Bad calibration input (targets, priors, budget, output folder); the message says the fix."""


def describe_validation_error(exc: ValidationError, source: str) -> CalibrationError:
    """One line per pydantic error: ``source: key.path = value: problem (fix)``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
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
