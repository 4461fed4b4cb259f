"""Clearing kernel: every solver against ``scipy.optimize.linprog`` on the same books.

Three tables, measured side by side in one run (best of a few solves each):

1. General bipartite books (``S`` sellers x ``B`` buyers, random pairs linked, half the
   links uncapacitated, prices to the cent, quantities to 1e-3): 50 x 50 / 1k links,
   500 x 500 / 10k, 5000 x 5000 / 100k. Columns: one ``linprog(method="highs")`` call
   on the whole LP (the reference), then ``clear`` with ``"fast"`` (its flow by LEMON,
   the default), ``"fast"`` with the OR-Tools engine, ``"colgen"`` and ``"lp"``; each
   with its ratio ``linprog / method``; the fast solver's relative welfare gap to
   ``linprog`` and whether it passes ``equilibrium_violations``.
2. Books of the model's shape (few sellers, many buyers; 1k to 1M links; ``linprog``
   skipped at 1M, about three minutes), same columns, plus the peak resident memory.
3. Warm against cold over sequences: each month every price, cost and quantity moves
   by up to 1% (general books) or the months of a model run (the model's own books,
   about 200-360 links). ``cold`` clears each book with ``clear``; ``warm`` with one
   :class:`market.warm.Clearer`; both checked against each other month by month.

``--quick`` stops at 10k links and runs a shorter model sequence.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from benchmarks.options import parser
from market.clearing import ClearingResult, OrderBook, clear, equilibrium_violations
from market.lp import columns
from market.warm import Clearer

__all__ = ["general_book", "main", "model_shaped_book", "perturbed"]

# (sellers, buyers, links)
GENERAL = [(50, 50, 1_000), (500, 500, 10_000), (5_000, 5_000, 100_000)]
# (links, sellers, links per buyer)
SHAPED = [(1_000, 20, 20), (10_000, 40, 40), (100_000, 40, 40), (1_000_000, 64, 64)]
LINPROG_MAX_LINKS = 100_000
QUICK_MAX_LINKS = 10_000


def general_book(sellers: int, buyers: int, n_links: int, rng: np.random.Generator) -> OrderBook:
    """A random bipartite book: distinct seller-buyer pairs, two orders per node."""
    n = sellers + buyers
    o_node = np.repeat(np.arange(sellers), 2)
    b_node = np.repeat(np.arange(sellers, n), 2)
    pairs = rng.choice(sellers * buyers, n_links, replace=False)
    src, dst = pairs // buyers, sellers + pairs % buyers

    def cents(lo: float, hi: float, k: int) -> np.ndarray:
        return np.round(rng.uniform(lo, hi, k), 2)

    def milli(lo: float, hi: float, k: int) -> np.ndarray:
        return np.round(rng.uniform(lo, hi, k), 3)

    caps = np.where(rng.random(n_links) < 0.5, np.inf, milli(0.1, 5, n_links))
    return OrderBook(
        n, o_node, milli(1, 10, o_node.size) * buyers / sellers, cents(10, 60, o_node.size),
        b_node, milli(1, 10, b_node.size), cents(20, 100, b_node.size),
        src, dst, cents(0, 15, n_links), caps,
    )  # fmt: skip


def model_shaped_book(
    n_links: int, sellers: int, degree: int, rng: np.random.Generator
) -> OrderBook:
    """A random bipartite book of the model's shape: 8 offers per seller, 2 bids per
    buyer, every buyer linked to ``degree`` sellers, 10% of links capped."""
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


def perturbed(book: OrderBook, rng: np.random.Generator, spread: float = 0.01) -> OrderBook:
    """The same layout with every price, cost, quantity and capacity moved by up to
    ``spread`` (prices kept to the cent, quantities to 1e-3)."""

    def move(a: np.ndarray, digits: int) -> np.ndarray:
        return np.round(a * rng.uniform(1 - spread, 1 + spread, a.size), digits)

    o_node, o_qty, o_price = book.offers
    b_node, b_qty, b_price = book.bids
    src, dst, cost, cap = book.links
    return OrderBook(
        book.n_nodes, o_node, move(o_qty, 3), move(o_price, 2),
        b_node, move(b_qty, 3), move(b_price, 2),
        src, dst, move(cost, 2), np.where(np.isinf(cap), cap, move(cap, 3)),
    )  # fmt: skip


def solve_linprog(book: OrderBook) -> float:
    """Welfare from one ``scipy.optimize.linprog(method="highs")`` call on the LP."""
    cost, lower, upper, start, index, value = columns(book)
    a_eq = sp.csc_matrix((value, index, start), shape=(book.n_nodes, cost.size))
    res = linprog(
        cost, A_eq=a_eq, b_eq=np.zeros(book.n_nodes), bounds=np.column_stack([lower, upper])
    )
    return float(-res.fun)


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _solver_row(label: str, book: OrderBook, run_linprog: bool) -> str:
    repeat = 5 if book.n_links <= 10_000 else 1
    t_fast, _ = _best(lambda: clear(book), repeat)
    res = clear(book)
    ok = "ok" if not equilibrium_violations(book, res) else "VIOLATED"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t_ort, _ = _best(lambda: clear(book, tuning={"engine": "ortools"}), repeat)
    t_cg, _ = _best(lambda: clear(book, method="colgen"), repeat)
    times = [t_fast, t_ort, t_cg]
    if not run_linprog:
        cells = " ".join(f"{t:9.4f} {'':>6}" for t in times)
        return (
            f"{label:>22} {'skipped':>9} {cells} {'skipped':>9} {'':>6} {'':>8} {ok:>9} {peak:8.0f}"
        )
    t_ref, w_ref = _best(lambda: solve_linprog(book), repeat)
    t_lp, _ = _best(lambda: clear(book, method="lp"), repeat)
    gap = abs(res.welfare - float(w_ref)) / abs(float(w_ref))  # type: ignore[arg-type]
    cells = " ".join(f"{t:9.4f} {t_ref / t:6.1f}" for t in [*times, t_lp])
    return f"{label:>22} {t_ref:9.4f} {cells} {gap:8.1e} {ok:>9} {peak:8.0f}"


def _header() -> str:
    cells = " ".join(f"{m + ' s':>9} {'ratio':>6}" for m in ("fast", "ortools", "colgen", "lp"))
    return f"{'book':>22} {'linprog s':>9} {cells} {'gap':>8} {'equilib.':>9} {'peak MB':>8}"


def model_books(months: int, seed: int = 1) -> list[OrderBook]:
    """The monthly books of a baseline model run, as the run's Clearer receives them."""
    from agents.model import GigawattModel  # benchmarks sit above every layer
    from experiments import load_scenario

    books: list[OrderBook] = []
    solve = Clearer.clear

    def keep(self: Clearer, book: OrderBook) -> ClearingResult:
        books.append(book)
        return solve(self, book)

    Clearer.clear = keep  # type: ignore[method-assign]
    try:
        model = GigawattModel(load_scenario("baseline"), rng=seed, check=False)
        for _ in range(months):
            model.step()
    finally:
        Clearer.clear = solve  # type: ignore[method-assign]
    return books


