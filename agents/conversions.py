"""Conversions of conventional data centres to AI: the fast way to capacity.

A cloud short of capacity sooner than a new shell can be built (``datacentres.build_months``)
may convert halls of the conventional (non-AI) data centres of a region: they come with
their power and permits, in ``datacentres.conversion_months``, for
``datacentres.conversion_cost_per_mw``, and their load leaves the region's conventional
load when they are done. How many halls qualify a year is not reported: the clouds together
may convert ``datacentres.conversion_share_per_year`` of each region's conventional load a
year (0 in every shipped scenario; the calibration fits it). ``docs/calibration.md``
[dc-retrofit], [est-conversion]. The ``plan`` phase calls :func:`conversions` before it
starts shells, which then count what is converting.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.hyperscaler import datacentre_starts_all
from agents.scenario import Scenario
from agents.state import FloatArray, Sites
from agents.units import MONTHS_PER_YEAR
from agents.utility import Utility

__all__ = ["conversion_pool", "conversions", "share_pool"]


def conversion_pool(
    conventional_mw: FloatArray, converting_mw: FloatArray, share_per_year: float, pue: float
) -> FloatArray:
    """(R,) IT MW of conventional data centres the clouds together may start converting to
    AI this month, per region.

    ``share_per_year / 12`` of the conventional load (``conventional_mw``, facility MW, so
    over ``pue`` in IT MW) less what is already being converted (``converting_mw``, IT MW),
    at least 0. Halls with power and permits in place are converted in months rather than
    built in years, at about a fifth of a new shell's cost, but only those whose floors,
    cooling and owners allow it ([dc-retrofit]); how many a year is not reported, so the
    share is an estimate ([est-conversion]).

    >>> pool = conversion_pool(np.array([1250.0, 625.0]), np.array([0.0, 600.0]), 0.6, 1.25)
    >>> pool.round(9).tolist()
    [50.0, 0.0]
    """
    it_mw = conventional_mw / pue - converting_mw
    out: FloatArray = np.maximum(0.0, it_mw) * (share_per_year / MONTHS_PER_YEAR)
    return out


def share_pool(wanted_mw: FloatArray, pool_mw: FloatArray) -> FloatArray:
    """(H, R) conversions each cloud starts: what it wants (``wanted_mw``), scaled down in
    proportion to the wants in a region whose pool (``pool_mw``, (R,)) they exceed.

    >>> share_pool(np.array([[30.0, 5.0], [10.0, 0.0]]), np.array([20.0, 10.0])).tolist()
    [[15.0, 5.0], [5.0, 0.0]]
    """
    total = np.add.reduce(wanted_mw, axis=0)
    fill = np.divide(pool_mw, total, out=np.ones_like(pool_mw), where=total > pool_mw)
    out: FloatArray = wanted_mw * fill
    return out


def conversions(
    month: int,
    cfg: Scenario,
    sites: Sites,
    utilities: Sequence[Utility],
    region_weight: FloatArray,
    budget: FloatArray,
    need: tuple[FloatArray, FloatArray, float, FloatArray, float],
) -> FloatArray:
    """(H, R) IT MW of conventional halls each cloud starts converting to AI this month.

    Each cloud wants the gap between its capacity target at the conversions' completion
    (``datacentres.conversion_months`` ahead; :func:`agents.hyperscaler.datacentre_starts_all`
    on ``need``: sales, contracts, expected growth, unserved demand and the target's scale)
    and what it has built or due by then, closed over the conversion time and spread over
    the regions as its shells are; the clouds share each region's pool
    (:func:`conversion_pool`) in proportion to their wants
    (:func:`share_pool`). ``docs/calibration.md`` [est-conversion].
    """
    dc = cfg.datacentres
    sold_mw, contracted_mw, growth, unserved_mw, scale = need
    conv_done = month + dc.conversion_months
    near = slice(month + 1, conv_done + 1)
    reduce = np.add.reduce
    built_soon = reduce(sites.built, axis=1) + reduce(sites.pipeline_built[:, :, near], axis=(1, 2))
    wanted = datacentre_starts_all(
        sold_mw,
        contracted_mw,
        growth,
        dc.conversion_months,
        built_soon,
        budget,
        dc.max_build_mw_per_month,
        dc.conversion_months,
        unserved_mw,
        scale,
    )
    conventional = np.zeros(region_weight.size)
    for u in utilities:
        conventional[u.region] = u.conventional_dc_mw
    converting = reduce(sites.pipeline_converted[:, month + 1 :], axis=1)
    pool = conversion_pool(conventional, converting, dc.conversion_share_per_year, cfg.power.pue)
    return share_pool(wanted[:, None] * region_weight, pool)
