"""Clearing kernel: the fast solver against the HiGHS LP oracle on the same books.

Books have the model's shape (DESIGN.md: few seller nodes, many buyers): ``S`` seller
nodes with 8 offers each, buyer nodes with 2 bids each, every buyer linked to ``D``
sellers; 90% of links uncapacitated, the rest capped below a buyer's demand. Sizes
1k, 10k, 100k and 1M links; the LP is skipped at 1M (about three minutes). Each row
reports the fast time, the LP time, their ratio, the relative welfare gap, whether
the fast result passes :func:`market.clearing.equilibrium_violations`, and the
process's peak resident memory after the fast solve (sizes run in increasing order,
fast before LP, so the peak is the fast solver's at that size or an earlier one's).
``--quick`` stops at 10k links.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from market.clearing import OrderBook, clear, equilibrium_violations

__all__ = ["main", "model_shaped_book"]

# (links, sellers, links per buyer)
SIZES = [(1_000, 20, 20), (10_000, 40, 40), (100_000, 40, 40), (1_000_000, 64, 64)]
LP_MAX_LINKS = 100_000


def model_shaped_book(
    n_links: int, sellers: int, degree: int, rng: np.random.Generator
) -> OrderBook:
    """A random bipartite book of the model's shape (see the module docstring)."""
    buyers = n_links // degree
    n = sellers + buyers
    o_node = np.repeat(np.arange(sellers), 8)
    b_node = np.repeat(np.arange(sellers, n), 2)
    # Sellers' capacity roughly matches total demand, so prices are set inside the book.
    o_qty = rng.uniform(50, 150, o_node.size) * buyers / sellers / 10
    src = np.argsort(rng.random((buyers, sellers)), axis=1)[:, :degree].ravel()
    dst = np.repeat(np.arange(sellers, n), degree)
    capped = rng.random(src.size) < 0.1
    return OrderBook(
        n, o_node, o_qty, rng.uniform(10, 60, o_node.size),
        b_node, rng.uniform(1, 10, b_node.size), rng.uniform(20, 100, b_node.size),
        src, dst, rng.uniform(0, 15, src.size), np.where(capped, rng.uniform(0.5, 5, src.size), np.inf),
    )  # fmt: skip


def _timed(book: OrderBook, method: str, repeat: int) -> tuple[float, float]:
    best, welfare = np.inf, np.nan
    for _ in range(repeat):
        start = time.perf_counter()
        res = clear(book, method=method)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - start)
        welfare = res.welfare
    return best, welfare


def main() -> None:
    quick = "--quick" in sys.argv
    rng = np.random.default_rng(2026)
    clear(model_shaped_book(1_000, 20, 20, rng))  # warm-up: imports, HiGHS instance
    print(
        f"{'links':>9} {'fast s':>9} {'lp s':>9} {'lp/fast':>8} {'welfare gap':>12} "
        f"{'equilibrium':>12} {'peak MB':>8}"
    )
    for n_links, sellers, degree in SIZES:
        if quick and n_links > 10_000:
            break
        book = model_shaped_book(n_links, sellers, degree, rng)
        repeat = 5 if n_links <= 10_000 else 1
        t_fast, w_fast = _timed(book, "fast", repeat)
        ok = "ok" if not equilibrium_violations(book, clear(book)) else "VIOLATED"
        peak = f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.0f}"
        if n_links <= LP_MAX_LINKS:
            t_lp, w_lp = _timed(book, "lp", repeat)
            gap = f"{abs(w_fast - w_lp) / abs(w_lp):12.1e}"
            print(
                f"{n_links:>9,} {t_fast:9.4f} {t_lp:9.4f} {t_lp / t_fast:8.1f} {gap} {ok:>12} {peak}",
                flush=True,
            )
        else:
            print(
                f"{n_links:>9,} {t_fast:9.4f} {'skipped':>9} {'':>8} {'':>12} {ok:>12} {peak}",
                flush=True,
            )


if __name__ == "__main__":
    main()