def _sequence_row(label: str, books: list[OrderBook], repeat: int) -> str:
    def run_warm() -> list[ClearingResult]:
        clearer = Clearer()  # a fresh one each time: the run's first book is cold
        return [clearer.clear(b) for b in books]

    t_cold, _ = _best(lambda: [clear(b) for b in books], repeat)
    t_warm, _ = _best(run_warm, repeat)
    cold, warm = [clear(b) for b in books], run_warm()
    gap = max(
        abs(w.welfare - c.welfare) / max(1.0, abs(c.welfare))
        for w, c in zip(warm, cold, strict=True)
    )
    ok = all(not equilibrium_violations(b, w) for b, w in zip(books, warm, strict=True))
    warm_share = sum(w.method == "warm" for w in warm) / len(warm)
    iters_c = np.mean([c.rounds for c in cold[1:]])
    iters_w = np.mean([w.rounds for w in warm[1:]])
    n = len(books)
    return (
        f"{label:>30} {n:>6} {t_cold / n * 1e3:9.2f} {t_warm / n * 1e3:9.2f} "
        f"{t_cold / t_warm:6.1f} {warm_share:6.0%} {iters_c:8.0f} {iters_w:8.0f} {gap:9.1e} "
        f"{'ok' if ok else 'VIOLATED':>9}"
    )


def main(argv: list[str] | None = None) -> None:
    """Print the clearing tables (``--quick``: up to 10k links, a shorter model sequence)."""
    quick = parser("python -m benchmarks.bench_clearing", __doc__).parse_args(argv).quick
    rng = np.random.default_rng(2026)
    clear(model_shaped_book(1_000, 20, 20, rng))  # warm-up: imports, HiGHS, OR-Tools
    print(
        "General bipartite books (seconds; ratio = linprog time / method time; "
        "fast: LEMON engine, ortools: fast with the OR-Tools engine)"
    )
    print(_header())
    for sellers, buyers, n_links in GENERAL:
        if quick and n_links > QUICK_MAX_LINKS:
            break
        book = general_book(sellers, buyers, n_links, rng)
        print(_solver_row(f"{sellers}x{buyers} / {n_links:,}", book, True), flush=True)
    print("\nModel-shaped books (few sellers, many buyers)")
    print(_header())
    for n_links, sellers, degree in SHAPED:
        if quick and n_links > QUICK_MAX_LINKS:
            break
        book = model_shaped_book(n_links, sellers, degree, rng)
        label = f"{sellers} sellers / {n_links:,}"
        print(_solver_row(label, book, n_links <= LINPROG_MAX_LINKS), flush=True)
    print("\nWarm against cold over sequences (ms per book; ratio = cold / warm)")
    print(
        f"{'sequence':>30} {'books':>6} {'cold ms':>9} {'warm ms':>9} {'ratio':>6} "
        f"{'warm':>6} {'it cold':>8} {'it warm':>8} {'max gap':>9} {'equilib.':>9}"
    )
    months = 12 if quick else 36
    print(_sequence_row("model run, baseline", model_books(months), 3), flush=True)
    for sellers, buyers, n_links in GENERAL:
        if n_links > (QUICK_MAX_LINKS if quick else 100_000):
            break
        book = general_book(sellers, buyers, n_links, rng)
        seq = [book]
        for _ in range(5 if n_links >= 100_000 else 10):
            seq.append(perturbed(seq[-1], rng))
        label = f"general {n_links:,}, +-1%"
        print(_sequence_row(label, seq, 1 if n_links >= 100_000 else 3), flush=True)


if __name__ == "__main__":
    main()
