"""Invariants checked every month: money and goods conserved, no negative stock,
contracts honoured or penalised, the month's clearing an equilibrium of its book.

Tolerances are relative to what is in play: a ledger balances to ``tolerance x``
turnover (:meth:`market.ledger.Ledger.check`); goods left in an agent's account may not
exceed ``1e-9 x`` the ledger's turnover so far (at least one unit).
"""

from __future__ import annotations

import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.finance import Debt
from agents.lab import LabArrays
from agents.state import FloatArray, IntArray, Sites
from market.book import OrderBook
from market.clearing import ClearingResult, equilibrium_violations
from market.contracts import ContractTable, Settlement

__all__ = ["InvariantError", "check_clearing", "check_finance", "check_invariants"]


class InvariantError(RuntimeError):
    """Money or goods not conserved, a negative stock, or a contract neither honoured nor penalised."""


def _allclose(a: FloatArray, b: FloatArray, rtol: float, atol: float) -> bool:
    """``np.allclose(a, b, rtol, atol)`` of 1-d arrays, decided in a few ufunc calls.

    Where every value is finite, ``np.allclose`` is ``|a - b| <= atol + rtol |b|``
    everywhere, that is ``max(|a - b| - (atol + rtol |b|)) <= 0`` (the difference of two
    finite doubles has the sign of the exact one); a nan or an infinity makes that
    maximum nan or positive, and then ``np.allclose`` decides.

    >>> _allclose(np.array([1.0, np.inf]), np.array([1.0 + 1e-12, np.inf]), 1e-9, 0.0)
    True
    """
    with np.errstate(invalid="ignore"):  # inf - inf is nan: np.allclose decides
        excess = np.abs(a - b) - (atol + rtol * np.abs(b))
        if np.maximum.reduce(excess, initial=-np.inf) <= 0.0:
            return True
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def check_invariants(
    accounts: Accounts,
    sites: Sites,
    contracts: ContractTable,
    settlement: Settlement | None,
) -> None:
    """Raise :class:`InvariantError` if any invariant is broken this month."""
    for led in accounts.ledgers:
        try:
            led.check()
        except ValueError as exc:
            raise InvariantError(str(exc)) from exc
    if (sites.fleet < -1e-6).any():
        raise InvariantError("negative chip stock in a hyperscaler fleet")
    held = accounts.chips.balances[accounts.hyperscaler]
    if not _allclose(held, sites.fleet.sum(axis=(1, 2)), rtol=1e-6, atol=1e-3):
        raise InvariantError("chip ledger balances differ from the installed fleets")
    for led in (accounts.power, accounts.compute):
        # relative to every unit booked so far (generation and non-AI load included)
        inner = np.abs(led.balances)
        inner[OUTSIDE] = 0.0
        tol = 1e-9 * max(1.0, led.turnover)
        if (inner > tol).any():
            raise InvariantError(
                f"{led.asset} left in an agent's account: goods not conserved "
                f"(largest {inner.max():.6g}, tolerance {tol:.6g})"
            )
    s = settlement
    if s is not None and s.index.size:
        vol = contracts.volume[s.index]
        need = contracts.penalty_rate[s.index] * contracts.price[s.index] * (vol - s.delivered)
        if not _allclose(s.penalty, need, rtol=1e-9, atol=1e-6):
            raise InvariantError("a contract delivered short without its penalty booked")


def check_clearing(book: OrderBook, result: ClearingResult, label: IntArray | None = None) -> None:
    """Raise :class:`InvariantError` unless ``result`` is a competitive equilibrium of ``book``.

    Fills and flows within their bounds, every node balanced (nothing traded that was not
    offered) and complementary slackness at the node prices, each market at its own scale
    (:func:`market.clearing.equilibrium_violations`, whose tolerances are the solver's).
    The ledgers balance by construction of the postings, so this is where goods created
    or lost in the clearing itself would show. ``label``: the book's markets, if at hand
    (:attr:`market.warm.Clearer.labels`).
    """
    problems = equilibrium_violations(book, result, label=label)
    if problems:
        raise InvariantError(
            "the month's clearing is not an equilibrium of its book: " + "; ".join(problems)
        )


def check_finance(accounts: Accounts, labs: LabArrays, debt: Debt) -> None:
    """Raise :class:`InvariantError` unless every shortfall is debt and every exit settled.

    No firm ends a month with negative cash (a hyperscaler's or lab's shortfall is
    borrowed, and recorded as debt, at the month's end); no debt is negative; an exited
    lab holds zero cash and zero debt (its creditors' loss was booked as a write-off).
    The tolerance is ``1e-9 x`` the largest balance or the dollar turnover of this month or
    of the largest month before it, whichever is larger (rounding of the transfers: a
    balance brought to zero by transfers of billions is off by their rounding, however small
    the balances are; and a chip vendor, which borrows only to cover a shortfall, keeps what
    rounding an earlier month left it after the economy has shrunk).
    """
    bal = accounts.usd.balances
    tol = 1e-9 * max(
        1.0, float(np.abs(bal).max()), accounts.month_turnover, accounts.peak_month_turnover
    )
    firms = accounts.firms
    if (bal[firms] < -tol).any():
        worst = int(firms[np.argmin(bal[firms])])
        raise InvariantError(
            f"account {worst} holds negative cash {bal[worst]:.6g} not covered by recorded debt"
        )
    if (debt.hs < -tol).any() or (debt.lab < -tol).any() or (debt.vendor < -tol).any():
        raise InvariantError("negative debt: more repaid than was borrowed")
    gone = ~labs.active & (labs.exit_month >= 0)
    if gone.any() and (
        (np.abs(bal[labs.account[gone]]) > tol).any() or (debt.lab[gone] != 0).any()
    ):
        raise InvariantError("an exited lab holds cash or debt: its write-off was not booked")
