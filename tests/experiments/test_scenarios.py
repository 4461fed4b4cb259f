"""Scenario files: the shipped ones load; bad files give pinned messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agents.scenario import ScenarioError
from experiments import run_scenario
from experiments.scenarios import (
    REPLACED_LIST,
    SCENARIO_DIR,
    list_scenarios,
    load_scenario,
    scenario_path,
)

SHIPPED = [
    "baseline",
    "amazon-anthropic-2026",
    "eu-data-act",
    "history-2023",
    "history-2023-deal",
    "no-deal",
    "power-crunch",
    "strict-antitrust",
]


def test_shipped_scenarios_load():
    assert list_scenarios() == SHIPPED
    for name in SHIPPED:
        assert load_scenario(name).name == name


def test_scenarios_differ_where_they_say():
    base = load_scenario("baseline")
    assert not base.deal.enabled and load_scenario("amazon-anthropic-2026").deal.enabled
    assert load_scenario("power-crunch").power.interconnection_months == 60
    eu = load_scenario("eu-data-act").regulation
    assert eu.switching_fee_ban is None  # the EU's rule, not a worldwide one
    assert eu.rules_of("eu").switching_fee_ban == "2027-01"
    assert eu.jurisdictions["eu"].regions == ["europe"]
    strict = load_scenario("strict-antitrust")
    assert strict.regulation.exclusivity_ban and strict.deal.enabled
    (plain,) = load_scenario("no-deal").rounds  # the deal's $5B as a plain round instead
    assert (plain.lab, plain.usd) == ("anthropic", 5e9)


def _leaves(data: object, prefix: str = "") -> dict[str, object]:
    """Every value of a scenario dict by its dotted path (list items by index)."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {prefix: data}
    out: dict[str, object] = {}
    for key, value in items:
        out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _differ(a: str, b: str) -> set[str]:
    la, lb = _leaves(load_scenario(a).to_dict()), _leaves(load_scenario(b).to_dict())
    return {k for k in la.keys() | lb.keys() if la.get(k, "absent") != lb.get(k, "absent")}


def test_the_deal_and_its_counterfactual_differ_only_in_the_deal():
    # no-deal is amazon-anthropic-2026 without the deal, its $5B as a plain round: any
    # other difference (a lab's capability, costs...) would be read as the deal's effect
    differ = _differ("amazon-anthropic-2026", "no-deal")
    plain_round = {"rounds.0.lab", "rounds.0.month", "rounds.0.usd"}
    assert {k for k in differ if not k.startswith("deal.")} == {"name", "description"} | plain_round
    assert "deal.enabled" in differ
    assert _differ("baseline", "no-deal") == {"name", "description"} | plain_round


def test_the_plain_round_comes_when_the_deal_would_pay():
    # the same $5B at the same month: only the deal's other terms differ
    deals = run_scenario("amazon-anthropic-2026", months=9, rng=7).tables["deals"]
    paid = deals.loc[deals["invested_usd"] > 0, "date"].iloc[0]
    (plain,) = load_scenario("no-deal").rounds
    assert plain.month == paid.strftime("%Y-%m")
    assert plain.usd == deals["invested_usd"].max()


def test_a_files_overrides_are_applied_after_the_merge(tmp_path):
    base = load_scenario("baseline")
    p = tmp_path / "o.toml"
    # a quoted dotted key and nested tables, a list item by name and by index
    p.write_text(
        'extends = "baseline"\n[overrides]\n"labs.openai.cash" = 1e9\n'
        "labs.1.opex_per_month = 2e8\npower.interconnection_months = 48\n"
    )
    scn = load_scenario(p)
    assert (scn.labs[1].name, scn.labs[1].cash, scn.labs[1].opex_per_month) == ("openai", 1e9, 2e8)
    assert scn.power.interconnection_months == 48
    assert scn.labs[0] == base.labs[0] and scn.demand == base.demand
    # a file extending it overrides its overrides, key by key
    q = tmp_path / "q.toml"
    q.write_text('extends = "o.toml"\n[overrides]\n"labs.openai.cash" = 2e9\n')
    child = load_scenario(q)
    assert (child.labs[1].cash, child.power.interconnection_months) == (2e9, 48)


DOCS = Path(__file__).parents[2] / "docs" / "calibration.md"


def _defined_ids() -> set[str]:
    return set(re.findall(r"^\| `\[([a-z0-9-]+)\]`", DOCS.read_text(), flags=re.MULTILINE))


