"""Every default in one place: the schema's defaults equal what the baseline file sets."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from agents import scenario as S

BASELINE = Path(__file__).resolve().parents[2] / "experiments" / "scenarios" / "baseline.toml"
SECTIONS = {
    "power": S.PowerCfg,
    "chips": S.ChipsCfg,
    "datacentres": S.DataCentreCfg,
    "demand": S.DemandCfg,
    "capital": S.CapitalCfg,
    "finance": S.FinanceCfg,
    "lockin": S.LockinCfg,
    "regulation": S.RegulationCfg,
    "deal": S.DealCfg,
    "scale": S.ScaleCfg,
}


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_section_defaults_equal_the_baseline_file(section):
    raw = tomllib.loads(BASELINE.read_text()).get(section, {})
    cls = SECTIONS[section]
    for name, value in raw.items():
        if isinstance(value, list | dict):
            continue
        info = cls.model_fields[name]
        if not info.is_required():
            assert info.default == value, f"{section}.{name}: code {info.default!r}, file {value!r}"


def test_markups_have_no_default_to_disagree_with():
    # merchant vendors (3.0) and in-house silicon (0.3) differ tenfold, as do clouds
    assert S.VendorCfg.model_fields["markup"].is_required()
    assert S.HyperscalerCfg.model_fields["markup"].is_required()
