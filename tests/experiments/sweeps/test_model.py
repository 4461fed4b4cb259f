"""The sweeps' scenario loader (``experiments.sweeps.model.scenario_with``)."""

from __future__ import annotations

from experiments.sweeps.model import scenario_with


def test_an_edited_scenario_file_is_read_again_in_the_same_process(tmp_path, monkeypatch):
    # a notebook that edits its scenario between in-process runs must get the edit
    monkeypatch.chdir(tmp_path)
    scn = tmp_path / "mine.toml"
    scn.write_text('extends = "baseline"\nname = "mine"\ncloud_conduct = 0.0\n')
    assert scenario_with("mine.toml", {}).cloud_conduct == 0.0
    scn.write_text('extends = "baseline"\nname = "mine"\ncloud_conduct = 1.0\n')
    assert scenario_with("mine.toml", {}).cloud_conduct == 1.0
    # overrides apply to the file as it is now, and the length is still the caller's
    assert scenario_with("mine.toml", {"cloud_conduct": 0.5}, 7).cloud_conduct == 0.5
    assert scenario_with("mine.toml", {}, 7).months == 7


def test_an_edit_to_a_file_lower_in_the_extends_chain_is_read_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = tmp_path / "base.toml"
    base.write_text('extends = "baseline"\nname = "base"\ncloud_conduct = 0.0\n')
    (tmp_path / "top.toml").write_text('extends = "base.toml"\nname = "top"\n')
    assert scenario_with("top.toml", {}).cloud_conduct == 0.0
    base.write_text('extends = "baseline"\nname = "base"\ncloud_conduct = 1.0\n')
    assert scenario_with("top.toml", {}).cloud_conduct == 1.0


def test_one_relative_name_in_two_working_folders_is_two_scenarios(tmp_path, monkeypatch):
    for sub, conduct in (("a", "0.0"), ("b", "1.0")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "mine.toml").write_text(
            f'extends = "baseline"\nname = "mine"\ncloud_conduct = {conduct}\n'
        )
    monkeypatch.chdir(tmp_path / "a")
    assert scenario_with("mine.toml", {}).cloud_conduct == 0.0
    monkeypatch.chdir(tmp_path / "b")
    assert scenario_with("mine.toml", {}).cloud_conduct == 1.0


def test_an_unchanged_file_is_not_loaded_again(tmp_path, monkeypatch):
    import experiments

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text('extends = "baseline"\nname = "mine"\n')
    first = scenario_with("mine.toml", {}, 5)
    calls: list[object] = []
    real = experiments.load_scenario
    monkeypatch.setattr(
        experiments, "load_scenario", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    assert scenario_with("mine.toml", {}, 5) is first
    assert calls == []


def test_a_shipped_scenario_loads_from_a_removed_working_folder(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # a notebook's folder deleted under it: a shipped name still loads
    assert scenario_with("baseline", {}, 3).months == 3
