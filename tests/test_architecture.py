"""The four layers import only downwards (docs/architecture.md).

Every module's imports are read with ``ast`` (nothing is executed), including imports
inside functions, so a lazy import that breaks the layering is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("market", "agents", "experiments", "viz")
# What each layer may import among the project's packages and the heavy third parties.
ALLOWED = {
    "market": {"market"},
    "agents": {"market", "agents"},
    "experiments": {"market", "agents", "experiments"},
    "viz": {"agents", "experiments", "viz"},
}
FORBIDDEN_THIRD_PARTY = {"market": {"mesa", "pandas", "networkx", "solara"}}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_layers_below_it(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no modules found under {layer}/"
    bad = []
    for path in files:
        names = imported_top_levels(path)
        wrong = (names & set(LAYERS)) - ALLOWED[layer]
        wrong |= names & FORBIDDEN_THIRD_PARTY.get(layer, set())
        if wrong:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert bad == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from viz import app\n    import mesa.space\n")
    assert imported_top_levels(module) == {"viz", "mesa"}
