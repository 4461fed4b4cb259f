"""The scenario schema: the typed, validated configuration the model consumes.

A scenario is a tree of pydantic models. Everything is checked before a run starts, so a
bad input fails at load time with a :class:`ScenarioError` naming the dotted key path, the
value and the fix, never mid-run:

- extra keys are forbidden; types are strict (no ``true`` for a number, no ``"5"`` for
  a number or a boolean; an int is accepted for a float, and a whole float such as
  ``36.0`` for an int);
- every number, including every value of the ``built_mw``, ``family_mix`` and
  ``affinity`` maps, is finite and bounded; each bound says why in its field's
  description (the reason is repeated in the error message);
- names are slugs (:data:`NAME_RULE`), unique within their list and, for agents, across
  all agents (utilities are named ``utility-<region>``); references resolve to names;
- ``start`` is a real month, ``YYYY-MM`` with the year in 2000-2100.

Defaults are the calibrated 2026 market: the comments of
``experiments/scenarios/baseline.toml`` cite the rows of ``docs/calibration.md`` (as
``[id]``) that each value comes from.

The field types live in :mod:`agents.scenario_fields`, the sections in
:mod:`agents.scenario_sections` (firms, demand, money), :mod:`agents.scenario_supply`
(power, chips, data centres) and :mod:`agents.scenario_rules` (regulation, deals,
contracts); this module assembles them into :class:`Scenario`, checks the references
between sections, and re-exports the public names, so user code imports everything from
here. ``LEVERS`` lists the policy and uncertainty knobs that sweeps and
the browser app move.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, model_validator

from agents.accounts import OUTSIDE_NAME
from agents.levers import LEVERS, Lever
from agents.scenario_fields import (
    FAMILIES,
    MAX_EXTENDS_DEPTH,
    MAX_TFLOPS_PER_WATT,
    NAME_RULE,
    SCENARIO_NAME_RULE,
    WHY_LIST,
    WHY_MONTHS,
    WHY_PRICE_H,
    Description,
    Float,
    Int,
    Month,
    ScenarioName,
    Section,
    bounded,
    past_calendar,
)
from agents.scenario_messages import (
    SCENARIO_CUTOFF,
    ScenarioError,
    explain,
    set_path,
    short,
    suggest,
)
from agents.scenario_rules import (
    ContractCfg,
    DatedDealCfg,
    DealCfg,
    JurisdictionCfg,
    RegulationCfg,
)
from agents.scenario_sections import (
    CapitalCfg,
    DemandCfg,
    FinanceCfg,
    HyperscalerCfg,
    LabCfg,
    LockinCfg,
    ProjectCfg,
    RoundCfg,
    ScaleCfg,
)
from agents.scenario_supply import (
    ChipGenCfg,
    ChipsCfg,
    DataCentreCfg,
    GenUnitCfg,
    PowerCfg,
    RegionCfg,
    VendorCfg,
)
from market.trade_pattern import TradePattern

__all__ = [
    "DEFAULT_MONTHS",
    "FAMILIES",
    "LEVERS",
    "MAX_EXTENDS_DEPTH",
    "MAX_MONTHS",
    "MAX_TFLOPS_PER_WATT",
    "NAME_RULE",
    "SCENARIO_NAME_RULE",
    "CapitalCfg",
    "ChipGenCfg",
    "ChipsCfg",
    "ContractCfg",
    "DataCentreCfg",
    "DatedDealCfg",
    "DealCfg",
    "DemandCfg",
    "FinanceCfg",
    "GenUnitCfg",
    "HyperscalerCfg",
    "JurisdictionCfg",
    "LabCfg",
    "Lever",
    "LockinCfg",
    "PowerCfg",
    "ProjectCfg",
    "RegionCfg",
    "RegulationCfg",
    "RoundCfg",
    "ScaleCfg",
    "Scenario",
    "ScenarioError",
    "VendorCfg",
]

DEFAULT_MONTHS = 120
"""A scenario's ``months`` unless it gives its own (ten years): the default run's length."""

MAX_MONTHS = 600
"""Longest run the model accepts, in months (50 years): the bound of a scenario's ``months``."""


