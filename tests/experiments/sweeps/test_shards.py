"""Files written atomically read as plainly created ones: the umask's mode, not mkstemp's."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from experiments.sweeps import run_sweep, shards
from experiments.sweeps.shards import atomic_write_bytes, new_file_mode, umask
from tests.experiments.sweeps.conftest import make_spec


@pytest.fixture(params=[0o022, 0o002, 0o077])
def mask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask set to each value for the test, restored after it."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_umask_is_read_from_proc_and_without_it(mask: int, monkeypatch) -> None:
    assert umask() == mask

    def no_proc(*args: object, **kwargs: object) -> None:
        raise OSError("no /proc here")

    monkeypatch.setattr(shards, "open", no_proc, raising=False)
    assert umask() == mask
    assert os.umask(mask) == mask  # the fallback put it back


def test_atomic_files_take_the_mode_a_plain_open_gives(tmp_path: Path, mask: int) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")  # the oracle: the system's own mode for a new file
    (tmp_path / "folder").mkdir()
    atomic_write_bytes(tmp_path / "durable", b"x")
    atomic_write_bytes(tmp_path / "fast", b"x", durable=False)
    assert _mode(tmp_path / "durable") == _mode(tmp_path / "fast") == _mode(plain)
    assert new_file_mode() == _mode(plain)
    assert new_file_mode(folder=True) == _mode(tmp_path / "folder")


def test_every_file_of_a_sweep_reads_as_a_plainly_created_one(tmp_path: Path, mask: int) -> None:
    root = tmp_path / "sweep"
    run_sweep(make_spec(), root, workers=1, progress=False)
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) >= 2 + 2 * 12  # manifest, design, 12 runs with their checksums
    odd = {str(p.relative_to(root)): oct(_mode(p)) for p in files if _mode(p) != _mode(plain)}
    assert not odd, f"{len(odd)} files not {oct(_mode(plain))}: {odd}"
