"""The arithmetic of an electric utility (:mod:`agents.utility`) in compiled calls.

A utility keeps its generation units as the columns of one buffer whose rows are
:data:`UNIT_ROWS`; the sums over the units online or being built are pairwise sums of a
slice of a row, as numpy adds them (:func:`market.compiled.add_reduce`), and a month's
entry decision, its new unit included, is one call (:func:`entry`), the same numbers as
the Python it replaces.
"""

from __future__ import annotations

from agents.state import FloatArray
from market.compiled import add_reduce, compiled

__all__ = [
    "AVAIL",
    "COST",
    "CREDIT",
    "ENERGY",
    "FIRM",
    "MW",
    "ONLINE",
    "UNIT_ROWS",
    "entry",
    "span_sums",
]


UNIT_ROWS = ("mw", "firm_mw", "energy_mw", "marginal_cost", "online", "availability", "credit")
"""Rows of :attr:`agents.utility.Utility.units`: MW, MW x capacity credit, MW x
availability, $/MWh, the month the unit comes online, availability and capacity credit.
The sums read rows ``MW:ENERGY + 1``, the offers rows ``ENERGY:ONLINE + 1``
(:attr:`agents.utility.Utility.offer_rows`)."""
MW, FIRM, ENERGY, COST, ONLINE, AVAIL, CREDIT = range(len(UNIT_ROWS))


@compiled
def span_sums(units: FloatArray, lo: int, hi: int) -> tuple[float, float, float]:
    """``np.add.reduce(units[:3, lo:hi], axis=1)``: rows MW, FIRM and ENERGY each summed
    pairwise over units ``lo:hi``."""
    return (
        add_reduce(units[MW, lo:hi]),
        add_reduce(units[FIRM, lo:hi]),
        add_reduce(units[ENERGY, lo:hi]),
    )


@compiled
def entry(
    units: FloatArray, consts: FloatArray, n: int, k: int, peak: float, online: float
) -> tuple[float, float]:
    """:meth:`agents.utility.Utility.plan` of a utility whose first ``k`` of ``n`` units
    are those online.

    The sums over units online (``0:k``) and being built (``k:n``) as :func:`span_sums`
    gives them; ``size``, :func:`agents.utility.entry_build_mw` with ``consts = (1 +``
    :func:`agents.utility.entry_margin` ``, power.build_share_per_year / 12,
    new_unit_availability, new_unit_marginal_cost)``
    (Python's ``max(0.0, min(short, most))``); a new unit of that size coming online in
    ``online`` written into column ``n`` (which the caller made room for) when it is
    positive. Returns ``(size, MW being built)``, the latter ``np.add.reduce`` over units
    ``k:`` with the new one.
    """
    short = consts[0] * peak - add_reduce(units[FIRM, :k]) - add_reduce(units[FIRM, k:n])
    most = consts[1] * add_reduce(units[MW, :k])
    size = most if most < short else short
    size = size if size > 0.0 else 0.0
    if size > 0.0:
        avail = consts[2]
        units[MW, n], units[FIRM, n], units[ENERGY, n] = size, size * 1.0, size * avail
        units[COST, n], units[ONLINE, n] = consts[3], online
        units[AVAIL, n], units[CREDIT, n] = avail, 1.0
        n += 1
    return size, add_reduce(units[MW, k:n])
