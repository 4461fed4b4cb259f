"""Gigawatt's market layer: order books, the clearing kernel, the ledger.

Pure functions of numpy arrays (numpy, scipy, highspy); nothing here imports Mesa.
"""

from market.book import BookError, OrderBook
from market.clearing import ClearingResult, FallbackWarning, clear, equilibrium_violations
from market.ledger import OUTSIDE, Ledger, LedgerError

__all__ = [
    "OUTSIDE",
    "BookError",
    "ClearingResult",
    "FallbackWarning",
    "Ledger",
    "LedgerError",
    "OrderBook",
    "clear",
    "equilibrium_violations",
]
