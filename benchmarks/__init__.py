"""Gigawatt's benchmarks: timings measured side by side in one run, never pass/fail."""
