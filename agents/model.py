"""The Gigawatt model: builds the world of a scenario and runs the monthly phases.

:class:`GigawattModel` is a Mesa model. Its state is a typed :class:`agents.build.World`;
each month it calls the seven phase functions of :mod:`agents.phases` in order
(``exogenous``, ``plan``, ``deals``, ``orders``, ``clear``, ``settle``, ``record``),
passing each the parts of the state it reads and updates and keeping what each
returns for the next. Each phase is also a method, callable alone in that order;
calling one out of order raises :class:`PhaseOrderError`.

Our scenario is ``model.config`` (Mesa reserves ``model.scenario`` for its own).
"""

from __future__ import annotations

from collections.abc import Collection

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from agents.book_template import BookCache
from agents.build import World, build_world
from agents.graph import write_flows
from agents.invariants import InvariantError, check_clearing, check_finance, check_invariants
from agents.model_frame import model_frame
from agents.phases import PHASES
from agents.phases.clear import Cleared, clear_phase
from agents.phases.deals import DealBook, deals
from agents.phases.exogenous import exogenous
from agents.phases.orders import Orders, orders
from agents.phases.plan import MonthPlan, plan
from agents.phases.record import Recorder, edge_flows, record
from agents.phases.settle import Settled, settle_markets
from agents.phases.settle_labs import close_labs, update_history
from agents.scenario import Scenario, ScenarioError
from agents.scenario_fields import LAST_MONTH, past_calendar
from agents.state import FloatArray
from agents.tables import build_tables
from agents.units import month_date, months_between
from market.warm import Clearer

__all__ = ["PHASES", "GigawattModel", "InvariantError", "PhaseOrderError"]


class PhaseOrderError(RuntimeError):
    """A phase was called before the phases it needs ran this month."""


def _have[T](value: T | None, phase: str) -> T:
    if value is None:
        raise PhaseOrderError(
            f"nothing from the {phase} phase yet; run step() or the phases up to {phase}()"
        )
    return value


def _seed(rng: object, scenario: object) -> int | np.random.Generator | None:
    """``rng`` as Mesa takes it (a NumPy integer as an ``int``: Mesa's ``random.Random``
    refuses NumPy's), after checking it and ``scenario``.

    Raises
    ------
    ScenarioError
        If ``scenario`` is not a :class:`~agents.scenario.Scenario`, or ``rng`` is not a
        seed (a whole number >= 0), a Generator or None.
    """
    if not isinstance(scenario, Scenario):
        raise ScenarioError(
            f"scenario = {scenario!r}: give a Scenario, e.g. "
            "experiments.load_scenario('baseline') (run_scenario also takes a name)"
        )
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise ScenarioError(f"rng = {rng!r}: give a seed (whole number >= 0) or a Generator")
    if rng < 0:
        raise ScenarioError(f"rng = {rng}: a seed must be a whole number >= 0 (e.g. 7)")
    return int(rng)


