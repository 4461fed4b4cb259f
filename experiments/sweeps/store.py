"""The sweep result store: one Parquet shard per run, written atomically; resumable.

Layout of a sweep directory::

    DIR/manifest.json          the spec, its digest, parameter and output names
    DIR/design.parquet         one row per run: ids, seed (entropy, spawn key), parameters
    DIR/runs/run-000042.parquet      one finished run: its kept outputs (series as lists)
    DIR/failures/run-000017.parquet  one run that raised: error type, message, traceback

Every file is written to a temporary name in the same directory, flushed, then moved into
place with ``os.replace`` (atomic on POSIX), so a crash never leaves a half-written file
under a final name; temporary names start with ``.`` and are never read. Re-opening a
directory with the same spec resumes: runs with a readable shard are done; a different
spec is refused. Results are Parquet and JSON only, never pickles.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.sweeps.design import SAMPLE_PREFIX, build_runs
from experiments.sweeps.spec import SweepSpec

__all__ = [
    "FORMAT_VERSION",
    "SweepStore",
    "SweepStoreError",
    "atomic_write_bytes",
    "failure_bytes",
    "put_failure",
    "put_shard",
    "shard_bytes",
    "shard_name",
    "write_failure",
    "write_shard",
]

FORMAT_VERSION = 1
META_COLUMNS = ("elapsed_s", "worker")


class SweepStoreError(ValueError):
    """A sweep directory cannot be used as asked (wrong spec, missing manifest...)."""


def shard_name(run_id: int) -> str:
    """File name of a run's shard (same name under ``runs/`` and ``failures/``)."""
    return f"run-{run_id:06d}.parquet"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def _atomic_write_table(path: Path, table: pa.Table) -> None:
    atomic_write_bytes(path, _table_bytes(table))


def _ids_columns(run: dict[str, Any]) -> dict[str, pa.Array]:
    return {
        "run_id": pa.array([int(run["run_id"])], pa.int64()),
        "point_id": pa.array([int(run["point_id"])], pa.int64()),
        "replicate": pa.array([int(run["replicate"])], pa.int64()),
        "seed": pa.array([int(run["seed"])], pa.int64()),
    }


def shard_bytes(run: dict[str, Any], outputs: dict[str, Any], elapsed_s: float) -> bytes:
    """A finished run as Parquet bytes: ids, outputs (series as ``list<double>``), timing."""
    cols = _ids_columns(run)
    for name, value in outputs.items():
        if np.ndim(value) == 0:
            cols[name] = pa.array([float(value)], pa.float64())
        else:
            cols[name] = pa.array([np.asarray(value, np.float64)], pa.list_(pa.float64()))
    cols["elapsed_s"] = pa.array([float(elapsed_s)], pa.float64())
    cols["worker"] = pa.array([f"{os.uname().nodename}:{os.getpid()}"], pa.string())
    return _table_bytes(pa.table(cols))


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
    return _table_bytes(pa.table(cols))


def put_shard(root: str | Path, run_id: int, data: bytes) -> Path:
    """Store a run's shard atomically; drop a stale failure record of the same run."""
    root = Path(root)
    path = root / "runs" / shard_name(run_id)
    atomic_write_bytes(path, data)
    with contextlib.suppress(FileNotFoundError):
        (root / "failures" / path.name).unlink()
    return path


def put_failure(root: str | Path, run_id: int, data: bytes) -> Path:
    """Store a run's failure record atomically."""
    path = Path(root) / "failures" / shard_name(run_id)
    atomic_write_bytes(path, data)
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


def _read_valid(path: Path) -> bool:
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        return False
    return True


