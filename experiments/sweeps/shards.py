"""Writing one run's result: Parquet bytes of a shard or failure record, stored atomically.

Every file is written with :func:`experiments.paths.atomic_write_bytes`: a
temporary name in the same folder, ``fsync``, ``os.replace``, with the mode a plain
``open`` would have given it, so a sweep shared with a group reads as any other file. A
shard's checksum file (:mod:`.integrity`) is written before the shard, so a shard under its
final name always has one. Workers call these directly (they see the sweep folder), or the
client does with the bytes a remote worker sent back.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.paths import atomic_write_bytes
from experiments.sweeps.integrity import checksum_line, sum_path

__all__ = [
    "DIGEST_KEY",
    "failure_bytes",
    "put_failure",
    "put_shard",
    "shard_bytes",
    "shard_name",
    "table_bytes",
    "write_failure",
    "write_shard",
]


def shard_name(run_id: int) -> str:
    """File name of a run's shard (same name under ``runs/`` and ``failures/``)."""
    return f"run-{run_id:06d}.parquet"


def table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def _ids_columns(run: dict[str, Any]) -> dict[str, pa.Array]:
    return {
        "run_id": pa.array([int(run["run_id"])], pa.int64()),
        "point_id": pa.array([int(run["point_id"])], pa.int64()),
        "replicate": pa.array([int(run["replicate"])], pa.int64()),
        "seed": pa.array([int(run["seed"])], pa.int64()),
    }


DIGEST_KEY = b"gigawatt.spec_digest"
"""Parquet key-value metadata naming the spec a shard was computed for."""


def shard_bytes(
    run: dict[str, Any], outputs: dict[str, Any], elapsed_s: float, digest: str = ""
) -> bytes:
    """A finished run as Parquet bytes: ids, outputs (series as ``list<double>``), timing.

    ``digest``, the spec's digest, goes into the file's metadata, so a shard that strays
    into another sweep's folder is recognised there.
    """
    cols = _ids_columns(run)
    for name, value in outputs.items():
        if np.ndim(value) == 0:
            cols[name] = pa.array([float(value)], pa.float64())
        else:
            cols[name] = pa.array([np.asarray(value, np.float64)], pa.list_(pa.float64()))
    cols["elapsed_s"] = pa.array([float(elapsed_s)], pa.float64())
    cols["worker"] = pa.array([f"{os.uname().nodename}:{os.getpid()}"], pa.string())
    table = pa.table(cols)
    if digest:
        table = table.replace_schema_metadata({DIGEST_KEY: digest.encode()})
    return table_bytes(table)


def failure_bytes(
    run: dict[str, Any], error: BaseException | str, tb: str, elapsed_s: float
) -> bytes:
    """A run that raised as Parquet bytes: ids, error type and message, full traceback."""
    etype = type(error).__name__ if isinstance(error, BaseException) else "Error"
    cols = _ids_columns(run)
    cols.update(
        {
            "error_type": pa.array([etype]),
            "message": pa.array([str(error)]),
            "traceback": pa.array([tb]),
            "elapsed_s": pa.array([float(elapsed_s)], pa.float64()),
            "time": pa.array([time.time()], pa.float64()),
        }
    )
    return table_bytes(pa.table(cols))


def _put_checked(path: Path, data: bytes) -> None:
    """Write the checksum file, then the file: a file under its final name always has one.

    The checksum is not fsync-ed on its own: the folder's fsync after the file's rename
    makes both names durable, and a checksum lost to a power cut only makes its run pending.
    """
    atomic_write_bytes(sum_path(path), checksum_line(data, path.name), durable=False)
    atomic_write_bytes(path, data)


def put_shard(root: str | Path, run_id: int, data: bytes) -> Path:
    """Store a run's shard and its checksum atomically; drop a stale failure record."""
    root = Path(root)
    path = root / "runs" / shard_name(run_id)
    _put_checked(path, data)
    stale = root / "failures" / path.name
    for p in (stale, sum_path(stale)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    return path


def put_failure(root: str | Path, run_id: int, data: bytes) -> Path:
    """Store a run's failure record and its checksum atomically."""
    path = Path(root) / "failures" / shard_name(run_id)
    _put_checked(path, data)
    return path


def write_shard(
    root: str | Path, run: dict[str, Any], outputs: dict[str, Any], elapsed_s: float
) -> Path:
    """Write one finished run's shard (in the worker, when it sees the sweep directory)."""
    return put_shard(root, int(run["run_id"]), shard_bytes(run, outputs, elapsed_s))


def write_failure(
    root: str | Path, run: dict[str, Any], error: BaseException | str, tb: str, elapsed_s: float
) -> Path:
    """Record a run that raised: its ids, seed, error type and message, full traceback."""
    return put_failure(root, int(run["run_id"]), failure_bytes(run, error, tb, elapsed_s))
