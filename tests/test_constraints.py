"""``constraints.txt`` pins every dependency ``pyproject.toml`` declares, inside its range.

``make setup`` installs with ``-c constraints.txt``. A dependency declared but not pinned
would install its newest release and let a fresh machine's numbers drift; a pin outside its
declared range makes the install fail; both are caught here with the fix named.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in (*project["dependencies"], *extras)]


def test_every_line_is_an_exact_pin():
    text = (ROOT / "constraints.txt").read_text()
    pins = _pins(text)
    assert len(pins) > 50, "constraints.txt should hold the whole resolution (make lock)"
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            assert line.count("==") == 1 and " " not in line, f"not an exact pin: {line!r}"


def _problems(declared: list[Requirement], pins: dict[str, str]) -> list[str]:
    problems = []
    for req in declared:
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name} is not pinned")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{req.name}=={pins[name]} is outside {req.specifier}")
    return problems


def test_each_declared_dependency_is_pinned_inside_its_range():
    problems = _problems(_declared(), _pins((ROOT / "constraints.txt").read_text()))
    assert not problems, "; ".join(problems) + ": run `make lock`, then `make test`"


def test_the_check_names_a_missing_and_an_outside_pin():
    pins = _pins("# a header\nNumPy==2.5.5\nscipy==1.10.0  # a comment\n")
    assert pins == {"numpy": "2.5.5", "scipy": "1.10.0"}
    declared = [Requirement(r) for r in ("numpy>=2.0", "scipy>=1.11", "highspy>=1.7")]
    assert _problems(declared, pins) == [
        "scipy==1.10.0 is outside >=1.11",
        "highspy is not pinned",
    ]
