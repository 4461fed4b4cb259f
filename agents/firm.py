"""The base of every Mesa agent that holds money: an account in the model's ledgers."""

from __future__ import annotations

import math

import mesa

from agents.accounts import Accounts

__all__ = ["Firm"]


class Firm(mesa.Agent):  # type: ignore[misc]  # Mesa ships no type hints
    """A Mesa agent with a dollar account (its ``unique_id``) in the model's ledgers.

    The model hands the agents its :class:`agents.accounts.Accounts` once the ledgers are
    opened (:meth:`attach`); before that, ``cash`` is nan.
    """

    kind = "firm"
    name: str

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self._accounts: Accounts | None = None

    def attach(self, accounts: Accounts) -> None:
        """Read balances from ``accounts`` from now on."""
        self._accounts = accounts

    @property
    def cash(self) -> float:
        """Dollar balance of the agent's account (booked transfers only)."""
        if self._accounts is None:
            return math.nan
        return float(self._accounts.usd.balances[self.unique_id])
