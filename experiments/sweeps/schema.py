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


def _unwrap(ann: Any) -> tuple[Any, list[Any], bool]:
    """The type under any ``X | None`` and ``Annotated[X, ...]`` layers, their metadata
    (outer first) and whether ``None`` was allowed on the way.

    Pydantic lifts a field's own ``Annotated`` metadata into ``FieldInfo.metadata`` only
    at the top of its annotation; an ``Annotated`` type inside ``X | None`` or as a
    list's or dict's items keeps it here (``Share | None``, ``dict[Ref, Mw]``).
    """
    meta: list[Any] = []
    optional = False
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            meta += ann.__metadata__
            ann = typing.get_args(ann)[0]
        elif origin is typing.Union or origin is types.UnionType:
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann, meta, optional
            ann, optional = args[0], True  # a union of one type besides None is X | None
        else:
            return ann, meta, optional


def _constraints(meta: list[Any]) -> list[Any]:
    """The ``annotated_types`` constraints in ``meta``, those of a ``Field(...)`` used as
    ``Annotated`` metadata included (it holds them in its own ``metadata``)."""
    out: list[Any] = []
    for m in meta:
        inner = getattr(m, "metadata", None)
        out += inner if isinstance(inner, list) else [m]
    return out


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
    meta: list[Any] = []
    optional = False
    parts = path.split(".")
    i = 0
    while i < len(parts):
        key = parts[i]
        fields = getattr(node, "model_fields", None)
        if fields is None or key not in fields:
            return None
        info = fields[key]
        ann, inner, optional = _unwrap(info.annotation)
        meta = [*info.metadata, *inner]
        i += 1
        # containers: list[X] takes an index, dict[str, X] a key
        while typing.get_origin(ann) in (list, dict) and i < len(parts):
            args = typing.get_args(ann)
            if typing.get_origin(ann) is list and not parts[i].isdigit():
                return None
            # constraints of the container (its length) do not apply to its items
            ann, meta, optional = _unwrap(args[-1])
            i += 1
        node = ann
    if i != len(parts):
        return None
    lo = hi = None
    lo_strict = hi_strict = False
    for c in _constraints(meta):
        if getattr(c, "ge", None) is not None:
            lo, lo_strict = float(c.ge), False
        if getattr(c, "gt", None) is not None:
            lo, lo_strict = float(c.gt), True
        if getattr(c, "le", None) is not None:
            hi, hi_strict = float(c.le), False
        if getattr(c, "lt", None) is not None:
            hi, hi_strict = float(c.lt), True
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
        ann, _, _ = _unwrap(info.annotation)
        path = f"{prefix}{key}"
        if typing.get_origin(ann) is list:
            ann, _, _ = _unwrap(typing.get_args(ann)[0])
            path += ".0"
        if hasattr(ann, "model_fields"):
            out += numeric_paths(ann, path + ".")
        elif _kind(ann) in ("int", "float"):
            out.append(path)
    return out
