"""Messages and dotted paths of the scenario schema: errors that name the key, overrides.

:class:`ScenarioError` is the one error a scenario raises; :func:`explain` turns pydantic's
validation errors into its messages (dotted key path, value, allowed range and the reason
for the bound); :func:`set_path` applies a dotted override (list items by name or index).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

__all__ = [
    "SCENARIO_CUTOFF",
    "ScenarioError",
    "dotted_paths",
    "explain",
    "set_path",
    "short",
    "suggest",
]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names key path, value and fix."""


SCENARIO_CUTOFF = 0.7
"""How close (:class:`difflib.SequenceMatcher` ratio) a scenario key or name must be to be
suggested: the short names of regions and firms meet the default, 0.5, by chance ('mars'
and 'asia', 'oracle' and 'google'); a misspelling such as 'growth_per_yr' is at 0.93."""


def suggest(name: str, choices: Iterable[str], cutoff: float = 0.5) -> str:
    """``"; did you mean 'x'?"`` for choices that contain ``name`` or are within ``cutoff``
    of it (:func:`difflib.get_close_matches`), else ``""``.

    >>> suggest("growth_per_yr", ["growth_per_year", "price_elasticity"])
    "; did you mean 'growth_per_year'?"
    """
    options = list(choices)
    close = [c for c in options if name.lower() in c.lower()][:3]
    close += [
        c for c in difflib.get_close_matches(name, options, n=3, cutoff=cutoff) if c not in close
    ]
    close = close[:3]
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


