"""Phase 2, ``plan``: agents' decisions for the month.

In order: utilities decide on new generation against the AI load they expect
(:func:`ai_load_forecast`); end demand is split among labs; labs
raise capital, set training targets and port software (:mod:`agents.lab`);
hyperscalers convert conventional data centres to AI where the scenario allows it
(:func:`agents.conversions.conversions`; none as shipped), then request grid
connections and start data centres (:func:`agents.hyperscaler.datacentre_starts`), shells
only against the power due by their completion (:func:`agents.hyperscaler.power_room`); each
hyperscaler sets how many chips of each family to bid for to fill the MW that will be
powered next month (:func:`chip_targets`); and both are scaled to its cash plus unused
credit less the building it has already started and not paid, chips first
(:func:`agents.finance.capex_budget`), so the book never buys what cannot be paid. A
start is paid in equal instalments over its build (:meth:`agents.state.Sites.commit_building`).
The arithmetic runs in a few compiled calls (:mod:`agents.phases.plan_kernels`; the starts
and chip bids, :mod:`agents.phases.starts_kernels`; the chips' values,
:mod:`agents.phases.chip_values`), the same numbers as the numpy expressions their
docstrings state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.contracting import contract_mix
from agents.conversions import conversions
from agents.finance import Debt, capex_budget
from agents.hyperscaler import Hyperscaler, capacity_scale, expected_growth
from agents.lab import (
    MIN_PLANNED_TRAINING_PRICE,
    LabArrays,
    LabKind,
    allocate_demand,
    services_demand,
    services_price,
)
from agents.phases.chip_values import (
    chip_terms,
    family_values,
    mean_power_price,
    new_capacity_q,
    running_cost,
    unit_value,
)
from agents.phases.plan_kernels import ai_load, lab_month, plan_reads
from agents.phases.starts_kernels import chip_mix, chip_want, plan_builds
from agents.porting import choose_ports
from agents.scenario import Scenario
from agents.state import (
    Clouds,
    DemandState,
    FloatArray,
    History,
    Market,
    Nodes,
    Sites,
    Tech,
)
from agents.training_bids import training_bids
from agents.units import HOURS_PER_MONTH, MONTHS_PER_YEAR, months_between
from agents.utility import Utility
from market.contracts import ContractTable

__all__ = [
    "CONTRACT_LOOKAHEAD_MONTHS",
    "MonthPlan",
    "ai_load_forecast",
    "chip_targets",
    "family_values",
    "mean_power_price",
    "new_capacity_q",
    "plan",
    "plan_labs",
    "running_cost",
    "sales_growth",
    "unit_value",
]

CONTRACT_LOOKAHEAD_MONTHS = 24
"""Capacity planning counts compute contracts in force this far ahead (est.)."""

DEFAULT_MWH_PER_H100E_HOUR = 1.3e-3
"""IT MWh per H100e-hour for a cloud with no capacity yet: about 780 H100 per MW of IT load
(``docs/calibration.md`` [dc-density]) is 1 MW / 780 = 1.28 kW of IT load per H100, its
server's share included ([est-server-overhead]), rounded to 1.3 kW."""

_NO_CONVERSIONS = np.zeros(0)
"""The conversions' cost per cloud in a month without conversions (not read)."""

_NO_HOURS = np.zeros((MONTHS_PER_YEAR, 0))
"""The hours sold by month without a history (not read)."""


@dataclass(frozen=True)
class MonthPlan:
    """What the plan phase decided for the orders, deals and settle phases."""

    chip_want: FloatArray
    """(H, F) chip units each cloud bids for."""
    chip_bid_price: FloatArray
    """(H, F) the most it pays per unit."""
    free_mw: FloatArray
    """(H, R) powered MW next month not yet holding chips (new chips go there)."""
    funding_gap: dict[int, float]
    """Major labs turned down by the investor pool: lab row -> amount sought."""


