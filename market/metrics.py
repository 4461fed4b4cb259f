"""Market-structure and outcome metrics as pure numpy functions.

HHI and shares (2023 US Merger Guidelines, ``docs/calibration.md``
[reg-merger-2023]), the change in HHI a shift of sales causes, lock-in
(switching cost / annual spend), the round-trip ratio of a deal, weighted means.

The ``*_rows`` forms take one row per month and give, row by row, exactly the numbers
(to the bit) of the one-row forms: numpy sums a row of a C-contiguous array along its
last axis as it sums that row alone, and where entries are left out the row form adds
zeros in their place, which changes no sum of fewer than 8 terms (numpy adds those one
by one; longer rows with entries left out are summed one by one here).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from market.compiled import add_reduce, compiled

__all__ = [
    "DELTA_HHI_THRESHOLD",
    "HHI_MAX",
    "HHI_THRESHOLD",
    "SHARE_THRESHOLD",
    "delta_hhi",
    "hhi",
    "hhi_rows",
    "lockin_index",
    "merger_guidelines_presumption",
    "round_trip_ratio",
    "shares",
    "weighted_mean",
    "weighted_mean_rows",
    "weighted_sums",
]

PAIRWISE_BLOCK = 8
"""numpy adds fewer terms than this one after another (longer ones pairwise)."""

HHI_MAX = 10_000
"""Largest HHI, a monopoly's: one share of 100%, squared."""

HHI_THRESHOLD = 1800.0
"""Post-deal HHI above which a market is highly concentrated (2023 US Merger Guidelines,
``docs/calibration.md`` [reg-merger-2023])."""

DELTA_HHI_THRESHOLD = 100.0
"""Rise in HHI above which a deal in a highly concentrated market, or giving a share above
:data:`SHARE_THRESHOLD`, is presumed to lessen competition (2023 US Merger Guidelines,
[reg-merger-2023])."""

SHARE_THRESHOLD = 0.30
"""Post-deal share above which a rise in HHI above :data:`DELTA_HHI_THRESHOLD` is presumed
to lessen competition (2023 US Merger Guidelines, [reg-merger-2023])."""


def shares(quantity: ArrayLike) -> NDArray[np.float64]:
    """Each entry's share of the total (all zeros when the total is zero)."""
    q = np.asarray(quantity, dtype=np.float64)
    total = q.sum()
    return q / total if total > 0 else np.zeros_like(q)


