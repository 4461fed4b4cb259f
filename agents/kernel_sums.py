"""numpy's sum of a short row without allocating, for the phases' compiled loops.

:func:`market.compiled.add_reduce` walks numpy's pairwise tree with two work arrays it
allocates on every call, a cost that outweighs the arithmetic of the few elements a row
of regions, families or months holds. :func:`row_sum` gives the same number for a row of
at most :data:`market.compiled.BLOCK` elements with scalars only, and hands a longer row to
``add_reduce``.
"""

from __future__ import annotations

from agents.state import FloatArray
from market.compiled import BLOCK, add_reduce, compiled

__all__ = ["row_sum"]


@compiled
def row_sum(a: FloatArray) -> float:
    """``np.add.reduce(a)`` of a 1-d float array, to the last bit.

    Zero plus numpy's pairwise sum (``pairwise_sum`` of
    ``numpy/_core/src/umath/loops_utils.h.src``): under eight elements one running sum;
    up to :data:`market.compiled.BLOCK`, eight running sums over the elements eight apart,
    added in pairs, then the rest; a longer row by :func:`market.compiled.add_reduce`.
    """
    n = a.size
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n > BLOCK:
        return add_reduce(a)
    r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
    r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
    i = 8
    while i < n - n % 8:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for k in range(i, n):
        res += a[k]
    return 0.0 + float(res)
