"""Damaged files are detected, never misread: shard checksums, manifest and design checks."""

from __future__ import annotations

import json
import struct
import warnings

import pyarrow.parquet as pq
import pytest

from experiments.cli import main
from experiments.sweeps import SweepStore, run_sweep
from experiments.sweeps.analysis import analyze_sweep
from experiments.sweeps.errors import DamagedFileError
from experiments.sweeps.integrity import DamagedShardWarning, sum_path
from experiments.sweeps.store import shard_name
from tests.experiments.sweeps.conftest import make_spec


@pytest.fixture
def done(tmp_path):
    """A finished toy sweep (12 runs) and its full table."""
    out = tmp_path / "s"
    run_sweep(make_spec(), out, workers=1, progress=False)
    return out, SweepStore.open(out).load()


def _flip_value_bit(path, value: float) -> float:
    """Flip the top mantissa bit of ``value`` where its page stores it; return what a plain
    Parquet reader now reads (the footer still parses: the damage is silent without a sum)."""
    data = bytearray(path.read_bytes())
    at = bytes(data).index(struct.pack("<d", value))  # first copy: the page, not the footer
    data[at + 6] ^= 0x08
    path.write_bytes(bytes(data))
    return float(pq.read_table(path)["y"][0].as_py())


DAMAGE = {
    "truncated": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "footer cut": lambda b: b[:-5],
    "garbage": lambda b: b"not parquet at all",
    "one byte appended": lambda b: b + b"\0",
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_shard_is_quarantined_by_status_load_and_resume(done, kind) -> None:
    out, full = done
    path = out / "runs" / shard_name(4)
    path.write_bytes(DAMAGE[kind](path.read_bytes()))
    store = SweepStore.open(out)
    with pytest.warns(DamagedShardWarning, match=r"run-000004\.parquet: damaged shard"):
        status = store.status()
    assert status["completed"] == 11 and status["pending"] == 1 and status["quarantined"] == 1
    assert not path.exists() and len(list((out / "runs" / "corrupt").glob("*.parquet"))) == 1
    assert sorted(store.load()["run_id"]) == [i for i in range(12) if i != 4]
    summary = run_sweep(make_spec(), out, workers=1, progress=False)
    assert (summary.skipped, summary.ran) == (11, 1)  # resume runs the quarantined run again
    assert store.load().equals(full)
    assert store.status()["quarantined"] == 0


def test_a_flipped_bit_in_a_page_is_caught(done) -> None:
    out, full = done
    path = out / "runs" / shard_name(3)
    y = float(full.loc[full["run_id"] == 3, "y"].iloc[0])
    misread = _flip_value_bit(path, y)
    assert misread != y  # a plain reader returns a wrong number, no error
    with pytest.warns(DamagedShardWarning, match="checksum mismatch"):
        frame = SweepStore.open(out).load()
    assert 3 not in set(frame["run_id"]) and misread not in set(frame["y"])
    run_sweep(make_spec(), out, workers=1, progress=False)
    assert SweepStore.open(out).load().equals(full)


def test_a_shard_without_its_checksum_does_not_count(done) -> None:
    out, _ = done
    sum_path(out / "runs" / shard_name(0)).unlink()
    with pytest.warns(DamagedShardWarning, match="no checksum file"):
        assert 0 not in SweepStore.open(out).completed()


def test_a_swapped_shard_fails_its_checksum(done) -> None:
    out, _ = done
    (out / "runs" / shard_name(1)).write_bytes((out / "runs" / shard_name(2)).read_bytes())
    with pytest.warns(DamagedShardWarning):
        assert SweepStore.open(out).completed() == set(range(12)) - {1}


def test_analyze_skips_a_damaged_shard_instead_of_crashing(done, capsys) -> None:
    out, _ = done
    (out / "runs" / shard_name(5)).write_bytes(b"")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DamagedShardWarning)
        result = analyze_sweep(out, figures=False)
        assert main(["analyze", str(out)]) == 0
    assert result.tables["means"]["n"].sum() == 11 * 2  # two final outputs, 11 runs
    assert any("1 pending" in n for n in result.notes)


def _edit_manifest(out, fn) -> None:  # type: ignore[no-untyped-def]
    path = out / "manifest.json"
    path.write_text(fn(path.read_text()))


