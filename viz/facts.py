"""What the app reads from a run's scenario: start date, HHI review threshold, the deals,
the capacity price's cap.

Every read of a scenario setting the charts depend on lives here, one small function each,
so that when the world model exposes these itself (``model.start``, the regulator's
threshold) each is re-pointed in one place (the runway chart already reads the model's
``runway_months``). The app never keeps its
own copy of these values: a scenario that moves its start or its threshold is drawn as it
says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.units import parse_month
from experiments.report import deals_possible as report_deals_possible
from experiments.report import hhi_threshold as report_hhi_threshold

__all__ = [
    "FactError",
    "ListedDeal",
    "capacity_price_cap",
    "deal_switch_index",
    "deal_switch_key",
    "deals_possible",
    "has_deal",
    "hhi_review_threshold",
    "lever_applies",
    "lever_hint",
    "lever_note",
    "listed_deals",
    "minority_stakes_reviewed",
    "read_path",
    "scenario_start",
]


class FactError(ValueError):
    """A scenario setting the app needs is missing or malformed (names the key and the fix)."""


_MISSING = object()


def read_path(config: Any, path: str, default: Any = _MISSING) -> Any:
    """The value at a dotted ``path`` of a scenario (attributes, mappings or ``.get(path)``).

    Raises :class:`FactError` naming the path when it is absent and no ``default`` is given.
    """
    node: Any = config
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif not isinstance(node, Mapping) and hasattr(node, part):
            node = getattr(node, part)
        else:
            node = _MISSING
            break
    if node is _MISSING and hasattr(config, "get") and not isinstance(config, Mapping):
        try:
            node = config.get(path)
        except (KeyError, AttributeError, TypeError):
            node = _MISSING
    if node is _MISSING:
        if default is _MISSING:
            raise FactError(f"scenario has no {path!r}; add it to the scenario file")
        return default
    return node


def scenario_start(config: Any) -> str:
    """Calendar month ``"YYYY-MM"`` of model month 0: the scenario's ``start``.

    Raises
    ------
    FactError
        If ``start`` is not a ``YYYY-MM`` month (:func:`agents.units.parse_month`).
    """
    raw = str(read_path(config, "start"))
    if parse_month(raw) is None:
        raise FactError(f"scenario start={raw!r} is not a YYYY-MM month; write e.g. '2026-01'")
    return raw


def hhi_review_threshold(config: Any) -> float | None:
    """The regulator's HHI review threshold (``regulation.hhi_threshold``); None if unset.

    The 2023 US Merger Guidelines presume a market highly concentrated above 1,800; the
    scenario holds the value the model's regulator uses, so the chart draws that one. The
    reading is :func:`experiments.report.hhi_threshold`'s (the report's line too), through
    :func:`read_path`.
    """
    return report_hhi_threshold(config, read=read_path)


def capacity_price_cap(config: Any) -> float | None:
    """The cap on the capacity price ($/MW-day, ``power.capacity_price_cap``); None if unset."""
    cap = read_path(config, "power.capacity_price_cap", None)
    return None if cap is None else float(cap)


def has_deal(config: Any) -> bool:
    """True when the scenario contains the headline deal (``deal.enabled``)."""
    return bool(read_path(config, "deal.enabled", False))


def deals_possible(config: Any) -> bool:
    """True when a deal can appear: the headline deal, one of ``other_deals``, or strategic
    deals the model makes for labs the investors turn down (``capital.strategic_deals``).

    The rule is :func:`experiments.report.deals_possible`'s (the report figures' too), read
    through :func:`read_path`.
    """
    return report_deals_possible(config, read=read_path)


@dataclass(frozen=True)
class ListedDeal:
    """One deal of a scenario's ``other_deals``, as the sidebar's switch shows it."""

    #: Its position in ``other_deals`` (its id in the ``deals`` table is ``index + 1``).
    index: int
    #: Who invests in whom, when, how much: ``amazon in openai, 2026-02, $15B``.
    label: str
    #: Whether the scenario has it switched on (``other_deals.<index>.enabled``).
    enabled: bool

    @property
    def key(self) -> str:
        """The override that switches it: ``other_deals.<index>.enabled``."""
        return deal_switch_key(self.index)


_SWITCH = re.compile(r"other_deals\.(\d+)\.enabled")


def deal_switch_key(index: int) -> str:
    """The dotted path that switches the listed deal at ``index``: ``other_deals.0.enabled``."""
    return f"other_deals.{index}.enabled"


def deal_switch_index(key: str) -> int | None:
    """The index a deal switch's key names (``other_deals.0.enabled`` -> 0), else None."""
    match = _SWITCH.fullmatch(key)
    return None if match is None else int(match.group(1))


