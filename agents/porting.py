"""A lab's choice to port its software to another chip family (lock-in's way out).

A lab that pays well above what another family's capacity costs can port its software to
that family: it pays ``lockin.porting_cost_usd`` and spends ``lockin.porting_months`` on
it, after which its affinity to the family is full (the plan phase,
:func:`agents.phases.plan.plan`). :func:`choose_ports` decides who starts this month.
"""

from __future__ import annotations

import numpy as np

from agents.scenario import LockinCfg
from agents.state import FloatArray, IntArray

__all__ = ["PAYBACK_MONTHS", "choose_port", "choose_ports"]

PAYBACK_MONTHS = 24
"""Horizon over which a port must pay for itself (est.)."""


def choose_port(
    paid: float,
    received: float,
    affinity: FloatArray,
    family_price: FloatArray,
    cash: float,
    lockin: LockinCfg,
) -> int:
    """The chip family a lab starts porting to this month, or -1.

    It ports to its cheapest low-affinity family when that family's price is below
    ``1 - lockin.porting_gap`` times what it pays now and the savings on its current
    volume over :data:`PAYBACK_MONTHS`, less the ``lockin.porting_months`` spent
    porting, exceed ``lockin.porting_cost_usd``, which it can pay from cash.

    >>> from agents.scenario import LockinCfg
    >>> choose_port(3.0, 1e8, np.array([1.0, 0.0, 0.0]), np.array([3.0, 1.5, 2.5]),
    ...     1e9, LockinCfg(porting_gap=0.35, porting_months=9, porting_cost_usd=3e8))
    1
    """
    out = choose_ports(
        np.array([paid]),
        np.array([received]),
        affinity[None, :],
        family_price,
        np.array([cash]),
        lockin,
    )
    return int(out[0])


def choose_ports(
    paid: FloatArray,
    received: FloatArray,
    affinity: FloatArray,
    family_price: FloatArray,
    cash: FloatArray,
    lockin: LockinCfg,
) -> IntArray:
    """(N,) :func:`choose_port` of N labs at once: rows of ``affinity`` (N, F), -1 for none.

    >>> from agents.scenario import LockinCfg
    >>> choose_ports(np.array([3.0, np.nan]), np.array([1e8, 1e8]),
    ...     np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), np.array([3.0, 1.5, 2.5]),
    ...     np.array([1e9, 1e9]), LockinCfg(porting_gap=0.35, porting_months=9,
    ...     porting_cost_usd=3e8)).tolist()
    [1, -1]
    """
    low = affinity < 0.999
    cand = np.where(low, family_price, np.inf)
    # the cheapest low-affinity family's price (inf where none is low): most months no lab
    # finds one cheap enough and nothing else need be computed
    best = np.minimum.reduce(cand, axis=1)
    cheaper = (best < (1.0 - lockin.porting_gap) * paid) & np.isfinite(paid)
    out: IntArray = np.full(paid.size, -1, dtype=np.int64)
    if not cheaper.any():
        return out
    # only rows that are cheaper enter the saving (no inf arithmetic on the others, whose
    # price paid may be inf: next to no compute received)
    gain = np.subtract(paid, best, out=np.zeros(paid.size), where=cheaper)
    saving = gain * received * max(0, PAYBACK_MONTHS - lockin.porting_months)
    port = cheaper & (saving > lockin.porting_cost_usd) & (cash > lockin.porting_cost_usd)
    out[port] = np.argmin(cand, axis=1)[port]
    return out
