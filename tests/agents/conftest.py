"""Shared fixtures for the agents tests: shipped scenarios, loaded once."""

from __future__ import annotations

import pytest

from agents.scenario import Scenario
from experiments.scenarios import load_scenario


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def deal_scenario() -> Scenario:
    return load_scenario("amazon-anthropic-2026")
