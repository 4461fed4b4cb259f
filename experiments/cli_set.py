"""``--set PATH=VALUE``: the option of ``gigawatt run`` and ``gigawatt compare`` that changes
scenario values from the command line, as a scenario file's ``[overrides]`` table would.

Each item is a dotted scenario path and a value read as a TOML value (``0.5``, ``true``,
``"2026-06"``, ``[1, 2]``, ``{enabled = false}``); anything TOML does not read (a bare
word, ``2026-06``) is taken as text. A table value sets its leaves (``deal={enabled=false}``
is ``deal.enabled=false``), as in a file's ``[overrides]``. Items apply in order, a later
one replacing an earlier one of the same path. The option is added to a parser by
:func:`add_set`; bad items raise :class:`SetError`, naming the item and the fix.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Sequence
from typing import Any

from agents.scenario import Scenario, ScenarioError
from agents.scenario_messages import dotted_paths

__all__ = ["SetError", "add_set", "apply_sets", "parse_set", "parse_sets"]


class SetError(ValueError):
    """A ``--set`` item that is not ``PATH=VALUE`` or that a scenario cannot take; the
    message names the item and the fix."""


def add_set(parser: argparse.ArgumentParser, applies_to: str) -> None:
    """Add the repeatable ``--set PATH=VALUE`` (into ``args.overrides``) to ``parser``;
    ``applies_to`` says which scenarios it changes, for the help."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=f"change one scenario value as [overrides] would, in {applies_to}; the value "
        "read as TOML (repeatable; e.g. --set labs.anthropic.max_cloud_share=0.5)",
    )


def parse_set(item: str) -> tuple[str, Any]:
    """The dotted path and value of one ``--set PATH=VALUE``.

    The value is read as a TOML value; one TOML does not read is taken as text.

    >>> parse_set("labs.anthropic.max_cloud_share=0.5"), parse_set("deal.enabled=false")
    (('labs.anthropic.max_cloud_share', 0.5), ('deal.enabled', False))
    >>> parse_set("labs.anthropic.capability_drift_until=2026-06")
    ('labs.anthropic.capability_drift_until', '2026-06')

    Raises
    ------
    SetError
        If ``item`` has no ``=`` or no path before it.
    """
    path, eq, raw = item.partition("=")
    path = path.strip()
    if not eq or not path:
        raise SetError(
            f"--set {item!r}: give PATH=VALUE, a scenario value's dotted path and its new "
            "value (e.g. --set labs.anthropic.max_cloud_share=0.5)"
        )
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return path, value


def parse_sets(items: Sequence[str], months: int | None = None, of: str = "run") -> dict[str, Any]:
    """The changes of all ``items`` by dotted path, in order, a table value by its leaves.

    ``months`` is the command's ``--months``, if any: it is the length of the ``of`` (the
    run, the comparison), so ``--set months=`` beside it is refused.

    >>> parse_sets(["cloud_conduct=1", "deal={enabled=false}", "cloud_conduct=0.5"])
    {'cloud_conduct': 0.5, 'deal.enabled': False}

    Raises
    ------
    SetError
        If an item is not ``PATH=VALUE``, or sets ``months`` beside ``months``.
    """
    changes: dict[str, Any] = {}
    for item in items:
        changes.update(dotted_paths(dict([parse_set(item)])))
    if months is not None and "months" in changes:
        raise SetError(
            f"--set months={changes['months']!r} and --months {months}: give the {of}'s "
            "length once, with --months"
        )
    return changes


def apply_sets(scn: Scenario, items: Sequence[str], scenario: str) -> Scenario:
    """``scn`` with the changes of ``items``; ``scenario`` names it as the user gave it.

    Raises
    ------
    SetError
        If an item is not ``PATH=VALUE``, or ``scn`` cannot take the changes (an unknown
        path, a value out of range): the message names the first item the scenario cannot
        take with those before it, the scenario, and what is allowed there.
    """
    try:
        return scn.with_overrides(parse_sets(items))
    except ScenarioError:
        pass
    for k, item in enumerate(items, start=1):  # the first item that makes it invalid
        try:
            scn.with_overrides(parse_sets(items[:k]))
        except ScenarioError as exc:
            raise SetError(
                f"--set {item}: scenario {scenario!r} cannot take it: {exc}; change or drop "
                "this --set"
            ) from None
    raise AssertionError("unreachable: all items together were refused")  # pragma: no cover
