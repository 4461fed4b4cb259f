"""Shared fixtures for the agents tests: shipped scenarios, loaded once, and small books."""

from __future__ import annotations

import pytest

from agents.accounts import Accounts
from agents.scenario import Scenario
from experiments.scenarios import load_scenario


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def deal_scenario() -> Scenario:
    return load_scenario("amazon-anthropic-2026")


def one_of_each_accounts() -> Accounts:
    """Accounts of one hyperscaler (1), one utility (2), one vendor (3) and one lab (4),
    beside the outside world's (0), all at zero."""
    return Accounts.open([1], [2], [3], [4])
