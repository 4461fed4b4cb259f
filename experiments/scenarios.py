"""Named scenario files and their loader.

Scenario files are TOML validated into :class:`agents.scenario.Scenario`. A file may
start with ``extends = "baseline"`` (or another shipped name or a path): its tables are
then merged over the base's (tables merge key by key; lists and values replace).
Errors name the file, the dotted key path, the value and the allowed range.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from agents.scenario import Scenario, ScenarioError

__all__ = ["SCENARIO_DIR", "list_scenarios", "load_scenario", "scenario_dict"]

SCENARIO_DIR = Path(__file__).with_name("scenarios")
"""Folder of the shipped scenario files."""


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios, baseline first."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: (n != "baseline", n))


def _resolve(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.exists():
            raise ScenarioError(
                f"scenario file {str(p)!r} does not exist; give a path to a .toml file"
            )
        return p
    shipped = SCENARIO_DIR / f"{name_or_path}.toml"
    if not shipped.exists():
        raise ScenarioError(
            f"scenario {str(name_or_path)!r} is not a shipped name or a .toml file; "
            f"shipped: {', '.join(list_scenarios())}"
        )
    return shipped


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def scenario_dict(name_or_path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The raw (merged, unvalidated) dict of a scenario file."""
    path = _resolve(name_or_path).resolve()
    if path in _seen:
        raise ScenarioError(f"scenario {str(path)!r}: 'extends' loops back to itself")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario file {str(path)!r}: not valid TOML ({exc})") from None
    base = data.pop("extends", None)
    if base is not None:
        if not isinstance(base, str):
            raise ScenarioError(
                f"scenario key 'extends' = {base!r}: must be a scenario name or path"
            )
        target = (
            Path(base) if Path(base).suffix == ".toml" and not Path(base).is_absolute() else None
        )
        ref = path.parent / target if target is not None else base
        data = _merge(scenario_dict(ref, (*_seen, path)), data)
    return data


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a shipped scenario by name (``"baseline"``) or a ``.toml`` file by path."""
    data = scenario_dict(name_or_path)
    try:
        return Scenario.from_dict(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{_resolve(name_or_path)}: {exc}") from None
