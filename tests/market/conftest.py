"""Small hand-checked order books shared by the market tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from market.book import OrderBook

BOOK_FIELDS = (
    *("offer_node", "offer_qty", "offer_price", "bid_node", "bid_qty", "bid_price"),
    *("link_src", "link_dst", "link_cost", "link_cap"),
)
"""The arrays of a book saved in ``tests/market/data/*.npz``, in ``OrderBook``'s order
(with ``n_nodes`` beside them)."""


def saved_book(name: str, qty_factor: float = 1.0) -> OrderBook:
    """The book saved as ``tests/market/data/<name>``, its quantities and capacities times
    ``qty_factor``."""
    data = np.load(Path(__file__).parent / "data" / name)
    qty_fields = ("offer_qty", "bid_qty", "link_cap")
    return OrderBook(
        int(data["n_nodes"]),
        *(data[k] * (qty_factor if k in qty_fields else 1) for k in BOOK_FIELDS),
    )


def book_arrays(book: OrderBook) -> dict[str, np.ndarray]:
    """A copy of each of the book's arrays, by ``OrderBook``'s field name (``BOOK_FIELDS``)."""
    return {k: np.array(getattr(book, k)) for k in BOOK_FIELDS}


def next_month(book: OrderBook, rng: np.random.Generator, structural: float) -> OrderBook:
    """Prices, costs, quantities and capacities moved; with chance ``structural`` an
    order or a link is dropped or duplicated (a new one at the same place)."""
    f = book_arrays(book)
    for k in ("offer_price", "bid_price", "link_cost", "offer_qty", "bid_qty"):
        moved = f[k] * rng.uniform(0.9, 1.1, f[k].size)
        # Keep some exact ties, as cent prices have.
        f[k] = np.where(rng.random(f[k].size) < 0.3, np.round(moved), moved)
    cap = f["link_cap"]
    f["link_cap"] = np.where(np.isfinite(cap), cap * rng.uniform(0.8, 1.2, cap.size), cap)
    if rng.random() < structural:
        group = ("offer", "bid", "link")[rng.integers(3)]
        keys = [k for k in f if k.startswith(group)]
        size = f[keys[0]].size
        if size:
            i = int(rng.integers(size))
            if rng.random() < 0.5:
                for k in keys:
                    f[k] = np.delete(f[k], i)
            else:  # one place for every field of the copy: the whole order or link
                at = int(rng.integers(size + 1))
                for k in keys:
                    f[k] = np.insert(f[k], at, f[k][i])
    return OrderBook(book.n_nodes, **f)


def random_seller_buyer_book(
    rng: np.random.Generator,
    sellers: int,
    buyers: int,
    degree: int,
    *,
    offers: int,
    bids: int,
    offer_qty: tuple[float, float],
    link_cap: tuple[float, float],
    offer_price: tuple[float, float] = (10, 60),
    bid_qty: tuple[float, float] = (1, 10),
    bid_price: tuple[float, float] = (20, 100),
    link_cost: tuple[float, float] = (0, 15),
    whole: bool = False,
    cents: bool = False,
    caps_last: bool = False,
    linked: tuple[int, int] | None = None,
    pairs: int = 0,
    idle: int = 0,
) -> OrderBook:
    """A random book of the model's shape: few sellers, many buyers.

    Sellers are nodes ``0..sellers-1`` with ``offers`` offers each, buyers the next
    ``buyers`` nodes with ``bids`` bids each. Each of the first ``linked[1]`` buyers is
    linked to ``degree`` distinct sellers among the first ``linked[0]`` (all of them by
    default); about half the links have no cap, the others one drawn from ``link_cap``.
    Quantities, prices and costs are drawn uniformly from their ranges: whole numbers if
    ``whole`` (the upper ends excluded), prices and costs rounded to cents if ``cents``.
    After the buyers come ``pairs`` pairs of nodes linked to each other without orders,
    then ``idle`` nodes with one empty offer and bid each (quantity 0 at price 1).

    The draws are: the links' sellers, the caps (last instead, if ``caps_last``), the
    offers' quantities and prices, the bids' quantities and prices, the links' costs; a
    seed gives the same book as long as they keep this order.
    """

    def draw(bounds: tuple[float, float], size: int, price: bool = False) -> np.ndarray:
        x = rng.integers(*bounds, size) if whole else rng.uniform(*bounds, size)
        return np.round(x, 2) if cents and price else x.astype(float)

    def caps(size: int) -> np.ndarray:
        return np.where(rng.random(size) < 0.5, np.inf, draw(link_cap, size))

    from_sellers, to_buyers = linked or (sellers, buyers)
    seller_nodes, buyer_nodes = np.arange(sellers), np.arange(sellers, sellers + buyers)
    src = np.concatenate(
        [rng.choice(from_sellers, degree, replace=False) for _ in range(to_buyers)]
    )
    dst = np.repeat(buyer_nodes[:to_buyers], degree)
    first = sellers + buyers
    src = np.append(src, np.arange(first, first + 2 * pairs, 2))
    dst = np.append(dst, np.arange(first + 1, first + 2 * pairs, 2))
    cap = None if caps_last else caps(src.size)
    o_node, b_node = np.repeat(seller_nodes, offers), np.repeat(buyer_nodes, bids)
    o_qty, o_price = draw(offer_qty, o_node.size), draw(offer_price, o_node.size, True)
    b_qty, b_price = draw(bid_qty, b_node.size), draw(bid_price, b_node.size, True)
    cost = draw(link_cost, src.size, True)
    if cap is None:
        cap = caps(src.size)
    empty = np.arange(first + 2 * pairs, first + 2 * pairs + idle)
    return OrderBook(
        first + 2 * pairs + idle,
        np.append(o_node, empty), np.append(o_qty, np.zeros(idle)),
        np.append(o_price, np.ones(idle)),
        np.append(b_node, empty), np.append(b_qty, np.zeros(idle)),
        np.append(b_price, np.ones(idle)),
        src, dst, cost, cap,
    )  # fmt: skip


def two_node_book(**overrides: object) -> OrderBook:
    """Node 0 offers 4@10, node 1 bids 3@50, one link 0 -> 1 costing 1 without a cap; any
    of ``OrderBook``'s arguments (``n_nodes`` too) replaced by ``overrides``."""
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
    base.update(overrides)
    return OrderBook(**base)  # type: ignore[arg-type]


def merit_order_book() -> OrderBook:
    """One node: offers 10@20, 10@30, 10@50 against bids 15@100 and 10@40.

    By hand: at any price in (30, 40) demand is 25 and supply 20, so the price is 40,
    where the 40 bid is marginal. Fills: offers 10, 10, 0; bids 15, 5. Welfare:
    15*100 + 5*40 - 10*20 - 10*30 = 1200.
    """
    return OrderBook(
        n_nodes=1,
        offer_node=[0, 0, 0],
        offer_qty=[10.0, 10.0, 10.0],
        offer_price=[20.0, 30.0, 50.0],
        bid_node=[0, 0],
        bid_qty=[15.0, 10.0],
        bid_price=[100.0, 40.0],
    )


def two_region_book(cap: float) -> OrderBook:
    """Cheap region 0 (offers 100@10) exports to region 1 (own offers 100@40).

    Region 1 bids 60@80. The link 0 -> 1 costs 5 and carries at most ``cap``.
    """
    return OrderBook(
        n_nodes=2,
        offer_node=[0, 1],
        offer_qty=[100.0, 100.0],
        offer_price=[10.0, 40.0],
        bid_node=[1],
        bid_qty=[60.0],
        bid_price=[80.0],
        link_src=[0],
        link_dst=[1],
        link_cost=[5.0],
        link_cap=[cap],
    )


def compute_and_chips_book(joined: bool = False) -> OrderBook:
    """Two single-node markets: 1e9 H100e-hours at $2-3 (node 0), 1,000 chips at
    $20,000-30,000 (node 1); ``joined`` adds a link of no capacity between them, which
    trades nothing but makes them one component of the link graph."""
    links = ([0], [1], [0.0], [0.0]) if joined else ([], [], [], [])
    return OrderBook(2, [0, 1], [1e9, 1e3], [2.0, 2e4], [0, 1], [1e9, 1e3], [3.0, 3e4], *links)


def two_routes_book() -> OrderBook:
    """Sellers 0 and 1 (10@1 each) and buyers 2 and 3 (10@5 each), every seller linked
    to every buyer for free and without a cap.

    By hand: all 20 units trade, welfare 2*10*5 - 2*10*1 = 80, and every price in
    [1, 5] clears every node (no order is marginal), so the canonical price is 3
    everywhere. The flows are not unique: any ``x`` on 0->2 with 10 - x on 0->3,
    10 - x on 1->2 and x on 1->3 is optimal.
    """
    return OrderBook(
        n_nodes=4,
        offer_node=[0, 1],
        offer_qty=[10.0, 10.0],
        offer_price=[1.0, 1.0],
        bid_node=[2, 3],
        bid_qty=[10.0, 10.0],
        bid_price=[5.0, 5.0],
        link_src=[0, 0, 1, 1],
        link_dst=[2, 3, 2, 3],
        link_cost=[0.0, 0.0, 0.0, 0.0],
        link_cap=[np.inf] * 4,
    )


def uneven_routes_book(cap: float = np.inf) -> OrderBook:
    """Sellers 0 and 1 (10@1 and 30@1) and buyers 2 and 3 (20@5 each), every seller linked
    to every buyer for free; the link 0 -> 3 carries at most ``cap`` (no cap by default).

    By hand, without a cap: all 40 units trade and every route ties, as in
    :func:`two_routes_book`, but the sellers differ in size. Links in the order 0->2, 0->3,
    1->2, 1->3.
    """
    return OrderBook(
        4, [0, 1], [10.0, 30.0], [1.0, 1.0], [2, 3], [20.0, 20.0], [5.0, 5.0],
        [0, 0, 1, 1], [2, 3, 2, 3], [0.0] * 4, [np.inf, cap, np.inf, np.inf],
    )  # fmt: skip


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260101)