def short(value: object, limit: int = 160) -> str:
    """``repr(value)`` cut to ``limit`` characters (ending ``...``), for error messages.

    Parameters
    ----------
    value
        The value to show.
    limit
        Most characters returned.

    >>> short("abc"), short(list(range(100)), limit=12)
    ("'abc'", '[0, 1, 2,...')
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _list_index(items: list[Any], key: str, path: str, where: str) -> int:
    """Index of the item of ``items`` that ``key`` (an index or a name) addresses."""
    names = [it["name"] for it in items if isinstance(it, dict) and isinstance(it.get("name"), str)]
    named = len(names) == len(items)
    if key.isascii() and key.isdigit() and int(key) < len(items):
        return int(key)
    if named and key in names:
        return names.index(key)
    span = f"an index 0..{len(items) - 1}" if items else "no index (the list is empty)"
    if named:
        raise ScenarioError(
            f"override {path!r}: {where!r} names no item; use one of the names "
            f"{', '.join(str(n) for n in names)} or {span}"
        )
    raise ScenarioError(
        f"override {path!r}: {where!r} is not an index of a list of {len(items)} "
        f"(its items have no names); use {span}"
    )


def dotted_paths(value: Any, prefix: str = "", *, empty: bool = True) -> dict[str, Any]:
    """The leaves of nested tables by their dotted paths (what :func:`set_path` takes); an
    empty table is a leaf (it empties the table at its path), or left out if not ``empty``
    (comparing two dumps, where it holds no value).

    >>> dotted_paths({"labs.openai.cash": 1.0, "power": {"pue": 1.2}, "rules": {}})
    {'labs.openai.cash': 1.0, 'power.pue': 1.2, 'rules': {}}
    >>> dotted_paths({"power": {"pue": 1.2}, "rules": {}}, empty=False)
    {'power.pue': 1.2}
    """
    if not isinstance(value, dict) or (not value and prefix and empty):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, item in value.items():
        out.update(dotted_paths(item, f"{prefix}.{key}" if prefix else str(key), empty=empty))
    return out


def set_path(
    data: dict[str, Any],
    path: object,
    value: Any,
    model: type[BaseModel] | None = None,
) -> None:
    """Set the value at dotted key path ``path`` of nested tables ``data``, in place.

    A part of ``path`` addresses a table by key and a list item by index or, when every item
    has a ``name``, by name (``labs.anthropic.cash``). Every part but the last must exist;
    the last may add a key to a table. With ``model`` (the schema ``data`` follows), a part
    may also add a key to a table the schema types as a mapping of free keys (a new
    jurisdiction, ``regulation.jurisdictions.us.regions``): the schema then checks it.

    Parameters
    ----------
    data
        A scenario as nested dicts and lists (changed in place).
    path
        The dotted key path, e.g. ``"power.pue"``.
    value
        The new value (checked later, when the scenario is validated).

    Raises
    ------
    ScenarioError
        If ``path`` is not a dotted key path, names a key or list item that does not exist
        (with the keys, names or indices there are), or goes below a plain value.

    >>> data = {"power": {"pue": 1.2}, "labs": [{"name": "anthropic", "cash": 1.0}]}
    >>> set_path(data, "labs.anthropic.cash", 2.0)
    >>> data["labs"][0]["cash"]
    2.0
    """
    if not isinstance(path, str) or not path or "" in path.split("."):
        raise ScenarioError(
            f"override {path!r}: not a dotted key path; write e.g. 'power.pue' or "
            "'labs.anthropic.cash'"
        )
    parts = path.split(".")
    node: Any = data
    loc: list[Any] = []  # where ``node`` is in the schema (list items by index)
    for depth, key in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            i = _list_index(node, key, path, where)
            loc.append(i)
            if last:
                node[i] = value
            else:
                node = node[i]
        elif isinstance(node, dict):
            if key not in node and not last and model is not None and _is_map(model, loc):
                node[key] = {}
            loc.append(key)
            if key not in node and not last:
                close = suggest(key, node, SCENARIO_CUTOFF)
                raise ScenarioError(
                    f"override {path!r}: unknown key {where!r}{close}; allowed keys: {sorted(node)}"
                )
            if last:
                node[key] = value
            else:
                node = node[key]
        else:
            above = ".".join(parts[:depth])
            raise ScenarioError(
                f"override {path!r}: {above!r} is a value, not a table or a list; "
                f"override {above!r} itself"
            )


# ------------------------------------------------------------------ messages
def _unwrap(ann: Any) -> tuple[Any, list[Any], str | None]:
    """Strip ``Optional`` and ``Annotated``: (type, constraint metadata, description)."""
    metas: list[Any] = []
    desc: str | None = None
    while True:
        origin = get_origin(ann)
        if origin is Annotated:
            base, *extra = get_args(ann)
            for e in extra:
                if isinstance(e, FieldInfo):
                    metas += e.metadata
                    desc = e.description or desc
                else:
                    metas.append(e)
            ann = base
        elif origin in (Union, UnionType):
            args = [a for a in get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann, metas, desc
            ann = args[0]
        else:
            return ann, metas, desc


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, list[Any], str | None]:
    """Walk ``loc`` through the schema: the type, constraints and description found there."""
    ann: Any = model
    metas: list[Any] = []
    desc: str | None = None
    for key in loc:
        ann, _, _ = _unwrap(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            info = ann.model_fields.get(key) if isinstance(key, str) else None
            if info is None:
                return None, [], None
            ann, metas, desc = info.annotation, list(info.metadata), info.description
        elif get_origin(ann) is list and isinstance(key, int):
            ann, metas, desc = get_args(ann)[0], [], None
        elif get_origin(ann) is dict:
            ann, metas, desc = get_args(ann)[1], [], None
        else:
            return None, [], None
        _, more, more_desc = _unwrap(ann)
        metas, desc = metas + more, desc or more_desc
    return ann, metas, desc


def _is_map(model: type[BaseModel], loc: Iterable[Any]) -> bool:
    """Whether the schema types the table at ``loc`` as a mapping of free keys."""
    ann = _unwrap(_field_at(model, tuple(loc))[0])[0]
    return get_origin(ann) is dict


def _field_bounds(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """The allowed range of the field at ``loc`` and its reason (for messages)."""
    _, metas, desc = _field_at(model, loc)
    lo = hi = None
    lo_op, hi_op = ">=", "<="
    # the tightest of the field's and its type's bounds (a flow of dollars >= 0 whose field
    # asks > 0 is allowed > 0); at one value the strict bound is the tighter
    for m in metas:
        for attr, op in (("ge", ">="), ("gt", ">")):
            v = getattr(m, attr, None)
            if v is not None and (lo is None or v > lo or (v == lo and op == ">")):
                lo, lo_op = v, op
        for attr, op in (("le", "<="), ("lt", "<")):
            v = getattr(m, attr, None)
            if v is not None and (hi is None or v < hi or (v == hi and op == "<")):
                hi, hi_op = v, op
    if lo is None and hi is None:
        return None
    parts = [
        f"{lo_op} {lo:g}" if lo is not None else "",
        f"{hi_op} {hi:g}" if hi is not None else "",
    ]
    why = f" ({desc})" if desc else ""
    return "allowed range: " + " and ".join(p for p in parts if p) + why


_MAX_LINES = 12


def explain(exc: ValidationError, model: type[BaseModel]) -> str:
    """One message for all the errors of a failed validation of ``model``.

    Each error becomes ``scenario key 'path' = value: what is wrong; allowed range...``
    (the range and its reason read from the field), an unknown key lists the allowed keys
    (with close matches), and a validator's ``@path@ ...`` problems are named by their
    paths. At most 12 errors are listed, then how many more there are.

    Parameters
    ----------
    exc
        The error pydantic raised.
    model
        The model that was validated (:class:`agents.scenario.Scenario` or a section).

    Returns
    -------
    str
        ``"invalid scenario: "`` and the errors, separated by ``"; "``.
    """
    lines: list[str] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key_error = bool(loc) and loc[-1] == "[key]"
        if key_error:
            loc = loc[:-1]
        path = ".".join(str(k) for k in loc) or "(top level)"
        value = err.get("input")
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "value_error" and msg.startswith("@"):
            for problem in msg.split("\n"):
                _, where, rest = problem.split("@", 2)
                lines.append(f"scenario key {where!r}{rest}")
            continue
        if err["type"] == "extra_forbidden":
            parent, _, _ = _field_at(model, loc[:-1])
            parent, _, _ = _unwrap(parent)
            allowed = getattr(parent, "model_fields", {})
            lines.append(
                f"scenario key {path!r}: unknown key"
                f"{suggest(str(loc[-1]), allowed, SCENARIO_CUTOFF)}; "
                f"allowed keys here: {', '.join(sorted(allowed))}"
            )
            continue
        if err["type"] == "missing":
            lines.append(f"scenario key {path!r}: missing; add it")
            continue
        if key_error:
            lines.append(f"scenario key {path!r}: the key {value!r} is not allowed: {msg.lower()}")
            continue
        if err["type"] == "finite_number":
            msg = "input should be a finite number (not nan or inf)"
        bounds = _field_bounds(model, loc)
        if bounds is None and err["type"] in ("too_long", "too_short"):
            bounds = _field_at(model, loc)[2]
        hint = f"; {bounds}" if bounds else ""
        lines.append(f"scenario key {path!r} = {short(value)}: {msg[:1].lower()}{msg[1:]}{hint}")
    if len(lines) > _MAX_LINES:
        lines = [*lines[:_MAX_LINES], f"... and {len(lines) - _MAX_LINES} more"]
    return "invalid scenario: " + "; ".join(lines)
