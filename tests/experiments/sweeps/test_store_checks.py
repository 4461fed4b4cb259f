"""Invariant checks reach every run of a sweep unless turned off."""

from __future__ import annotations

from experiments.cli import main
from experiments.sweeps import SweepStore, run_sweep
from tests.experiments.sweeps.conftest import TOY_TOML, make_spec

CHECKED = "tests.experiments.sweeps.toy:toy_model_checked"


def test_runs_are_checked_by_default_and_can_opt_out(tmp_path) -> None:
    spec = make_spec(model=CHECKED, outputs={"final": ["checked"]})
    run_sweep(spec, tmp_path / "on", workers=1, progress=False)
    run_sweep(spec, tmp_path / "off", workers=1, progress=False, check=False)
    assert (SweepStore.open(tmp_path / "on").load()["checked"] == 1.0).all()
    assert (SweepStore.open(tmp_path / "off").load()["checked"] == 0.0).all()


def test_cli_no_check_flag(tmp_path, capsys) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(
        TOY_TOML.replace("toy:toy_model", "toy:toy_model_checked").replace(
            'final = ["y"]', 'final = ["checked"]'
        )
    )
    for flag, expect in (([], 1.0), (["--no-check"], 0.0)):
        out = tmp_path / f"o{len(flag)}"
        args = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress", *flag]
        assert main(args) == 0
        assert (SweepStore.open(out).load()["checked"] == expect).all()
