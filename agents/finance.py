"""Money with limits: debt from outside lenders, interest, payouts, exits and write-offs.

Firms pay for capex (data-centre starts), chips and compute from cash first and borrow
the rest from outside lenders (the ``OUTSIDE`` account) at a yearly rate, up to a limit:

- a hyperscaler may owe up to ``finance.debt_multiple_hyperscaler`` x its annual operating
  cash flow (other businesses' cash flow plus AI compute sales less power, a trailing
  average); a lab up to ``finance.debt_multiple_lab`` x its annual revenue
  (``docs/calibration.md`` [est-debt-limit]);
- interest is ``debt x rate / 12`` a month, paid to ``OUTSIDE`` ("interest";
  [est-debt-rate]);
- a hyperscaler sizes its chip bids, then its data-centre starts, to its cash plus unused
  credit before they enter the book (:func:`capex_budget`, :func:`scale_to_budget`; chips
  first, since they fill shells already built), so the clearing never buys what it cannot
  pay (bids are budgeted at the bid price, the most a unit can cost); its running costs
  (power, interest, deal tranches) are always financed, beyond the limit if need be;
- at the month's end every negative balance is borrowed ("borrow") as far as the limit
  allows; a lab still short raises an equity round from the outside investor pool
  (:func:`agents.lab.plan_funding`) and, turned down, exits: its creditors' loss, debt
  plus overdraft, is booked from ``OUTSIDE`` ("write_off") and the debt repaid with it
  ("repay"), so an exited lab ends with zero cash and zero debt (:func:`write_off`);
- cash above a buffer first repays debt ("repay"); a hyperscaler pays the rest to its
  shareholders ("payout", [est-payout]). The buffer is ``finance.cash_buffer_months`` of
  monthly costs: a lab's fixed opex plus compute spend; a hyperscaler's trailing capex plus
  power, plus the building it has started and not yet paid, and never less than the cash
  it started with (its reported cash holdings, which it keeps while paying out its cash
  flow).

Enterprise buyers (scale mode) never exit; their shortfalls are always financed.

The month's end is :func:`agents.finance_month.settle_finance`, its arithmetic compiled
(:mod:`agents.finance_kernels`); the functions below are its rules one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.accounts import JOURNAL_EVERY_ROW
from agents.scenario import Scenario
from agents.state import BoolArray, FloatArray, IntArray
from agents.units import MONTHS_PER_YEAR

__all__ = [
    "TRAILING_WEIGHT",
    "Debt",
    "MonthWork",
    "borrow_amount",
    "capex_budget",
    "debt_limit",
    "interest_due",
    "repayment",
    "scale_to_budget",
    "surplus_use",
    "write_off",
]

TRAILING_WEIGHT = 1.0 / MONTHS_PER_YEAR
"""Weight of the month in the trailing averages of cash flow and costs (est.): a memory of
about a year (an exponential average of weight w has a mean age of (1 - w) / w = 11
months), the span of the annual operating cash flow lenders' limits are set on
(``docs/calibration.md`` [est-debt-limit]), so one month's swing moves them little."""


@dataclass(eq=False)
class MonthWork:
    """Work arrays of the month's end (:func:`agents.finance_month.close_financing`), made
    for a world's sizes and reused each month (a posting copies its amounts; none is kept
    past the month)."""

    sizes: tuple[int, int, int, int]
    """Hyperscalers, labs, utilities and vendors they were made for."""
    firms: IntArray
    """(H + L,) the hyperscalers' accounts, then the labs' (written each month), when the
    postings to both are merged (no longer than :data:`JOURNAL_EVERY_ROW`); else empty."""
    one_step: bool
    """Whether the postings to the hyperscalers and to the vendors journal every row (each
    no longer than :data:`JOURNAL_EVERY_ROW`): then, in a month when no lab is short, the
    borrowing and the surplus are one compiled call
    (:func:`agents.finance_kernels.borrow_then_repay`)."""
    cash_lab: FloatArray
    recovery: FloatArray
    borrowed_vendor: FloatArray
    repay: FloatArray
    """(H + L,) this month's repayment from surplus cash, hyperscalers first."""
    repay_vendor: FloatArray
    zeros: FloatArray
    """(L,) zeros, never written: the write-offs of a month without exits."""
    no_exit: BoolArray
    """(L,) False, never written: the exits of a month without any."""
    opex: FloatArray
    """(L,) the labs' opex of the month (:func:`agents.phases.settle_labs.close_labs`)."""
    gain: FloatArray
    """(L,) their training gain of the month (the same)."""

    @classmethod
    def make(cls, n_h: int, n_l: int, n_u: int, n_v: int) -> MonthWork:
        """Arrays for ``n_h`` hyperscalers, ``n_l`` labs, ``n_u`` utilities, ``n_v`` vendors."""
        e = np.empty
        return cls(
            (n_h, n_l, n_u, n_v),
            np.zeros(n_h + n_l if n_h + n_l <= JOURNAL_EVERY_ROW else 0, dtype=np.int64),
            n_h <= JOURNAL_EVERY_ROW and n_v <= JOURNAL_EVERY_ROW,
            e(n_l),
            e(n_u),
            e(n_v),
            e(n_h + n_l),
            e(n_v),
            np.zeros(n_l),
            np.zeros(n_l, dtype=bool),
            e(n_l),
            e(n_l),
        )