class Scenario(Section):
    """A complete scenario: the world the model builds and the rules it runs by."""

    name: ScenarioName = "custom"
    description: Description = ""
    start: Month = "2026-01"
    months: Int = bounded(DEFAULT_MONTHS, ge=1, le=MAX_MONTHS, why=WHY_MONTHS)
    regions: list[RegionCfg] = Field(min_length=1, max_length=50, description=WHY_LIST)
    latency_cost: Float = bounded(0.15, ge=0, le=100, why=WHY_PRICE_H)
    trade_pattern: TradePattern = "proportional"
    """Which optimum a month's clearing returns when several are equally good: the one
    nearest proportional shares (the default, so a run's flows follow from its books), or
    the one HiGHS's simplex stops at (:class:`market.warm.Clearer`)."""
    cloud_conduct: Float = bounded(
        0.0,
        ge=0,
        le=1,
        why="how the clouds' spot offers answer their shares: 0 price-taking (cost x (1 + "
        "markup)), 1 Cournot (that over 1 - share / demand.price_elasticity) "
        "[est-cloud-conduct]",
    )
    power: PowerCfg = PowerCfg()
    chips: ChipsCfg
    datacentres: DataCentreCfg = DataCentreCfg()
    hyperscalers: list[HyperscalerCfg] = Field(min_length=1, max_length=50, description=WHY_LIST)
    labs: list[LabCfg] = Field(min_length=1, max_length=200, description=WHY_LIST)
    demand: DemandCfg = DemandCfg()
    capital: CapitalCfg = CapitalCfg()
    finance: FinanceCfg = FinanceCfg()
    lockin: LockinCfg = LockinCfg()
    regulation: RegulationCfg = RegulationCfg()
    deal: DealCfg = DealCfg()
    other_deals: list[DatedDealCfg] = Field(
        default_factory=list, max_length=100, description=WHY_LIST
    )
    """More deals, each proposed in its month (the headline ``deal`` is the one
    ``gigawatt compare --deal-effect`` and the forecasts measure)."""
    contracts: list[ContractCfg] = Field(
        default_factory=list, max_length=1_000, description=WHY_LIST
    )
    projects: list[ProjectCfg] = Field(default_factory=list, max_length=1_000, description=WHY_LIST)
    rounds: list[RoundCfg] = Field(default_factory=list, max_length=1_000, description=WHY_LIST)
    """Dated equity rounds, on top of those labs raise when their runway runs short."""
    scale: ScaleCfg = ScaleCfg()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        """Names unique, references resolve, maps not all zero, contracts not empty."""
        problems: list[str] = []

        def bad(path: str, value: object, why: str) -> None:
            problems.append(f"@{path}@ = {short(value)}: {why}")

        def need(ok: bool, path: str, value: object, allowed: set[str]) -> None:
            if not ok:
                hint = suggest(value, allowed, SCENARIO_CUTOFF) if isinstance(value, str) else ""
                bad(path, value, f"unknown name{hint}; allowed: {sorted(allowed)}")

        lists: dict[str, list[Any]] = {
            "regions": self.regions,
            "chips.generations": self.chips.generations,
            "chips.vendors": self.chips.vendors,
            "hyperscalers": self.hyperscalers,
            "labs": self.labs,
        }
        for key, items in lists.items():
            first: dict[str, int] = {}
            for i, item in enumerate(items):
                if item.name in first:
                    bad(
                        f"{key}.{i}.name",
                        item.name,
                        f"duplicate name (also {key}.{first[item.name]}.name); "
                        "give each item its own name",
                    )
                first.setdefault(item.name, i)
        # Agents of different kinds share one name space (tables, graph, reports).
        owner_of: dict[str, str] = {}
        agents = [(f"utility-{r.name}", f"regions.{i}.name") for i, r in enumerate(self.regions)]
        agents += [(v.name, f"chips.vendors.{i}.name") for i, v in enumerate(self.chips.vendors)]
        agents += [(h.name, f"hyperscalers.{i}.name") for i, h in enumerate(self.hyperscalers)]
        agents += [(lab.name, f"labs.{i}.name") for i, lab in enumerate(self.labs)]
        for agent, path in agents:
            if agent == OUTSIDE_NAME:  # its cash flows would read as the outside world's
                bad(path, agent, "reserved for the outside world in the tables; rename it")
            other = owner_of.setdefault(agent, path)
            if other != path and other.rsplit(".", 2)[0] != path.rsplit(".", 2)[0]:
                bad(path, agent, f"the agent name {agent!r} is taken by {other}; rename one")
        for i, lab in enumerate(self.labs):
            if re.fullmatch(r"(small-lab|enterprise)-\d+", lab.name):
                bad(f"labs.{i}.name", lab.name, "reserved for scale-mode agents; rename it")

        regions = {r.name for r in self.regions}
        hypers = {h.name for h in self.hyperscalers}
        fringes = {h.name for h in self.hyperscalers if h.fringe}
        labs = {lab.name for lab in self.labs}
        vendors = {v.name for v in self.chips.vendors}
        vendor_of = {v.name: v for v in self.chips.vendors}
        first_release: dict[str, str] = {}  # each family's first release, 'YYYY-MM'
        for gen in self.chips.generations:
            first_release[gen.family] = min(gen.release, first_release.get(gen.family, gen.release))
        utilities = {f"utility-{r}" for r in regions}
        sellers_of = {  # who may sell each family to each hyperscaler
            (h, v.family) for v in self.chips.vendors for h in hypers if v.owner in (None, h)
        }
        for i, h in enumerate(self.hyperscalers):
            for r in h.built_mw:
                need(r in regions, f"hyperscalers.{i}.built_mw.{r}", r, regions)
            for r in h.building_mw:
                need(r in regions, f"hyperscalers.{i}.building_mw.{r}", r, regions)
            if h.fringe_firms is not None and not h.fringe:
                bad(
                    f"hyperscalers.{i}.fringe_firms",
                    h.fringe_firms,
                    "counts the firms of a fringe, and this cloud is not one; "
                    "set fringe = true or remove fringe_firms",
                )
            if not any(share > 0 for share in h.family_mix.values()):
                bad(
                    f"hyperscalers.{i}.family_mix",
                    dict(h.family_mix),
                    "no chip family has a positive share; give at least one family a share > 0",
                )
            for fam, share in h.family_mix.items():
                if share > 0 and (h.name, fam) not in sellers_of:
                    bad(
                        f"hyperscalers.{i}.family_mix.{fam}",
                        share,
                        f"no vendor sells {fam} chips to {h.name}; set it to 0 or add a vendor",
                    )
        for i, p in enumerate(self.projects):
            need(p.owner in hypers, f"projects.{i}.owner", p.owner, hypers)
            need(p.region in regions, f"projects.{i}.region", p.region, regions)
        for i, rd in enumerate(self.rounds):
            need(rd.lab in labs, f"rounds.{i}.lab", rd.lab, labs)
            if rd.month < self.start:  # 'YYYY-MM' strings order as months do
                bad(
                    f"rounds.{i}.month",
                    rd.month,
                    f"before the start ({self.start}); add a round raised before it to the "
                    "lab's starting cash",
                )
        for i, g in enumerate(self.chips.generations):
            if g.tflops > MAX_TFLOPS_PER_WATT * g.watts:  # (a quotient can round above)
                bad(
                    f"chips.generations.{i}.tflops",
                    g.tflops,
                    f"{g.tflops / g.watts:.3g} TFLOP/s per watt; at most {MAX_TFLOPS_PER_WATT:g} "
                    "(14x an H100's 1.4); lower tflops or raise watts",
                )
        made = {g.family for g in self.chips.generations}
        for i, v in enumerate(self.chips.vendors):
            if v.owner is not None:
                need(v.owner in hypers, f"chips.vendors.{i}.owner", v.owner, hypers)
            if v.family not in made:
                bad(
                    f"chips.vendors.{i}.family",
                    v.family,
                    f"no generation of the {v.family} family in chips.generations; "
                    "add one or sell another family",
                )
        for i, lab in enumerate(self.labs):
            need(lab.home_region in regions, f"labs.{i}.home_region", lab.home_region, regions)
            need(lab.primary in hypers, f"labs.{i}.primary", lab.primary, hypers)
            if not any(a > 0 for a in lab.affinity.values()):
                bad(
                    f"labs.{i}.affinity",
                    dict(lab.affinity),
                    "the lab can run on no chip family; give at least one family affinity > 0",
                )
        if (why := past_calendar(self.start, self.months)) is not None:
            bad("months", self.months, why)
        for i, c in enumerate(self.contracts):
            sellers = {"compute": hypers, "power": utilities, "chips": vendors}[c.kind]
            buyers = {"compute": labs, "power": hypers, "chips": hypers}[c.kind]
            need(c.seller in sellers, f"contracts.{i}.seller", c.seller, sellers)
            need(c.buyer in buyers, f"contracts.{i}.buyer", c.buyer, buyers)
            if c.region is not None:
                need(c.region in regions, f"contracts.{i}.region", c.region, regions)
            if c.kind == "power" and c.family is not None:
                bad(
                    f"contracts.{i}.family",
                    c.family,
                    "a power contract sells energy, which has no chip family; remove family",
                )
            if c.kind == "chips" and c.region is not None:
                bad(
                    f"contracts.{i}.region",
                    c.region,
                    "chips are installed where their buyer has room (its free MW), not in a "
                    "named region; remove region (it applies to compute and power contracts)",
                )
            vendor = vendor_of.get(c.seller) if c.kind == "chips" else None
            if vendor is not None and vendor.owner is not None:
                bad(
                    f"contracts.{i}.seller",
                    c.seller,
                    f"is {vendor.owner}'s in-house silicon, which passes to its owner at cost "
                    "each month and is sold to no one else; remove the contract, or remove the "
                    "vendor's owner to make it a merchant vendor",
                )
            elif vendor is not None and c.family not in (None, vendor.family):
                bad(
                    f"contracts.{i}.family",
                    c.family,
                    f"{c.seller} makes {vendor.family} chips; give family = "
                    f"{vendor.family!r} or leave it out",
                )
            elif vendor is not None and c.start < first_release.get(vendor.family, c.start):
                bad(
                    f"contracts.{i}.start",
                    c.start,
                    f"before {c.seller}'s first chip ({vendor.family}, released "
                    f"{first_release[vendor.family]}): start the contract then or later",
                )
            if c.end <= c.start:
                bad(
                    f"contracts.{i}.end",
                    c.end,
                    f"must be after start ({c.start}); a contract lasts >= 1 month",
                )
            if c.kind == "compute" and c.family is not None and c.seller in hypers:
                if (c.seller, c.family) not in sellers_of:
                    bad(
                        f"contracts.{i}.family",
                        c.family,
                        f"no vendor sells {c.family} chips to {c.seller}; "
                        "choose a family it can buy or add a vendor",
                    )
        for key, j in self.regulation.jurisdictions.items():
            for k, r in enumerate(j.regions):
                need(r in regions, f"regulation.jurisdictions.{key}.regions.{k}", r, regions)
        deals = [("deal", self.deal)]
        deals += [(f"other_deals.{i}", d) for i, d in enumerate(self.other_deals)]
        for path, d in deals:
            if not d.enabled:
                continue
            need(d.investor in hypers, f"{path}.investor", d.investor, hypers)
            if d.investor in fringes:
                bad(
                    f"{path}.investor",
                    d.investor,
                    "is a fringe of small clouds, which strikes no deals; name one of the "
                    f"hyperscalers {sorted(hypers - fringes)}",
                )
            need(d.lab in labs, f"{path}.lab", d.lab, labs)
            if d.silicon is not None and d.investor in hypers:
                if (d.investor, d.silicon) not in sellers_of:
                    bad(
                        f"{path}.silicon",
                        d.silicon,
                        f"no vendor sells {d.silicon} chips to {d.investor}; "
                        "choose a family the investor can buy, or none",
                    )
            if d.propose < self.start:  # 'YYYY-MM' order as months do
                bad(
                    f"{path}.propose",
                    d.propose,
                    f"before the start ({self.start}), so the deal would never be proposed; "
                    "propose it from the start on, or leave it out (a deal made before the "
                    "start is in the starting state: the lab's cash, its contracts)",
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # ------------------------------------------------------------------ API
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Validate ``data`` into a scenario or raise :class:`ScenarioError`."""
        if not isinstance(data, Mapping):
            raise ScenarioError(
                f"invalid scenario: expected a table of keys, got {type(data).__name__}"
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ScenarioError(explain(exc, cls)) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (TOML-able apart from ``None`` values)."""
        return self.model_dump(mode="python")

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new validated scenario with dotted-path keys replaced.

        >>> scn.with_overrides({"power.interconnection_months": 72})  # doctest: +SKIP
        >>> scn.with_overrides({"labs.anthropic.cash": 35e9})  # doctest: +SKIP

        List items are addressed by their ``name`` (``"labs.anthropic.cash"``,
        ``"regions.us-east.units.0.mw"``) or by index (``"labs.0.cash"``). Unknown paths,
        unknown names and invalid values raise :class:`ScenarioError` naming the path and
        what is allowed there.
        """
        if not isinstance(overrides, Mapping):
            raise ScenarioError(
                f"overrides = {overrides!r}: give a mapping of dotted paths to values, e.g. "
                '{"power.interconnection_months": 72}'
            )
        data = self.to_dict()  # new containers each call (pydantic's dump): no copy needed
        for path, value in overrides.items():
            set_path(data, path, value, Scenario)
        return Scenario.from_dict(data)