def hhi(quantity: ArrayLike, firms: ArrayLike | None = None) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale (shares in percent, squared).

    ``firms`` is how many equal firms each entry stands for (default 1 each): a group
    whose share is split evenly among ``n`` firms adds ``n x (s / n)^2 = s^2 / n``, and an
    entry of ``np.inf`` firms (an atomistic fringe, the fragmented "rest of market") counts
    in the total but adds nothing to the sum of squares (2023 US Merger Guidelines,
    [reg-merger-2023]: the index sums the squared shares of all firms in the market).

    >>> round(hhi([28, 21, 15, 36], firms=[1, 1, 1, np.inf]), 9)
    1450.0
    >>> round(hhi([28, 21, 15, 36], firms=[1, 1, 1, 3]), 9)  # 784 + 441 + 225 + 1296 / 3
    1882.0
    """
    s = shares(quantity) * 100.0
    sq = s * s
    if firms is not None:  # s^2 / 1 is s^2 exactly and s^2 / inf is 0: one firm, or none
        sq = sq / np.asarray(firms, dtype=np.float64)
    return float(np.sum(sq))


def hhi_rows(quantity: ArrayLike, firms: ArrayLike | None = None) -> NDArray[np.float64]:
    """:func:`hhi` of each row of a (T, n) array (the same numbers as row by row).

    >>> hhi_rows([[50, 25, 25], [0, 0, 0]], firms=[1, 1, np.inf]).tolist()
    [3125.0, 0.0]
    """
    q = np.asarray(quantity, dtype=np.float64)
    total = q.sum(axis=1, keepdims=True)
    s = np.divide(q, total, out=np.zeros_like(q), where=total > 0) * 100.0
    sq = s * s
    if firms is not None:
        sq = sq / np.asarray(firms, dtype=np.float64)
    out: NDArray[np.float64] = sq.sum(axis=1)
    return out


def delta_hhi(
    quantity: ArrayLike, to: int, moved: ArrayLike, firms: ArrayLike | None = None
) -> tuple[float, float, float]:
    """HHI before and after moving ``moved[i]`` of each firm's sales to firm ``to``.

    Returns ``(pre_hhi, post_hhi, post_share_of_to)``; the total is unchanged. ``firms``
    as in :func:`hhi`.
    """
    q = np.asarray(quantity, dtype=np.float64)
    m = np.minimum(np.asarray(moved, dtype=np.float64), q)
    post = q - m
    post[to] += m.sum()
    return hhi(q, firms), hhi(post, firms), float(shares(post)[to])


def merger_guidelines_presumption(
    post_hhi: float,
    delta: float,
    post_share: float,
    *,
    hhi_threshold: float = HHI_THRESHOLD,
    delta_threshold: float = DELTA_HHI_THRESHOLD,
    share_threshold: float = SHARE_THRESHOLD,
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
    """Switching cost divided by annual spend (0 where nothing is spent).

    Over next to no spend (1e-310 dollars) the ratio overflows to ``inf``, silently:
    :func:`weighted_mean` leaves such an entry out, as its weight is next to nothing.
    """
    c = np.asarray(switching_cost, dtype=np.float64)
    s = np.asarray(annual_spend, dtype=np.float64)
    shape = c.shape if c.shape == s.shape else np.broadcast(c, s).shape
    with np.errstate(over="ignore"):
        out: NDArray[np.float64] = np.divide(c, s, out=np.zeros(shape), where=s > 0)
    return out


def round_trip_ratio(revenue: ArrayLike, investment: ArrayLike) -> NDArray[np.float64]:
    """Cloud revenue from the lab so far divided by investment so far (nan before any).

    Over next to no investment (the least normal float, $2.2e-308) the ratio overflows to
    ``inf``, silently.
    """
    r = np.asarray(revenue, dtype=np.float64)
    i = np.asarray(investment, dtype=np.float64)
    with np.errstate(over="ignore"):
        out: NDArray[np.float64] = np.divide(
            r, i, out=np.full(np.broadcast(r, i).shape, np.nan), where=i > 0
        )
    return out


def weighted_mean(
    values: ArrayLike, weights: ArrayLike, default: float | Callable[[], float] = float("nan")
) -> float:
    """Mean of finite ``values`` weighted by ``weights`` (``default`` if no weight).

    ``default`` may be a function, called only when it is needed.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total, weighted = weighted_sums(v.ravel(), w.ravel())
    if total > 0:
        return weighted / total
    return default() if callable(default) else default


@compiled
def weighted_sums(v: NDArray[np.float64], w: NDArray[np.float64]) -> tuple[float, float]:
    """The sum of the weights ``w > 0`` at finite values ``v``, and of those values times
    their weights (numpy's pairwise sums, :func:`market.compiled.add_reduce`)."""
    ok = np.isfinite(v) & (w > 0)
    kept_w = w[ok]
    return add_reduce(kept_w), add_reduce(v[ok] * kept_w)


def weighted_mean_rows(
    values: ArrayLike,
    weights: ArrayLike,
    among: ArrayLike | None = None,
    default: float = float("nan"),
) -> NDArray[np.float64]:
    """:func:`weighted_mean` of each row of (T, n) arrays, over the entries ``among``
    (a (T, n) mask) of each row, the same numbers as row by row.

    >>> weighted_mean_rows([[1.0, 3.0], [2.0, np.nan]], [[1.0, 1.0], [0.0, 1.0]]).tolist()
    [2.0, nan]
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(v) & (w > 0)
    if among is not None:
        ok &= np.asarray(among, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        num = np.where(ok, v * w, 0.0).sum(axis=1)
    total = np.where(ok, w, 0.0).sum(axis=1)
    out = np.full(len(v), default)
    np.divide(num, total, out=out, where=total > 0)
    if v.shape[1] >= PAIRWISE_BLOCK:
        for t in np.flatnonzero(~ok.all(axis=1)):
            out[t] = weighted_mean(v[t][ok[t]], w[t][ok[t]], default)
    return out
