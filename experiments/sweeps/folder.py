"""Where a sweep goes: resume the same spec, or say how to start over after a change.

A sweep folder belongs to one spec (its digest is in ``manifest.json``). Running the same
spec again resumes it. Running a changed spec into it is refused with the keys that
changed and the two ways forward: ``--new``, which moves the earlier sweep aside to
``<folder>.old-<time>`` (archived, nothing deleted) and starts afresh in the same place,
or a fresh ``--out`` folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents.scenario_messages import dotted_paths
from experiments.paths import set_aside
from experiments.sweeps.lock import SweepLock
from experiments.sweeps.spec import SweepSpec
from experiments.sweeps.store import SweepStore, SweepStoreError

__all__ = ["prepare_folder", "spec_changes"]


def spec_changes(old: dict[str, Any], new: dict[str, Any], limit: int = 6) -> list[str]:
    """Dotted keys whose values differ between two spec dumps, as ``"key: a -> b"``."""
    a, b = dotted_paths(old, empty=False), dotted_paths(new, empty=False)
    changed = [
        f"{k}: {json.dumps(a.get(k))} -> {json.dumps(b.get(k))}"
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]
    if len(changed) > limit:
        changed = [*changed[:limit], f"... and {len(changed) - limit} more"]
    return changed


def prepare_folder(
    out: str | Path, spec: SweepSpec, *, new: bool = False, spec_file: str | None = None
) -> str | None:
    """Make ``out`` ready for ``spec``; return a line to print, if any.

    Parameters
    ----------
    out
        The sweep folder.
    spec
        The sweep about to run.
    new
        Archive an earlier sweep in ``out`` (rename to ``<out>.old-<time>``) and start over.
    spec_file
        The spec's file name, for the suggested commands.

    Raises
    ------
    SweepStoreError
        If ``out`` holds a sweep of another spec and ``new`` is false: the message lists
        the changed keys and the two ways forward.
    """
    root = Path(out)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        return None
    manifest = SweepStore(root).manifest()  # a damaged manifest is a clear error
    same = manifest.get("digest") == spec.digest()
    if new:
        with SweepLock(root):  # never move a folder a running sweep writes into
            dest = set_aside(root)
        return f"moved the earlier sweep in {root} to {dest} (archived, nothing deleted)"
    if same:
        return None
    changes = spec_changes(manifest.get("spec", {}), spec.model_dump(mode="json"))
    cmd = f"gigawatt sweep {spec_file or 'SPEC.toml'}"
    raise SweepStoreError(
        f"{root} holds a sweep of a different spec (changed: {'; '.join(changes)}). "
        f"To start over in this folder, add --new (the earlier sweep is moved to "
        f"{root.name}.old-<time>, nothing is deleted): `{cmd} --out {root} --new`; "
        f"or keep both and give a fresh folder: `{cmd} --out {root}-2`"
    )
