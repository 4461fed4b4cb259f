"""Invariants checked every month: money and goods conserved, no negative stock,
contracts honoured or penalised.

Tolerances are relative to what is in play: a ledger balances to ``tolerance x``
turnover (:meth:`market.ledger.Ledger.check`); goods left in an agent's account may not
exceed ``1e-9 x`` the goods that moved so far (at least one unit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.accounts import OUTSIDE, Accounts
from agents.finance import Debt
from agents.lab import LabArrays
from agents.state import FloatArray, Sites
from market.contracts import ContractTable, Settlement

__all__ = ["GoodsTurnover", "InvariantError", "check_finance", "check_invariants"]


class InvariantError(RuntimeError):
    """Money or goods not conserved, a negative stock, or a contract neither honoured nor penalised."""


@dataclass
class GoodsTurnover:
    """Power and compute moved so far (the scale of the goods tolerance)."""

    power_mwh: float = 0.0
    compute_h100e_hours: float = 0.0


def check_invariants(
    accounts: Accounts,
    sites: Sites,
    contracts: ContractTable,
    settlement: Settlement | None,
    turnover: GoodsTurnover,
    power_bought: FloatArray,
    compute_delivered: float,
) -> None:
    """Raise :class:`InvariantError` if any invariant is broken this month.

    ``turnover`` is updated with this month's ``power_bought`` and ``compute_delivered``.
    """
    for led in accounts.ledgers:
        try:
            led.check()
        except ValueError as exc:
            raise InvariantError(str(exc)) from exc
    if (sites.fleet < -1e-6).any():
        raise InvariantError("negative chip stock in a hyperscaler fleet")
    held = accounts.chips.balances[accounts.hyperscaler]
    if not np.allclose(held, sites.fleet.sum(axis=(1, 2)), rtol=1e-6, atol=1e-3):
        raise InvariantError("chip ledger balances differ from the installed fleets")
    turnover.power_mwh += float(power_bought.sum())
    turnover.compute_h100e_hours += compute_delivered
    scale = {"power_mwh": turnover.power_mwh, "compute_h100e_hours": turnover.compute_h100e_hours}
    for led in (accounts.power, accounts.compute):
        inner = np.delete(led.balances, OUTSIDE)
        if (np.abs(inner) > 1e-9 * max(1.0, scale[led.asset])).any():
            raise InvariantError(f"{led.asset} left in an agent's account: goods not conserved")
    s = settlement
    if s is not None and s.index.size:
        vol = contracts.volume[s.index]
        need = contracts.penalty_rate[s.index] * contracts.price[s.index] * (vol - s.delivered)
        if not np.allclose(s.penalty, need, rtol=1e-9, atol=1e-6):
            raise InvariantError("a contract delivered short without its penalty booked")


def check_finance(accounts: Accounts, labs: LabArrays, debt: Debt) -> None:
    """Raise :class:`InvariantError` unless every shortfall is debt and every exit settled.

    No firm ends a month with negative cash (a hyperscaler's or lab's shortfall is
    borrowed, and recorded as debt, at the month's end); no debt is negative; an exited
    lab holds zero cash and zero debt (its creditors' loss was booked as a write-off).
    The tolerance is ``1e-9 x`` the largest balance (rounding of the transfers).
    """
    bal = accounts.usd.balances
    tol = 1e-9 * max(1.0, float(np.abs(bal).max()))
    firms = np.concatenate([accounts.hyperscaler, accounts.lab, accounts.utility, accounts.vendor])
    if (bal[firms] < -tol).any():
        worst = int(firms[np.argmin(bal[firms])])
        raise InvariantError(
            f"account {worst} holds negative cash {bal[worst]:.6g} not covered by recorded debt"
        )
    if (debt.hs < -tol).any() or (debt.lab < -tol).any():
        raise InvariantError("negative debt: more repaid than was borrowed")
    gone = ~labs.active & (labs.exit_month >= 0)
    if (np.abs(bal[labs.account[gone]]) > tol).any() or (debt.lab[gone] != 0).any():
        raise InvariantError("an exited lab holds cash or debt: its write-off was not booked")
