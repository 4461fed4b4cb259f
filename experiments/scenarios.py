"""Named scenario files and their loader.

Scenario files are TOML validated into :class:`agents.scenario.Scenario`. A file may
start with ``extends = "baseline"`` (or another shipped name or a path): its tables are
then merged over the base's (tables merge key by key; lists and values replace). An
``extends`` chain may be at most ``MAX_EXTENDS_DEPTH`` (16) links long and may not loop.
A file may also give an ``[overrides]`` table of dotted paths, the language of
:meth:`agents.scenario.Scenario.with_overrides` (``"labs.anthropic.cash" = 35e9``: list
items by name), applied to the merged scenario: a scenario that differs from its base in
one field of one list item says so without copying the whole list, so it cannot drift when
the base's list changes. A file may also add items to a list of its base without giving
the whole list again: ``[[append.contracts]]`` tables (the key under ``append`` is the
list's dotted path, ``[[append.chips.vendors]]`` for a nested one) are appended, in order,
to the list the merge left. Errors name the file, the dotted key path, the value and the
allowed range.

A caller that runs the scenario for a length of its own (``gigawatt run --months``, a
sweep's or a comparison's ``months``) passes it as :func:`load_scenario`'s ``months``: it
replaces the file's before the scenario is checked, so a file whose ``start`` is late
loads for a run short enough to fit the calendar although its own ``months`` would not.
"""

from __future__ import annotations

import hashlib
import json
from numbers import Integral
from pathlib import Path
from typing import Any

from agents.scenario import MAX_EXTENDS_DEPTH, Scenario, ScenarioError
from agents.scenario_fields import past_calendar
from agents.scenario_messages import dotted_paths
from experiments.tomlfile import TomlFileError, load_toml

__all__ = [
    "APPEND_KEY",
    "DEFAULT_SCENARIO",
    "DEFAULT_SEED",
    "OVERRIDES_KEY",
    "REPLACED_LIST",
    "SCENARIO_DIR",
    "HorizonError",
    "extends_chain",
    "list_scenarios",
    "load_scenario",
    "scenario_dict",
    "scenario_digest",
    "scenario_path",
]

SCENARIO_DIR = Path(__file__).with_name("scenarios")
"""Folder of the shipped scenario files."""

DEFAULT_SCENARIO = "baseline"
"""The scenario a command or the browser app runs unless told another (the calibrated 2026
market); listed first."""

DEFAULT_SEED = 7
"""The seed of a single run (``gigawatt run``, ``gigawatt viz``) unless given another."""

OVERRIDES_KEY = "overrides"
"""A scenario file's table of dotted-path overrides, applied after the ``extends`` merge."""

APPEND_KEY = "append"
"""A scenario file's table of items appended to its base's lists, after the merge."""


class HorizonError(ScenarioError):
    """A run length :func:`load_scenario` was given that the scenario cannot take: not a
    whole number in range, or past the calendar's last month from the scenario's start.

    ``months`` is the length given and ``why`` the reason with its fix, so that a command
    can name its own flag (``--months 120: a run of 120 months from 2095-01 passes...``).
    """

    def __init__(self, months: object, why: str) -> None:
        self.months, self.why = months, why
        super().__init__(f"months = {months!r}: {why}")


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios, :data:`DEFAULT_SCENARIO` first."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: (n != DEFAULT_SCENARIO, n))


