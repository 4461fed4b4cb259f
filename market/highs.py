"""A silent HiGHS instance holding the clearing LP, and its answer in book order.

Shared by the solvers that talk to HiGHS directly (:mod:`market.colgen`,
:mod:`market.mcf`, :mod:`market.warm`). HiGHS (Huangfu and Hall, *Math. Programming
Computation* 10, 2018) is driven through ``highspy`` with presolve off: presolve costs
more than it saves on these transport LPs and discards the basis that warm-starts a
re-solve.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import highspy
import numpy as np
from numpy.typing import NDArray

from market.book import OrderBook
from market.lp import Columns, LPSolution, SolverFailure, columns

__all__ = [
    "HighsOptionError",
    "add_columns",
    "floats",
    "highs_bounds",
    "load_book",
    "load_columns",
    "new_highs",
    "read_solution",
    "run_optimal",
    "set_options",
    "solution_arrays",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_INF_IS_INF = bool(highspy.kHighsInf == np.inf)
_COLWISE = int(highspy.MatrixFormat.kColwise)
_MINIMIZE = int(highspy.ObjSense.kMinimize)

TOLERANCE = 1e-9
"""Primal and dual feasibility tolerance on a book scaled to units near one."""


def floats(values: list[float]) -> FloatArray:
    """A list of floats read from HiGHS (its solution's arrays) as a float64 array.

    ``np.fromiter`` with the count known reads the list in about half the time of
    ``np.asarray``.
    """
    return np.fromiter(values, np.float64, len(values))


def new_highs(tol: float = TOLERANCE) -> highspy.Highs:
    """A new silent HiGHS instance, presolve off, feasibility tolerances ``tol``, one thread.

    HiGHS prints a banner on stdout when an instance is constructed, before any option
    can silence it; stdout is redirected for the construction.

    ``threads = 1``: the dual simplex HiGHS runs here is serial, and its default thread
    count (half the cores) only starts a task scheduler with worker threads at the first
    solve. One thread starts none: a re-solve's fixed cost falls (a re-solve with nothing
    changed, on a month's book of 474 columns: 49 against 128 microseconds), and the
    calibration's forked workers inherit no scheduler whose threads they lack. The pivots,
    hence every number, are the same.
    """
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships no annotation
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("primal_feasibility_tolerance", tol)
    h.setOptionValue("dual_feasibility_tolerance", tol)
    return h


class HighsOptionError(ValueError):
    """A HiGHS option that does not exist or does not take the value given."""


def set_options(h: highspy.Highs, options: Mapping[str, bool | int | float | str]) -> None:
    """Set HiGHS ``options`` (names and values as in HiGHS's option list) on ``h``.

    Raises
    ------
    HighsOptionError
        Naming the first option HiGHS refuses, with its value.
    """
    for name, value in options.items():
        if h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise HighsOptionError(
                f"HiGHS option {name!r} = {value!r} was refused: give the name of one of "
                "HiGHS's options (its documentation lists them) and a value of that option's "
                "type and range"
            )


def highs_bounds(upper: FloatArray) -> FloatArray:
    """Upper bounds with ``inf`` as HiGHS's infinity (``kHighsInf``, IEEE infinity in
    the builds we know of: then the bounds as they are)."""
    if _INF_IS_INF:
        return upper
    return np.where(np.isinf(upper), highspy.kHighsInf, upper)


def add_columns(
    h: highspy.Highs,
    cost: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    start: IntArray,
    index: IntArray,
    value: FloatArray,
) -> None:
    """Append CSC columns (as built by :func:`market.lp.columns`) to a HiGHS model."""
    upper = highs_bounds(upper)
    h.addCols(
        cost.size,
        cost,
        lower,
        upper,
        index.size,
        start[:-1].astype(np.int32),
        index.astype(np.int32),
        value,
    )


def load_book(h: highspy.Highs, book: OrderBook) -> None:
    """Replace ``h``'s model by the whole clearing LP of ``book`` (one row per node)."""
    load_columns(h, book.n_nodes, columns(book))


def load_columns(
    h: highspy.Highs,
    n_rows: int,
    cols: Columns,
) -> None:
    """Replace ``h``'s model by ``n_rows`` node balances and the CSC columns ``cols``.

    One ``passModel`` call: the model that rows then columns added to a cleared one
    would give, with no solver state (basis, factorization) left from the last one.
    """
    cost, lower, upper, start, index, value = cols
    rows = np.zeros(n_rows)
    h.passModel(
        cost.size,
        n_rows,
        index.size,
        _COLWISE,
        _MINIMIZE,
        0.0,
        cost,
        lower,
        highs_bounds(upper),
        rows,
        rows,
        start[:-1].astype(np.int32),
        index.astype(np.int32),
        value,
        np.zeros(cost.size, np.int32),  # every column continuous
    )


def _optimal(h: highspy.Highs) -> bool:
    """HiGHS reports an optimum and its solution has no primal or dual infeasibility left.

    After a re-solve from a kept basis HiGHS can report ``kOptimal`` with a column whose
    reduced cost is past its dual tolerance (its info's ``num_dual_infeasibilities``): a
    month of a random scenario left a profitable link idle at 8e-8 against a tolerance of
    1e-9, a clearing that was not an equilibrium.
    """
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return False
    # two values read, not the whole info record (a few times cheaper)
    return bool(
        h.getInfoValue("num_primal_infeasibilities")[1] == 0
        and h.getInfoValue("num_dual_infeasibilities")[1] == 0
    )


def run_optimal(h: highspy.Highs) -> None:
    """Run HiGHS; retry once from scratch, then raise :class:`SolverFailure`.

    A run counts when :func:`_optimal` holds, not on HiGHS's status alone.
    """
    h.run()
    if not _optimal(h):
        h.clearSolver()
        h.run()
    if not _optimal(h):
        status = h.modelStatusToString(h.getModelStatus())
        info = h.getInfo()
        raise SolverFailure(
            f"HiGHS stopped with status {status}, {info.num_primal_infeasibilities} primal "
            f"and {info.num_dual_infeasibilities} dual infeasibilities"
        )


def read_solution(h: highspy.Highs, book: OrderBook) -> LPSolution:
    """Fills, flows and node prices of ``h``'s optimum; the model is ``book``'s whole LP.

    HiGHS's row duals are d(cost)/d(row bound), the price at each node (see
    :mod:`market.lp`).
    """
    return solution_arrays(h, book)[0]


def solution_arrays(h: highspy.Highs, book: OrderBook) -> tuple[LPSolution, FloatArray]:
    """:func:`read_solution` and every column's value in model order."""
    sol = h.getSolution()
    x = floats(sol.col_value)
    price = floats(sol.row_dual)
    n_o, n_b = book.n_offers, book.n_bids
    iterations = int(h.getInfoValue("simplex_iteration_count")[1])
    return LPSolution(x[:n_o], x[n_o : n_o + n_b], x[n_o + n_b :], price, iterations), x
