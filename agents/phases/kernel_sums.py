"""numpy's 1-d sum for the phases' compiled kernels, without an allocation on short runs.

:func:`market.compiled.add_reduce` walks numpy's tree of pairwise halves with a stack it
allocates on every call (about 0.2 microseconds, several times the cost of summing a dozen
numbers); the kernels of the settle and record phases sum hundreds of runs a month of a
few terms each (a lab's spend by cloud, a node's families, a firm kind's debts).
:func:`add_reduce_short` gives the same bits and sums a run of at most
:data:`market.compiled.BLOCK` terms directly.
"""

from __future__ import annotations

from agents.state import FloatArray
from market.compiled import BLOCK, _block, add_reduce, compiled

__all__ = ["add_reduce_short"]


@compiled
def add_reduce_short(a: FloatArray) -> float:
    """``np.add.reduce(a)`` of a 1-d float array, to the last bit: ``add_reduce(a)``, whose
    first (and, up to ``BLOCK`` terms, only) step is ``0.0 + _block(a, 0, a.size)``."""
    if a.size <= BLOCK:
        return 0.0 + _block(a, 0, a.size)
    return add_reduce(a)