@dataclass
class Debt:
    """Debt per firm and the month's financing flows (typed state of the lenders' side).

    Attributes
    ----------
    hs, lab : ndarray
        (H,) and (L,) principal owed to outside lenders, USD.
    vendor : ndarray
        (V,) principal chip vendors owe, USD: a vendor borrows only to cover a month's
        shortfall (a supply contract's penalty beyond what it earned) and repays from the
        first cash it makes.
    hs_ocf : ndarray
        (H,) trailing monthly operating cash flow: other businesses plus AI compute sales
        less power, the energy it bought valued at the month's prices (its capacity charge
        and wheeling, about a fifth of its power bill in `baseline`, are not counted) (a
        running mean over the first year, then an exponential average of weight
        :data:`TRAILING_WEIGHT`); before the first month, the other businesses'.
    hs_costs : ndarray
        (H,) trailing monthly capex plus power cost (same average).
    capex_dc, capex_chips : ndarray
        (H,) this month's data-centre building paid (instalments on the shells under
        construction, :attr:`agents.state.Sites.pipeline_capex`) and chip purchases, USD.
    dc_started : ndarray
        (H,) the whole cost of the shells started this month, USD.
    dc_committed : ndarray
        (H,) building started and not yet paid after this month's instalment, USD: kept
        out of the capex budget and the payout (cash set aside for work under way).
    hs_reserve : ndarray
        (H,) cash a hyperscaler keeps whatever its costs (its starting cash): it pays out
        only above the larger of this and its buffer ([est-payout]).
    payout, interest, borrowed, repaid, written_off : ndarray
        (H + L,) this month's flows, hyperscalers first.
    """

    hs: FloatArray
    lab: FloatArray
    hs_ocf: FloatArray
    hs_costs: FloatArray
    hs_reserve: FloatArray
    months: int = 0
    """Months averaged so far (the averages are running means until a year is seen)."""
    vendor: FloatArray = field(default_factory=lambda: np.zeros(0))
    capex_dc: FloatArray = field(init=False)
    capex_chips: FloatArray = field(init=False)
    dc_started: FloatArray = field(init=False)
    dc_committed: FloatArray = field(init=False)
    payout: FloatArray = field(init=False)
    interest: FloatArray = field(init=False)
    borrowed: FloatArray = field(init=False)
    repaid: FloatArray = field(init=False)
    written_off: FloatArray = field(init=False)
    _work: MonthWork | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_h, n = self.hs.size, self.hs.size + self.lab.size
        self.capex_dc, self.capex_chips = np.zeros(n_h), np.zeros(n_h)
        self.dc_started, self.dc_committed = np.zeros(n_h), np.zeros(n_h)
        self.payout, self.interest = np.zeros(n), np.zeros(n)
        self.borrowed, self.repaid, self.written_off = np.zeros(n), np.zeros(n), np.zeros(n)

    @classmethod
    def start(
        cls,
        n_labs: int,
        other_cash_flow: FloatArray,
        reserve: FloatArray | None = None,
        n_vendors: int = 0,
    ) -> Debt:
        """No debt; operating cash flow starts at the other businesses' cash flow; the
        hyperscalers keep ``reserve`` (their starting cash; none if not given)."""
        ocf = np.asarray(other_cash_flow, dtype=float).copy()
        keep = np.zeros(ocf.size) if reserve is None else np.asarray(reserve, dtype=float).copy()
        z = np.zeros(ocf.size)
        return cls(z, np.zeros(n_labs), ocf, z.copy(), keep, vendor=np.zeros(n_vendors))

    def next_month(self) -> float:
        """Count a month averaged; return its weight in the trailing averages (a running
        mean over the first year, then :data:`TRAILING_WEIGHT`)."""
        self.months += 1
        return max(TRAILING_WEIGHT, 1.0 / self.months)

    def work(self, n_l: int, n_u: int, n_v: int) -> MonthWork:
        """Work arrays of the month's end for this debt's hyperscalers and ``n_l``
        labs, ``n_u`` utilities and ``n_v`` vendors (made again if the sizes change)."""
        w, sizes = self._work, (self.hs.size, n_l, n_u, n_v)
        if w is None or w.sizes != sizes:
            w = self._work = MonthWork.make(*sizes)
        return w

    def hs_limit(self, multiple: float) -> FloatArray:
        """(H,) hyperscalers' borrowing limits: ``multiple x 12 x`` trailing cash flow."""
        return debt_limit(multiple, MONTHS_PER_YEAR * self.hs_ocf)


