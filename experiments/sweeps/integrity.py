"""Checksums of sweep files: every shard is verified before it is counted or read.

Each shard ``runs/run-000042.parquet`` (and failure record) is written after its checksum
file ``run-000042.parquet.sha256``, one line in the format of ``sha256sum`` (so
``cd runs && sha256sum -c *.sha256`` checks a folder by hand). A shard counts as finished
only if its bytes hash to the recorded SHA-256 (FIPS 180-4): a truncated, empty or
bit-flipped shard, or one without its checksum, fails and is *quarantined* (moved with its
checksum into ``corrupt/`` of its folder, where nothing reads it), so the run is pending
and a resume runs it again. Folders written before checksums existed (store format 1) are
checked by parsing the Parquet footer instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "CORRUPT_DIR",
    "SUM_SUFFIX",
    "DamagedShardWarning",
    "checksum_line",
    "quarantine",
    "sha256_hex",
    "sum_path",
    "verified_bytes",
]

SUM_SUFFIX = ".sha256"
CORRUPT_DIR = "corrupt"


class DamagedShardWarning(UserWarning):
    """A shard failed its checksum and was moved to ``corrupt/``; its run is pending."""


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sum_path(path: Path) -> Path:
    """The checksum file of a shard: its name plus ``.sha256``."""
    return path.with_name(path.name + SUM_SUFFIX)


def checksum_line(data: bytes, name: str) -> bytes:
    """One ``sha256sum`` line: hex digest, two spaces, file name."""
    return f"{sha256_hex(data)}  {name}\n".encode()


def _recorded(path: Path) -> str | None:
    try:
        text = sum_path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return None
    digest, _, name = text.strip().partition("  ")
    if name != path.name or len(digest) != 64:
        return None
    return digest


def verified_bytes(path: Path, *, require_sum: bool = True) -> tuple[bytes | None, str]:
    """The bytes of ``path`` if they pass their check, else ``None`` and the reason.

    Parameters
    ----------
    require_sum
        Check the recorded SHA-256 (store format 2 and later); if False, a file without a
        checksum passes when its Parquet footer parses (format 1).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "missing"
    except OSError as exc:
        return None, f"unreadable ({exc.strerror})"
    recorded = _recorded(path)
    if recorded is not None:
        if sha256_hex(data) != recorded:
            return None, f"checksum mismatch ({len(data)} bytes)"
        return data, ""
    if require_sum:
        return None, "no checksum file"
    try:
        pq.read_metadata(pa.BufferReader(data))
    except (OSError, pa.ArrowException):
        return None, "not a readable Parquet file"
    return data, ""


def quarantine(path: Path, reason: str) -> Path | None:
    """Move a damaged shard and its checksum into ``corrupt/`` next to it; warn.

    Another reader may have moved it first (then nothing happens and ``None`` returns).
    """
    bad = path.parent / CORRUPT_DIR
    bad.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = bad / f"{path.stem}.{stamp}-{os.getpid()}{path.suffix}"
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    with contextlib.suppress(OSError):
        os.replace(sum_path(path), sum_path(target))
    warnings.warn(
        f"{path}: damaged shard ({reason}) moved to {target}; its run is pending "
        "and runs again on resume",
        DamagedShardWarning,
        stacklevel=3,
    )
    return target
