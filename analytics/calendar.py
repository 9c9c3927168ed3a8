"""The Chinese trading calendar that moves dealer numbers: Spring Festival and Golden Week.

Chinese New Year falls between 21 January and 20 February. Sales and workshop visits sag from
New Year's Eve to about the Lantern Festival (the lull), and car buying peaks in the weeks
before it (the rush: people buy before going home). A month's exposure to either is the share
of its days inside the window, so the same function serves a January or a February New Year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
import pandas as pd

NEW_YEAR = {
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
}
LULL_BEFORE = 2  # days before New Year's Day when showrooms and workshops empty
LULL_AFTER = 12  # days after it, until about the Lantern Festival
RUSH_DAYS = 21  # the buying rush just before the lull
GOLDEN_WEEK = (10, 1, 7)  # National Day holiday: October, days 1 to 7


def new_year(year: int) -> date:
    """The Chinese New Year's Day of a Gregorian year (2021 to 2028)."""
    if year not in NEW_YEAR:
        raise ValueError(f"no Chinese New Year date for {year}; extend analytics.calendar")
    return NEW_YEAR[year]


def lull_days(year: int) -> list[date]:
    """The Spring Festival lull of a year."""
    day = new_year(year)
    return [day + timedelta(days=d) for d in range(-LULL_BEFORE, LULL_AFTER + 1)]


def rush_days(year: int) -> list[date]:
    """The pre-festival rush of a year."""
    first = new_year(year) - timedelta(days=LULL_BEFORE)
    return [first - timedelta(days=d) for d in range(RUSH_DAYS, 0, -1)]


def holidays(years: Iterable[int]) -> set[date]:
    """Days on which dealer activity is low by calendar: the Spring Festival lull, Golden Week."""
    out: set[date] = set()
    month, first, last = GOLDEN_WEEK
    for year in years:
        out.update(lull_days(year))
        out.update(date(year, month, d) for d in range(first, last + 1))
    return out


def festival_shares(months: pd.DatetimeIndex) -> np.ndarray:
    """Per month, the share of its days in the lull (column 0) and in the rush (column 1)."""
    out = np.zeros((len(months), 2))
    for i, start in enumerate(months):
        first = date(start.year, start.month, 1)
        days = pd.Period(first, freq="M").days_in_month
        lull = {d for y in (start.year, start.year + 1) if y in NEW_YEAR for d in lull_days(y)}
        rush = {d for y in (start.year, start.year + 1) if y in NEW_YEAR for d in rush_days(y)}
        month_days = {first + timedelta(days=d) for d in range(days)}
        out[i] = len(month_days & lull) / days, len(month_days & rush) / days
    return out


def quarter_end(months: pd.DatetimeIndex) -> np.ndarray:
    """1.0 for the quarter-end months (March, June, September, December), else 0.0."""
    return np.asarray(months.month % 3 == 0, dtype=float)
