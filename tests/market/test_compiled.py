"""Compiled sums against numpy's own, bit for bit; the cache renewed by any source change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from market.compiled import add_at, add_reduce, cache_folder, clip, maximum, minimum, sum_rows


@pytest.mark.parametrize("seed", range(4))
def test_add_reduce_is_numpys_sum_to_the_bit(seed: int) -> None:
    # lengths across every branch of numpy's pairwise sum (under 8, one block of up to
    # 128, halves of longer runs), magnitudes 22 decades apart so that the order of the
    # additions shows in the last bits
    rng = np.random.default_rng(seed)
    for n in [
        *range(20),
        127,
        128,
        129,
        135,
        136,
        200,
        255,
        256,
        257,
        263,
        264,
        271,
        1000,
        1031,
        4096,
    ]:
        a = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 17, n)
        assert add_reduce(a) == np.add.reduce(a), n
        assert add_reduce(a[::-1].copy()) == np.add.reduce(a[::-1].copy()), n


def test_a_naive_running_sum_would_differ() -> None:
    # the oracle can tell: a left-to-right sum of these rounds differently
    a = np.array([1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1e16] * 3)
    running = 0.0
    for x in a:
        running += x
    assert add_reduce(a) == np.add.reduce(a) != running


def test_the_cache_folder_changes_with_any_source_file_and_only_then(tmp_path: Path) -> None:
    for name in ("market/a.py", "market/b.py", "agents/phases/c.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {name}\n")
    first = cache_folder(tmp_path)
    assert first.parent == tmp_path / "market" / "__pycache__"
    assert cache_folder(tmp_path) == first
    (tmp_path / "market" / "notes.txt").write_text("not a source")
    assert cache_folder(tmp_path) == first
    folders = {first}
    for name in ("market/b.py", "agents/phases/c.py"):  # a callee's file, a nested one
        (tmp_path / name).write_text("# changed\n")
        folders.add(cache_folder(tmp_path))
    (tmp_path / "agents" / "d.py").write_text("")  # a new, empty module
    folders.add(cache_folder(tmp_path))
    assert len(folders) == 4


SPECIAL = [0.0, -0.0, 1.0, -2.5, 1e-310, np.inf, -np.inf, np.nan]


def _same(a: float, b: float) -> bool:
    """The same float, the sign of a zero and nan included."""
    return bool(np.array(a).tobytes() == np.array(b).tobytes())


def test_scalar_minimum_maximum_and_clip_are_numpys_on_every_edge() -> None:
    for a in SPECIAL:
        for b in SPECIAL:
            assert _same(minimum(a, b), np.minimum(a, b)), (a, b)
            assert _same(maximum(a, b), np.maximum(a, b)), (a, b)
            if b <= 1.0:  # clip's bounds ordered, as the callers give them (no nan)
                # an array bound, as every caller clips (numpy's element loop)
                assert _same(clip(a, b, 1.0), np.clip(np.array([a]), b, np.ones(1))[0]), (a, b)
                assert _same(clip(a, b, 1.0), np.clip(np.array([a]), np.full(1, b), 1.0)[0])


@pytest.mark.parametrize("rows", [0, 1, 2, 7, 12])
def test_sum_rows_is_numpys_column_sum_to_the_bit(rows: int) -> None:
    rng = np.random.default_rng(rows)
    a = rng.standard_normal((rows, 300)) * 10.0 ** rng.integers(-5, 17, (rows, 300))
    a[:, :10] = -0.0  # columns of negative zeros sum to 0.0 in numpy
    assert sum_rows(a).tobytes() == np.add.reduce(a, axis=0).tobytes()


@pytest.mark.parametrize("seed", range(5))
def test_add_at_is_numpys_scattered_sum_to_the_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    target = rng.standard_normal(7) * 1e9
    target[0] = -0.0
    index = rng.integers(0, 7, 500)  # repeated indices, added in order
    values = rng.standard_normal(500) * 10.0 ** rng.integers(-8, 9, 500)
    values[:3] = 0.0
    got, want = target.copy(), target.copy()
    add_at(got, index, values)
    np.add.at(want, index, values)
    assert got.tobytes() == want.tobytes()