MANIFEST_DAMAGE = {
    "truncated": (lambda t: t[: len(t) // 2], "not readable JSON"),
    "empty": (lambda t: "", "not readable JSON"),
    "not an object": (lambda t: "[1, 2]", "keys are missing"),
    "binary": (lambda t: "\udcff", "not readable JSON"),
    "a digit changed": (
        lambda t: t.replace('"n_runs": 12', '"n_runs": 13'),
        "fails its checksum",
    ),
    "key dropped": (
        lambda t: json.dumps({k: v for k, v in json.loads(t).items() if k != "spec"}),
        "keys are missing",
    ),
}


@pytest.mark.parametrize("kind", sorted(MANIFEST_DAMAGE))
def test_damaged_manifest_is_a_clear_error(done, kind, capsys) -> None:
    out, _ = done
    fn, what = MANIFEST_DAMAGE[kind]
    path = out / "manifest.json"
    if kind == "binary":
        path.write_bytes(b"\xff\xfe\x00garbage")
    else:
        _edit_manifest(out, fn)
    with pytest.raises(DamagedFileError, match=what) as info:
        SweepStore.open(out).status()
    assert str(path) in str(info.value) and "new --out folder" in str(info.value)
    assert main(["analyze", str(out)]) == 2
    err = capsys.readouterr().err
    assert "manifest.json: damaged" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(DamagedFileError):
        run_sweep(make_spec(), out, workers=1, progress=False)


DESIGN_DAMAGE = {
    "truncated": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "one bit flipped": lambda b: b[:100] + bytes([b[100] ^ 0x01]) + b[101:],
}


@pytest.mark.parametrize("kind", sorted(DESIGN_DAMAGE))
def test_damaged_design_is_a_clear_error_and_rebuilds(done, kind, capsys) -> None:
    out, full = done
    path = out / "design.parquet"
    path.write_bytes(DESIGN_DAMAGE[kind](path.read_bytes()))
    with pytest.raises(DamagedFileError, match=r"design\.parquet: damaged") as info:
        SweepStore.open(out).load()
    assert "delete it and run the same sweep command" in str(info.value)
    assert main(["analyze", str(out)]) == 2
    assert "design.parquet: damaged" in capsys.readouterr().err
    path.unlink()  # the fix the message gives
    assert run_sweep(make_spec(), out, workers=1, progress=False).ran == 0
    assert SweepStore.open(out).load().equals(full)


def test_format_1_folders_still_load(done) -> None:
    """Folders from before checksums: no sums, no manifest checksum; footers are checked."""
    out, full = done
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("sha256", "design_sha256"):
        manifest.pop(key)
    manifest["format"] = 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    for p in (out / "runs").glob("*.sha256"):
        p.unlink()
    store = SweepStore.open(out)
    assert store.load().equals(full)
    (out / "runs" / shard_name(2)).write_bytes(b"PAR1")
    with pytest.warns(DamagedShardWarning, match="not a readable Parquet file"):
        assert store.status()["completed"] == 11


def test_a_damaged_manifest_is_reported_before_a_changed_spec_runs(tmp_path, capsys) -> None:
    from tests.experiments.sweeps.conftest import TOY_TOML

    spec = tmp_path / "toy.toml"
    spec.write_text(TOY_TOML)
    out = tmp_path / "out"
    args = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main(args) == 0
    (out / "manifest.json").write_text('{"digest": ')
    spec.write_text(TOY_TOML.replace("replicates = 3", "replicates = 2"))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "manifest.json: damaged, not readable JSON" in err and "Traceback" not in err


def test_a_shard_of_another_sweep_is_not_mixed_in(done, tmp_path) -> None:
    out, full = done
    other = tmp_path / "other"
    run_sweep(make_spec(months=5), other, workers=1, progress=False)
    for name in (shard_name(3), shard_name(3) + ".sha256"):  # a whole, valid shard
        (out / "runs" / name).write_bytes((other / "runs" / name).read_bytes())
    with pytest.warns(DamagedShardWarning, match="computed for another sweep"):
        assert SweepStore.open(out).status()["completed"] == 11
    run_sweep(make_spec(), out, workers=1, progress=False)
    assert SweepStore.open(out).load().equals(full)