def scenario_path(name_or_path: str | Path) -> Path:
    """The file of a shipped scenario's name, or the path of a ``.toml`` file that exists.

    Raises
    ------
    ScenarioError
        For a name that is not shipped (with "did you mean") or a file that does not exist.
    """
    if not isinstance(name_or_path, str | Path):
        raise ScenarioError(
            f"scenario = {name_or_path!r}: give a shipped scenario's name (str) or the path of "
            "a .toml file"
        )
    if "\x00" in str(name_or_path):
        raise ScenarioError(
            f"scenario {str(name_or_path)!r}: contains a NUL byte; give a name or a path"
        )
    p = Path(name_or_path)
    try:  # a folder is never a scenario (one named like a shipped scenario, e.g. a run's --out)
        exists, folder = p.is_file(), p.is_dir()
    except OSError as exc:  # e.g. a name too long for the file system
        raise ScenarioError(f"scenario {str(name_or_path)!r}: not a usable path ({exc})") from None
    if p.suffix == ".toml" or exists:
        if not exists:
            what = "is a folder" if folder else "does not exist"
            raise ScenarioError(f"scenario file {str(p)!r} {what}; give a path to a .toml file")
        return p
    shipped = SCENARIO_DIR / f"{name_or_path}.toml"
    if not str(name_or_path) or not shipped.is_file():
        folder_said = " (a folder of that name is not one)" if folder else ""
        raise ScenarioError(
            f"scenario {str(name_or_path)!r} is not a shipped name or a .toml file"
            f"{folder_said}; shipped: {', '.join(list_scenarios())}"
        )
    return shipped


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _append(merged: dict[str, Any], extra: Any, file: Path, path: str = "") -> None:
    """Append the lists of a file's ``[append]`` table to the lists at the same paths of
    ``merged`` (in place); a list the base does not give (``rounds``) is started."""
    if not isinstance(extra, dict):
        raise ScenarioError(
            f"{file}: '{APPEND_KEY}{path}' = {extra!r}: must be a table of lists of tables, "
            f"e.g. [[{APPEND_KEY}.contracts]]"
        )
    for key, items in extra.items():
        where = f"{path}.{key}"
        target = merged.get(key)
        if not isinstance(items, list | dict):
            raise ScenarioError(
                f"{file}: '{APPEND_KEY}{where}' = {items!r}: give a list of tables, e.g. "
                f"[[{APPEND_KEY}.contracts]] and the contract's keys"
            )
        if isinstance(items, list) and (target is None or isinstance(target, list)):
            merged[key] = [*(target or []), *items]
        elif isinstance(items, dict) and isinstance(target, dict):
            merged[key] = dict(target)
            _append(merged[key], items, file, where)
        elif isinstance(items, dict) and isinstance(target, list):
            raise ScenarioError(
                f"{file}: [{APPEND_KEY}{where}] is one table, and {where[1:]!r} is a list: "
                f"write [[{APPEND_KEY}{where}]] (double brackets, an array of tables) for each "
                "item to append"
            )
        else:
            what = {list: "a list", dict: "a table"}.get(type(target), "a value")
            what = what if key in merged else "not a key"
            raise ScenarioError(
                f"{file}: [[{APPEND_KEY}{where}]]: {where[1:]!r} is {what} of the scenario, not "
                "a list; append adds tables to a list (contracts, projects, rounds, "
                f"other_deals, labs...), e.g. [[{APPEND_KEY}.contracts]]"
            )


def _read(path: Path) -> dict[str, Any]:
    """A scenario file's table: TOML, or the JSON a run folder keeps (``scenario.json``,
    the whole scenario as run, read back to run it again)."""
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ScenarioError(
                    f"scenario file {str(path)!r}: holds a JSON {type(data).__name__}, not a "
                    "table of scenario keys (a run folder's scenario.json is one)"
                )
            return data
        return load_toml(path)
    except TomlFileError as exc:
        raise ScenarioError(f"scenario file {str(path)!r}: {exc}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"scenario file {str(path)!r}: not readable JSON ({exc})") from None


def _layers(name_or_path: str | Path) -> tuple[list[Path], list[dict[str, Any]]]:
    """The files of a scenario's ``extends`` chain, its own first, resolved, and each
    file's keys without its ``extends`` (see :func:`scenario_dict` for what is refused)."""
    layers: list[dict[str, Any]] = []
    chain: list[Path] = []
    ref: str | Path = name_or_path
    while True:
        try:
            path = scenario_path(ref).resolve()
        except ScenarioError as exc:
            if not chain:
                raise
            raise ScenarioError(f"{chain[-1]}: 'extends' = {str(ref)!r}: {exc}") from None
        if path in chain:
            names = " -> ".join(p.name for p in (*chain, path))
            raise ScenarioError(
                f"scenario {str(chain[0])!r}: 'extends' loops back to {path.name!r} "
                f"({names}); remove one link of the loop"
            )
        if len(chain) > MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                f"scenario {str(chain[0])!r}: 'extends' chain is longer than "
                f"{MAX_EXTENDS_DEPTH} links; extend a shipped scenario directly"
            )
        chain.append(path)
        data = _read(path)
        base = data.pop("extends", None)
        layers.append(data)
        if base is None:
            return chain, layers
        if not isinstance(base, str) or not base:
            raise ScenarioError(
                f"{path}: scenario key 'extends' = {base!r}: must be a scenario name or a "
                "path to a .toml file"
            )
        relative = Path(base).suffix == ".toml" and not Path(base).is_absolute()
        ref = path.parent / base if relative else base


def extends_chain(name_or_path: str | Path) -> list[Path]:
    """The resolved files of a scenario's ``extends`` chain, the scenario's own first.

    Raises
    ------
    ScenarioError
        As :func:`scenario_dict` does, for a link that cannot be found, a loop or too long
        a chain.
    """
    return _layers(name_or_path)[0]