def debt_limit(multiple: float, annual_base: FloatArray) -> FloatArray:
    """Most a lender lends: ``multiple x max(0, annual base)`` ([est-debt-limit]).

    >>> debt_limit(3.0, np.array([10.0, -5.0])).tolist()
    [30.0, 0.0]
    """
    out: FloatArray = multiple * np.maximum(0.0, annual_base)
    return out


def interest_due(debt: FloatArray, rate: float, out: FloatArray | None = None) -> FloatArray:
    """A month's interest on ``debt`` at yearly ``rate`` (simple, ``rate / 12``).

    Written into ``out`` when given (an array of ``debt``'s shape).

    >>> interest_due(np.array([120.0]), 0.05).tolist()
    [0.5]
    """
    due: FloatArray = np.multiply(debt, rate, out=out)
    return np.divide(due, MONTHS_PER_YEAR, out=due)


def borrow_amount(
    cash: FloatArray, debt: FloatArray, limit: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Borrowing that covers a negative balance, within what the limit leaves.

    Written into ``out`` when given (an array of ``cash``'s shape).

    >>> borrow_amount(np.array([-10.0, -10.0, 5.0]), np.array([0.0, 95.0, 0.0]),
    ...     np.array([100.0, 100.0, 100.0])).tolist()
    [10.0, 5.0, 0.0]
    """
    out = np.negative(cash, out=out)
    np.maximum(0.0, out, out=out)
    room = np.subtract(limit, debt)
    np.maximum(0.0, room, out=room)
    return np.minimum(out, room, out=out)


def surplus_use(
    cash: FloatArray, debt: FloatArray, buffer: FloatArray, pays_out: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Cash above ``buffer`` repays debt first; firms that ``pays_out`` pay out the rest.

    Returns ``(repay, payout)``.

    >>> r, p = surplus_use(np.array([50.0, 50.0]), np.array([10.0, 10.0]),
    ...     np.array([20.0, 20.0]), np.array([True, False]))
    >>> r.tolist(), p.tolist()
    ([10.0, 10.0], [20.0, 0.0])
    """
    spare = np.maximum(0.0, cash - buffer)
    repay = np.minimum(spare, debt)
    payout = np.where(pays_out, spare - repay, 0.0)
    return repay, payout


def repayment(cash: FloatArray, debt: FloatArray, buffer: FloatArray) -> FloatArray:
    """The ``repay`` of :func:`surplus_use`, written over ``buffer`` (one array, no payout).

    >>> repayment(np.array([50.0, 5.0]), np.array([10.0, 10.0]), np.array([20.0, 20.0])).tolist()
    [10.0, 0.0]
    """
    np.subtract(cash, buffer, out=buffer)
    np.maximum(0.0, buffer, out=buffer)
    return np.minimum(buffer, debt, out=buffer)


def write_off(cash: FloatArray, debt: FloatArray) -> FloatArray:
    """Creditors' loss when a firm exits: its debt plus any overdraft, less cash left.

    The amount is booked from ``OUTSIDE`` to the firm and the debt repaid from it, so
    the firm ends with zero cash and zero debt.

    >>> write_off(np.array([-3.0, 2.0]), np.array([10.0, 10.0])).tolist()
    [13.0, 8.0]
    """
    out: FloatArray = np.maximum(0.0, debt - cash)
    return out


def scale_to_budget(budget: float, first: float, second: float) -> tuple[float, float]:
    """Shares of two spending plans paid in order from ``budget`` (each in [0, 1]).

    ``first`` is paid before ``second`` (the planner passes chips, then data-centre starts).

    >>> scale_to_budget(100.0, 60.0, 80.0)
    (1.0, 0.5)
    >>> scale_to_budget(30.0, 60.0, 80.0)
    (0.5, 0.0)
    """
    b = max(0.0, budget)
    f1 = 1.0 if first <= b else b / first
    left = max(0.0, b - first * f1)
    f2 = 1.0 if second <= left else left / second
    return f1, f2


def capex_budget(
    cash: FloatArray, debt: Debt, cfg: Scenario, committed: FloatArray | float = 0.0
) -> FloatArray:
    """(H,) what each hyperscaler may commit to new capex and chips: cash plus unused
    credit, less ``committed`` (building already started and not yet paid; at least 0).

    A start is budgeted at its whole cost, though it is paid over its build: a firm
    commits to a project it can fund.
    """
    limit = debt.hs_limit(cfg.finance.debt_multiple_hyperscaler)
    out: FloatArray = np.maximum(0.0, cash) + np.maximum(0.0, limit - debt.hs) - committed
    return np.maximum(0.0, out, out=out)
