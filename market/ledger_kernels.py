"""The ledger's compiled loops: booking a batch of rows into the balances.

:class:`market.ledger.Ledger` moves balances row by row, payers first, in the order of
``np.subtract.at`` then ``np.add.at``, so every balance gets the same bits however the
rows are batched; these loops do it without numpy's per-call cost.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from market.compiled import add_reduce, compiled

__all__ = ["move", "post_rows"]


@compiled
def post_rows(
    balances: NDArray[np.float64],
    ids: NDArray[np.signedinteger[Any]],
    amount: NDArray[np.float64],
    m: int,
    kept_ids: NDArray[np.signedinteger[Any]],
    kept: NDArray[np.float64],
    copy: bool,
) -> float:
    """Book the first ``m`` rows of ``ids`` (payers, payees) and ``amount`` in one pass.

    If every id is an account ``0 <= id < balances.size`` and every amount is at least
    zero (not nan) with a finite sum: ``move`` of the rows, then, if ``copy``,
    ``kept_ids[:, :m] = ids[:, :m]`` and ``kept[:m] = amount[:m]``, and the sum is
    returned (``np.add.reduce(amount[:m])``'s bits: the turnover's increment). Else
    nothing is written and the result is -1.0.
    """
    n = balances.size
    ok = True
    for i in range(m):
        ok &= 0 <= ids[0, i] < n
        ok &= 0 <= ids[1, i] < n
        ok &= amount[i] >= 0.0  # false for nan
    total = add_reduce(amount[:m])
    if not (ok and total < np.inf):
        return -1.0
    for i in range(m):
        balances[ids[0, i]] -= amount[i]
    for i in range(m):
        balances[ids[1, i]] += amount[i]
    if copy:
        for i in range(m):
            kept_ids[0, i] = ids[0, i]
            kept_ids[1, i] = ids[1, i]
            kept[i] = amount[i]
    return total


@compiled
def move(
    balances: NDArray[np.float64],
    payer: NDArray[np.signedinteger[Any]],
    payee: NDArray[np.signedinteger[Any]],
    amount: NDArray[np.float64],
) -> None:
    """Payers' balances less their amounts, then payees' plus theirs, row by row (the
    order of ``np.subtract.at`` and ``np.add.at``)."""
    for i in range(amount.size):
        balances[payer[i]] -= amount[i]
    for i in range(amount.size):
        balances[payee[i]] += amount[i]
