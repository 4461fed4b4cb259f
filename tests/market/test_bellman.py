"""Bellman-Ford by numpy passes against SciPy's Bellman-Ford, bit for bit.

The oracle is ``scipy.sparse.csgraph.shortest_path(method="BF")`` on the same graph
(parallel arcs merged to the shortest): the distances from and to a source must be the
same floats, and a negative cycle must be reported (None) exactly when SciPy raises.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import NegativeCycleError, shortest_path

from market.bellman import bellman_ford, by_tail_then_head, merged_graph


def scipy_distances(
    n: int, t: np.ndarray, h: np.ndarray, w: np.ndarray, source: int
) -> tuple[np.ndarray, np.ndarray] | None:
    graph = merged_graph(n, t, h, w)
    try:
        d_from = shortest_path(graph, method="BF", directed=True, indices=source)
        d_to = shortest_path(graph.T.tocsr(), method="BF", directed=True, indices=source)
    except NegativeCycleError:
        return None
    return d_from, d_to


def assert_same_bits(n: int, t: list[int], h: list[int], w: list[float], source: int) -> None:
    ta, ha, wa = np.array(t, np.int64), np.array(h, np.int64), np.array(w, np.float64)
    got = bellman_ford(n, ta, ha, wa, source)
    want = scipy_distances(n, ta, ha, wa, source)
    assert (got is None) == (want is None)
    if got is not None and want is not None:
        for a, b in zip(got, want, strict=True):
            assert a.tobytes() == b.tobytes(), (a, b)


WEIGHTS = st.one_of(
    st.integers(-3, 6).map(float),  # ties, zeros and zero-length cycles
    st.sampled_from([0.1, 0.2, 0.3, -0.1, -0.2, -0.3, 1 / 3, -1 / 3, 0.7]),  # rounding
    st.floats(-2.0, 10.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[int], list[int], list[float], int]:
    n = draw(st.integers(1, 9))
    arcs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), WEIGHTS), max_size=30)
    )
    arcs = [a for a in arcs if a[0] != a[1]]
    # an arc and its reverse at minus its weight: a cycle of length zero, as a partly
    # filled order or a link below capacity gives
    mirrored = draw(st.lists(st.sampled_from(arcs), max_size=5)) if arcs else []
    arcs += [(b, a, -w) for a, b, w in mirrored]
    source = draw(st.integers(0, n - 1))
    return n, [a[0] for a in arcs], [a[1] for a in arcs], [a[2] for a in arcs], source


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_distances_are_scipys_to_the_bit(
    graph: tuple[int, list[int], list[int], list[float], int],
) -> None:
    assert_same_bits(*graph)


def test_a_path_by_hand() -> None:
    # 0 -> 1 (2), 1 -> 2 (-1), 0 -> 2 (3), 2 -> 3 (0, stored as the smallest float)
    t, h, w = np.array([0, 1, 0, 2]), np.array([1, 2, 2, 3]), np.array([2.0, -1.0, 3.0, 0.0])
    dist = bellman_ford(4, t, h, w, 0)
    assert dist is not None
    assert dist[0].tolist() == [0.0, 2.0, 1.0, 1.0]
    assert dist[1].tolist() == [0.0, np.inf, np.inf, np.inf]


@pytest.mark.parametrize(
    "w",
    [
        [0.1, 0.2, -0.30000000000000016],  # negative by a rounding: SciPy does not notice
        [1.0, 1.0, -2.5],  # plainly negative: SciPy raises
        [0.0, 5e-324, -5e-324],  # subnormal weights
    ],
)
def test_a_cycle_that_never_settles_gives_scipys_numbers(w: list[float]) -> None:
    # a three-node cycle reached from node 3; on the first, distances fall by an ulp a
    # pass for ever, and SciPy's are those its last pass leaves
    assert_same_bits(4, [0, 1, 2, 3], [1, 2, 0, 0], [*w, 1.0], 3)


def test_parallel_arcs_are_merged_to_the_shortest_and_zeros_kept_as_arcs() -> None:
    t, h = np.array([2, 0, 2, 0, 1]), np.array([1, 1, 1, 2, 0])
    w = np.array([5.0, 3.0, -1.0, 0.0, 7.0])
    graph = merged_graph(3, t, h, w)
    dense = np.full((3, 3), np.nan)
    dense[(0, 0, 1, 2), (1, 2, 0, 1)] = [3.0, np.finfo(float).tiny, 7.0, -1.0]
    got = np.full((3, 3), np.nan)
    coo = graph.tocoo()
    got[coo.row, coo.col] = coo.data
    np.testing.assert_array_equal(got, dense)
    assert graph.has_canonical_format


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.data())
def test_arcs_are_ordered_as_numpys_stable_argsort_of_tail_then_head(
    n: int, data: st.DataObject
) -> None:
    m = data.draw(st.integers(0, 40))
    nodes = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    t, h = np.array(data.draw(nodes), np.int64), np.array(data.draw(nodes), np.int64)
    want = np.argsort(t * n + h, kind="stable")
    assert by_tail_then_head(n, t, h).tolist() == want.tolist()
    t[:1] = n  # a node out of range: no order
    assert by_tail_then_head(n, t, h).size == 0