def scenario_dict(name_or_path: str | Path) -> dict[str, Any]:
    """The raw (merged, unvalidated) dict of a scenario file.

    The ``extends`` chain is followed up to :data:`~agents.scenario.MAX_EXTENDS_DEPTH`
    links; a chain that loops back to a file already in it is refused, naming the chain.
    The files' :data:`OVERRIDES_KEY` tables are merged like any other table and left in
    the dict unapplied (:func:`load_scenario` applies them); each file's
    :data:`APPEND_KEY` items are appended to the lists merged from the files below it.
    """
    chain, layers = _layers(name_or_path)
    merged: dict[str, Any] = {}
    for data, path in zip(reversed(layers), reversed(chain), strict=True):
        extra = data.pop(APPEND_KEY, None)
        merged = _merge(merged, data)
        if extra is not None:
            _append(merged, extra, path)
    return merged


REPLACED_LIST = (
    "; a list given in a file that extends another replaces the base's whole list, so the "
    "items that name its members (contracts, projects, the deal...) must be given again; "
    f"to add items to the base's list instead, give them as [[{APPEND_KEY}.<list>]]"
)
"""Added to an unknown-name error of a file that extends another and gives a list of
tables (``[[labs]]``...): the usual cause."""


def _gives_tables_list(data: Any) -> bool:
    """Whether ``data`` (a scenario file's own keys) holds a list of tables anywhere."""
    if isinstance(data, dict):
        return any(_gives_tables_list(v) for v in data.values())
    return isinstance(data, list) and any(isinstance(v, dict) for v in data)


def load_scenario(name_or_path: str | Path, *, months: int | None = None) -> Scenario:
    """Load a shipped scenario by name (``"baseline"``) or a ``.toml`` file by path.

    Its ``[overrides]`` table, if any (module docstring), is applied to the merged
    scenario, and the result validated again.

    ``months``, if given, is the length of the run the scenario is loaded for: it replaces
    the file's ``months`` (and an ``[overrides]`` of it), so that only the run's own length
    has to fit the calendar from the scenario's ``start``.

    Raises
    ------
    ScenarioError
        If the file cannot be read or is not a valid scenario (naming the file).
    HorizonError
        If ``months`` is not a whole number in range or does not fit the calendar from
        the scenario's start.
    """
    data = scenario_dict(name_or_path)
    overrides = data.pop(OVERRIDES_KEY, {})
    if months is not None:
        # checked below against the scenario's start; one month fits every start the
        # calendar allows, so until then the file's own length cannot get in the way
        data["months"] = 1
    try:
        scn = Scenario.from_dict(data)
        if not isinstance(overrides, dict):
            raise ScenarioError(
                f"'{OVERRIDES_KEY}' = {overrides!r}: must be a table of dotted paths, e.g. "
                f'[{OVERRIDES_KEY}] "labs.anthropic.cash" = 35e9'
            )
        changes = dotted_paths(overrides) if overrides else {}
        if months is not None:
            changes.pop("months", None)  # the run's length is the caller's
        if changes:
            try:
                scn = scn.with_overrides(changes)
            except ScenarioError as exc:
                raise ScenarioError(f"[{OVERRIDES_KEY}] {exc}") from None
    except ScenarioError as exc:
        path = scenario_path(name_or_path)
        own = _read(path)
        replaced = "extends" in own and _gives_tables_list(own)
        hint = REPLACED_LIST if replaced and "unknown name" in str(exc) else ""
        raise ScenarioError(f"{path}: {exc}{hint}") from None
    return scn if months is None else _for_months(scn, months)


def _for_months(scn: Scenario, months: Any) -> Scenario:
    """``scn`` with ``months`` as its length, or :class:`HorizonError` saying why not."""
    if isinstance(months, bool) or not isinstance(months, Integral):
        raise HorizonError(months, "must be a whole number of months, e.g. 24")
    n = int(months)
    if (why := past_calendar(scn.start, n)) is not None:
        raise HorizonError(n, why)
    try:
        return scn.with_overrides({"months": n})
    except ScenarioError as exc:  # out of range: the schema's message gives the range
        said = str(exc).removeprefix("invalid scenario: ")
        raise HorizonError(n, said.removeprefix(f"scenario key 'months' = {n}: ")) from None


def scenario_digest(scn: Scenario) -> str:
    """SHA-256 of what ``scn`` holds (its validated values, defaults included): the one
    digest by which a folder of runs recognises the scenario they started from, so a file
    edited since, or a project update that changed a default, is another scenario (sweeps,
    calibrations, comparisons of deals).
    """
    return hashlib.sha256(scn.model_dump_json().encode()).hexdigest()
