"""Units and calendar: every fact about time and measures, defined once.

The model steps one calendar month at a time; ``month`` 0 is the scenario's ``start``
(``"YYYY-MM"``). Compute is counted in H100-equivalent hours (H100e-h): accelerator
hours weighted by dense BF16 TFLOP/s relative to one H100 SXM (989 TFLOP/s, NVIDIA
H100 datasheet; ``docs/calibration.md``).
"""

from __future__ import annotations

__all__ = [
    "H100_TFLOPS",
    "HOURS_PER_MONTH",
    "MONTHS_PER_YEAR",
    "W_PER_MW",
    "annualise",
    "month_date",
    "months_between",
    "parse_month",
    "parse_start",
]

HOURS_PER_MONTH = 730.0
"""8,760 hours a year / 12: energy per month of one MW of average load."""

MONTHS_PER_YEAR = 12
"""Months in the trailing windows that annualise flows (revenue, spend, chip sales)."""

W_PER_MW = 1e6
"""Watts in a megawatt: chips draw watts, sites and grids are counted in MW."""

H100_TFLOPS = 989.0
"""Dense BF16 TFLOP/s of one H100 SXM: the unit of compute (NVIDIA H100 datasheet)."""


def parse_start(start: str) -> tuple[int, int]:
    """Year and month (1-12) of a ``"YYYY-MM"`` start date.

    >>> parse_start("2026-01")
    (2026, 1)
    """
    year, month = (int(x) for x in start.split("-"))
    return year, month


def month_date(start: str, month: int) -> str:
    """Calendar month ``"YYYY-MM"`` of model month ``month`` counted from ``start``.

    >>> month_date("2026-11", 3)
    '2027-02'
    """
    year, mo = parse_start(start)
    k = (mo - 1) + month
    return f"{year + k // MONTHS_PER_YEAR:04d}-{k % MONTHS_PER_YEAR + 1:02d}"


def months_between(start: str, date: str) -> int:
    """Model month of calendar month ``date`` when month 0 is ``start`` (negative before).

    >>> months_between("2026-01", "2027-04"), months_between("2026-01", "2025-11")
    (15, -2)
    """
    y0, m0 = parse_start(start)
    y1, m1 = parse_start(date)
    return (y1 - y0) * MONTHS_PER_YEAR + (m1 - m0)


def annualise(months_recorded: int) -> float:
    """Factor turning the sum of a trailing 12-month window into a yearly figure.

    In the first year the window holds only ``months_recorded`` months (at least one
    is assumed), so the factor is ``12 / min(12, months_recorded)``.

    >>> annualise(3), annualise(30)
    (4.0, 1.0)
    """
    return MONTHS_PER_YEAR / max(1, min(MONTHS_PER_YEAR, months_recorded))


def parse_month(text: str) -> tuple[int, int] | None:
    """Year and month (1-12) of a calendar month written ``"YYYY-MM"``, the form of every
    date in a scenario; None if ``text`` is not one.

    >>> parse_month("2026-01"), parse_month("2026-13"), parse_month("2026-1")
    ((2026, 1), None, None)
    """
    digits = text[:4] + text[5:]
    if len(text) != 7 or text[4] != "-" or not (digits.isascii() and digits.isdecimal()):
        return None
    year, month = parse_start(text)
    return (year, month) if 1 <= month <= 12 else None
