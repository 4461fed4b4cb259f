"""numpy's sum of a short row without allocating, for the phases' compiled loops.

:func:`market.compiled.add_reduce` walks numpy's pairwise tree with two work arrays it
allocates on every call, a cost that outweighs the arithmetic of the few elements a row
of regions, families or months holds. :func:`row_sum` gives the same number for a row of
up to two of numpy's halvings (a few hundred elements) with scalars only, and hands a
longer run to ``add_reduce``.
"""

from __future__ import annotations

from agents.state import FloatArray
from market.compiled import BLOCK, add_reduce, compiled

__all__ = ["row_sum"]


@compiled
def _run(a: FloatArray, lo: int, n: int) -> float:
    """numpy's pairwise sum of ``a[lo:lo + n]``, at most :data:`market.compiled.BLOCK`
    elements (``pairwise_sum`` of ``numpy/_core/src/umath/loops_utils.h.src``): under
    eight, one running sum from 0; else eight running sums over the elements eight apart,
    added in pairs, then the rest."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        k = lo + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = float(((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)))
    for k in range(lo + i, lo + n):
        res += a[k]
    return res


@compiled
def _half(a: FloatArray, lo: int, n: int) -> float:
    """numpy's pairwise sum of ``a[lo:lo + n]``: :func:`_run` up to a block, else
    :func:`market.compiled.add_reduce` of the run (the same tree; its leading ``0 +``
    changes only the sign of a zero, which the caller's own ``0 +`` clears)."""
    if n <= BLOCK:
        return _run(a, lo, n)
    return add_reduce(a[lo : lo + n])


@compiled
def row_sum(a: FloatArray) -> float:
    """``np.add.reduce(a)`` of a 1-d float array, to the last bit.

    Zero plus numpy's pairwise sum: a run of at most :data:`market.compiled.BLOCK`
    elements summed at once (:func:`_run`); a longer one halved as numpy halves it (the
    first half ``n // 2`` rounded down to a multiple of eight) and its halves' sums
    added.
    """
    n = a.size
    if n <= BLOCK:
        return 0.0 + _run(a, 0, n)
    half = n // 2 - (n // 2) % 8
    return 0.0 + (_half(a, 0, half) + _half(a, half, n - half))