def test_calibration_ids_are_unique_and_stable():
    ids = re.findall(r"^\| `\[([a-z0-9-]+)\]`", DOCS.read_text(), flags=re.MULTILINE)
    assert len(ids) == len(set(ids))
    assert {"acc-h100", "dc-pue", "reg-merger-2023", "deal-spend", "pow-queue"} <= set(ids)
    assert {"hist-nvda-dc", "hist-openai-gw", "hist-h100-rent"} <= set(ids)


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_scenario_comments_cite_rows_of_the_calibration_doc(path):
    text = path.read_text()
    comments = " ".join(line.partition("#")[2] for line in text.splitlines())
    cited = set(re.findall(r"\[([a-z][a-z0-9-]*)\]", comments))
    assert cited, "every shipped scenario cites the rows it rests on"
    assert cited <= _defined_ids()
    # rows are cited by id, not by an outside document's section titles
    assert not re.search(r"\[[A-Z][^\]]* / ", comments)


def test_baseline_cites_calibration_rows():
    text = (SCENARIO_DIR / "baseline.toml").read_text()
    assert "docs/calibration.md" in text
    for row in ("[acc-h100]", "[dc-pue]", "[reg-merger-2023]", "[deal-spend]", "[pow-queue]"):
        assert row in text
    # every "est." value names the [est-*] row that says how it was derived
    for line in text.splitlines():
        if "# est." in line:
            assert re.search(r"\[est-[a-z0-9-]+\]", line), line


def test_unknown_name(tmp_path):
    with pytest.raises(
        ScenarioError,
        match=r"scenario 'nope' is not a shipped name or a \.toml file; shipped: baseline",
    ):
        load_scenario("nope")


