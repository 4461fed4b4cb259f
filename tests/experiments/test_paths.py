"""Folder names made from user text never leave the folder they are made in; results are
written whole or not at all."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

import experiments.paths
from experiments.paths import child_dir, set_aside, slug
from tests.experiments.conftest import file_mode


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


def test_set_aside_in_one_second_keeps_every_archive(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(experiments.paths.time, "strftime", lambda *a: "20261205T000000")
    stamp = "out.old-20261205T000000"
    (tmp_path / f"{stamp}-3").mkdir()  # an empty folder at a free-looking name is not replaced
    moved = []
    for k in range(3):
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "x").write_text(str(k))
        moved.append(set_aside(tmp_path / "out"))
    assert [p.name for p in moved] == [stamp, f"{stamp}-2", f"{stamp}-4"]
    assert [(p / "x").read_text() for p in moved] == ["0", "1", "2"]
    assert not (tmp_path / "out").exists() and not any((tmp_path / f"{stamp}-3").iterdir())


def test_cannot_write_names_a_file_where_the_folder_should_be(tmp_path):
    import errno

    from experiments.paths import cannot_write

    (tmp_path / "README.md").write_text("a file")
    exists = FileExistsError(errno.EEXIST, "File exists")
    said = cannot_write(tmp_path / "README.md", exists)
    assert said == f"--out {tmp_path}/README.md: is a file, not a folder; give the path of a folder"
    below = NotADirectoryError(errno.ENOTDIR, "Not a directory")
    said = cannot_write(tmp_path / "README.md" / "x", below, default=True)
    assert said.startswith(f"{tmp_path}/README.md/x (the default output folder): {tmp_path}/READ")
    assert "README.md is a file, not a folder; move the file or give --out a folder" in said
    # another reason is the system's, as before
    denied = PermissionError(errno.EACCES, "Permission denied")
    assert "cannot write (Permission denied)" in cannot_write(tmp_path / "new", denied)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from experiments.paths import atomic_write_bytes, atomic_write_text

    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def failing(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(experiments.paths.os, "replace", failing)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(target, "new\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]

    class Full:
        """The temporary file, on a disk that fills up at the first write."""

        def __init__(self, fd: int, mode: str) -> None:
            self.file = real_fdopen(fd, mode)

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

        def fileno(self) -> int:
            return self.file.fileno()

        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

    real_fdopen = os.fdopen
    monkeypatch.setattr(experiments.paths.os, "fdopen", Full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(target, b"new\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]

    atomic_write_text(target, "new\n")  # and a write that succeeds replaces it
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_save_figure_writes_a_readable_png(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure
    from PIL import Image

    from experiments.paths import save_figure

    fig = Figure(figsize=(2, 1.5))
    fig.subplots().plot([0, 1], [1, 0])
    path = tmp_path / "fig.png"
    save_figure(fig, path, dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == (100, 75)
    reference = io.BytesIO()
    fig.savefig(reference, dpi=50)  # the same bytes a direct savefig gives
    assert path.read_bytes() == reference.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]
    with pytest.raises(ValueError, match="no suffix"):
        save_figure(fig, tmp_path / "fig")


def test_the_umask_is_read_from_proc_and_without_it(mask: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert experiments.paths.umask() == mask

    def no_proc(*args: object, **kwargs: object) -> None:
        raise OSError("no /proc here")

    # the module's own ``open``: /proc unreadable, so the umask is set and put back
    monkeypatch.setattr(experiments.paths, "open", no_proc, raising=False)
    assert experiments.paths.umask() == mask
    assert os.umask(mask) == mask  # the fallback put it back


def test_atomic_files_take_the_mode_a_plain_open_gives(tmp_path, mask: int) -> None:  # type: ignore[no-untyped-def]
    from experiments.paths import atomic_write_bytes, new_file_mode

    plain = tmp_path / "plain"
    plain.write_bytes(b"x")  # the oracle: the system's own mode for a new file
    (tmp_path / "folder").mkdir()
    atomic_write_bytes(tmp_path / "durable", b"x")
    atomic_write_bytes(tmp_path / "fast", b"x", durable=False)
    assert file_mode(tmp_path / "durable") == file_mode(tmp_path / "fast") == file_mode(plain)
    assert new_file_mode() == file_mode(plain)
    assert new_file_mode(folder=True) == file_mode(tmp_path / "folder")
