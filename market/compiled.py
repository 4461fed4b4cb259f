"""The one way the hot path compiles a loop: numba's ``njit``, with the project's options.

The monthly step is thousands of numpy calls on arrays of a few to a few hundred
elements, where each call's fixed cost (about a microsecond) outweighs its arithmetic. A
loop that numba compiles to machine code (Lam, Pitrou and Seibert, "Numba: a LLVM-based
Python JIT compiler", LLVM-HPC 2015) does the same arithmetic without those calls. Every
compiled function in the project goes through :func:`compiled`, so the options that decide
its numbers are set here once:

- ``cache=True``: compiled once per machine and loaded from the cache by later processes
  (a process pays numba's import, about 0.2 s, and about 0.3 s to load the loops a run
  uses). numba renews a
  function's cache when its own file changes, not when a compiled function it calls from
  another file does, so the cache lives in a folder named by a digest of every source
  file of ``market/`` and ``agents/`` (:func:`cache_folder`): any change to them starts a
  new one;
- ``fastmath`` off (numba's default): IEEE 754 arithmetic as written, with no reassociation
  and no fused multiply-add, so an element-wise expression gives numpy's bits;
- ``error_model="numpy"``: a division by zero gives ``inf`` or ``nan`` as numpy does,
  not an exception;
- ``nogil=True``: a thread running a compiled function lets others run (Dask's threads).

A compiled function takes and returns numpy arrays and scalars only; the typed wrapper
keeps its signature visible to mypy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "add_at",
    "add_reduce",
    "cache_folder",
    "clip",
    "compiled",
    "maximum",
    "minimum",
    "sum_rows",
]

_ROOT = Path(__file__).resolve().parents[1]
"""The folder that holds ``market/`` and ``agents/`` (the checkout, or site-packages)."""


def cache_folder(root: Path = _ROOT) -> Path:
    """Where compiled functions are cached: ``market/__pycache__/numba-<digest>``, the
    digest (BLAKE2b) of every ``.py`` file under ``root/market`` and ``root/agents``, by
    name and content."""
    digest = hashlib.blake2b(digest_size=8)
    for package in ("market", "agents"):
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return root / "market" / "__pycache__" / f"numba-{digest.hexdigest()}"


def _use_cache_folder() -> None:
    """Point numba's cache at :func:`cache_folder` and remove the folders of earlier
    sources, unless ``NUMBA_CACHE_DIR`` names one or the package's folder is read-only
    (then numba's own place, next to each source file or in the user's cache)."""
    config: Any = numba.config  # numba's settings (NUMBA_* environment variables)
    if config.CACHE_DIR or not os.access(_ROOT / "market", os.W_OK):
        return
    folder = cache_folder()
    for old in folder.parent.glob("numba-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    config.CACHE_DIR = str(folder)


_use_cache_folder()


def compiled[F: Callable[..., Any]](fn: F) -> F:
    """``fn`` compiled by numba in nopython mode with the options of the module docstring.

    Use it as a decorator on a function of a module (numba caches by the module's file, so
    a function typed at a prompt cannot be cached). It compiles on the first call, for
    the argument types of that call.
    """
    return cast(F, numba.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)(fn))


BLOCK = 128
"""numpy's ``PW_BLOCKSIZE``: runs up to this long are summed with eight running sums."""


@compiled
def _block(a: NDArray[np.float64], lo: int, n: int) -> float:
    """numpy's pairwise sum of a run ``a[lo:lo + n]`` of at most :data:`BLOCK` elements
    (``pairwise_sum`` of ``numpy/_core/src/umath/loops_utils.h.src``): under eight, one
    running sum; else eight, over the elements eight apart, added in pairs, then the rest.
    Scalars only, no work array."""
    res = 0.0
    if n < 8:
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = lo + 8
    end = lo + n - n % 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = float(((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)))
    for k in range(end, lo + n):
        res += a[k]
    return res


@compiled
def add_reduce(a: NDArray[np.float64]) -> float:
    """``np.add.reduce(a)`` of a 1-d float array, to the last bit: zero plus numpy's
    pairwise sum of the elements (a compiled ``+=`` loop would round differently once
    there are eight or more)."""
    n = a.size
    if n <= BLOCK:  # one block: no tree, no work arrays
        return 0.0 + _block(a, 0, n)
    half = n // 2 - (n // 2) % 8
    if n - half <= BLOCK:  # two blocks (up to 2 x BLOCK elements): no work arrays either
        return 0.0 + (_block(a, 0, half) + _block(a, half, n - half))
    # numpy halves a run longer than BLOCK (the half rounded down to a multiple of 8) and
    # adds the halves' sums; the same tree walked with a stack, left half first (numba
    # cannot cache a recursive function that another module's compiled code calls)
    todo = np.empty((128, 3), np.int64)  # (start, length, halves summed yet)
    sums = np.empty(64)
    todo[0, 0], todo[0, 1], todo[0, 2] = 0, n, 0
    n_todo, n_sums = 1, 0
    while n_todo:
        n_todo -= 1
        lo, n, done = todo[n_todo, 0], todo[n_todo, 1], todo[n_todo, 2]
        if n <= BLOCK:
            sums[n_sums] = _block(a, lo, n)
            n_sums += 1
        elif done:
            n_sums -= 1
            sums[n_sums - 1] = sums[n_sums - 1] + sums[n_sums]
        else:
            half = n // 2 - (n // 2) % 8
            todo[n_todo, 2] = 1  # this run again, once both halves are summed
            todo[n_todo + 1, 0], todo[n_todo + 1, 1], todo[n_todo + 1, 2] = lo + half, n - half, 0
            todo[n_todo + 2, 0], todo[n_todo + 2, 1], todo[n_todo + 2, 2] = lo, half, 0
            n_todo += 3
    return 0.0 + float(sums[0])


@compiled
def sum_rows(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """``np.add.reduce(a, axis=0)`` of a 2-d C-ordered float array: zero plus the rows
    added in order (so a column of ``-0.0`` sums to ``0.0``, as numpy's does)."""
    out = np.zeros(a.shape[1])
    for i in range(a.shape[0]):
        out += a[i]
    return out


@compiled
def add_at(
    target: NDArray[np.float64], index: NDArray[np.int64], values: NDArray[np.float64]
) -> None:
    """``np.add.at(target, index, values)`` of a 1-d target (a flat view of a C-ordered
    array will do): each value added to its entry in the order given, as numpy adds
    repeated indices; indices are not checked (they are the caller's own)."""
    for i in range(index.size):
        target[index[i]] += values[i]


@compiled
def minimum(a: float, b: float) -> float:
    """``np.minimum`` of two floats: the smaller, nan from either side, ``b`` on a tie."""
    return a if a < b or np.isnan(a) else b


@compiled
def maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats: the larger, nan from either side, ``b`` on a tie (so
    ``maximum(0.0, -0.0)`` is ``-0.0``, as numpy gives)."""
    return a if a > b or np.isnan(a) else b


@compiled
def clip(x: float, low: float, high: float) -> float:
    """One element of ``np.clip(x, low, high)`` where a bound is an array (as in every
    caller): numpy's element loop, ``max(x, low)`` then ``min(., high)``, each keeping a
    nan and giving the bound on a tie, so ``-0.0`` at a bound of ``0.0`` becomes ``0.0``.
    (With both bounds scalars numpy takes another loop, which keeps ``-0.0``.)"""
    v = x if x > low or np.isnan(x) else low
    return v if v < high or np.isnan(v) else high
