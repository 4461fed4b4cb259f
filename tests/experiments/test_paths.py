"""Folder names made from user text never leave the folder they are made in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from experiments.paths import child_dir, slug


@given(st.text(max_size=200))
def test_any_name_lands_inside_the_parent(tmp_path_factory, name) -> None:  # type: ignore[no-untyped-def]
    parent = tmp_path_factory.getbasetemp() / "parent"
    out = child_dir(parent, name)
    assert out.parent == parent
    assert out.resolve().parent == parent.resolve()
    s = out.name
    assert s and len(s) <= 80 and not s.startswith(".") and "\x00" not in s and "/" not in s


def test_examples() -> None:
    assert slug("/tmp/x/pwned") == "tmp-x-pwned"
    assert slug("../../escaped/x") == "escaped-x"
    assert slug("a\x00b") == "a-b"
    assert slug("amazon-anthropic-2026") == "amazon-anthropic-2026"
    assert slug("..", fallback="sweep") == "sweep"
