"""The scenario schema: the typed, validated configuration the model consumes.

A scenario is a tree of pydantic models (extra keys forbidden, every number bounded).
Loading a TOML file or applying overrides goes through :meth:`Scenario.from_dict`, which
turns pydantic's errors into :class:`ScenarioError` messages naming the dotted key path,
the value and the allowed range. Defaults are the calibrated 2026 market; the comments
of ``experiments/scenarios/baseline.toml`` cite the CALIBRATION.md row of each.

``LEVERS`` lists the policy and uncertainty knobs that sweeps and the browser app move.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "FAMILIES",
    "LEVERS",
    "CapitalCfg",
    "ChipGenCfg",
    "ChipsCfg",
    "ContractCfg",
    "DataCentreCfg",
    "DealCfg",
    "DemandCfg",
    "GenUnitCfg",
    "HyperscalerCfg",
    "LabCfg",
    "Lever",
    "LockinCfg",
    "PowerCfg",
    "RegionCfg",
    "RegulationCfg",
    "ScaleCfg",
    "Scenario",
    "ScenarioError",
    "TrancheCfg",
    "VendorCfg",
]

FAMILIES = ("nvidia", "trainium", "tpu")
"""Chip families a lab's software can target (platform affinity is per family)."""

Family = Literal["nvidia", "trainium", "tpu"]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names key path, value and fix."""


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class GenUnitCfg(_Cfg):
    """A block of generation in one region (merit order: offered at marginal cost)."""

    kind: str = Field(min_length=1)
    mw: float = Field(ge=0, le=1e6)
    marginal_cost: float = Field(ge=0, le=10_000)
    availability: float = Field(default=0.9, ge=0, le=1)


class RegionCfg(_Cfg):
    """A grid region: non-AI load, generation stack, share of AI end demand."""

    name: str = Field(min_length=1)
    non_ai_load_mw: float = Field(ge=0, le=1e6)
    demand_weight: float = Field(ge=0, le=1)
    units: list[GenUnitCfg] = Field(min_length=1)


class PowerCfg(_Cfg):
    """Grid, generation build and interconnection."""

    interconnection_months: int = Field(default=36, ge=0, le=120)
    generation_build_months: int = Field(default=36, ge=1, le=120)
    build_share_per_year: float = Field(default=0.04, ge=0, le=1)
    new_entry_cost: float = Field(default=75.0, ge=0, le=1_000)
    new_unit_marginal_cost: float = Field(default=40.0, ge=0, le=1_000)
    new_unit_availability: float = Field(default=0.85, ge=0, le=1)
    non_ai_load_growth: float = Field(default=0.015, ge=-0.2, le=0.5)
    non_ai_bid: float = Field(default=1_000.0, ge=0, le=100_000)
    datacentre_bid: float = Field(default=300.0, ge=0, le=100_000)
    transmission_cost: float = Field(default=12.0, ge=0, le=1_000)
    transmission_cap_mw: float = Field(default=2_000.0, ge=0, le=1e6)
    pue: float = Field(default=1.3, ge=1.0, le=3.0)


class ChipGenCfg(_Cfg):
    """One accelerator generation: effective dense TFLOP/s, watts, unit cost."""

    name: str = Field(min_length=1)
    family: Family
    release_month: int = Field(ge=-240, le=600)
    tflops: float = Field(gt=0, le=1e6)
    watts: float = Field(gt=0, le=1e5)
    unit_cost: float = Field(gt=0, le=1e8)


class VendorCfg(_Cfg):
    """A chip vendor; ``owner`` names a hyperscaler for captive in-house silicon."""

    name: str = Field(min_length=1)
    family: Family
    owner: str | None = None
    capacity_units_per_month: float = Field(ge=0, le=1e8)
    markup: float = Field(default=0.6, ge=0, le=20)
    backlog_markup: float = Field(default=0.5, ge=0, le=20)


class ChipsCfg(_Cfg):
    """Accelerator generations, vendors and supply growth."""

    generations: list[ChipGenCfg] = Field(min_length=1)
    vendors: list[VendorCfg] = Field(min_length=1)
    supply_growth: float = Field(default=0.3, ge=-0.5, le=3.0)
    life_months: int = Field(default=60, ge=6, le=240)


class DataCentreCfg(_Cfg):
    """Data-centre shells: cost, build time, availability of compute."""

    cost_per_mw: float = Field(default=11e6, ge=0, le=1e9)
    build_months: int = Field(default=21, ge=1, le=120)
    availability: float = Field(default=0.9, ge=0.1, le=1)
    life_months: int = Field(default=180, ge=12, le=600)
    max_build_mw_per_month: float = Field(default=400.0, ge=0, le=100_000)
    server_overhead: float = Field(default=1.83, ge=1.0, le=5.0)


class HyperscalerCfg(_Cfg):
    """A cloud provider: sites by region, fleet, cash flow from other businesses."""

    name: str = Field(min_length=1)
    fringe: bool = False
    cash: float = Field(ge=0, le=1e13)
    other_cash_flow_per_month: float = Field(default=0.0, ge=0, le=1e12)
    built_mw: dict[str, float]
    family_mix: dict[Family, float]
    markup: float = Field(default=0.9, ge=0, le=20)
    non_ai_cloud_revenue_per_year: float = Field(default=0.0, ge=0, le=1e13)


class LabCfg(_Cfg):
    """An AI lab: cash, capability, platform affinity per chip family, spending."""

    name: str = Field(min_length=1)
    home_region: str
    cash: float = Field(ge=0, le=1e13)
    capability: float = Field(default=0.0, ge=0, le=100)
    affinity: dict[Family, float]
    primary: str
    opex_per_month: float = Field(default=0.0, ge=0, le=1e12)
    opex_share_of_revenue: float = Field(default=0.35, ge=0, le=1)
    training_ratio: float = Field(default=0.6, ge=0, le=10)


class DemandCfg(_Cfg):
    """End demand for AI services and what labs earn per unit of inference compute."""

    initial_usd_per_month: float = Field(default=6e9, ge=0, le=1e13)
    growth_per_year: float = Field(default=0.6, ge=-0.5, le=5.0)
    growth_decay_per_year: float = Field(default=0.12, ge=0, le=1)
    revenue_per_h100e_hour: float = Field(default=6.0, gt=0, le=1_000)
    training_bid: float = Field(default=3.0, ge=0, le=1_000)
    reinvest_months: float = Field(default=24.0, gt=0, le=1_000)
    non_ai_cloud_growth_per_year: float = Field(default=0.15, ge=-0.5, le=2.0)
    capability_beta: float = Field(default=1.0, ge=0, le=50)
    scaling_exponent: float = Field(default=0.5, ge=0, le=5)


class CapitalCfg(_Cfg):
    """The outside investor pool: when labs raise, at what valuation, how likely."""

    valuation_multiple: float = Field(default=15.0, gt=0, le=1_000)
    runway_months: float = Field(default=6.0, ge=0, le=120)
    round_months: float = Field(default=18.0, ge=0, le=120)
    vc_success_prob: float = Field(default=0.85, ge=0, le=1)
    min_revenue_for_vc: float = Field(default=0.0, ge=0, le=1e12)
    strategic_deals: bool = False
    strategic_spend_multiple: float = Field(default=2.0, ge=0, le=100)
    strategic_term_months: int = Field(default=60, ge=1, le=600)


class LockinCfg(_Cfg):
    """Switching costs: egress fees and porting software to another chip family."""

    egress_fee_per_h100e_hour: float = Field(default=0.25, ge=0, le=100)
    platform_penalty_per_h100e_hour: float = Field(default=1.2, ge=0, le=100)
    porting_cost_usd: float = Field(default=3e8, ge=0, le=1e12)
    porting_months: int = Field(default=9, ge=0, le=120)
    porting_gap: float = Field(default=0.35, ge=0, le=10)


class RegulationCfg(_Cfg):
    """Merger-style review (2023 US Merger Guidelines) and the scenario's own rules."""

    hhi_threshold: float = Field(default=1800.0, ge=0, le=10_000)
    delta_hhi: float = Field(default=100.0, ge=0, le=10_000)
    share_threshold: float = Field(default=0.30, ge=0, le=1)
    review_minority_stakes: bool = False
    exclusivity_ban: bool = False
    switching_fee_cap: float | None = Field(default=None, ge=0, le=100)
    switching_fee_ban_month: int | None = Field(default=None, ge=0, le=600)
    review_lag_months: int = Field(default=3, ge=0, le=60)


