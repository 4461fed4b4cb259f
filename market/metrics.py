"""Market-structure and outcome metrics as pure numpy functions.

HHI and shares (2023 US Merger Guidelines, ``docs/calibration.md``
[reg-merger-2023]), the change in HHI a shift of sales causes, lock-in
(switching cost / annual spend), the round-trip ratio of a deal, weighted means.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "delta_hhi",
    "hhi",
    "lockin_index",
    "merger_guidelines_presumption",
    "round_trip_ratio",
    "shares",
    "weighted_mean",
]


def shares(quantity: ArrayLike) -> NDArray[np.float64]:
    """Each entry's share of the total (all zeros when the total is zero)."""
    q = np.asarray(quantity, dtype=np.float64)
    total = q.sum()
    return q / total if total > 0 else np.zeros_like(q)


def hhi(quantity: ArrayLike, fringe: ArrayLike | None = None) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale (shares in percent, squared).

    ``fringe`` marks entries that stand for many atomistic firms: they count in the
    total but add nothing to the sum of squares (as fragmented "rest of market").

    >>> hhi([28, 21, 15, 36], fringe=[False, False, False, True])
    1450.0
    """
    s = shares(quantity) * 100.0
    if fringe is not None:
        s = np.where(np.asarray(fringe, dtype=bool), 0.0, s)
    return float(np.sum(s * s))


def delta_hhi(
    quantity: ArrayLike, to: int, moved: ArrayLike, fringe: ArrayLike | None = None
) -> tuple[float, float, float]:
    """HHI before and after moving ``moved[i]`` of each firm's sales to firm ``to``.

    Returns ``(pre_hhi, post_hhi, post_share_of_to)``; the total is unchanged.
    """
    q = np.asarray(quantity, dtype=np.float64)
    m = np.minimum(np.asarray(moved, dtype=np.float64), q)
    post = q - m
    post[to] += m.sum()
    return hhi(q, fringe), hhi(post, fringe), float(shares(post)[to])


def merger_guidelines_presumption(
    post_hhi: float,
    delta: float,
    post_share: float,
    *,
    hhi_threshold: float = 1800.0,
    delta_threshold: float = 100.0,
    share_threshold: float = 0.30,
) -> bool:
    """True when the 2023 US Merger Guidelines presume a lessening of competition.

    Post-deal HHI above 1,800 with a change above 100, or a share above 30% with a
    change above 100 (``docs/calibration.md`` [reg-merger-2023]).
    """
    return bool(
        (post_hhi > hhi_threshold and delta > delta_threshold)
        or (post_share > share_threshold and delta > delta_threshold)
    )


def lockin_index(switching_cost: ArrayLike, annual_spend: ArrayLike) -> NDArray[np.float64]:
    """Switching cost divided by annual spend (0 where nothing is spent)."""
    c = np.asarray(switching_cost, dtype=np.float64)
    s = np.asarray(annual_spend, dtype=np.float64)
    out: NDArray[np.float64] = np.divide(c, s, out=np.zeros(np.broadcast(c, s).shape), where=s > 0)
    return out


def round_trip_ratio(revenue: ArrayLike, investment: ArrayLike) -> NDArray[np.float64]:
    """Cloud revenue from the lab so far divided by investment so far (nan before any)."""
    r = np.asarray(revenue, dtype=np.float64)
    i = np.asarray(investment, dtype=np.float64)
    out: NDArray[np.float64] = np.divide(
        r, i, out=np.full(np.broadcast(r, i).shape, np.nan), where=i > 0
    )
    return out


def weighted_mean(values: ArrayLike, weights: ArrayLike, default: float = float("nan")) -> float:
    """Mean of finite ``values`` weighted by ``weights`` (``default`` if no weight)."""
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(v) & (w > 0)
    total = w[ok].sum()
    return float((v[ok] * w[ok]).sum() / total) if total > 0 else default
