"""Stress the warm clearing with the model's own books at extreme scales, against the oracle.

Not a test and not a timing: a search for books the solvers get wrong, as
``GIGAWATT_PROPERTY_SEED`` searches scenarios (``tests/agents/test_scenario_properties.py``).
The tests draw small books with quantities of at least 1e-3 and prices of at most 1000; a
model's markets are larger and their numbers further apart. Each trial here:

1. takes a month of a baseline run (:func:`benchmarks.bench_clearing.model_books`), or with
   ``--books general`` a random bipartite book (:func:`benchmarks.bench_clearing.general_book`:
   5-200 sellers and buyers, up to 3,000 links);
2. multiplies its quantities and capacities by ``10**u``, ``u`` uniform from -6 up to where
   the largest reaches :data:`QTY_CEILING`, and its prices and costs likewise up to
   :data:`PRICE_CEILING`; then multiplies 3% of its orders' quantities by ``10**u``, ``u``
   uniform in [-9, 4] (orders next to nothing, or dwarfing the rest);
3. clears :data:`MONTHS` months with one :class:`market.warm.Clearer` under a trade
   pattern drawn for the trial; each next month moves every price, cost and quantity by
   up to 10% (30% of them rounded to whole units: exact ties, as cent prices give),
   capacities by up to 20%, and with chance 0.3 drops or repeats one order or link (the
   warm start's carried-basis path);
4. checks every month against ``clear(book, method="lp", pattern=...)``, the oracle.

A month fails when
- ``not an equilibrium``: :func:`market.clearing.equilibrium_violations` finds the
  Clearer's or the oracle's result is not one;
- ``welfare``: the two welfares are further apart than
  :func:`market.clearing.welfare_tolerance`;
- ``fallback``: the Clearer warns :class:`market.clearing.FallbackWarning` (the
  proportional rule not applied);
- ``pattern``: under ``"proportional"``, the node prices agree to 1e-9 of the book's price
  scale but a fill or flow differs by more than 1e-6 of the book's largest quantity.

Counted but not failures: ``prices apart``, the two results' prices further apart than
1e-9 of the price scale (both equilibria: an order priced within the solvers' tolerance of
its market's price may trade or not, and the fills then differ by as much as it holds).
The book of every failing month is saved into ``--out``
as ``.npz`` (``n_nodes`` and :class:`market.book.OrderBook`'s arrays by field name, the
layout of the saved books in ``tests/market/data``) for a regression test.

Usage::

    python -m benchmarks.clearing_stress --seeds 1-20 --trials 40 [--books general]

About 12 s a seed of 40 trials. Seeds 1-70 (2,800 trials, 22,400 months) clear every month
with no failure and no ``prices apart``. Before the fixes this search found (December
2026), the same seeds gave 7 ``pattern`` months, the rule's floor chosen by whether DAQP
settled (:data:`market.trade_pattern.WEIGHT_FLOOR`); an earlier version of it found the
rule applied to unpooled orders by ``clear`` (:mod:`market.tied_orders`) and a clipped
point refused (:func:`market.trade_pattern.proportional_pattern`).
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.bench_clearing import general_book, model_books
from market.book import MAX_VALUE, OrderBook
from market.clearing import (
    ClearingResult,
    FallbackWarning,
    clear,
    equilibrium_violations,
    welfare_tolerance,
)
from market.warm import Clearer

__all__ = ["MONTHS", "PRICE_CEILING", "QTY_CEILING", "main", "next_month", "rescaled", "stress"]

MONTHS = 8
"""Months cleared in one trial."""
QTY_CEILING = MAX_VALUE / 1000
"""The largest quantity a rescaled book reaches (a book holds up to ``MAX_VALUE``)."""
PRICE_CEILING = 1e8
"""The largest price a rescaled book reaches."""

_ARRAYS = [f.name for f in dataclasses.fields(OrderBook) if f.name != "n_nodes"]
_QTYS = ("offer_qty", "bid_qty", "link_cap")
_PRICES = ("offer_price", "bid_price", "link_cost")


def _arrays(book: OrderBook) -> dict[str, np.ndarray]:
    return {k: np.array(getattr(book, k)) for k in _ARRAYS}


def _largest(a: dict[str, np.ndarray], keys: tuple[str, ...]) -> float:
    finite = [np.abs(a[k][np.isfinite(a[k])]) for k in keys]
    return max([1.0] + [float(x.max()) for x in finite if x.size])


def rescaled(book: OrderBook, rng: np.random.Generator) -> OrderBook:
    """``book`` in other units, with a few orders made tiny or huge (step 2 above)."""
    a = _arrays(book)
    q_top = np.log10(QTY_CEILING / _largest(a, _QTYS))
    p_top = np.log10(PRICE_CEILING / _largest(a, _PRICES))
    q, p = 10.0 ** rng.uniform(-6, q_top), 10.0 ** rng.uniform(-2, p_top)
    for k in _QTYS:
        a[k] = a[k] * q
    for k in _PRICES:
        a[k] = a[k] * p
    for k in ("offer_qty", "bid_qty"):
        odd = rng.random(a[k].size) < 0.03
        factor = 10.0 ** rng.uniform(-9, 4, a[k].size)
        a[k] = np.where(odd, np.minimum(a[k] * factor, QTY_CEILING), a[k])
    return OrderBook(book.n_nodes, **a)


def next_month(book: OrderBook, rng: np.random.Generator) -> OrderBook:
    """The next month of a trial (step 3 above)."""
    a = _arrays(book)
    for k in ("offer_price", "bid_price", "link_cost", "offer_qty", "bid_qty"):
        moved = np.minimum(a[k] * rng.uniform(0.9, 1.1, a[k].size), QTY_CEILING)
        a[k] = np.where(rng.random(a[k].size) < 0.3, np.round(moved), moved)
    cap = a["link_cap"]
    a["link_cap"] = np.where(
        np.isfinite(cap), np.minimum(cap * rng.uniform(0.8, 1.2, cap.size), QTY_CEILING), cap
    )
    if rng.random() < 0.3:
        side = ("offer", "bid", "link")[rng.integers(3)]
        keys = [k for k in _ARRAYS if k.startswith(side)]
        size = a[keys[0]].size
        if size > 1:
            i = int(rng.integers(size))
            repeat = rng.random() < 0.5
            for k in keys:
                a[k] = np.insert(a[k], i, a[k][i]) if repeat else np.delete(a[k], i)
    return OrderBook(book.n_nodes, **a)


def _failure(book: OrderBook, res: ClearingResult, ref: ClearingResult, pattern: str) -> str:
    """The first check (module docstring) ``res`` fails against the oracle's ``ref``, or
    ``"prices apart"``, or ``""``."""
    if equilibrium_violations(book, res) or equilibrium_violations(book, ref):
        return "not an equilibrium"
    if abs(res.welfare - ref.welfare) > welfare_tolerance(book, ref.welfare):
        return "welfare"
    price_gap = np.nanmax(np.abs(res.node_price - ref.node_price), initial=0.0)
    if price_gap > 1e-9 * book.price_scale():
        return "prices apart"
    if pattern == "proportional":
        scale = _largest(_arrays(book), ("offer_qty", "bid_qty"))
        gap = max(
            float(np.abs(getattr(res, k) - getattr(ref, k)).max(initial=0.0))
            for k in ("offer_fill", "bid_fill", "link_flow")
        )
        if gap > 1e-6 * scale:
            return "pattern"
    return ""


def _general(rng: np.random.Generator) -> OrderBook:
    """A random bipartite book of 5-200 sellers and buyers and up to 3,000 links."""
    sellers, buyers = int(rng.integers(5, 201)), int(rng.integers(5, 201))
    links = int(rng.integers(sellers + buyers, min(sellers * buyers, 3000) + 1))
    return general_book(sellers, buyers, links, rng)


def stress(seed: int, trials: int, out: Path | None = None, books: str = "model") -> Counter[str]:
    """Run ``trials`` trials of seed ``seed`` on ``books`` (``"model"`` or ``"general"``);
    the count of months by outcome (``"ok"`` or a failure's name), failing books saved into
    ``out`` if given."""
    months = model_books(120, seed=seed % 5 + 1) if books == "model" else []
    counts: Counter[str] = Counter()
    for trial in range(trials):
        rng = np.random.default_rng([seed, trial])
        start = months[int(rng.integers(len(months)))] if months else _general(rng)
        book = rescaled(start, rng)
        pattern = ("solver", "proportional")[int(rng.integers(2))]
        clearer = Clearer(pattern=pattern)
        for month in range(MONTHS):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", FallbackWarning)
                res = clearer.clear(book)
            ref = clear(book, method="lp", pattern=pattern)
            outcome = "fallback" if caught else _failure(book, res, ref, pattern)
            counts[outcome or "ok"] += 1
            if outcome and outcome != "prices apart" and out is not None:
                out.mkdir(parents=True, exist_ok=True)
                name = f"{books}-seed{seed}-trial{trial}-month{month}-{pattern}.npz"
                np.savez_compressed(out / name, n_nodes=book.n_nodes, **_arrays(book))
            book = next_month(book, rng)
    return counts


def _seeds(text: str) -> list[int]:
    """``"1-20"`` or ``"3,5,8"`` as a list of seeds (an argparse type: a bad value is one
    line naming the forms)."""
    try:
        if "-" in text:
            lo, hi = text.split("-")
            seeds = list(range(int(lo), int(hi) + 1))
        else:
            seeds = [int(s) for s in text.split(",")]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give seeds >= 0 as a range low-high (low <= high), e.g. 1-20, or a "
            "list, e.g. 3,5,8"
        )
    return seeds


def main(argv: list[str] | None = None) -> None:
    """Run the seeds given and print each seed's counts and the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", type=_seeds, default=_seeds("1-5"), help='"1-20" or "3,5,8" (default 1-5)'
    )
    parser.add_argument("--trials", type=int, default=40, help="trials a seed (default 40)")
    parser.add_argument("--books", choices=("model", "general"), default="model")
    parser.add_argument("--out", type=Path, default=Path("runs/clearing-stress"))
    args = parser.parse_args(argv)
    total: Counter[str] = Counter()
    for seed in args.seeds:
        counts = stress(seed, args.trials, args.out, args.books)
        total += counts
        print(f"seed {seed}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("all: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))


if __name__ == "__main__":
    main()
