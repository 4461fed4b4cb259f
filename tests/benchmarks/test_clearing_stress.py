"""The clearing stress: its books and its checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks.bench_clearing import model_books
from benchmarks.clearing_stress import (
    MONTHS,
    PRICE_CEILING,
    QTY_CEILING,
    _failure,
    next_month,
    rescaled,
    stress,
)
from market.clearing import clear
from tests.market.conftest import merit_order_book


def test_a_rescaled_book_is_the_book_in_other_units_within_the_ceilings() -> None:
    book = model_books(2)[1]
    for seed in range(20):
        out = rescaled(book, np.random.default_rng(seed))
        assert (out.n_nodes, out.n_offers, out.n_bids, out.n_links) == (
            book.n_nodes, book.n_offers, book.n_bids, book.n_links,
        )  # fmt: skip
        assert max(out.offers[1].max(), out.bids[1].max()) <= QTY_CEILING
        assert max(out.offers[2].max(), out.bids[2].max()) <= PRICE_CEILING * (1 + 1e-12)
        # one factor for every price and cost: their ratios are the book's
        priced = book.bids[2] > 0
        ratio = out.bids[2][priced] / book.bids[2][priced]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)


def test_a_month_moves_numbers_by_up_to_ten_percent_and_the_layout_by_one_at_most() -> None:
    book = model_books(1)[0]
    rng = np.random.default_rng(3)
    for _ in range(30):
        nxt = next_month(book, rng)
        sizes = np.array([nxt.n_offers - book.n_offers, nxt.n_bids - book.n_bids])
        changed = int(np.abs(sizes).sum()) + abs(nxt.n_links - book.n_links)
        assert changed <= 1
        if changed == 0:  # rounded to a whole unit or moved by up to 10%
            old, new = book.bids[2], nxt.bids[2]
            assert (np.abs(new - old) <= 0.1 * old + 0.5 + 1e-9).all()
        book = nxt


def test_the_checks_pass_the_oracle_and_name_what_a_wrong_result_breaks() -> None:
    # merit order book (tests/market/conftest): price 40, fills 10, 10, 0 and 15, 5
    book = merit_order_book()
    ref = clear(book, method="lp", pattern="proportional")
    assert _failure(book, ref, ref, "proportional") == ""
    short = dataclasses.replace(ref, bid_fill=np.array([15.0, 4.0]), welfare=ref.welfare - 40.0)
    assert _failure(book, short, ref, "proportional") == "not an equilibrium"
    # the price 5e-6 lower: within the equilibrium check's tolerance (1e-7 of the largest
    # price, 100), beyond the stress's 1e-9 for prices that agree
    nudged = dataclasses.replace(ref, node_price=ref.node_price - 5e-6)
    assert _failure(book, nudged, ref, "solver") == "prices apart"


@pytest.mark.slow
@pytest.mark.parametrize("books", ["model", "general"])
def test_a_seed_of_the_stress_clears_every_month(books: str) -> None:
    counts = stress(1, trials=2, books=books)
    assert sum(counts.values()) == 2 * MONTHS
    assert counts["ok"] + counts["prices apart"] == 2 * MONTHS


@pytest.mark.parametrize("seeds", ["abc", "1,,2", "5-1", "-3"])
def test_seeds_that_name_no_run_are_refused_in_one_line(seeds, capsys) -> None:
    # "abc" and "1,,2" gave a traceback; "5-1" ran nothing and printed "all: ", exit 0
    from benchmarks.clearing_stress import main

    with pytest.raises(SystemExit) as stop:
        main(["--seeds", seeds])
    assert stop.value.code == 2
    assert f"{seeds!r}: give seeds >= 0 as a range low-high" in capsys.readouterr().err