def test_bad_toml_syntax(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("months = = 3\n")
    with pytest.raises(
        ScenarioError, match=r"bad.toml': not valid TOML: Invalid value \(at line 1, column 10\)"
    ):
        load_scenario(p)


def test_bad_value_in_file_names_file_key_value_range(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text('extends = "baseline"\n[power]\npue = 0.5\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert str(err.value) == (
        f"{p}: invalid scenario: scenario key 'power.pue' = 0.5: "
        "input should be greater than or equal to 1; allowed range: >= 1 and <= 3 "
        "(power usage effectiveness: >= 1 by definition, industry ~1.1-1.6 [dc-pue])"
    )


def test_unknown_key_in_file(tmp_path):
    p = tmp_path / "y.toml"
    p.write_text('extends = "baseline"\n[deal]\nenabeld = true\n')
    with pytest.raises(
        ScenarioError,
        match=r"scenario key 'deal.enabeld': unknown key; did you mean 'enabled'\?; allowed keys",
    ):
        load_scenario(p)


def test_extends_loop(tmp_path):
    p = tmp_path / "loop.toml"
    p.write_text('extends = "loop.toml"\n')
    with pytest.raises(ScenarioError, match=r"'extends' loops back to 'loop.toml' \(loop.toml"):
        load_scenario(p)


def test_extends_cycle_names_the_chain(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "c.toml"\n')
    (tmp_path / "c.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "a.toml")
    assert str(err.value) == (
        f"scenario {str(tmp_path / 'a.toml')!r}: 'extends' loops back to 'a.toml' "
        "(a.toml -> b.toml -> c.toml -> a.toml); remove one link of the loop"
    )


def _chain(tmp_path, links):
    """Files s0 ... s<links>: each extends the next, the last extends baseline."""
    for i in range(links):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "s{i + 1}.toml"\nmonths = {i + 1}\n')
    (tmp_path / f"s{links}.toml").write_text('extends = "baseline"\n')
    return tmp_path / "s0.toml"


def test_extends_chain_of_sixteen_links_loads(tmp_path):
    # s0 -> ... -> s15 -> baseline: 16 links; the nearest file wins
    assert load_scenario(_chain(tmp_path, 15)).months == 1


@pytest.mark.parametrize("links", [16, 1200])
def test_extends_chain_too_long(tmp_path, links):
    with pytest.raises(ScenarioError, match=r"'extends' chain is longer than 16 links"):
        load_scenario(_chain(tmp_path, links))


def _refusal(path: Path, text: str) -> str:
    """The message of the ScenarioError a scenario file of ``text`` at ``path`` raises."""
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    return str(err.value)


@pytest.mark.parametrize(
    ("extends", "says"),
    [
        ("3", "'extends' = 3: must be a scenario name or a path to a .toml file"),
        ('""', "'extends' = '': must be a scenario name or a path to a .toml file"),
        ('["baseline"]', "'extends' = ['baseline']: must be a scenario name"),
        ('"missing.toml"', "missing.toml' does not exist; give a path to a .toml file"),
        ('"nope"', "scenario 'nope' is not a shipped name or a .toml file"),
        ('"a\\u0000b"', "contains a NUL byte; give a name or a path"),
    ],
)
def test_bad_extends(tmp_path, extends, says):
    p = tmp_path / "x.toml"
    said = _refusal(p, f"extends = {extends}\n")
    assert says in said
    assert said.startswith(str(p.resolve()))  # the file whose 'extends' is at fault


GOOGLE_TPU = (
    'kind = "compute"\nseller = "google"\nbuyer = "anthropic"\nvolume_per_month = 5e8\n'
    'price = 2.1\nstart = "2027-01"\nend = "2032-01"\nfamily = "tpu"\n'
)


def test_append_adds_items_to_the_bases_lists_down_a_chain(tmp_path):
    base = load_scenario("baseline")
    one = tmp_path / "one.toml"
    one.write_text(
        f'extends = "baseline"\n[[append.contracts]]\n{GOOGLE_TPU}'
        '[[append.rounds]]\nlab = "openai"\nmonth = "2026-03"\nusd = 87e9\n'
    )
    two = tmp_path / "two.toml"  # and a file on top of it appends again, after one's
    two.write_text(
        'extends = "one.toml"\n[[append.contracts]]\n'
        + GOOGLE_TPU.replace("5e8", "1e8").replace("2027-01", "2028-01")
    )
    scn = load_scenario(two)
    assert scn.contracts[: len(base.contracts)] == base.contracts  # the base's, untouched
    added = scn.contracts[len(base.contracts) :]
    assert [(c.seller, c.volume_per_month, c.start) for c in added] == [
        ("google", 5e8, "2027-01"),
        ("google", 1e8, "2028-01"),
    ]
    assert [(r.lab, r.usd) for r in scn.rounds] == [("openai", 87e9)]  # started: none in base
    # and the model settles the appended contract: Anthropic's TPU hours from 2027
    run = run_scenario(load_scenario(one), months=14, rng=0, tables=["contracts"])
    last = run.tables["contracts"].iloc[len(base.contracts)]
    assert (last["seller"], last["start_date"].year) == ("google", 2027)
    assert last["delivered_total"] + last["penalty_total"] > 0  # two months of it, settled


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[append.demand]]\nx = 1\n", "[[append.demand]]: 'demand' is a table of the scenario"),
        ("[[append.contract]]\nx = 1\n", "'contract': unknown key; did you mean 'contracts'?"),
        ("[append]\ncontracts = 3\n", "'append.contracts' = 3: give a list of tables"),
        ("append = 3\n", "'append' = 3: must be a table of lists of tables"),
        ("[[append.chips.vendors.x]]\ny = 1\n", "'chips.vendors' is a list: write [[append"),
        # one table where an array of tables was meant: "is a list of the scenario, not a list"
        (
            '[append.contracts]\nkind = "compute"\n',
            "[append.contracts] is one table, and 'contracts' is a list: write "
            "[[append.contracts]] (double brackets",
        ),
    ],
)
def test_append_refuses_what_is_not_a_list(tmp_path, text, says):
    assert says in _refusal(tmp_path / "x.toml", f'extends = "baseline"\n{text}')


def test_a_list_replaced_by_a_file_that_extends_says_why_references_break(tmp_path):
    p = tmp_path / "solo.toml"  # its labs replace the baseline's, whose contracts name them
    p.write_text(
        'extends = "baseline"\n[[labs]]\nname = "solo"\nhome_region = "us-east"\n'
        'cash = 1e9\ncapability = 1.0\naffinity = { nvidia = 1.0 }\nprimary = "amazon"\n'
        "opex_per_month = 1e7\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    said = str(err.value)
    assert "'contracts.0.buyer' = 'anthropic': unknown name; allowed: ['solo']" in said
    assert said.endswith(REPLACED_LIST)
    given = p.read_text().replace("\n", "\ncontracts = []\n", 1)  # given again: none
    p.write_text(given)
    assert [lab.name for lab in load_scenario(p).labs] == ["solo"]
    # a misspelt name in a file that replaces no list: no word of lists, a close match
    p.write_text('extends = "baseline"\n[deal]\nenabled = true\nlab = "antropic"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert str(err.value).endswith(
        "did you mean 'anthropic'?; allowed: "
        + str(sorted(lab.name for lab in load_scenario("baseline").labs))
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('name = "/tmp/x/pwned"', "'name' = '/tmp/x/pwned': must be a slug"),
        ('name = "../../escaped/x"', "'name' = '../../escaped/x': must be a slug"),
        ('start = "2026-13"', "'start' = '2026-13': must be a month 'YYYY-MM'"),
        ('start = "0000-00"', "'start' = '0000-00': must be a month 'YYYY-MM'"),
        ("start = 2026-01-01", "'start' = datetime.date(2026, 1, 1): input should be a valid"),
        ("[power]\npue = true", "'power.pue' = True: input should be a valid number"),
        ("[power]\npue = nan", "'power.pue' = nan: input should be a finite number"),
        ("[[labs]]\nname = 'x'", "'labs.0.home_region': missing; add it"),
        # an [overrides] table's errors say so, naming the dotted path
        ('[overrides]\n"labs.antropic.cash" = 1e9', "override 'labs.antropic.cash': 'labs."),
        ('[overrides]\n"power.pue" = 0.5', "scenario key 'power.pue' = 0.5: input should be"),
        (
            '[overrides]\n"labs.openai.cashh" = 1',
            "'labs.1.cashh': unknown key; did you mean 'cash'",
        ),
        ("overrides = 3", "'overrides' = 3: must be a table of dotted paths"),
        (
            "[[rounds]]\nlab = 'antropic'\nmonth = '2026-05'\nusd = 1e9",
            "'rounds.0.lab' = 'antropic': unknown name; did you mean 'anthropic'?",
        ),
        (
            "[[rounds]]\nlab = 'openai'\nmonth = '2025-10'\nusd = 1e9",
            "'rounds.0.month' = '2025-10': before the start (2026-01); add a round raised",
        ),
    ],
)
def test_bad_values_in_a_file(tmp_path, body, says):
    p = tmp_path / "x.toml"
    p.write_text(f'extends = "baseline"\n{body}\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    prefix = "invalid scenario: "
    if "overrides" in body:  # an [overrides] table's errors, or a value that is not one
        prefix = "[overrides] " if "[overrides]" in body else "'overrides' = "
    assert str(err.value).startswith(f"{p}: {prefix}")
    assert says in str(err.value)


def test_unreadable_file(tmp_path):
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\xff\xfe")
    with pytest.raises(ScenarioError, match=r"bin\.toml': cannot be read"):
        load_scenario(p)


def test_months_replaces_the_files_own_before_the_calendar_is_checked(tmp_path):
    from experiments.scenarios import HorizonError

    # baseline's 120 months pass the calendar from 2095-01: the file alone is refused...
    late = tmp_path / "late.toml"
    late.write_text('extends = "baseline"\nstart = "2095-01"\n')
    with pytest.raises(ScenarioError, match=r"'months' = 120: a run of 120 months from 2095-01"):
        load_scenario(late)
    # ...but loads for a run that fits, its months the run's
    scn = load_scenario(late, months=6)
    assert (scn.start, scn.months) == ("2095-01", 6)
    assert scn == load_scenario("baseline").with_overrides({"start": "2095-01", "months": 6})
    # the run's length wins over a file's [overrides] of months too
    short = tmp_path / "short.toml"
    short.write_text('extends = "baseline"\n[overrides]\nmonths = 24\n')
    assert (load_scenario(short).months, load_scenario(short, months=6).months) == (24, 6)
    # a length that does not fit or is out of range names months and the fix
    with pytest.raises(HorizonError, match=r"months = 73: .*run at most 72 months") as info:
        load_scenario(late, months=73)
    assert info.value.months == 73 and info.value.why.startswith("a run of 73 months")
    for bad, says in ((0, "greater than or equal to 1"), (True, "whole number"), (2.5, "whole")):
        with pytest.raises(HorizonError, match=says):
            load_scenario("baseline", months=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [5, None, {"name": "x"}])
def test_a_scenario_that_is_neither_a_name_nor_a_path_is_named(bad) -> None:
    from agents.scenario import ScenarioError
    from experiments import load_scenario

    with pytest.raises(ScenarioError, match=r"^scenario = .*: give a shipped scenario's name"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="overrides = \\[\\('a', 1\\)\\]: give a mapping"):
        load_scenario("baseline").with_overrides([("a", 1)])  # type: ignore[arg-type]


def test_a_folder_named_like_a_shipped_scenario_does_not_hide_it(tmp_path, monkeypatch):
    # `gigawatt run baseline --out baseline`, then `gigawatt run baseline` here: "scenario
    # file '.../baseline': cannot be read (Is a directory)", and so every file extending it
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").mkdir()
    assert scenario_path("baseline") == SCENARIO_DIR / "baseline.toml"
    (tmp_path / "mine.toml").mkdir()
    with pytest.raises(ScenarioError, match=r"scenario file 'mine.toml' is a folder; give a path"):
        scenario_path("mine.toml")
    with pytest.raises(ScenarioError, match=r"'\.' is not a shipped name .* \(a folder of that"):
        scenario_path(".")
