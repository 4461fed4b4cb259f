"""Hyperscalers: data-centre sites by region, a chip fleet, compute offered to labs.

A hyperscaler plans data-centre capex with a build lead time, requests a grid
connection for every new building, bids for chips and power to fill its powered
capacity, and offers compute (contracts first, then spot at cost plus a markup). Its
arrays are rows of the model's :class:`agents.state.Sites`, exposed as views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.firm import Firm
from agents.state import FloatArray, Sites
from agents.units import HOURS_PER_MONTH, MONTHS_PER_YEAR
from market.compiled import compiled, maximum, minimum

if TYPE_CHECKING:
    from agents.scenario import HyperscalerCfg

__all__ = [
    "MAX_EXPECTED_GROWTH",
    "Q_RANGE",
    "TARGET_UTILISATION",
    "Hyperscaler",
    "annuity",
    "capacity_scale",
    "chip_value",
    "datacentre_starts",
    "datacentre_starts_all",
    "expected_growth",
    "power_room",
    "starts_of_clouds",
]

TARGET_UTILISATION = 0.85
"""Planned utilisation of new capacity (est.: a reserve margin for demand surprises)."""

Q_RANGE = (0.25, 4.0)
"""Range of the profitability of new capacity (q) a capacity target responds to (est.:
beyond it one month's expected price would double or halve the target at a response of
0.5; ``docs/calibration.md`` [est-profit-response])."""


def chip_value(
    h100e: float,
    rent: float,
    running_cost: float,
    availability: float,
    life_months: int,
    annual_rate: float,
) -> float:
    """What a cloud can pay for one chip: the present value of its net rent over its life.

    ``h100e x 730 h x availability x (rent - running cost)`` a month, discounted over
    ``life_months`` at ``annual_rate / 12`` a month (an annuity); zero when the rent does
    not cover the running cost (power and building per H100e-hour).

    >>> round(chip_value(1.0, 2.3, 0.2, 0.9, 60, 0.0))  # 657 h x $2.1 x 60 months
    82782
    """
    factor = annuity(life_months, annual_rate)
    return max(0.0, h100e * HOURS_PER_MONTH * availability * (rent - running_cost) * factor)


def annuity(life_months: int, annual_rate: float) -> float:
    """Present value of 1 a month over ``life_months`` at ``annual_rate / 12`` a month.

    >>> annuity(60, 0.0), round(annuity(12, 0.12), 6)  # (1 - 1.01^-12) / 0.01
    (60.0, 11.255077)
    """
    r = annual_rate / MONTHS_PER_YEAR
    return float(life_months) if r == 0 else (1.0 - (1.0 + r) ** -life_months) / r


def capacity_scale(q: float, response: float) -> float:
    """Factor on a cloud's capacity target for the profitability of new capacity.

    ``clip(q, *Q_RANGE) ** response``, where ``q`` is Tobin's q of new capacity: the value
    of a new unit (:func:`chip_value`: its rent at the expected compute price, net of power
    and of the shell's depreciation, over its life) over its list price. Capacity sized for
    expected sales alone (the flexible accelerator) does not respond to profits; with a
    ``response`` above 0 a cloud plans more when new capacity earns more than it costs and
    less when it earns less, the q theory of investment (Tobin, "A general equilibrium
    approach to monetary theory", *Journal of Money, Credit and Banking* 1(1), 1969;
    Hayashi, "Tobin's marginal q and average q", *Econometrica* 50(1), 1982). A response of
    0 is the accelerator alone (the factor is exactly 1). ``docs/calibration.md``
    [est-profit-response].

    >>> capacity_scale(4.0, 0.5), capacity_scale(9.0, 0.5), capacity_scale(0.5, 1.0)
    (2.0, 2.0, 0.5)
    >>> capacity_scale(3.7, 0.0)
    1.0
    """
    lo, hi = Q_RANGE
    return float(min(max(q, lo), hi) ** response)


MAX_EXPECTED_GROWTH = 3.0
"""Most a cloud extrapolates a year (est.: 4x a year, above any reported year of AI sales)."""


def expected_growth(trend: float, observed: float, weight: float) -> float:
    """Growth a year a cloud plans capacity for: ``weight x observed + (1 - weight) x trend``.

    ``observed`` is the growth of AI compute sold over the trailing year, ``trend`` the
    demand trend's growth; clouds extrapolate what they see, but only in part (adaptive
    expectations of the flexible accelerator, Chenery 1952, Econometrica 20(1); Koyck
    1954), at least 0 and at most :data:`MAX_EXPECTED_GROWTH` (est. [est-build-foresight]).

    >>> expected_growth(0.5, 1.5, 0.5)
    1.0
    >>> expected_growth(0.5, 9.0, 1.0)
    3.0
    """
    g = weight * observed + (1.0 - weight) * trend
    # np.clip's rule on a scalar without its per-call cost: nan stays, bounds as floats
    g = g if g != g or g > 0.0 else 0.0
    return float(g if g != g or g < MAX_EXPECTED_GROWTH else MAX_EXPECTED_GROWTH)


def datacentre_starts(
    sold_mw: float,
    contracted_mw: float,
    growth: float,
    lead_months: int,
    pipeline_mw: float,
    cash: float,
    max_mw: float,
    adjust_months: float = 1.0,
    unserved_mw: float = 0.0,
) -> float:
    """IT MW of data centre to start this month.

    Target = the larger of sold MW plus the unserved demand it sees (``unserved_mw``: its
    share of the inference labs were throttled on, in MW) and contracted MW, grown at
    ``growth`` a year (:func:`expected_growth`) over the lead time, at
    :data:`TARGET_UTILISATION`, plus contracted MW not yet sold. Starts
    close the gap between target and built-plus-pipeline gradually: ``1 / adjust_months``
    of it a month (partial adjustment of the capital stock, as in the flexible-accelerator
    investment model; the model uses the build time), capped at ``max_mw`` a month
    (``docs/calibration.md`` [est-build-pace]); none while cash is not positive.

    >>> datacentre_starts(850.0, 0.0, 0.0, 24, 600.0, 1e9, 400.0, adjust_months=2)
    200.0
    >>> datacentre_starts(850.0, 0.0, 0.0, 24, 900.0, 1e9, 400.0)
    100.0
    >>> datacentre_starts(765.0, 0.0, 0.0, 24, 900.0, 1e9, 400.0, unserved_mw=85.0)
    100.0
    """
    out = datacentre_starts_all(
        np.array([sold_mw]),
        np.array([contracted_mw]),
        growth,
        lead_months,
        np.array([pipeline_mw]),
        np.array([cash]),
        max_mw,
        adjust_months,
        np.array([unserved_mw]),
    )
    return float(out[0])


def datacentre_starts_all(
    sold_mw: FloatArray,
    contracted_mw: FloatArray,
    growth: float,
    lead_months: int,
    pipeline_mw: FloatArray,
    cash: FloatArray,
    max_mw: float,
    adjust_months: float,
    unserved_mw: FloatArray,
    scale: float = 1.0,
) -> FloatArray:
    """(H,) :func:`datacentre_starts` of every cloud at once (arrays of its per-cloud inputs).

    ``pipeline_mw`` may carry leading axes (e.g. (2, H): two pipelines judged against
    one target); the result has its shape. ``scale`` multiplies the target for sales (not
    the capacity contracts call for): the profitability of new capacity
    (:func:`capacity_scale`), 1 for the accelerator alone.

    >>> datacentre_starts_all(np.array([850.0, 850.0]), np.zeros(2), 0.0, 24,
    ...     np.array([600.0, 900.0]), np.array([1e9, 0.0]), 400.0, 2, np.zeros(2)).tolist()
    [200.0, 0.0]
    """
    factor = (1.0 + growth) ** (lead_months / MONTHS_PER_YEAR)  # as numpy's expression had it
    pipes = np.asarray(pipeline_mw)
    n_h = pipes.shape[-1]

    def floats(x: FloatArray | float) -> FloatArray:  # a writable C-ordered float copy
        return np.array(np.broadcast_to(x, (n_h,)), dtype=np.float64)

    rows = np.array(pipes.reshape(-1, n_h), dtype=np.float64)
    sold, contracted, cash_h, unserved = (
        floats(x) for x in (sold_mw, contracted_mw, cash, unserved_mw)
    )
    out = np.empty(rows.shape)
    for k in range(rows.shape[0]):
        out[k] = starts_of_clouds(
            sold,
            contracted,
            factor,
            rows[k],
            cash_h,
            float(max_mw),
            float(adjust_months),
            unserved,
            float(scale),
        )
    result: FloatArray = out.reshape(pipes.shape)
    return result


@compiled
def starts_of_clouds(
    sold_mw: FloatArray,
    contracted_mw: FloatArray,
    factor: float,
    pipeline_mw: FloatArray,
    cash: FloatArray,
    max_mw: float,
    adjust_months: float,
    unserved_mw: FloatArray,
    scale: float,
) -> FloatArray:
    """(H,) :func:`datacentre_starts_all` of one pipeline, ``factor`` the growth over the
    lead time, ``(1 + growth) ** (lead_months / 12)`` (computed by the caller: numba's
    ``pow`` need not round as numpy's does). Cloud by cloud the numpy expressions
    ``target = np.maximum(sold + unserved, contracted) * factor / TARGET_UTILISATION``
    (times ``scale`` unless it is 1), ``+ np.maximum(0, contracted - sold)``, then
    ``np.where(cash <= 0, 0, np.minimum(np.maximum((target - pipeline) / adjust, 0), max))``.
    """
    out = np.empty(sold_mw.size)
    for h in range(sold_mw.size):
        seen = maximum(sold_mw[h] + unserved_mw[h], contracted_mw[h])
        target = seen * factor / TARGET_UTILISATION
        if scale != 1.0:  # x 1.0 would change nothing; what is contracted is built regardless
            target *= scale
        target += maximum(0.0, contracted_mw[h] - sold_mw[h])
        # np.minimum(np.maximum(...)): np.clip's bounds (but for the sign of a zero, which
        # a difference of finite MW never has)
        gap = minimum(maximum((target - pipeline_mw[h]) / adjust_months, 0.0), max_mw)
        out[h] = 0.0 if cash[h] <= 0 else gap
    return out


def power_room(power_due_mw: FloatArray, shells_mw: FloatArray, allowance: float) -> FloatArray:
    """IT MW of shells a cloud may start per region: the power it can expect by completion.

    ``(1 + allowance) x power_due_mw - shells_mw``, at least 0. ``power_due_mw`` is the MW
    connected now plus the connections due by the time a shell started this month is
    finished (its place in the queue); ``shells_mw`` the MW built or under construction.
    Developers sequence a shell after its power (a finished shell without power earns
    nothing while its ~$11M per MW is tied up, [dc-shell-cost]); ``allowance`` is the
    share of shells they accept ahead of their power, for slippage
    (``docs/calibration.md`` [est-power-pacing]).

    >>> power_room(np.array([100.0, 50.0]), np.array([90.0, 60.0]), 0.1).round(9).tolist()
    [20.0, 0.0]
    """
    out: FloatArray = np.maximum(0.0, (1.0 + allowance) * power_due_mw - shells_mw)
    return out


class Hyperscaler(Firm):
    """A cloud provider; array attributes are views of its row in the model's sites.

    Attributes
    ----------
    index : int
        Row of this hyperscaler in the model arrays.
    built, interconnected : ndarray, shape (n_regions,)
        Data-centre IT MW built, and MW with a grid connection, per region.
    fleet : ndarray, shape (n_regions, n_generations)
        Installed accelerators (units) per region and generation.
    """

    kind = "hyperscaler"

    def __init__(self, model: mesa.Model, index: int, cfg: HyperscalerCfg, sites: Sites) -> None:
        super().__init__(model)
        self.name = cfg.name
        self.index = index
        self.fringe = cfg.fringe
        self._sites = sites

    @property
    def built(self) -> FloatArray:
        """IT MW built per region."""
        out: FloatArray = self._sites.built[self.index]
        return out

    @property
    def interconnected(self) -> FloatArray:
        """IT MW with a grid connection per region."""
        out: FloatArray = self._sites.interconnected[self.index]
        return out

    @property
    def fleet(self) -> FloatArray:
        """Installed accelerators per (region, generation)."""
        out: FloatArray = self._sites.fleet[self.index]
        return out

    @property
    def powered(self) -> FloatArray:
        """IT MW both built and connected to the grid, per region."""
        out: FloatArray = np.minimum(self.built, self.interconnected)
        return out