def _billions(usd: Any) -> str:
    return f"{float(usd) / 1e9:,.2f}".rstrip("0").rstrip(".")


def listed_deals(config: Any) -> list[ListedDeal]:
    """The scenario's listed deals (``other_deals``), in order; none when it lists none."""
    out = []
    for index, deal in enumerate(read_path(config, "other_deals", []) or []):
        label = (
            f"{read_path(deal, 'investor')} in {read_path(deal, 'lab')}, "
            f"{read_path(deal, 'propose')}, ${_billions(read_path(deal, 'investment_usd'))}B"
        )
        if read_path(deal, "exclusive", False):
            label += ", exclusive"
        out.append(ListedDeal(index, label, bool(read_path(deal, "enabled", True))))
    return out


def lever_applies(config: Any, path: str) -> bool:
    """Whether moving the lever at ``path`` changes this scenario's run.

    The deal's levers (``deal.*``) only matter when the scenario has the deal; every other
    lever always applies.
    """
    if path.startswith("deal."):
        return has_deal(config)
    return True


def lever_note(config: Any, path: str) -> str:
    """Why a lever does not apply (shown next to it), or ``""`` when it does."""
    if not lever_applies(config, path):
        return "no deal in this scenario: not used"
    return ""


def minority_stakes_reviewed(config: Any) -> bool:
    """True when some authority reviews minority stakes (``regulation.review_minority_stakes``,
    in the rules every authority applies or in a jurisdiction's own)."""
    if read_path(config, "regulation.review_minority_stakes", False):
        return True
    jurisdictions = read_path(config, "regulation.jurisdictions", {}) or {}
    return any(read_path(j, "review_minority_stakes", None) is True for j in jurisdictions.values())


def _own_rules(config: Any, path: str) -> str:
    """The jurisdictions that set the regulation lever at ``path`` for their own regions,
    with their values (e.g. ``"eu (0.05)"``), or ``""``: a lever sets the rules every other
    authority applies, not theirs (``RegulationCfg.rules_of``)."""
    prefix = "regulation."
    if not path.startswith(prefix):
        return ""
    key = path.removeprefix(prefix)
    jurisdictions = read_path(config, "regulation.jurisdictions", {}) or {}
    own = {
        name: value
        for name, j in jurisdictions.items()
        if (value := read_path(j, key, None)) is not None
    }
    return ", ".join(f"{name} ({value:g})" for name, value in sorted(own.items()))


def lever_hint(config: Any, path: str) -> str:
    """What a lever that applies does not reach in this scenario (shown under it), or ``""``.

    The regulator's HHI threshold decides reviews of qualifying stakes only: majority
    stakes, and minority ones where an authority reviews them
    (:func:`minority_stakes_reviewed`; ``agents.regulator``). The headline deal buys a
    minority stake (about 1% of Anthropic), so without that rule the threshold moves the
    concentration chart's line and decides only a strategic deal's majority stake.
    """
    own = _own_rules(config, path)
    if own:
        return f"{own} set their own; the slider sets the rules elsewhere"
    if path != "regulation.hhi_threshold" or minority_stakes_reviewed(config):
        return ""
    if not deals_possible(config):
        return "no deal to review in this scenario: moves the chart's line only"
    return "reviews majority stakes only (minority ones with regulation.review_minority_stakes)"