class TrancheCfg(_Cfg):
    """One investment payment; paid at ``month`` if the milestone (if any) is met."""

    month: int = Field(ge=0, le=600)
    amount_usd: float = Field(ge=0, le=1e13)
    milestone_revenue_per_year: float | None = Field(default=None, ge=0, le=1e13)


class DealCfg(_Cfg):
    """The headline infrastructure-for-equity deal (off unless ``enabled``)."""

    enabled: bool = False
    investor: str = "amazon"
    lab: str = "anthropic"
    propose_month: int = Field(default=3, ge=0, le=600)
    investment_usd: float = Field(default=5e9, ge=0, le=1e13)
    milestone_usd: float = Field(default=20e9, ge=0, le=1e13)
    milestone_tranches: int = Field(default=4, ge=0, le=40)
    milestone_revenue_step: float = Field(default=15e9, ge=0, le=1e13)
    committed_spend_usd: float = Field(default=100e9, ge=0, le=1e14)
    term_months: int = Field(default=120, ge=1, le=600)
    price_per_h100e_hour: float = Field(default=2.0, gt=0, le=1_000)
    silicon: Family | None = "trainium"
    reserved_mw: float = Field(default=5_000.0, ge=0, le=1e6)
    exclusive: bool = True
    take_or_pay: bool = True
    penalty_rate: float = Field(default=0.25, ge=0, le=10)


