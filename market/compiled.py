"""The one way the hot path compiles a loop: numba's ``njit``, with the project's options.

The monthly step is thousands of numpy calls on arrays of a few to a few hundred
elements, where each call's fixed cost (about a microsecond) outweighs its arithmetic. A
loop that numba compiles to machine code (Lam, Pitrou and Seibert, "Numba: a LLVM-based
Python JIT compiler", LLVM-HPC 2015) does the same arithmetic without those calls. Every
compiled function in the project goes through :func:`compiled`, so the options that decide
its numbers are set here once:

- ``cache=True``: compiled once per machine into ``__pycache__`` and loaded from there by
  later processes (about 1.5 ms a function, after numba's own start-up of about 0.4 s);
- ``fastmath`` off (numba's default): IEEE 754 arithmetic as written, with no reassociation
  and no fused multiply-add, so an element-wise expression gives numpy's bits;
- ``error_model="numpy"``: a division by zero gives ``inf`` or ``nan`` as numpy does,
  not an exception;
- ``nogil=True``: a thread running a compiled function lets others run (Dask's threads).

A compiled function takes and returns numpy arrays and scalars only; the typed wrapper
keeps its signature visible to mypy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numba

__all__ = ["compiled"]


def compiled[F: Callable[..., Any]](fn: F) -> F:
    """``fn`` compiled by numba in nopython mode with the options of the module docstring.

    Use it as a decorator on a function of a module (numba caches by the module's file, so
    a function typed at a prompt cannot be cached). It compiles on the first call, for
    the argument types of that call.
    """
    return cast(F, numba.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)(fn))
