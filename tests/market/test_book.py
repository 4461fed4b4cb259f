"""OrderBook: private copies of its inputs and the limits of what a solver can represent."""

from __future__ import annotations

import numpy as np
import pytest

from market.book import MAX_IDLE_NODES, MAX_NODES, MAX_VALUE, BookError, OrderBook
from market.clearing import clear


def _book(**kwargs: object) -> OrderBook:
    base: dict[str, object] = {
        "n_nodes": 2,
        "offer_node": [0],
        "offer_qty": [4.0],
        "offer_price": [10.0],
        "bid_node": [1],
        "bid_qty": [3.0],
        "bid_price": [50.0],
        "link_src": [0],
        "link_dst": [1],
        "link_cost": [1.0],
        "link_cap": [np.inf],
    }
    base.update(kwargs)
    return OrderBook(**base)  # type: ignore[arg-type]


def test_callers_arrays_stay_writable_and_later_changes_do_not_reach_the_book() -> None:
    qty = np.array([4.0])
    node = np.array([0, 1], dtype=np.int64)
    base = np.array([10.0, 999.0])
    price_view = base[:1]
    book = _book(offer_qty=qty, offer_price=price_view, link_src=node[:1], link_dst=node[1:])
    assert qty.flags.writeable and base.flags.writeable and node.flags.writeable
    qty[0] = 0.0
    base[0] = 1e6  # through the view's base
    node[0] = 1
    assert book.offers[1][0] == 4.0 and book.offers[2][0] == 10.0 and book.links[0][0] == 0
    res = clear(book)
    assert res.bid_fill[0] == pytest.approx(3.0)
    assert res.welfare == pytest.approx(3 * (50 - 10 - 1))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("offer_qty", [1e20]),
        ("bid_qty", [2 * MAX_VALUE]),
        ("offer_price", [1e18]),
        ("bid_price", [-1e16]),
        ("link_cost", [1e18]),
        ("link_cap", [1e300]),
    ],
)
def test_values_beyond_the_limit_are_refused_naming_field_index_and_limit(
    field: str, value: list[float]
) -> None:
    with pytest.raises(BookError, match=rf"^{field}\[0\] = .*must lie below 1e\+15"):
        _book(**{field: value})


def test_values_just_below_the_limit_are_accepted_and_clear() -> None:
    big = 0.9 * MAX_VALUE
    book = _book(offer_qty=[big], bid_qty=[big], link_cap=[big])
    res = clear(book)
    assert res.bid_fill[0] == pytest.approx(big, rel=1e-12)


@pytest.mark.parametrize("n_nodes", [10**12, MAX_NODES + 1])
def test_n_nodes_beyond_what_a_solver_can_address_is_refused(n_nodes: int) -> None:
    with pytest.raises(BookError, match=rf"^n_nodes = {n_nodes}: more than the solver"):
        _book(n_nodes=n_nodes)


def test_n_nodes_far_beyond_the_ids_used_is_refused_with_the_fix() -> None:
    with pytest.raises(BookError, match=r"^n_nodes = .*node ids up to 1.*pass n_nodes = 2"):
        _book(n_nodes=2 + MAX_IDLE_NODES + 1)
    idle = _book(n_nodes=2 + MAX_IDLE_NODES)  # the most idle nodes allowed
    assert np.isnan(clear(idle).node_price[2:]).all()