class ContractCfg(_Cfg):
    """A pre-existing contract (compute commitment, power PPA, chip supply)."""

    kind: Literal["compute", "power", "chips"]
    seller: str
    buyer: str
    volume_per_month: float = Field(ge=0, le=1e15)
    price: float = Field(ge=0, le=1e9)
    start_month: int = Field(default=0, ge=-600, le=600)
    end_month: int = Field(ge=0, le=1200)
    take_or_pay: bool = True
    exclusive: bool = False
    penalty_rate: float = Field(default=0.25, ge=0, le=10)
    family: Family | None = None
    region: str | None = None


class ScaleCfg(_Cfg):
    """Scale mode: many small labs and enterprise buyers (vectorized)."""

    small_labs: int = Field(default=0, ge=0, le=1_000_000)
    enterprise_buyers: int = Field(default=0, ge=0, le=1_000_000)
    demand_share: float = Field(default=0.15, ge=0, le=0.9)


class Scenario(_Cfg):
    """A complete scenario: the world the model builds and the rules it runs by."""

    name: str = "custom"
    description: str = ""
    start: str = Field(default="2026-01", pattern=r"^\d{4}-\d{2}$")
    months: int = Field(default=120, ge=1, le=600)
    regions: list[RegionCfg] = Field(min_length=1)
    latency_cost: float = Field(default=0.15, ge=0, le=100)
    power: PowerCfg = PowerCfg()
    chips: ChipsCfg
    datacentres: DataCentreCfg = DataCentreCfg()
    hyperscalers: list[HyperscalerCfg] = Field(min_length=1)
    labs: list[LabCfg] = Field(min_length=1)
    demand: DemandCfg = DemandCfg()
    capital: CapitalCfg = CapitalCfg()
    lockin: LockinCfg = LockinCfg()
    regulation: RegulationCfg = RegulationCfg()
    deal: DealCfg = DealCfg()
    contracts: list[ContractCfg] = Field(default_factory=list)
    scale: ScaleCfg = ScaleCfg()

    @model_validator(mode="after")
    def _names_resolve(self) -> Scenario:
        regions = {r.name for r in self.regions}
        hypers = {h.name for h in self.hyperscalers}
        labs = {lab.name for lab in self.labs}
        vendors = {v.name for v in self.chips.vendors}
        utilities = {f"utility-{r}" for r in regions}

        def need(ok: bool, path: str, value: object, allowed: object) -> None:
            if not ok:
                raise ValueError(f"@{path}@ = {value!r}: unknown name; allowed: {sorted(allowed)}")  # type: ignore[call-overload]

        for i, h in enumerate(self.hyperscalers):
            for r in h.built_mw:
                need(r in regions, f"hyperscalers.{i}.built_mw.{r}", r, regions)
        for i, v in enumerate(self.chips.vendors):
            if v.owner is not None:
                need(v.owner in hypers, f"chips.vendors.{i}.owner", v.owner, hypers)
        for i, lab in enumerate(self.labs):
            need(lab.home_region in regions, f"labs.{i}.home_region", lab.home_region, regions)
            need(lab.primary in hypers, f"labs.{i}.primary", lab.primary, hypers)
        for i, c in enumerate(self.contracts):
            sellers = {"compute": hypers, "power": utilities, "chips": vendors}[c.kind]
            buyers = {"compute": labs, "power": hypers, "chips": hypers}[c.kind]
            need(c.seller in sellers, f"contracts.{i}.seller", c.seller, sellers)
            need(c.buyer in buyers, f"contracts.{i}.buyer", c.buyer, buyers)
            if c.region is not None:
                need(c.region in regions, f"contracts.{i}.region", c.region, regions)
        if self.deal.enabled:
            need(self.deal.investor in hypers, "deal.investor", self.deal.investor, hypers)
            need(self.deal.lab in labs, "deal.lab", self.deal.lab, labs)
        return self

    # ------------------------------------------------------------------ API
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        """Validate ``data`` into a scenario or raise :class:`ScenarioError`."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(_explain(exc, cls)) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (TOML-able apart from ``None`` values)."""
        return self.model_dump(mode="python")

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new validated scenario with dotted-path keys replaced.

        >>> scn.with_overrides({"power.interconnection_months": 72})  # doctest: +SKIP

        List items are addressed by index (``"labs.0.cash"``). Unknown paths and invalid
        values raise :class:`ScenarioError` naming the path.
        """
        data = copy.deepcopy(self.to_dict())
        for path, value in overrides.items():
            _set_path(data, path, value)
        return Scenario.from_dict(data)


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    for depth, key in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ScenarioError(
                    f"override {path!r}: {where!r} is not an index of a list of {len(node)}; "
                    f"use 0..{len(node) - 1}"
                )
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if key not in node and not (last or isinstance(node.get(key), dict)):
                raise ScenarioError(
                    f"override {path!r}: unknown key {where!r}; allowed keys: {sorted(node)}"
                )
            if last:
                node[key] = value
            else:
                node = node[key]
        else:
            raise ScenarioError(f"override {path!r}: {where!r} is not a table")


def _field_bounds(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """The allowed range of the field at ``loc`` (for messages), if it has one."""
    cls: Any = model
    info = None
    for key in loc:
        if isinstance(key, int) or cls is None:
            continue
        fields = getattr(cls, "model_fields", None)
        if not fields or key not in fields:
            return None
        info = fields[key]
        ann = info.annotation
        args = getattr(ann, "__args__", ())
        cls = next(
            (a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None
        )
    if info is None:
        return None
    lo = hi = None
    lo_op, hi_op = ">=", "<="
    for m in info.metadata:
        for attr, op in (("ge", ">="), ("gt", ">")):
            if getattr(m, attr, None) is not None:
                lo, lo_op = getattr(m, attr), op
        for attr, op in (("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                hi, hi_op = getattr(m, attr), op
    if lo is None and hi is None:
        return None
    parts = [
        f"{lo_op} {lo:g}" if lo is not None else "",
        f"{hi_op} {hi:g}" if hi is not None else "",
    ]
    return "allowed range: " + " and ".join(p for p in parts if p)


def _explain(exc: ValidationError, model: type[BaseModel]) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(k) for k in loc)
        value = err.get("input")
        msg = err["msg"]
        if err["type"] == "value_error" and "@" in msg:
            _, path, rest = msg.split("@", 2)
            lines.append(f"scenario key {path!r}{rest}")
            continue
        if err["type"] == "extra_forbidden":
            parent: Any = model
            for key in loc[:-1]:
                if isinstance(key, int):
                    continue
                ann = parent.model_fields[key].annotation
                args = getattr(ann, "__args__", ())
                parent = next(
                    a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)
                )
            lines.append(
                f"scenario key {path!r}: unknown key; allowed keys here: "
                f"{', '.join(sorted(parent.model_fields))}"
            )
            continue
        if err["type"] == "missing":
            lines.append(f"scenario key {path!r}: missing; add it")
            continue
        bounds = _field_bounds(model, loc)
        hint = f"; {bounds}" if bounds else ""
        lines.append(f"scenario key {path!r} = {value!r}: {msg.lower()}{hint}")
    return "invalid scenario: " + "; ".join(lines)


@dataclass(frozen=True)
class Lever:
    """A knob for sweeps and sliders: dotted scenario path, label, range, unit."""

    path: str
    label: str
    min: float
    max: float
    step: float
    unit: str


LEVERS: dict[str, Lever] = {
    lever.path: lever
    for lever in (
        Lever("deal.investment_usd", "Deal investment (upfront)", 0.0, 40e9, 1e9, "USD"),
        Lever("deal.committed_spend_usd", "Lab's committed cloud spend", 0.0, 300e9, 10e9, "USD"),
        Lever("regulation.switching_fee_cap", "Switching-fee cap", 0.0, 1.0, 0.05, "USD/H100e-h"),
        Lever("power.interconnection_months", "Interconnection lead time", 6, 96, 6, "months"),
        Lever("regulation.hhi_threshold", "Regulator HHI threshold", 1000, 4000, 100, "HHI"),
        Lever("chips.supply_growth", "Chip supply growth", -0.2, 1.5, 0.05, "per year"),
        Lever("demand.growth_per_year", "AI demand growth", -0.2, 2.0, 0.05, "per year"),
    )
}
"""The levers of DESIGN.md's questions, keyed by dotted path."""
