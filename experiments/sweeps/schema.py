"""What the scenario schema says about a dotted path: its type and its allowed range.

Sweeps move scenario fields by dotted path (``"power.interconnection_months"``,
``"labs.0.cash"``). This module walks the pydantic model :class:`agents.scenario.Scenario`
(list items by index, dict values by key) to the field at a path and reads its annotation
and its ``ge``/``gt``/``le``/``lt`` constraints, so a sweep can round whole-number fields
without being told and report a level outside the allowed range before anything runs.
Only the schema classes are read; no scenario file is loaded.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Any

__all__ = ["SchemaField", "numeric_paths", "schema_field"]


@dataclass(frozen=True)
class SchemaField:
    """One scenario field: its Python type and bounds (``None`` where unbounded).

    ``kind`` is ``"int"``, ``"float"``, ``"bool"``, ``"str"`` or ``"other"``;
    ``lo_strict``/``hi_strict`` mark ``gt``/``lt`` (open) bounds.
    """

    path: str
    kind: str
    lo: float | None = None
    hi: float | None = None
    lo_strict: bool = False
    hi_strict: bool = False
    optional: bool = False

    def admits(self, value: float) -> bool:
        """Whether ``value`` is inside the allowed range (type aside)."""
        if not math.isfinite(value):
            return False
        if self.lo is not None and (value <= self.lo if self.lo_strict else value < self.lo):
            return False
        return not (
            self.hi is not None and (value >= self.hi if self.hi_strict else value > self.hi)
        )

    def describe(self) -> str:
        """The allowed range in words, e.g. ``"0 <= x <= 120 (whole numbers)"``."""
        parts = []
        if self.lo is not None:
            parts.append(f"{self.lo:g} {'<' if self.lo_strict else '<='} ")
        parts.append(self.path)
        if self.hi is not None:
            parts.append(f" {'<' if self.hi_strict else '<='} {self.hi:g}")
        text = "".join(parts)
        if self.lo is None and self.hi is None:
            text = f"{self.path}: any value"
        if self.kind == "int":
            text += " (whole numbers)"
        return text


def _strip_optional(ann: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(ann)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return ann, False


def _kind(ann: Any) -> str:
    if ann is bool:
        return "bool"
    if ann is int:
        return "int"
    if ann is float:
        return "float"
    if ann is str:
        return "str"
    return "other"


def schema_field(path: str, model: Any = None) -> SchemaField | None:
    """The field of the scenario schema at a dotted ``path``, or None if there is none.

    Parameters
    ----------
    path
        Dotted path as ``Scenario.with_overrides`` takes it (list items by index).
    model
        The pydantic model to walk (default :class:`agents.scenario.Scenario`).
    """
    if model is None:
        from agents.scenario import Scenario

        model = Scenario
    node: Any = model
    info = None
    optional = False
    parts = path.split(".")
    i = 0
    while i < len(parts):
        key = parts[i]
        fields = getattr(node, "model_fields", None)
        if fields is None or key not in fields:
            return None
        info = fields[key]
        ann, optional = _strip_optional(info.annotation)
        i += 1
        # containers: list[X] takes an index, dict[str, X] a key
        while typing.get_origin(ann) in (list, dict) and i < len(parts):
            args = typing.get_args(ann)
            if typing.get_origin(ann) is list and not parts[i].isdigit():
                return None
            ann, optional = _strip_optional(args[-1])
            info = None  # constraints of the container do not apply to its items
            i += 1
        node = ann
    if i != len(parts):
        return None
    lo = hi = None
    lo_strict = hi_strict = False
    for meta in info.metadata if info is not None else ():
        if getattr(meta, "ge", None) is not None:
            lo, lo_strict = float(meta.ge), False
        if getattr(meta, "gt", None) is not None:
            lo, lo_strict = float(meta.gt), True
        if getattr(meta, "le", None) is not None:
            hi, hi_strict = float(meta.le), False
        if getattr(meta, "lt", None) is not None:
            hi, hi_strict = float(meta.lt), True
    return SchemaField(path, _kind(node), lo, hi, lo_strict, hi_strict, optional)


def numeric_paths(model: Any = None, prefix: str = "") -> list[str]:
    """Every int or float field of the schema as a dotted path (list items as index 0).

    Used to suggest the intended path when a sweep names one that does not exist.
    """
    if model is None:
        from agents.scenario import Scenario

        model = Scenario
    out: list[str] = []
    for key, info in getattr(model, "model_fields", {}).items():
        ann, _ = _strip_optional(info.annotation)
        path = f"{prefix}{key}"
        if typing.get_origin(ann) is list:
            ann, _ = _strip_optional(typing.get_args(ann)[0])
            path += ".0"
        if hasattr(ann, "model_fields"):
            out += numeric_paths(ann, path + ".")
        elif _kind(ann) in ("int", "float"):
            out.append(path)
    return out
