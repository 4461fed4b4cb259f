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
from agents.state import FloatArray, Sites
from market.contracts import ContractTable, Settlement

__all__ = ["GoodsTurnover", "InvariantError", "check_invariants"]


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
