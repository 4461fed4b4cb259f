"""NumPy's huge-page advice, off by default in the project's own commands.

On Linux, NumPy asks the kernel to back every array of 4 MB or more with 2 MB transparent
huge pages (``madvise(MADV_HUGEPAGE)``; NumPy's reference, "Global state: madvise
hugepage on Linux", and its ``NUMPY_MADVISE_HUGEPAGE`` setting, read when NumPy is
imported). Where the kernel's ``transparent_hugepage/defrag`` setting is ``madvise`` or
``defer+madvise``, a page fault in an advised region reclaims and compacts memory before
it returns (the Linux kernel's admin guide, "Transparent Hugepage Support"), and on a
fragmented machine that stall costs more than the huge page saves (reported to NumPy's
developers as numpy/numpy#31590, June 2026).

This project's machines (2-core virtual machines with ``defrag`` set to ``madvise``) are
such machines. Measured there (December 2026) with a model of a million agents
(``scale.small_labs`` and ``scale.enterprise_buyers`` 500,000 each), advice on against
off: the build 2.26 s against 0.42 s of wall time, the first month 3.95 s against 0.60 s,
months 2-8 0.62-1.20 s against 0.37-0.45 s. The numbers a run computes are the same
either way (the advice changes where memory comes from, not what is stored in it); books
and arrays of the shipped scenarios stay under 4 MB and never see it.

So the ``gigawatt`` command and the benchmarks turn the advice off unless the user has
set ``NUMPY_MADVISE_HUGEPAGE`` (to ``1`` to keep it); worker processes of sweeps inherit
the setting. A program that imports the package is left as it is: start it with
``NUMPY_MADVISE_HUGEPAGE=0``, or call :func:`hugepage_advice_off` first.
"""

from __future__ import annotations

import os
import sys

__all__ = ["ADVICE_ENV", "hugepage_advice_off"]

ADVICE_ENV = "NUMPY_MADVISE_HUGEPAGE"
"""NumPy's setting: ``0`` turns the advice off, ``1`` on (read when NumPy is imported)."""


def hugepage_advice_off() -> bool:
    """Turn NumPy's huge-page advice off for this process and the processes it starts,
    unless ``NUMPY_MADVISE_HUGEPAGE`` is already set (the user's choice stands).

    Sets the variable to ``0`` in ``os.environ``, which NumPy reads at import (here, if it
    is not imported yet, and in the processes this one starts); if NumPy is
    already imported, its own switch for the setting takes effect for the arrays
    allocated from now on. That switch (``numpy._core.multiarray._set_madvise_hugepage``,
    what NumPy calls with the variable's value at import) is not public API: where a
    NumPy release lacks it, only the variable is set.

    Returns
    -------
    bool
        Whether the advice was turned off (False: the user had set the variable).
    """
    if ADVICE_ENV in os.environ:
        return False
    os.environ[ADVICE_ENV] = "0"
    if "numpy" in sys.modules:
        core = getattr(sys.modules["numpy"], "_core", None)
        switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
        if switch is not None:
            switch(False)
    return True