class GigawattModel(mesa.Model):  # type: ignore[misc]  # Mesa ships no type hints
    """The AI compute economy of one scenario, stepped month by month.

    Parameters
    ----------
    scenario : Scenario
        The validated world and rules (see :mod:`agents.scenario`).
    rng : int or numpy.random.Generator, optional
        The run's single random generator (or its seed). ``rng=7`` and
        ``rng=np.random.default_rng(7)`` are different runs: given a Generator, Mesa's
        ``Model`` first draws from it the seed of its standard-library ``random`` (given
        an int, it seeds both with it), so the model's draws start one later.
    check : bool
        Check the invariants in every ``record`` phase (raise :class:`InvariantError`).

    Attributes
    ----------
    month : int
        Months completed so far (the month the next step simulates).
    last_month : int
        The last month a run from the scenario's start may simulate.
    world : World
        The state: technology, sites, nodes, prices, labs, books, contracts, graph, agents.
    fallbacks : int
        Months the fast solver failed and the LP oracle cleared the book.
    """

    _config: Scenario
    """The scenario, set once by the :attr:`config` setter."""

    def __init__(
        self,
        scenario: Scenario,
        rng: int | np.random.Generator | None = None,
        *,
        check: bool = True,
    ) -> None:
        super().__init__(rng=_seed(rng, scenario))
        self.config = scenario
        self.month = 0
        self.last_month = months_between(scenario.start, LAST_MONTH)
        """The last month a run from this start may simulate (the calendar ends in
        :data:`agents.scenario_fields.LAST_MONTH`)."""
        self.check = check
        self.fallbacks = 0
        self.clearer = Clearer(pattern=scenario.trade_pattern)
        """Keeps the clearing solver's model and basis from month to month (one per run)."""
        self.book_cache = BookCache()
        """Keeps the monthly book's fixed parts (one per run)."""
        self.world: World = build_world(self, scenario, self.rng)
        self.recorder = Recorder()
        self._phase = 0
        self._it_mw: FloatArray | None = None
        """The fleet's IT MW after this month's retirements (from exogenous, for plan)."""
        self._plan: MonthPlan | None = None
        self._orders: Orders | None = None
        self._cleared: Cleared | None = None
        self._settled: Settled | None = None

    # ------------------------------------------------------------ facts
    @property
    def config(self) -> Scenario:
        """The scenario the model was built from; it cannot be replaced (see the setter)."""
        return self._config

    @config.setter
    def config(self, scenario: Scenario) -> None:
        """Set once, as the model is built.

        Raises
        ------
        AttributeError
            On a built model: its agents and arrays were built from the scenario and its
            phases read it every month, so a new one would apply in part.
        """
        if "_config" in self.__dict__:
            raise AttributeError(
                "model.config: the scenario of a built model cannot be replaced (its agents "
                "and arrays were built from it and its phases read it every month, so another "
                "would apply in part); build GigawattModel(scenario, rng=...) and run it from "
                "the start, or compare scenarios with the same seeds (gigawatt compare)"
            )
        self._config = scenario

    @property
    def hhi_threshold(self) -> float:
        """The regulator's HHI review threshold in force (``regulation.hhi_threshold``)."""
        return self.config.regulation.hhi_threshold

    def date(self, month: int | None = None) -> str:
        """Calendar month ``"YYYY-MM"`` of model month ``month`` (default: the current one)."""
        return month_date(self.config.start, self.month if month is None else month)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The trade graph, with last month's flows written onto the trade edges."""
        w = self.world
        write_flows(w.graph, edge_flows(self.recorder, w.utilities, w.hyperscalers, w.vendors))
        return self.world.graph

    @property
    def month_plan(self) -> MonthPlan:
        """This month's plan (after the ``plan`` phase)."""
        return _have(self._plan, "plan")

    @property
    def month_orders(self) -> Orders:
        """This month's offers and bids (after the ``orders`` phase)."""
        return _have(self._orders, "orders")

    @property
    def cleared(self) -> Cleared:
        """This month's cleared book (after the ``clear`` phase)."""
        return _have(self._cleared, "clear")

    @property
    def settled(self) -> Settled:
        """This month's deliveries (after the ``settle`` phase)."""
        return _have(self._settled, "settle")

    # ------------------------------------------------------------ phases
    def _enter(self, name: str) -> None:
        want = PHASES[self._phase]
        if name != want:
            raise PhaseOrderError(
                f"{name}() called out of order: month {self.month} is at {want}(); "
                f"the phases run in the order {', '.join(PHASES)} (step() runs them all)"
            )
        self._phase = (self._phase + 1) % len(PHASES)

    def exogenous(self) -> None:
        """Demand, technology, policy and pipelines for the month.

        Raises
        ------
        ScenarioError
            If the month passes the calendar's last (:attr:`last_month`).
        """
        if self.month > self.last_month:
            why = past_calendar(self.config.start, self.month + 1)
            raise ScenarioError(f"invalid run: month {self.month} is {self.date()}: {why}")
        self._enter("exogenous")
        w = self.world
        w.accounts.set_step(self.month)
        self._it_mw = exogenous(
            self.month,
            self.config,
            self.rng,
            w.demand,
            w.tech,
            w.clouds,
            w.sites,
            w.nodes,
            w.market,
            w.utilities,
            w.vendors,
            w.accounts,
            w.egress,
            w.labs.home,
        )
        w.accounts.flush()

    def plan(self) -> None:
        """Agents' decisions: generation build, lab funding and porting, capex, chip targets."""
        self._enter("plan")
        w = self.world
        self._plan = plan(
            self.month,
            self.config,
            self.rng,
            w.demand,
            w.tech,
            w.clouds,
            w.sites,
            w.nodes,
            w.market,
            w.labs,
            w.contracts,
            w.utilities,
            w.hyperscalers,
            w.accounts,
            w.debt,
            w.history,
            self._it_mw,
        )
        self._it_mw = None
        w.accounts.flush()

    def deals(self) -> None:
        """Deal proposals, regulator review, tranches and new contracts."""
        self._enter("deals")
        w = self.world
        deals(
            self.month,
            self.config,
            w.deals,
            self.month_plan.funding_gap,
            DealBook(w.accounts, w.contracts, w.graph, w.labs),
            w.tech,
            w.clouds,
            w.history,
            w.market,
            w.hyperscalers,
            w.lab_names,
            w.regulators,
        )
        w.accounts.flush()

    def orders(self) -> None:
        """Every agent posts offers and bids."""
        self._enter("orders")
        w = self.world
        self._orders = orders(
            self.month,
            w.tech,
            w.nodes,
            w.market,
            w.labs,
            w.contracts,
            w.utilities,
            w.vendors,
            self.month_plan.chip_bid_price,
            self.config.chips.buyer_surplus,
        )

    def clear(self) -> None:
        """Contracts settle first, then one vectorized clearing of every spot market."""
        self._enter("clear")
        w = self.world
        self._cleared = clear_phase(
            self.month,
            self.config,
            self.month_orders,
            self.month_plan,
            w.labs,
            w.contracts,
            w.vendors,
            w.market.egress_fee,
            w.demand.services_price,
            self.clearer,
            self.book_cache,
        )
        self.fallbacks += int(self.cleared.fell_back)

    def settle(self) -> None:
        """Payments and deliveries, then the labs' month: revenue, capability, exits."""
        self._enter("settle")
        w = self.world
        self._settled = settle_markets(
            w.tech,
            w.clouds,
            self.month_orders,
            self.month_plan,
            self.cleared,
            w.sites,
            w.nodes,
            w.market,
            w.demand,
            w.labs,
            w.contracts,
            w.utilities,
            w.vendors,
            w.accounts,
        )
        close_labs(
            self.month,
            self.config,
            w.labs,
            self.settled,
            w.history,
            w.contracts,
            w.accounts,
            w.debt,
            self.rng,
            w.clouds.other_cash_flow,
        )
        vendor_gen = w.tech.h100e[np.array([v.generation for v in w.vendors])]
        update_history(w.history, self.month, self.settled, w.tech, vendor_gen)
        w.accounts.flush()

    def record(self) -> None:
        """Collect this month's rows, check the invariants, and close the month."""
        self._enter("record")
        w = self.world
        w.accounts.flush()
        record(
            self.month,
            self.config,
            self.recorder,
            w.tech,
            w.clouds,
            w.sites,
            w.nodes,
            w.market,
            w.demand,
            w.labs,
            w.history,
            w.contracts,
            self.cleared,
            self.settled,
            w.deals,
            w.accounts.usd.balances,
            w.utilities,
            w.hyperscalers,
            w.lab_agents,
            w.vendors,
            w.debt,
        )
        if self.check:
            self.check_invariants()
        self.month += 1

    def step(self) -> None:
        """Run the seven phases of one month."""
        for name in PHASES:
            getattr(self, name)()

    # ------------------------------------------------------------ checks and data
    def check_invariants(self) -> None:
        """Raise :class:`InvariantError` if an invariant is broken in the month just settled."""
        s = self.settled
        check_invariants(
            self.world.accounts,
            self.world.sites,
            self.world.contracts,
            s.settlement,
        )
        check_clearing(self.cleared.book, self.cleared.result, self.clearer.labels)
        check_finance(self.world.accounts, self.world.labs, self.world.debt)

    def model_frame(self) -> pd.DataFrame:
        """One row per month recorded so far (columns: :data:`agents.columns.MODEL_COLUMNS`)."""
        return model_frame(self.recorder)

    def tables(self, names: Collection[str] | None = None) -> dict[str, pd.DataFrame]:
        """Tidy tables: regions, agents, deals, contracts, labs, cashflows.

        ``names``: only these (keys of :data:`agents.columns.TABLE_COLUMNS`), in that
        order; default all. An unknown name raises :class:`agents.tables.TableError`.
        """
        w = self.world
        by_id = {f.unique_id: f for f in w.firms}
        return build_tables(
            self.recorder, w.contracts, w.accounts, w.labs, w.lab_names, by_id, names
        )
