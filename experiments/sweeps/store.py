"""The sweep result store: one Parquet shard per run, written atomically; resumable.

Layout of a sweep directory::

    DIR/manifest.json          the spec, its digest, parameter and output names, checksums
    DIR/design.parquet         one row per run: ids, seed (entropy, spawn key), parameters
    DIR/runs/run-000042.parquet      one finished run: its kept outputs (series as lists)
    DIR/runs/run-000042.parquet.sha256   its SHA-256, written before it (``sha256sum`` format)
    DIR/failures/run-000017.parquet  one run that raised: error type, message, traceback
    DIR/.sweep.lock            held (``flock``) by the one sweep writing here

Every file is written to a temporary name in the same directory, flushed, then moved into
place with ``os.replace`` (atomic on POSIX), so a crash never leaves a half-written file
under a final name; temporary names start with ``.`` and are never read. A shard counts
only if it matches its checksum (:mod:`.integrity`) and its metadata names this folder's
spec digest (when it names one); any other is moved to
``runs/corrupt/`` by whoever reads it first (status, load, resume) and runs again on resume.
The manifest carries the SHA-256 of its own content and of the design file, so a damaged
manifest or design is reported, never misread. :meth:`SweepStore.create` takes the folder's
exclusive lock (:mod:`.lock`) before it looks at the folder, so two sweeps never share one.
Re-opening a directory with the same spec resumes; a different spec is refused. Results
are Parquet and JSON only, never pickles.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.paths import atomic_write_bytes
from experiments.sweeps.design import SAMPLE_PREFIX, build_runs
from experiments.sweeps.errors import DamagedFileError, SweepStoreError
from experiments.sweeps.integrity import CORRUPT_DIR, quarantine, sha256_hex, verified_bytes
from experiments.sweeps.lock import SweepLock
from experiments.sweeps.shards import (
    DIGEST_KEY,
    failure_bytes,
    put_failure,
    put_shard,
    shard_bytes,
    shard_name,
    write_failure,
    write_shard,
)
from experiments.sweeps.shards import table_bytes as _table_bytes
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

FORMAT_VERSION = 2
"""2: shard checksums, manifest and design checksums, folder lock (1: none of these)."""
META_COLUMNS = ("elapsed_s", "worker")


def _os_error(path: Path, exc: OSError) -> SweepStoreError:
    reason = exc.strerror or str(exc)
    return SweepStoreError(
        f"{path}: cannot write ({reason}); choose a writable --out folder with free space"
    )


def _check_root(root: Path, what: str = "give a folder path for --out") -> None:
    if "\x00" in str(root):
        raise SweepStoreError(f"{str(root)!r}: a folder name cannot contain a NUL byte")
    if root.exists() and not root.is_dir():
        raise SweepStoreError(f"{root} is a file, not a folder; {what}")


def _manifest_checksum(manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != "sha256"}
    return sha256_hex(json.dumps(body, sort_keys=True).encode())


def _foreign(data: bytes, digest: str) -> str:
    """Why a checksummed shard does not belong to the sweep of ``digest`` ('' if it does)."""
    try:
        meta = pq.read_schema(pa.BufferReader(data)).metadata or {}
    except (OSError, pa.ArrowException):
        return "not a readable Parquet file"
    own = meta.get(DIGEST_KEY)
    if own is not None and own.decode(errors="replace") != digest:
        return f"computed for another sweep (spec digest {own.decode(errors='replace')})"
    return ""


class SweepStore:
    """A sweep directory: manifest, design, shards. Use :meth:`create` or :meth:`open`.

    A store from :meth:`create` holds the folder's lock until :meth:`close` (or the end of
    a ``with`` block, or the process).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.failures_dir = self.root / "failures"
        #: Where ``analyze`` and ``discover`` write unless given another folder (``--out``).
        self.analysis_dir = self.root / "analysis"
        self._lock: SweepLock | None = None

    # -- creating and opening ------------------------------------------------------------
    @classmethod
    def create(
        cls, root: str | Path, spec: SweepSpec, scenarios: Mapping[str, str] | None = None
    ) -> SweepStore:
        """Lock ``root`` for ``spec``: create it, or resume it if it holds the same sweep.

        ``scenarios`` (name: digest, :func:`experiments.sweeps.sweep.scenario_digests`) are
        kept in the manifest of a new sweep; a resumed sweep must start from the same ones
        (a folder written before they were kept is not checked).

        Raises
        ------
        SweepLockedError
            If another live sweep holds the folder (its pid, host and start time are named).
        SweepStoreError
            If ``root`` holds a different sweep, or the same spec over a scenario that
            changed since, is a file or another kind of folder, or cannot be written.
        DamagedFileError
            If its manifest or design is damaged.
        """
        store = cls(root)
        _check_root(store.root)
        if (
            store.root.is_dir()
            and not (store.root / "manifest.json").exists()
            and not store._only_skeleton()
        ):
            raise SweepStoreError(
                f"{store.root} exists and is not a sweep directory; use a new --out directory"
            )
        try:
            store.root.mkdir(parents=True, exist_ok=True)
            store._lock = SweepLock(store.root).acquire()
        except OSError as exc:
            raise _os_error(store.root, exc) from None
        try:
            store._create_locked(spec, dict(scenarios or {}))
        except BaseException:
            store.close()
            raise
        return store

    def _create_locked(self, spec: SweepSpec, scenarios: dict[str, str]) -> None:
        manifest_path = self.root / "manifest.json"
        try:
            if manifest_path.exists():
                manifest = self.manifest()
                if manifest.get("digest") != spec.digest():
                    raise SweepStoreError(
                        f"{self.root} holds another sweep (digest {manifest.get('digest')}, "
                        f"this spec {spec.digest()}); use a new --out directory"
                    )
                was = manifest.get("scenarios") or {}
                changed = [n for n, d in scenarios.items() if was.get(n, d) != d]
                if changed:
                    raise SweepStoreError(
                        f"{self.root}: scenario {changed[0]!r} is not the one this sweep's "
                        "runs so far started from (its file was edited, or the project's "
                        "defaults changed, since): restore it to resume, or start over in a "
                        "new --out directory"
                    )
                if not (self.root / "design.parquet").exists():
                    self._rebuild_design(spec, manifest)
                return
            if not self._only_skeleton():  # checked again under the lock
                raise SweepStoreError(
                    f"{self.root} exists and is not a sweep directory; use a new --out directory"
                )
            self.runs_dir.mkdir(exist_ok=True)
            self.failures_dir.mkdir(exist_ok=True)
            runs = build_runs(spec)
            design = _table_bytes(pa.Table.from_pandas(runs, preserve_index=False))
            atomic_write_bytes(self.root / "design.parquet", design)
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
                "scenarios": scenarios,
                "design_sha256": sha256_hex(design),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            manifest["sha256"] = _manifest_checksum(manifest)
            atomic_write_bytes(manifest_path, json.dumps(manifest, indent=2).encode())
        except OSError as exc:
            raise _os_error(self.root, exc) from None

    def _rebuild_design(self, spec: SweepSpec, manifest: dict[str, Any]) -> None:
        """Write a deleted design file again from the spec, if it comes out byte-identical."""
        runs = build_runs(spec)
        design = _table_bytes(pa.Table.from_pandas(runs, preserve_index=False))
        if manifest.get("design_sha256") not in (None, sha256_hex(design)):
            raise DamagedFileError(
                f"{self.root / 'design.parquet'}: missing, and rebuilding it from the spec "
                "gives a different file (other library versions?); start a new --out folder"
            )
        atomic_write_bytes(self.root / "design.parquet", design)

    def close(self) -> None:
        """Release the folder's lock (if this store holds it)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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
        _check_root(store.root, "give the folder of a sweep")
        if not (store.root / "manifest.json").is_file():
            raise SweepStoreError(
                f"{store.root}: no manifest.json, not a sweep directory "
                "(give the --out directory of `gigawatt sweep`)"
            )
        return store

    def manifest(self) -> dict[str, Any]:
        """The manifest as a dict (checked against its own checksum).

        Raises
        ------
        DamagedFileError
            If it is not JSON, lacks a key, or (format 2) fails its checksum.
        """
        path = self.root / "manifest.json"
        fix = "restore it from a backup, or start a new --out folder"
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise SweepStoreError(f"{path}: missing; not a sweep directory") from None
        except (OSError, ValueError) as exc:
            raise DamagedFileError(f"{path}: damaged, not readable JSON ({exc}); {fix}") from None
        if not isinstance(data, dict) or not {"digest", "n_runs", "spec", "outputs"} <= set(data):
            raise DamagedFileError(f"{path}: damaged, keys are missing; {fix}")
        if data.get("format", 1) >= 2 and data.get("sha256") != _manifest_checksum(data):
            raise DamagedFileError(f"{path}: damaged, its content fails its checksum; {fix}")
        return data

    def spec(self) -> SweepSpec:
        """The spec the sweep was created with."""
        return SweepSpec.from_dict(self.manifest()["spec"], source=str(self.root / "manifest.json"))

    def design(self) -> pd.DataFrame:
        """One row per planned run (ids, seeds, parameters, raw ``sample:`` columns).

        Raises
        ------
        DamagedFileError
            If the design file is missing, unreadable or fails its checksum.
        """
        path = self.root / "design.parquet"
        fix = "delete it and run the same sweep command to rebuild it from manifest.json"
        expected = self.manifest().get("design_sha256")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DamagedFileError(f"{path}: unreadable ({exc.strerror}); {fix}") from None
        if expected is not None and sha256_hex(data) != expected:
            raise DamagedFileError(f"{path}: damaged, fails its checksum; {fix}")
        try:
            return pq.read_table(pa.BufferReader(data)).to_pandas()
        except (OSError, pa.ArrowException) as exc:
            raise DamagedFileError(
                f"{path}: damaged, not readable Parquet ({exc}); {fix}"
            ) from None

    # -- state ---------------------------------------------------------------------------
    def _names(self, folder: Path) -> dict[int, Path]:
        found: dict[int, Path] = {}
        if not folder.is_dir():
            return found
        for entry in os.scandir(folder):
            name = entry.name
            if name.startswith(".") or not (name.startswith("run-") and name.endswith(".parquet")):
                continue  # temporary (half-written) files and checksums are never read as shards
            with contextlib.suppress(ValueError):
                found[int(name[4:-8])] = Path(entry.path)
        return found

    def _verified(self, folder: Path) -> dict[int, bytes]:
        """Bytes of every shard in ``folder`` that passes its check; the others quarantined.

        A shard must match its checksum and, if it names the spec it was computed for,
        name this folder's spec.
        """
        manifest = self.manifest()
        require = int(manifest.get("format", 1)) >= 2
        good: dict[int, bytes] = {}
        for run_id, path in sorted(self._names(folder).items()):
            data, reason = verified_bytes(path, require_sum=require)
            if data is not None and folder == self.runs_dir:
                reason = _foreign(data, str(manifest["digest"]))
                data = None if reason else data
            if data is not None:
                good[run_id] = data
            elif reason != "missing":  # "missing": another reader quarantined it just now
                quarantine(path, reason)
        return good

    def completed(self, validate: bool = True) -> set[int]:
        """Run ids with a shard that passes its checksum (damaged ones are quarantined).

        ``validate=False`` only lists shard names (fast; for progress displays).
        """
        if not validate:
            return set(self._names(self.runs_dir))
        return set(self._verified(self.runs_dir))

    def failed(self) -> set[int]:
        """Run ids with a failure record and no shard."""
        return set(self._names(self.failures_dir)) - self.completed(validate=False)

    def quarantined(self) -> set[int]:
        """Run ids with a damaged shard in ``runs/corrupt/`` and no good shard since."""
        ids = set(self._names(self.runs_dir / CORRUPT_DIR))
        ids |= {
            int(p.name[4:10])
            for p in (self.runs_dir / CORRUPT_DIR).glob("run-??????.*.parquet")
            if p.name[4:10].isdigit()
        }
        return ids - self.completed(validate=False)

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
    def _read_shards(self, folder: Path) -> pd.DataFrame:
        blobs = self._verified(folder)
        if not blobs:
            return pd.DataFrame()
        tables = [pq.read_table(pa.BufferReader(b)) for b in blobs.values()]
        return pa.concat_tables(tables, promote_options="default").to_pandas()

    def load(self, *, meta: bool = False, series: bool = False) -> pd.DataFrame:
        """One tidy DataFrame, one row per finished run: ids, seed, parameters, outputs.

        Only shards that pass their checksum are read (damaged ones are quarantined).

        Parameters
        ----------
        meta
            Keep ``elapsed_s`` and ``worker`` (they differ between executions).
        series
            Keep monthly series outputs as array cells (see :meth:`load_series`).
        """
        design = self.design()
        shards = self._read_shards(self.runs_dir)
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
        frame = self._read_shards(self.failures_dir)
        if frame.empty:
            return frame
        return frame[frame["run_id"].isin(self.failed())].reset_index(drop=True)

    def status(self) -> dict[str, int]:
        """Counts: planned, completed (checksums verified), failed, pending, quarantined.

        ``quarantined`` runs (a damaged shard was set aside) are among the pending ones.
        """
        n = int(self.manifest()["n_runs"])
        done = len(self.completed())
        failed = len(self.failed())
        return {
            "planned": n,
            "completed": done,
            "failed": failed,
            "pending": n - done - failed,
            "quarantined": len(self.quarantined()),
        }