class SweepStore:
    """A sweep directory: manifest, design, shards. Use :meth:`create` or :meth:`open`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.failures_dir = self.root / "failures"

    # -- creating and opening ------------------------------------------------------------
    @classmethod
    def create(cls, root: str | Path, spec: SweepSpec) -> SweepStore:
        """Open ``root`` for ``spec``: create it, or resume it if it holds the same sweep.

        Raises
        ------
        SweepStoreError
            If ``root`` holds a different sweep (another spec digest).
        """
        store = cls(root)
        manifest_path = store.root / "manifest.json"
        if manifest_path.exists():
            manifest = store.manifest()
            if manifest.get("digest") != spec.digest():
                raise SweepStoreError(
                    f"{store.root} holds another sweep (digest {manifest.get('digest')}, "
                    f"this spec {spec.digest()}); use a new --out directory"
                )
            return store
        if store.root.exists() and not store._only_skeleton():
            raise SweepStoreError(
                f"{store.root} exists and is not a sweep directory; use a new --out directory"
            )
        store.runs_dir.mkdir(parents=True, exist_ok=True)
        store.failures_dir.mkdir(parents=True, exist_ok=True)
        runs = build_runs(spec)
        _atomic_write_table(
            store.root / "design.parquet", pa.Table.from_pandas(runs, preserve_index=False)
        )
        manifest = {
            "format": FORMAT_VERSION,
            "name": spec.name,
            "digest": spec.digest(),
            "n_runs": len(runs),
            "n_points": int(runs["point_id"].nunique()),
            "parameters": [p.path for p in spec.parameters],
            "outputs": {
                "final": [o.name for o in spec.outputs.final],
                "series": [o.name for o in spec.outputs.series],
            },
            "spec": spec.model_dump(mode="json"),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        atomic_write_bytes(manifest_path, json.dumps(manifest, indent=2).encode())
        return store

    def _only_skeleton(self) -> bool:
        """True if ``root`` holds at most what an interrupted :meth:`create` leaves behind."""
        for entry in self.root.iterdir():
            if entry.name.startswith(".") or entry.name == "design.parquet":
                continue
            if entry.name in ("runs", "failures") and entry.is_dir():
                if any(not e.name.startswith(".") for e in entry.iterdir()):
                    return False
                continue
            return False
        return True

    @classmethod
    def open(cls, root: str | Path) -> SweepStore:
        """Open an existing sweep directory (for loading and analysis)."""
        store = cls(root)
        if not (store.root / "manifest.json").is_file():
            raise SweepStoreError(
                f"{store.root}: no manifest.json, not a sweep directory "
                "(give the --out directory of `gigawatt sweep`)"
            )
        return store

    def manifest(self) -> dict[str, Any]:
        """The manifest as a dict."""
        data: dict[str, Any] = json.loads((self.root / "manifest.json").read_text())
        return data

    def spec(self) -> SweepSpec:
        """The spec the sweep was created with."""
        return SweepSpec.from_dict(self.manifest()["spec"], source=str(self.root / "manifest.json"))

    def design(self) -> pd.DataFrame:
        """One row per planned run (ids, seeds, parameters, raw ``sample:`` columns)."""
        return pd.read_parquet(self.root / "design.parquet")

    # -- state ---------------------------------------------------------------------------
    def _ids(self, folder: Path, validate: bool) -> set[int]:
        ids: set[int] = set()
        if not folder.is_dir():
            return ids
        for entry in os.scandir(folder):
            name = entry.name
            if name.startswith(".") or not (name.startswith("run-") and name.endswith(".parquet")):
                continue  # temporary (half-written) files are never read
            path = Path(entry.path)
            if validate and not _read_valid(path):
                bad = folder / "corrupt"
                bad.mkdir(exist_ok=True)
                shutil.move(path, bad / name)
                continue
            ids.add(int(name[4:-8]))
        return ids

    def completed(self, validate: bool = True) -> set[int]:
        """Run ids with a readable shard (unreadable ones are moved to ``runs/corrupt/``)."""
        return self._ids(self.runs_dir, validate)

    def failed(self) -> set[int]:
        """Run ids with a failure record and no shard."""
        return self._ids(self.failures_dir, validate=False) - self.completed(validate=False)

    def clean_temporaries(self) -> int:
        """Remove leftover temporary files of killed writers; returns how many."""
        n = 0
        for folder in (self.root, self.runs_dir, self.failures_dir):
            if folder.is_dir():
                for p in folder.glob(".*.tmp"):
                    p.unlink(missing_ok=True)
                    n += 1
        return n

    # -- loading -------------------------------------------------------------------------
    def _read_shards(self, folder: Path, ids: Iterable[int]) -> pd.DataFrame:
        paths = [folder / shard_name(i) for i in sorted(ids)]
        if not paths:
            return pd.DataFrame()
        tables = [pq.read_table(p) for p in paths]
        return pa.concat_tables(tables, promote_options="default").to_pandas()

    def load(self, *, meta: bool = False, series: bool = False) -> pd.DataFrame:
        """One tidy DataFrame, one row per finished run: ids, seed, parameters, outputs.

        Parameters
        ----------
        meta
            Keep ``elapsed_s`` and ``worker`` (they differ between executions).
        series
            Keep monthly series outputs as array cells (see :meth:`load_series`).
        """
        design = self.design()
        shards = self._read_shards(self.runs_dir, self.completed(validate=False))
        keep_design = [c for c in design.columns if not c.startswith(SAMPLE_PREFIX)]
        if shards.empty:
            out = design[keep_design].iloc[0:0].copy()
            for name in self.manifest()["outputs"]["final"]:
                out[name] = pd.Series(dtype=float)
            return out
        drop = ["point_id", "replicate", "seed"]
        if not meta:
            drop += list(META_COLUMNS)
        if not series:
            drop += list(self.manifest()["outputs"]["series"])
        shards = shards.drop(columns=[c for c in drop if c in shards.columns])
        frame = design[keep_design].merge(shards, on="run_id", how="inner", validate="1:1")
        return frame.sort_values("run_id").reset_index(drop=True)

    def load_series(self) -> pd.DataFrame:
        """Monthly series outputs in long form: run ids, parameters, ``month``, one column each."""
        names = self.manifest()["outputs"]["series"]
        frame = self.load(series=True)
        if not names or frame.empty:
            return pd.DataFrame()
        base = frame.drop(columns=names + self.manifest()["outputs"]["final"])
        lengths = frame[names[0]].map(len).to_numpy()
        long = base.loc[base.index.repeat(lengths)].reset_index(drop=True)
        long["month"] = np.concatenate([np.arange(n) for n in lengths])
        for name in names:
            long[name] = np.concatenate(frame[name].map(lambda a: np.asarray(a, float)).tolist())
        return long

    def failures(self) -> pd.DataFrame:
        """The failures table: runs that raised (and have not succeeded since)."""
        return self._read_shards(self.failures_dir, self.failed())

    def status(self) -> dict[str, int]:
        """Counts: planned, completed, failed, pending."""
        n = int(self.manifest()["n_runs"])
        done = len(self.completed(validate=False))
        failed = len(self.failed())
        return {"planned": n, "completed": done, "failed": failed, "pending": n - done - failed}
