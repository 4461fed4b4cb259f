"""A sweep's files read as plainly created ones: the umask's mode, not mkstemp's."""

from __future__ import annotations

from pathlib import Path

from experiments.sweeps import run_sweep
from tests.experiments.conftest import file_mode
from tests.experiments.sweeps.conftest import make_spec


def test_every_file_of_a_sweep_reads_as_a_plainly_created_one(tmp_path: Path, mask: int) -> None:
    root = tmp_path / "sweep"
    run_sweep(make_spec(), root, workers=1, progress=False)
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) >= 2 + 2 * 12  # manifest, design, 12 runs with their checksums
    odd = {
        str(p.relative_to(root)): oct(file_mode(p))
        for p in files
        if file_mode(p) != file_mode(plain)
    }
    assert not odd, f"{len(odd)} files not {oct(file_mode(plain))}: {odd}"
