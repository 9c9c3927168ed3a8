"""The alarm job's daily series, read from kpi_facts on real PostgreSQL: the margin over all
three departments, response time from customer bookings or else alert bookings, days without
rows, and the window's start and end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from api.alarms import series
from api.alarms.constants import MIN_BOOKINGS_DAYS
from tests.factories import make_group, make_store

DAY = date(2025, 5, 6)


def _write(session, store_id: int, rows: dict[tuple[str, date], float], dimension: str = ""):
    session.execute(
        text(
            "INSERT INTO kpi_facts (store_id, measure, dimension, day, member, value)"
            " VALUES (:store, :measure, :dimension, :day, :member, :value)"
        ),
        [
            {"store": store_id, "measure": m, "dimension": dimension, "day": d,
             "member": dimension and "x", "value": v}
            for (m, d), v in rows.items()
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
def stores(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        online, offline = make_store(session, group), make_store(session, group)
        days = [DAY - timedelta(days=n) for n in range(MIN_BOOKINGS_DAYS)]
        _write(
            session,
            online.id,
            {("customer_bookings", d): 4 for d in days}
            | {("customer_booking_minutes", d): 100 for d in days}
            | {("alert_bookings", DAY): 1, ("alert_booking_minutes", DAY): 5}
            | {("sales_revenue", DAY): 200_000, ("sales_cost", DAY): 190_000}
            | {("labour_revenue", DAY): 8_000, ("labour_cost", DAY): 3_000}
            | {("parts_revenue", DAY): 12_000, ("parts_cost", DAY): 7_000}
            | {("service_visits", DAY): 30},
        )
        _write(session, online.id, {("service_visits", DAY): 999}, dimension="source")
        _write(
            session,
            offline.id,
            {("customer_bookings", DAY): 2, ("customer_booking_minutes", DAY): 600}
            | {("alert_bookings", DAY): 3, ("alert_booking_minutes", DAY): 45},
        )
        return {"online": online.id, "offline": offline.id}


def _day(app, store_id: int):
    with app.state.session_factory() as session:
        first = DAY - timedelta(days=MIN_BOOKINGS_DAYS)  # the choice of bookings reads it all
        frame = series.daily_metrics(session, store_id=store_id, first=first, last=DAY)
    return frame.loc[str(DAY)], frame.loc[str(DAY - timedelta(days=1))]


def test_margin_is_over_all_three_departments_and_totals_only_are_read(app, stores):
    today, before = _day(app, stores["online"])
    assert today.margin == pytest.approx(100 * (220_000 - 200_000) / 220_000)
    assert today.service_volume == 30, "a dimension's rows are not added to the total"
    assert before.service_volume == 0 and before.complaints == 0, "no row is a day of nothing"
    assert before.margin != before.margin, "no revenue: a gap, not a margin of 0"


def test_response_time_is_customer_bookings_else_alert_bookings(app, stores):
    assert _day(app, stores["online"])[0].response_time == pytest.approx(25.0)
    assert _day(app, stores["offline"])[0].response_time == pytest.approx(15.0)


def test_the_window_ends_yesterday_or_at_the_last_figures_and_starts_on_a_monday():
    first, last = date(2023, 1, 4), date(2025, 12, 30)
    start, end = series.window(today=date(2025, 12, 31), first=first, last=last, days=730)
    assert (end, start.weekday()) == (date(2025, 12, 30), 0)
    assert start - timedelta(days=7) < end - timedelta(days=729) <= start
    start, end = series.window(today=date(2026, 2, 1), first=first, last=last, days=730)
    assert end == last, "days the rollup has not reached are not zeros"
    later, _ = series.window(today=date(2026, 1, 3), first=first, last=date(2026, 1, 2), days=730)
    assert later.weekday() == 0 and (later - start).days % 7 == 0
