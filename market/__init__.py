"""Gigawatt's market layer: order books, the clearing kernel, the ledger.

Pure functions of numpy arrays (numpy, scipy, highspy, pylmcf, OR-Tools); nothing here
imports Mesa.
"""

from market.book import BookError, OrderBook
from market.clearing import ClearingResult, FallbackWarning, clear, equilibrium_violations
from market.ledger import OUTSIDE, Ledger, LedgerError
from market.warm import Clearer

__all__ = [
    "OUTSIDE",
    "BookError",
    "Clearer",
    "ClearingResult",
    "FallbackWarning",
    "Ledger",
    "LedgerError",
    "OrderBook",
    "clear",
    "equilibrium_violations",
]
