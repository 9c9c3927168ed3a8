"""The demo's business calendar: how busy a day is for sales and for the workshop (Chinese New
Year, quarter-end pushes, a mild trend, the weekly pattern), as pure functions of the date."""

from __future__ import annotations

from datetime import date, timedelta

from analytics.calendar import NEW_YEAR  # Chinese New Year's Day (正月初一) by year

TREND_PER_YEAR = 0.08  # business grows about 8% a year
TREND_ORIGIN = date(2025, 1, 1)
# Monday first. Saturday is the busy day; the workshop is quiet on Wednesdays.
SALES_WEEK = (0.8, 0.75, 0.85, 0.9, 1.0, 1.6, 1.3)
WORKSHOP_WEEK = (1.05, 1.0, 0.7, 1.0, 1.05, 1.35, 0.85)


def new_year_offset(day: date) -> int:
    """Days from the nearest Chinese New Year's Day (negative before it)."""
    nearest = min(NEW_YEAR.values(), key=lambda ny: abs((day - ny).days))
    return (day - nearest).days


def is_holiday_week(day: date) -> bool:
    """New Year's Eve to the sixth day: the Spring Festival holiday (春节假期)."""
    return -1 <= new_year_offset(day) <= 6


def workshop_closed(day: date) -> bool:
    """The workshop closes from New Year's Eve to the second day."""
    return -1 <= new_year_offset(day) <= 2


def trend(day: date) -> float:
    """The mild growth of the business, 1.0 at the origin."""
    return 1.0 + TREND_PER_YEAR * (day - TREND_ORIGIN).days / 365


def _quarter_end_push(day: date) -> float:
    if day.month in (3, 6, 9, 12):
        last = date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)
        if (last - day).days < 12:
            return 1.35
    return 1.0


def sales_factor(day: date) -> float:
    """Relative showroom traffic of the day (1.0 an ordinary weekday at the origin)."""
    offset = new_year_offset(day)
    if -1 <= offset <= 6:
        season = 0.12
    elif -30 <= offset < -1:
        season = 1.55  # people buy a car to drive home for the New Year
    elif 7 <= offset <= 20:
        season = 0.7
    else:
        season = 1.0
    return season * _quarter_end_push(day) * SALES_WEEK[day.weekday()] * trend(day)


def workshop_factor(day: date) -> float:
    """Relative workshop traffic of the day; 0 when it is closed."""
    if workshop_closed(day):
        return 0.0
    offset = new_year_offset(day)
    if offset <= 6 and offset >= -1:
        season = 0.15
    elif -24 <= offset < -1:
        season = 1.6  # the car is serviced before the long drive home
    elif 7 <= offset <= 14:
        season = 1.15  # and checked after it
    else:
        season = 1.0
    return season * WORKSHOP_WEEK[day.weekday()] * trend(day)
