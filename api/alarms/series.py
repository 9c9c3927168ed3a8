"""A store's daily series of the four alarm metrics, read from kpi_facts only (store totals)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.alarms.constants import MIN_BOOKINGS_DAYS, MIN_DAYS

REVENUES = ("sales_revenue", "labour_revenue", "parts_revenue")
COSTS = ("sales_cost", "labour_cost", "parts_cost")
BOOKINGS = ("customer_bookings", "customer_booking_minutes", "alert_bookings",
            "alert_booking_minutes")  # fmt: skip
MEASURES = ("service_visits", "complaints", *REVENUES, *COSTS, *BOOKINGS)

_FACTS = text("""
SELECT day, measure, value FROM kpi_facts
WHERE store_id = :store AND dimension = '' AND member = '' AND day BETWEEN :first AND :last
  AND measure = ANY(CAST(:measures AS text[]))""")
_SPAN = text("""
SELECT min(day), max(day) FROM kpi_facts WHERE store_id = :store AND dimension = ''
  AND measure = ANY(CAST(:measures AS text[]))""")


def span(session: Session, *, store_id: int) -> tuple[date, date] | None:
    """The store's first and last day with any of the measures (None: no figures yet)."""
    first, last = session.execute(_SPAN, {"store": store_id, "measures": list(MEASURES)}).one()
    return None if first is None else (first, last)


def daily_metrics(session: Session, *, store_id: int, first: date, last: date) -> pd.DataFrame:
    """One row per day from first to last: service_volume, complaints, margin (%) and
    response_time (minutes); NaN where a ratio has no denominator that day."""
    rows = session.execute(
        _FACTS, {"store": store_id, "first": first, "last": last, "measures": list(MEASURES)}
    ).all()
    days = pd.date_range(first, last, freq="D")
    facts = pd.DataFrame(0.0, index=days, columns=list(MEASURES))
    for day, measure, value in rows:  # the rollup keeps no zero sums: no row is a day of 0
        facts.at[pd.Timestamp(day), measure] = float(value)
    revenue = facts[list(REVENUES)].sum(axis=1)
    cost = facts[list(COSTS)].sum(axis=1)
    return pd.DataFrame(
        {
            "service_volume": facts["service_visits"],
            "complaints": facts["complaints"],
            "margin": _ratio(100 * (revenue - cost), revenue),
            "response_time": _response_time(facts),
        },
        index=days,
    )


def _ratio(top: pd.Series, bottom: pd.Series) -> pd.Series:
    return (top / bottom.where(bottom > 0)).astype(float)


def _response_time(facts: pd.DataFrame) -> pd.Series:
    """Minutes per customer booking; a store with too few of those (its customers rarely book
    online) is judged on alert bookings instead, so one series never mixes the two."""
    customer = facts["customer_bookings"]
    if int((customer > 0).sum()) >= MIN_BOOKINGS_DAYS:
        return _ratio(facts["customer_booking_minutes"], customer)
    return _ratio(facts["alert_booking_minutes"], facts["alert_bookings"])


def window(*, today: date, first: date, last: date, days: int) -> tuple[date, date]:
    """The days a run judges: up to yesterday (today is not over) or the last day with figures
    (days the rollup has not reached are not zeros), at most `days` of them, starting on a
    Monday so the detector's weekly blocks fall on the same days every run."""
    last = min(last, today - timedelta(days=1))
    start = max(first, last - timedelta(days=days - 1))
    start += timedelta(days=(7 - start.weekday()) % 7)
    return start, last


def judged(series: pd.Series) -> bool:
    """True when the series has enough days with data to be judged."""
    return int(np.isfinite(series.to_numpy(dtype=float)).sum()) >= MIN_DAYS