def chip_targets(
    month: int,
    cfg: Scenario,
    tech: Tech,
    clouds: Clouds,
    sites: Sites,
    market: Market,
    contract_share: FloatArray,
    contracted_mw: FloatArray,
    it_mw: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Chips each hyperscaler bids for, per family, to fill next month's free powered MW.

    The family mix is the cloud's target mix, raised toward the families its compute
    contracts name (by the contracted share of its built MW); units are free MW over the
    newest generation's IT watts; the bid is the chip's value to the cloud
    (:func:`agents.hyperscaler.chip_value`: its net rent at the expected compute price
    over its life, discounted at ``chips.discount_rate``). ``contract_share`` (H, F) is
    each family's share of the cloud's compute contracts
    (:func:`agents.contracting.contract_mix`), ``contracted_mw`` their MW; ``it_mw`` the
    fleet's IT MW (:meth:`agents.state.Sites.it_mw`) when the caller has it already.
    Returns ``(want, price, free_mw)``.
    """
    if it_mw is None:
        it_mw = sites.it_mw(tech)
    free, total_free, mix, bought = chip_mix(
        sites.built,
        sites.interconnected,
        sites.pipeline_built,
        sites.pipeline_power,
        month,
        it_mw,
        clouds.can_buy,
        clouds.family_mix,
        contract_share,
        contracted_mw,
    )
    watts, value = family_values(month, cfg, tech, market, bought)
    want, price = chip_want(total_free, mix, watts, value)
    return want, price, free


_MAX_SALES_RATIO = 1e250
"""Largest ratio of a month's sales to those 11 months before that :func:`sales_growth`
raises to the 12/11th power (1e273, finite; a larger ratio overflowed)."""


def sales_growth(history: History | None, month: int, fallback: float) -> float:
    """Growth a year of AI compute sold, from the trailing 12-month window of hours.

    ``(last month / the month 11 months before)^(12 / 11) - 1`` over all clouds;
    ``fallback`` before a full window (or with no history).

    >>> h = History.empty(1, 1, 1)
    >>> h.hs_hours[:, 0] = 100.0
    >>> h.hs_hours[11, 0] = 200.0  # month 11 sold twice month 0
    >>> round(sales_growth(h, 12, 0.5), 4)  # 2^(12/11) - 1
    1.1301
    """
    if history is None or month < MONTHS_PER_YEAR:
        return fallback
    new = float(np.add.reduce(history.hs_hours[(month - 1) % MONTHS_PER_YEAR]))
    old = float(np.add.reduce(history.hs_hours[month % MONTHS_PER_YEAR]))
    return _growth_of(new, old, fallback)


def _growth_of(new: float, old: float, fallback: float) -> float:
    """:func:`sales_growth` of ``new`` hours sold over ``old``, 11 months before."""
    if old <= 0 or new <= 0:
        return fallback
    # a window that starts from next to nothing (1e-300 hours) grows past any float: the
    # ratio is capped where its power stays finite, far above what any plan extrapolates
    # (MAX_EXPECTED_GROWTH), so the plan is the one an infinite growth would give
    return float(min(new / old, _MAX_SALES_RATIO) ** (MONTHS_PER_YEAR / 11.0) - 1.0)


def ai_load_forecast(sites: Sites, month: int, lead: int, new_pue: float) -> FloatArray:
    """(R,) AI data-centre load (facility MW) expected ``lead`` months ahead.

    What a utility's large-load forecast sees: the MW connected now at their fleet PUE,
    assumed filled, plus the MW due to connect within the lead time at the new-build
    PUE (est.; utilities plan on requested connections).
    """
    sites.reach(month + lead + 1)
    return ai_load(
        sites.pipeline_power,
        sites.built,
        sites.interconnected,
        sites.pue,
        month + 1,
        month + lead + 1,
        float(new_pue),
    )


def plan_labs(
    month: int,
    cfg: Scenario,
    rng: np.random.Generator,
    labs: LabArrays,
    market: Market,
    accounts: Accounts,
) -> dict[int, float]:
    """Funding, training targets and porting for every lab; returns the funding gaps.

    The scenario's dated rounds due this month (``rounds``) are booked first, so the month's
    decisions see them; a lab that has exited raises none. Dollars it posts after that
    (rounds raised, porting costs) are queued, not booked: the caller flushes the accounts
    before it reads balances.
    """
    a = labs
    # the scenario's dated rounds (if any), before any decision reads cash
    due = a.round_month == month if a.round_month.size else None
    if due is not None and np.count_nonzero(due):
        due &= a.active[a.round_row]  # a lab that has exited raises nothing
        rows, usd = a.round_row[due], a.round_usd[due]
        accounts.pay(OUTSIDE, a.account[rows], usd, "vc_round")
        np.add.at(a.raised_total, rows, usd)
        accounts.flush()
    cash = accounts.cash(a.account)
    cap, lk = cfg.capital, cfg.lockin
    # who raises a round (plan_funding), the training targets (training_need) and, as ports
    # done this month end, whether any lab weighs a new one, in one call: a lab ports only
    # to a family cheaper than (1 - gap) x what it pays (spend over compute received, where
    # it received any); most months none is cheaper than that even at the cheapest
    # family's price, and nothing more is read
    granted, raised, still_short, any_granted, any_short, weigh = lab_month(
        cash,
        a.burn,
        a.revenue,
        a.active,
        a.kind,
        int(LabKind.MAJOR),
        int(LabKind.ENTERPRISE),
        rng.random(a.n),
        float(cap.runway_months),
        float(cap.vc_success_prob),
        float(cap.min_revenue_for_vc),
        float(cap.round_months),
        float(cfg.demand.reinvest_months),
        float(market.expected_compute_price),
        MIN_PLANNED_TRAINING_PRICE,
        a.training_bid,
        a.training_ratio,
        a.inference_need,
        a.training_need,
        month,
        a.porting_done,
        a.porting_to,
        a.affinity,
        market.family_price,
        a.spend,
        a.received,
        1.0 - lk.porting_gap,
    )
    if any_granted:
        accounts.pay(OUTSIDE, a.account[granted], raised[granted], "vc_round")
        a.raised_total[granted] += raised[granted]
    gap = (
        {
            int(i): float(cap.round_months * a.burn[i])
            for i in (still_short & a.major).nonzero()[0].tolist()
        }
        if any_short
        else {}
    )
    if not weigh:
        return gap
    candidates = (a.major & a.active & (a.porting_to < 0)).nonzero()[0]
    accounts.flush()  # the rounds raised above count in the cash it ports with
    with np.errstate(over="ignore"):  # next to no compute received: inf, and no port weighed
        paid = np.divide(a.spend, a.received, out=np.full(a.n, np.nan), where=a.received > 0)
    port = choose_ports(
        paid[candidates],
        a.received[candidates],
        a.affinity[candidates],
        market.family_price,
        accounts.usd.balances[a.account[candidates]],
        lk,
    )
    for i, f in zip(candidates.tolist(), port.tolist(), strict=True):
        if f >= 0:
            accounts.pay(a.account[i], OUTSIDE, lk.porting_cost_usd, "porting")
            a.porting_paid[i] = lk.porting_cost_usd
            a.porting_to[i] = f
            a.porting_done[i] = month + lk.porting_months
    return gap


def plan(
    month: int,
    cfg: Scenario,
    rng: np.random.Generator,
    demand: DemandState,
    tech: Tech,
    clouds: Clouds,
    sites: Sites,
    nodes: Nodes,
    market: Market,
    labs: LabArrays,
    contracts: ContractTable,
    utilities: Sequence[Utility],
    hyperscalers: Sequence[Hyperscaler],
    accounts: Accounts,
    debt: Debt,
    history: History | None = None,
    it_mw: FloatArray | None = None,
) -> MonthPlan:
    """Every agent's decisions for ``month`` (see the module docstring).

    ``it_mw`` is the fleet's IT MW as the ``exogenous`` phase left it (what it returns),
    when the caller has it.
    """
    dc, pw = cfg.datacentres, cfg.power
    avail = dc.availability
    grid_lead = max(pw.generation_build_months, pw.interconnection_months)
    lead = max(dc.build_months, pw.interconnection_months)
    # the pipelines long enough for every start (not replaced before the starts below)
    sites.reach(month + grid_lead + 1)
    sites.reach(month + max(lead, dc.conversion_months))
    contracted, contract_share = contract_mix(
        contracts, month + CONTRACT_LOOKAHEAD_MONTHS, len(hyperscalers)
    )
    # what the month's decisions read of last month, in one call: the AI load utilities
    # forecast (ai_load_forecast), and each cloud's IT MW sold and contracted, the inference
    # labs were throttled on (unserved_hours: needs are replaced below) in MW, shared by
    # each cloud's share of sales, and its building started and not yet paid (fleet_rates:
    # H100e-hours a month -> IT MW: x (MWh per H100e-h / PUE) / (730 h x availability)),
    # the hours sold last month and 11 months before (sales_growth), and the newest
    # generation of every family, valued once (pure: that of a family no cloud buys is not
    # read; nothing below changes the prices it reads before they are read), and the labs'
    # frontier capability and the exponent of their demand logit (allocate_demand)
    hs_hours = _NO_HOURS if history is None else history.hs_hours
    terms = chip_terms(tech, cfg)
    d = cfg.demand
    ai_forecast, rates, sold_new, sold_old, values, capacity_q, logits, frontier = plan_reads(
        labs.inference_need,
        labs.served,
        labs.active,
        sites.pipeline_power,
        sites.built,
        sites.interconnected,
        sites.pue,
        month + 1,
        month + grid_lead + 1,
        float(pw.pue),
        nodes.mwh,
        nodes.sold,
        nodes.capacity,
        HOURS_PER_MONTH * avail,
        DEFAULT_MWH_PER_H100E_HOUR / (HOURS_PER_MONTH * avail),
        contracted,
        sites.pipeline_capex,
        month,
        hs_hours,
        terms.releases,
        terms.newest,
        terms.it_watts,
        terms.power,
        terms.shell,
        terms.hours,
        terms.cost,
        terms.annuity,
        float(market.expected_compute_price),
        market.power_price,
        labs.capability,
        labs.kind,
        int(LabKind.MAJOR),
        float(d.capability_beta),
    )
    forecast = ai_forecast.tolist()
    for u in utilities:
        u.plan(month, pw, forecast[u.region])
    demand.services_price = services_price(market.expected_compute_price, d.services_markup)
    demand.quantity, demand.spending = services_demand(
        demand.usd,
        demand.services_price,
        demand.reference_price,
        d.price_elasticity,
        d.capability_demand,
        frontier - demand.frontier0,
    )
    allocate_demand(  # its exponent read above
        labs, demand.spending, demand.services_price, d, cfg.scale.demand_share, logits
    )
    ref = None if history is None else history.training_ref
    labs.training_bid[:] = training_bids(labs, ref, demand.services_price, d)
    gap = plan_labs(month, cfg, rng, labs, market, accounts)
    committed = rates[3]
    accounts.flush()
    budget = capex_budget(accounts.cash(accounts.hyperscaler), debt, cfg, committed)
    trend = demand.expected_growth
    full_year = history is not None and month >= MONTHS_PER_YEAR
    observed = _growth_of(sold_new, sold_old, trend) if full_year else trend
    growth = expected_growth(trend, observed, dc.growth_extrapolation)
    # each pipeline is judged against the need at the date what is started now is used: a
    # grid connection (a queue position) against the target at the full lead, the later of
    # its own date and that of a shell started now (the shells it will power), a shell
    # against the target at its completion, and only against the power due by then
    # (power_room); each counts what is due within its own lead (a campus dated years
    # ahead does not stand in for a start now) [est-power-pacing]
    # every cloud at once; each reads and writes only its own rows of the pipelines
    pipe_built, pipe_power = sites.pipeline_built, sites.pipeline_power
    reduce = np.add.reduce
    # the merchant GPU's value is Tobin's q, and the target responds to the profitability
    # of new capacity (1 when it has none)
    market.capacity_q = capacity_q
    response = dc.profit_response
    scale = capacity_scale(market.capacity_q, response) if response else 1.0
    # conversions of conventional halls first: they come in within months, with their
    # power, for the target at their completion; shells and connections then count them
    converting = dc.conversion_share_per_year > 0.0 and (
        dc.conversion_until is None or month < months_between(cfg.start, dc.conversion_until)
    )
    conversion_cost = _NO_CONVERSIONS
    if converting:
        conv_done = month + dc.conversion_months
        need = (rates[0], rates[1], growth, rates[2], scale)
        conv = conversions(month, cfg, sites, utilities, demand.region_weight, budget, need)
        pipe_built[:, :, conv_done] += conv
        pipe_power[:, :, conv_done] += conv
        conversion_cost = reduce(conv, axis=1) * dc.conversion_cost_per_mw
    if it_mw is None:
        it_mw = sites.it_mw(tech)
    # grid requests and shells; the chips to fill next month's free power; both cut to
    # the budget, chips first (they fill shells already built); the starts are paid as
    # they are built: this month's instalments on every shell under construction leave
    # now, the rest stays set aside (growth over each lead: Python's pow, as numpy's was)
    n_h, n_r, n_f = nodes.mwh.shape
    want, price = np.empty((n_h, n_f)), np.empty((n_h, n_f))
    free, f_dc = np.empty((n_h, n_r)), np.empty(n_h)
    plan_builds(
        sites.built,
        sites.interconnected,
        pipe_built,
        pipe_power,
        sites.pipeline_capex,
        month,
        lead,
        dc.build_months,
        pw.interconnection_months,
        rates,
        budget,
        (1.0 + growth) ** (lead / MONTHS_PER_YEAR),
        (1.0 + growth) ** (dc.build_months / MONTHS_PER_YEAR),
        float(scale),
        float(dc.max_build_mw_per_month),
        demand.region_weight,
        float(dc.unpowered_allowance),
        it_mw,
        clouds.can_buy,
        clouds.family_mix,
        contract_share,
        values[0],
        values[1],
        debt.dc_started,
        debt.capex_dc,
        debt.dc_committed,
        float(dc.cost_per_mw),
        converting,
        conversion_cost,
        want,
        price,
        free,
        f_dc,
    )
    if converting:
        cut = conv * (1.0 - f_dc)[:, None]
        pipe_built[:, :, conv_done] -= cut
        pipe_power[:, :, conv_done] -= cut
        conv -= cut
        sites.pipeline_converted[:, conv_done] += reduce(conv, axis=0)
        conv_h = reduce(conv, axis=1)
        sites.commit_building(conv_h, month, dc.conversion_months, dc.conversion_cost_per_mw)
        debt.dc_started += conv_h * dc.conversion_cost_per_mw
        # the month's instalments and what is committed, with the conversions'
        debt.capex_dc[:] = sites.pipeline_capex[:, month]
        np.subtract(committed + debt.dc_started, debt.capex_dc, out=debt.dc_committed)
    accounts.pay(accounts.hyperscaler, OUTSIDE, debt.capex_dc, "capex_datacentre")
    return MonthPlan(want, price, free, gap)
