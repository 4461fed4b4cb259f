"""OrderBook: private copies of its inputs and the limits of what a solver can represent."""

from __future__ import annotations

import numpy as np
import pytest

from market.book import MAX_IDLE_NODES, MAX_NODES, MAX_VALUE, BookError, OrderBook
from market.clearing import clear
from tests.market.conftest import two_node_book


def test_callers_arrays_stay_writable_and_later_changes_do_not_reach_the_book() -> None:
    qty = np.array([4.0])
    node = np.array([0, 1], dtype=np.int64)
    base = np.array([10.0, 999.0])
    price_view = base[:1]
    book = two_node_book(
        offer_qty=qty, offer_price=price_view, link_src=node[:1], link_dst=node[1:]
    )
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
        two_node_book(**{field: value})


def test_values_just_below_the_limit_are_accepted_and_clear() -> None:
    big = 0.9 * MAX_VALUE
    book = two_node_book(offer_qty=[big], bid_qty=[big], link_cap=[big])
    res = clear(book)
    assert res.bid_fill[0] == pytest.approx(big, rel=1e-12)


@pytest.mark.parametrize("n_nodes", [10**12, MAX_NODES + 1])
def test_n_nodes_beyond_what_a_solver_can_address_is_refused(n_nodes: int) -> None:
    with pytest.raises(BookError, match=rf"^n_nodes = {n_nodes}: more than the solver"):
        two_node_book(n_nodes=n_nodes)


def test_n_nodes_far_beyond_the_ids_used_is_refused_with_the_fix() -> None:
    with pytest.raises(BookError, match=r"^n_nodes = .*node ids up to 1.*pass n_nodes = 2"):
        two_node_book(n_nodes=2 + MAX_IDLE_NODES + 1)
    idle = two_node_book(n_nodes=2 + MAX_IDLE_NODES)  # the most idle nodes allowed
    assert np.isnan(clear(idle).node_price[2:]).all()


def _assembled_arrays() -> dict[str, np.ndarray]:
    i, f = np.int64, np.float64
    return {
        "offer_node": np.array([0, 0], i),
        "offer_qty": np.array([4.0, 2.0], f),
        "offer_price": np.array([10.0, 12.0], f),
        "bid_node": np.array([1], i),
        "bid_qty": np.array([3.0], f),
        "bid_price": np.array([50.0], f),
        "link_src": np.array([0], i),
        "link_dst": np.array([1], i),
        "link_cost": np.array([1.0], f),
        "link_cap": np.array([np.inf], f),
    }


def test_an_assembled_book_keeps_the_callers_arrays_read_only_and_clears_alike() -> None:
    parts = _assembled_arrays()
    book = OrderBook.assembled(2, **parts)  # type: ignore[arg-type]
    checked = OrderBook(2, **parts)  # type: ignore[arg-type]
    for name, arr in parts.items():
        assert getattr(book, name) is arr and not arr.flags.writeable
    a, b = clear(book), clear(checked)
    # 3 units flow at the cheaper offer: welfare (50 - 10 - 1) x 3
    assert a.welfare == b.welfare == pytest.approx(117.0)
    assert a.offer_fill.tolist() == b.offer_fill.tolist() == [3.0, 0.0]


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("bid_qty", -1.0, r"bid_qty\[0\] = -1.0: must be >= 0"),
        ("offer_price", np.nan, r"offer_price\[1\] = nan: a price must be finite"),
        (
            "link_cost",
            2 * MAX_VALUE,
            r"link_cost\[0\] = 2000000000000000.0: a link cost must lie below",
        ),
        ("link_cap", -1.0, r"link_cap\[0\] = -1.0: must be >= 0"),
        ("link_cap", MAX_VALUE, r"link_cap\[0\] = 1000000000000000.0: a finite capacity"),
    ],
)
def test_an_assembled_book_with_a_bad_value_is_refused_by_name(
    name: str, value: float, match: str
) -> None:
    parts = _assembled_arrays()
    parts[name][-1] = value
    with pytest.raises(BookError, match=match):
        OrderBook.assembled(2, **parts)  # type: ignore[arg-type]


def test_an_assembled_book_of_other_dtypes_is_converted_by_the_ordinary_constructor() -> None:
    parts = _assembled_arrays()
    parts["offer_node"] = parts["offer_node"].astype(np.int32)
    parts["bid_qty"] = np.array([3])  # integers
    book = OrderBook.assembled(2, **parts)  # type: ignore[arg-type]
    assert book.offer_node.dtype == np.int64 and book.bid_qty.dtype == np.float64
    assert book.offer_node is not parts["offer_node"] and book.bid_qty.tolist() == [3.0]


def test_clearing_something_that_is_not_a_book_is_named() -> None:
    from market.clearing import clear
    from market.warm import Clearer

    for call, where in ((clear, "clear"), (Clearer().clear, "Clearer.clear")):
        with pytest.raises(BookError, match=rf"^{where}: book is a dict, not an OrderBook; "):
            call({"offer_node": [0]})  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(20))
def test_the_compiled_value_check_agrees_with_the_one_pass_numpy_check(seed: int) -> None:
    from market.book import _plainly_valid, _values_valid

    rng = np.random.default_rng(seed)
    specials = [0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, MAX_VALUE, -MAX_VALUE, 1e14]
    arrays = [rng.choice(specials, int(rng.integers(0, 4))) for _ in range(6)]
    # mostly plain books, with a special value now and then
    arrays = [a if rng.random() < 0.5 else np.abs(a[np.isfinite(a)]) % 10 for a in arrays]
    oq, op, bq, bp, lc, lcap = arrays
    want = (
        _plainly_valid(oq, nonneg=True)
        and _plainly_valid(bq, nonneg=True)
        and _plainly_valid(op, nonneg=False)
        and _plainly_valid(bp, nonneg=False)
        and _plainly_valid(lc, nonneg=True)
        and _plainly_valid(lcap, nonneg=True, inf_ok=True)
    )
    assert _values_valid(oq, op, bq, bp, lc, lcap) == want
