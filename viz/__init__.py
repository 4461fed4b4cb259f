"""Gigawatt package."""
