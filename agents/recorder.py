"""The run's record: per-run arrays with one row a month, and who is reported.

The ``record`` phase (:mod:`agents.phases.record`) writes a row into the
:class:`Recorder` each month; :mod:`agents.model_frame` and :mod:`agents.tables` read the
rows back as frames. The arrays start with room for 16 months and double when full, so a
month costs no allocation and the tables read each figure for all months as one array.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.chipvendor import ChipVendor
from agents.hyperscaler import Hyperscaler
from agents.lab import AILab, LabArrays, LabKind
from agents.population import pool_index
from agents.scenario import Scenario
from agents.state import BoolArray, Clouds, FloatArray, IntArray
from agents.utility import Utility

__all__ = ["LAB_FIELDS", "SCALARS", "UTILITY_FIELDS", "Layout", "Recorder", "TradeFlows"]

SCALARS = (
    "compute_spot_price",
    "compute_contract_price",
    "chip_price",
    "chip_value",
    "capacity_q",
    "throttled_share",
    "flop_per_joule",
    "labs_active",
    "labs_exited",
    "ai_demand_usd",
    "ai_revenue_usd",
    "ai_services_price",
    "ai_services_demand",
    "hhi_threshold",
    "debt_usd",
    "capex_usd",
    "payout_usd",
    "fleet_mwh",
    "porting_cost_usd",
)
"""Figures computed each month, one column each of the recorder's ``scalars`` array
(``fleet_mwh``: the fleet's facility MWh per H100e-hour, capacity-weighted;
``porting_cost_usd``: the scenario's ``lockin.porting_cost_usd``)."""

LAB_FIELDS = (
    "revenue",
    "spend",
    "active",
    "capability",
    "inference_need",
    "served",
    "received",
    "burn",
    "debt",
    "egress_fee",
    "owed",
    "training_bid",
)
"""Per major lab and month, the rows of the recorder's ``labs`` array (``owed``:
:func:`owed_commitments`)."""

UTILITY_FIELDS = (
    "non_ai_load_mw",
    "conventional_dc_mw",
    "converted_mw",
    "generation_mw",
    "generation_building_mw",
    "served_load_mw",
)
"""Per utility and month, the columns of the recorder's ``utilities`` array."""


@dataclass(frozen=True)
class Layout:
    """Who is reported, fixed for a run: read from the world by the first :func:`record`.

    Lab kinds, homes and accounts, and the agents' ids and names, do not change during a
    run; the index arrays are kept so a month gathers each figure with one call.
    """

    hs_index: IntArray
    """(H,) row of each hyperscaler (in agent order) in the (H, ...) arrays."""
    hs_ids: tuple[int, ...]
    hs_names: tuple[str, ...]
    majors: IntArray
    """(M,) rows of the major labs."""
    major_rows: IntArray | slice
    """The same rows, as a slice when they are the first ``M`` (a view, not a copy)."""
    lab_ids: tuple[int, ...]
    lab_names: tuple[str, ...]
    major_home: IntArray
    """(M,) home region of each major lab."""
    vendor_index: IntArray
    vendor_ids: tuple[int, ...]
    vendor_names: tuple[str, ...]
    utility_region: IntArray
    """(U,) region of each utility (in agent order)."""
    us: BoolArray
    """(R,) regions whose names start ``us``."""
    hhi_firms: FloatArray
    """(H,) how many equal firms each cloud counts as in an HHI (``Clouds.hhi_firms``)."""
    non_enterprise: BoolArray
    """(L,) rows that are labs (major or small), not enterprise buyers."""
    cash_ids: IntArray
    """Ledger accounts read each month: hyperscalers, major labs, vendors (their agent
    ids), then the major labs' accounts again (for the runway)."""
    pool_rows: IntArray
    """Rows of scale-mode buyers (in a graph pool)."""
    pool_bins: IntArray
    """(rows x H) flat bin ``pool x H + h`` of each such row's volume at each cloud."""
    pools_seen: IntArray
    """Pools that hold at least one buyer."""

    @classmethod
    def of(
        cls,
        cfg: Scenario,
        labs: LabArrays,
        clouds: Clouds,
        utilities: Sequence[Utility],
        hyperscalers: Sequence[Hyperscaler],
        lab_agents: Sequence[AILab],
        vendors: Sequence[ChipVendor],
    ) -> Layout:
        """The layout of the world these agents and arrays make up."""
        n_r, n_h = len(utilities), len(hyperscalers)  # one utility per region
        majors = np.flatnonzero(labs.major)
        m = majors.size
        rows: IntArray | slice = slice(0, m) if np.array_equal(majors, np.arange(m)) else majors
        major_agents = [lab_agents[int(i)] for i in majors]
        pool = pool_index(labs, n_r)
        pool_rows = np.flatnonzero(pool >= 0)
        bins = (pool[pool_rows][:, None] * n_h + np.arange(n_h)[None, :]).ravel()
        ids = [h.unique_id for h in hyperscalers] + [lab.unique_id for lab in major_agents]
        ids += [v.unique_id for v in vendors]
        return cls(
            hs_index=np.array([h.index for h in hyperscalers], dtype=np.int64),
            hs_ids=tuple(h.unique_id for h in hyperscalers),
            hs_names=tuple(h.name for h in hyperscalers),
            majors=majors,
            major_rows=rows,
            lab_ids=tuple(lab.unique_id for lab in major_agents),
            lab_names=tuple(lab.name for lab in major_agents),
            major_home=labs.home[majors].copy(),
            vendor_index=np.array([v.index for v in vendors], dtype=np.int64),
            vendor_ids=tuple(v.unique_id for v in vendors),
            vendor_names=tuple(v.name for v in vendors),
            utility_region=np.array([u.region for u in utilities], dtype=np.int64),
            us=np.array([r.name.startswith("us") for r in cfg.regions]),
            hhi_firms=clouds.hhi_firms.copy(),
            non_enterprise=labs.kind != LabKind.ENTERPRISE,
            cash_ids=np.concatenate([np.asarray(ids, dtype=np.int64), labs.account[majors]]).astype(
                np.int64
            ),
            pool_rows=pool_rows,
            pool_bins=bins,
            pools_seen=np.flatnonzero(np.bincount(pool[pool_rows], minlength=2 * n_r)),
        )


@dataclass(frozen=True)
class TradeFlows:
    """The last recorded month's volumes on the trade edges, as arrays."""

    power: FloatArray
    """(R, H) MWh each utility delivered to each cloud's sites."""
    chips: FloatArray
    """(H, G) chip units each cloud bought."""
    compute: FloatArray
    """(M, H) H100e-hours each major lab received from each cloud."""
    pools: FloatArray
    """(2R, H) H100e-hours each pool of scale-mode buyers received from each cloud."""


@dataclass
class Recorder:
    """The run's record: per-run arrays with one row a month, plus the deals' rows.

    ``start`` and ``regions`` (the scenario's start month and region names) and the
    :class:`Layout` are set by the first :func:`record`, so the tables can give dates and
    names instead of codes. ``arrays`` maps a name to an array whose first axis is the
    row (rows ``0 .. n - 1`` are recorded; the arrays double in length when full):

    - ``month`` (int), ``scalars`` (:data:`SCALARS`), ``labs`` (:data:`LAB_FIELDS` x M),
      ``utilities`` (U x :data:`UTILITY_FIELDS`);
    - copies of the month's state: ``built``, ``interconnected``, ``power_bought``
      (H, R); ``sold``, ``node_sold``, ``node_capacity`` (H, R, F);
      ``power_price``, ``capacity_price``, ``reserve_margin``, ``region_egress_fee``
      (R,); ``cloud_revenue``, ``hs_hours``, ``sales``, ``hs_debt`` (H,);
      ``vendor_sales`` (V,), ``vendor_units`` (V,); ``cash`` (:attr:`Layout.cash_ids`);
      ``lab_volume``, ``lab_spend`` (M, H); ``affinity`` (M, clouds) the major labs'
      platform affinities; ``dc_used`` (R,) AI sites' MWh used.
    """

    start: str | None = None
    regions: tuple[str, ...] = ()
    layout: Layout | None = None
    n: int = 0
    arrays: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    deal_rows: list[dict[str, Any]] = field(default_factory=list)
    flows: TradeFlows | None = None

    def column(self, name: str) -> np.ndarray[Any, Any]:
        """Recorded rows of array ``name`` (a view)."""
        return self.arrays[name][: self.n]

    def allocate(self, shapes: dict[str, tuple[tuple[int, ...], type]]) -> None:
        """Allocate the arrays: ``shapes`` maps a name to its shape after the row axis
        and its dtype."""
        self.arrays = {k: np.zeros((16, *s), dtype=d) for k, (s, d) in shapes.items()}

    def next_row(self) -> int:
        """Index of the row to write (doubling the arrays when they are full)."""
        if self.n == self.arrays["month"].shape[0]:
            self.arrays = {k: np.concatenate([v, np.zeros_like(v)]) for k, v in self.arrays.items()}
        self.n += 1
        return self.n - 1
