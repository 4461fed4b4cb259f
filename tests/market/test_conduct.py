"""The Lerner index of conduct and share, by hand and against the HHI (Cowling-Waterson)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.conduct import MAX_LERNER, lerner_index
from market.metrics import HHI_MAX, hhi


def test_cournot_margins_by_hand():
    # shares 0.5, 0.3, 0.2 at elasticity 2: Cournot margins 0.25, 0.15, 0.10; half-way
    # conduct halves them; price-taking leaves none
    out = [50.0, 30.0, 20.0]
    ones = np.ones(3)
    assert lerner_index(out, ones, 2.0, 1.0) == pytest.approx([0.25, 0.15, 0.10])
    assert lerner_index(out, ones, 2.0, 0.5) == pytest.approx([0.125, 0.075, 0.05])
    assert lerner_index(out, ones, 2.0, 0.0).tolist() == [0.0, 0.0, 0.0]


def test_a_fringe_prices_as_its_firms():
    # the rest, 40% of output, as four equal firms: each has 10%, a margin of 0.1 / 1.25
    # = 0.08; as atomistic firms, none; the others' margins do not depend on how it counts
    out = [35.0, 25.0, 40.0]
    four = lerner_index(out, [1.0, 1.0, 4.0], 1.25, 1.0)
    atomistic = lerner_index(out, [1.0, 1.0, np.inf], 1.25, 1.0)
    assert four == pytest.approx([0.28, 0.20, 0.08])
    assert atomistic == pytest.approx([0.28, 0.20, 0.0])


def test_the_margin_is_capped_where_demand_is_too_inelastic_for_a_cournot_price():
    # a monopolist at elasticity 0.8 would have margin 1.25 (no finite price); a 60% firm
    # 0.75, under the cap; perfectly inelastic demand gives every seller with output the cap
    assert lerner_index([1.0], [1.0], 0.8, 1.0).tolist() == [MAX_LERNER]
    assert lerner_index([60.0, 40.0], [1.0, 1.0], 0.8, 1.0) == pytest.approx([0.75, 0.5])
    assert lerner_index([60.0, 0.0, 40.0], [1.0, 1.0, np.inf], 0.0, 1.0).tolist() == [
        MAX_LERNER,
        0.0,
        0.0,
    ]


def test_no_output_gives_no_margin():
    # the first month of a market with nothing sold: no shares, no market power
    assert lerner_index([0.0, 0.0], [1.0, 1.0], 1.3, 1.0).tolist() == [0.0, 0.0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e12), min_size=1, max_size=8).filter(lambda q: sum(q) > 0),
    st.lists(st.sampled_from([1.0, 2.0, 5.0, np.inf]), min_size=8, max_size=8),
    st.floats(1.25, 5.0),
    st.floats(0.0, 1.0),
)
def test_the_share_weighted_margin_is_conduct_times_hhi_over_elasticity(q, n, e, theta):
    # Cowling and Waterson (1976): sum of s_i x L_i = theta x HHI / e, the HHI counting each
    # seller as its firms (market.metrics.hhi); at e >= 1.25 no margin passes the cap (1 / 1.25 = 0.8)
    firms = np.array(n[: len(q)])
    s = np.asarray(q) / sum(q)
    mean_margin = float(s @ lerner_index(q, firms, e, theta))
    assert mean_margin == pytest.approx(theta * hhi(q, firms) / HHI_MAX / e, rel=1e-9, abs=1e-15)
