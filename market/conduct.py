"""Market power in prices: the Lerner index a seller's share and conduct imply.

A firm that sets its output against a market demand of constant elasticity ``e``,
expecting its rivals' output to answer its own by a conjectural variation ``lambda``,
earns the Lerner index (margin of price over marginal cost)

    (p - c) / p = theta x s / e,    theta = 1 + lambda,

``s`` its share of the market's output (Cowling and Waterson, "Price-cost margins and
market structure", *Economica* 43(171), 1976). ``theta`` is the conduct parameter
of the empirical literature (Bresnahan, "Empirical studies of industries with market
power", *Handbook of Industrial Organization* II, 1989, ch. 17): 0 for price-taking
firms, 1 for Cournot competitors, ``1 / s`` for a member of a perfect cartel. Weighted by
shares, the market's mean margin is ``theta x HHI / e`` (Cowling and Waterson): this is
how the model turns concentration into prices. A fringe of small firms counts as
``firms`` equal firms, each with its share over that many (``inf``: atomistic
price-takers), as in :func:`market.metrics.hhi`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MAX_LERNER", "lerner_index"]

MAX_LERNER = 0.8
"""Largest Lerner index the rule sets: a price at most five times marginal cost. The
formula reaches 1, an unbounded price, as ``theta x s`` nears ``e``: a firm facing demand
that is (nearly) inelastic at its share, where no finite Cournot price exists; the cap
stands for the substitutes (own chips, other inputs) such demand would turn to."""


def lerner_index(
    output: ArrayLike, firms: ArrayLike, elasticity: float, conduct: float
) -> NDArray[np.float64]:
    """Each seller's Lerner index ``min(conduct x s / elasticity, MAX_LERNER)``.

    Parameters
    ----------
    output
        (n,) each seller's output (any unit); ``s`` is its share of their sum divided by
        ``firms``.
    firms
        (n,) how many equal firms each seller stands for (1, or ``inf`` for an atomistic
        fringe, whose index is then 0).
    elasticity
        Price elasticity of market demand, as a positive number; 0 (perfectly inelastic)
        gives every seller with output and conduct the cap.
    conduct
        Bresnahan's conduct parameter, 0 (price-taking) to 1 (Cournot).

    Returns
    -------
    numpy.ndarray
        (n,) Lerner indices in ``[0, MAX_LERNER]``; all zeros with no output or no conduct.

    Examples
    --------
    A Cournot duopoly with shares 0.4 and 0.1 and an atomistic fringe of 0.5, at
    elasticity 1.25:

    >>> lerner_index([40.0, 10.0, 50.0], [1.0, 1.0, np.inf], 1.25, 1.0)
    array([0.32, 0.08, 0.  ])
    """
    q = np.asarray(output, dtype=np.float64)
    n = np.asarray(firms, dtype=np.float64)
    total = q.sum()
    if total <= 0.0 or conduct <= 0.0:
        return np.zeros(q.shape)
    per_firm = q / total / n
    if elasticity <= 0.0:
        return np.where(per_firm > 0.0, MAX_LERNER, 0.0)
    out: NDArray[np.float64] = np.minimum(conduct * per_firm / elasticity, MAX_LERNER)
    return out
