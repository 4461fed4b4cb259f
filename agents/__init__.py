"""Agents: the scenario schema, the Mesa agents and the model of the monthly phases."""

from agents.scenario import LEVERS, Lever, Scenario, ScenarioError

__all__ = ["LEVERS", "Lever", "Scenario", "ScenarioError"]
