"""TOML files as editors save them: with a byte order mark, in another encoding, broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.calibration import load_priors, load_targets
from experiments.scenarios import load_scenario
from experiments.sweeps.spec import load_spec
from experiments.tomlfile import TomlFileError, load_toml

SHIPPED = Path(__file__).parents[2] / "experiments"
BOM = b"\xef\xbb\xbf"


def _with_bom(src: Path, dst: Path) -> Path:
    dst.write_bytes(BOM + src.read_bytes().replace(b"\n", b"\r\n"))  # Notepad's way
    return dst


def test_a_byte_order_mark_and_crlf_lines_read_as_the_plain_file(tmp_path: Path) -> None:
    scenario = SHIPPED / "scenarios" / "power-crunch.toml"
    spec = SHIPPED / "sweep_specs" / "example.toml"
    targets = SHIPPED / "calibration" / "targets.toml"
    priors = SHIPPED / "calibration" / "priors.toml"
    for src in (scenario, spec, targets, priors):
        assert load_toml(_with_bom(src, tmp_path / src.name)) == load_toml(src)
    assert load_scenario(tmp_path / scenario.name) == load_scenario(scenario)
    assert load_spec(tmp_path / spec.name) == load_spec(spec)
    assert load_targets(tmp_path / targets.name) == load_targets(targets)
    assert load_priors(tmp_path / priors.name) == load_priors(priors)


@pytest.mark.parametrize(
    ("encoding", "at"),
    [("utf-16", 0), ("latin-1", 3)],  # Notepad's "Unicode"; a legacy editor's "für"
)
def test_another_encoding_is_told_to_save_as_utf8(tmp_path: Path, encoding: str, at: int) -> None:
    p = tmp_path / "x.toml"
    p.write_text('# für\nextends = "baseline"\n', encoding=encoding)
    with pytest.raises(TomlFileError) as info:
        load_toml(p)
    assert str(info.value).startswith("cannot be read as UTF-8 text (")
    assert f" at byte {at}); save it as UTF-8" in str(info.value)
    with pytest.raises(ValueError, match=r"x\.toml': cannot be read as UTF-8 text"):
        load_scenario(p)
    with pytest.raises(ValueError, match=r"x\.toml: cannot be read as UTF-8 text"):
        load_spec(p)
    with pytest.raises(ValueError, match=r"x\.toml: cannot be read as UTF-8 text"):
        load_targets(p)


def test_broken_or_unreadable_files_say_why(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text("a = 1\nb = = 2\n")
    with pytest.raises(
        TomlFileError,
        match=r"^not valid TOML: Invalid value \(at line 2, column 5\) \(fix the syntax\)$",
    ):
        load_toml(p)
    with pytest.raises(TomlFileError, match=r"^cannot be read \(Is a directory\)$"):
        load_toml(tmp_path)
