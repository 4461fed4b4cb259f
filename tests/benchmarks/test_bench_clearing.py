"""The clearing benchmark's model sequence: the books a run's Clearer receives."""

from __future__ import annotations

from benchmarks.bench_clearing import model_books
from market.clearing import clear, equilibrium_violations


def test_model_books_are_the_months_books_and_clear_to_an_equilibrium() -> None:
    books = model_books(3)
    assert len(books) == 3
    # one book a month, each a whole market (power, chips and compute nodes linked)
    assert all(b.n_nodes == books[0].n_nodes and b.n_links > 0 for b in books)
    for book in books:
        assert equilibrium_violations(book, clear(book)) == []
