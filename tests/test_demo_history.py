"""The demo's two-year business history and live day (`pitstop demo`): long enough, with
the Spring Festival and the weekly pattern visible, a consistent parts ledger, audit paths
that end where their records are, customers who stay and who leave, every board column
busy today, and a second run that adds nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from core.clock import local_today
from demo.live_bookings import UPCOMING
from demo.seasons import NEW_YEAR
from demo.world import seed_demo_database
from tests.conftest import HISTORY_DAYS

ZONE = "Asia/Shanghai"
# Each audited table: entity type, table, its state column.
AUDITED = (
    ("work_order", "work_orders", "status"),
    ("appointment", "service_appointments", "status"),
    ("sales_lead", "sales_leads", "status"),
    ("sales_stock", "sales_stock", "status"),
    ("purchase_order", "purchase_orders", "status"),
    ("part_reservation", "part_reservations", "status"),
    ("complaint", "service_complaints", "status"),
    ("customer", "customers", "status"),
    ("proactive_proposal", "proactive_proposals", "status"),
)
COUNTED = (
    "work_orders",
    "service_invoices",
    "sales_orders",
    "stock_moves",
    "service_surveys",
    "service_appointments",
    "customers",
    "state_transitions",
    "purchase_orders",
    "proactive_proposals",
    "store_pricing",
    "kpi_targets",
)


@pytest.fixture(scope="module")
def db(history_db):
    engine = create_engine(history_db.replace("postgresql://", "postgresql+psycopg://"))
    with Session(engine) as session:
        yield session
    engine.dispose()


def _one(db: Session, sql: str, **params):
    return db.execute(text(sql), params).scalar()


def _daily(db: Session, sql: str) -> dict[date, int]:
    return {day: n for day, n in db.execute(text(sql))}


def _new_years_inside(first: date, last: date) -> list[date]:
    return [
        ny
        for ny in NEW_YEAR.values()
        if first + timedelta(days=42) <= ny <= last - timedelta(days=28)
    ]


@pytest.fixture(scope="module")
def jobs_by_day(db) -> dict[date, int]:
    return _daily(
        db,
        f"SELECT (checked_in_at AT TIME ZONE '{ZONE}')::date, count(*) "
        "FROM work_orders WHERE source_ref LIKE 'hist:%' GROUP BY 1",
    )


@pytest.fixture(scope="module")
def sales_by_day(db) -> dict[date, int]:
    return _daily(
        db,
        f"SELECT (delivered_at AT TIME ZONE '{ZONE}')::date, count(*) "
        "FROM sales_orders WHERE delivered_at IS NOT NULL GROUP BY 1",
    )


def _mean(counts: dict[date, int], first: date, last: date) -> float:
    days = (last - first).days + 1
    return sum(counts.get(first + timedelta(days=n), 0) for n in range(days)) / days


def test_two_years_of_history_end_yesterday(db, jobs_by_day, sales_by_day):
    yesterday = local_today() - timedelta(days=1)
    for counts in (jobs_by_day, sales_by_day):
        assert (max(counts) - min(counts)).days >= HISTORY_DAYS - 7
        assert max(counts) >= yesterday - timedelta(days=3)
    moves = _one(db, "SELECT max(occurred_at) - min(occurred_at) FROM stock_moves")
    assert moves.days >= HISTORY_DAYS - 7
    assert _one(db, "SELECT count(*) FROM work_orders WHERE source_ref LIKE 'hist:%'") > 5000


def test_the_spring_festival_shows_in_sales_and_the_workshop(jobs_by_day, sales_by_day):
    first, last = min(jobs_by_day), max(jobs_by_day)
    new_years = _new_years_inside(first, last)
    assert new_years, "the history spans a Spring Festival"
    for counts in (jobs_by_day, sales_by_day):
        average = _mean(counts, first, last)
        for ny in new_years:
            holiday = _mean(counts, ny - timedelta(days=1), ny + timedelta(days=5))
            around = (
                _mean(counts, ny - timedelta(days=42), ny - timedelta(days=15))
                + _mean(counts, ny + timedelta(days=21), ny + timedelta(days=48))
            ) / 2
            assert holiday < 0.35 * around, ny
            before = _mean(counts, ny - timedelta(days=24), ny - timedelta(days=2))
            assert before > 1.1 * average, ny


def test_saturday_is_busy_and_quarter_ends_push_sales(jobs_by_day, sales_by_day):
    by_weekday = [0] * 7
    for day, n in jobs_by_day.items():
        by_weekday[day.weekday()] += n
    assert max(range(7), key=by_weekday.__getitem__) == 5
    assert min(by_weekday) < 0.85 * sum(by_weekday) / 7
    quarter_end = sum(
        n for d, n in sales_by_day.items() if d.month in (3, 6, 9, 12) and d.day >= 20
    )
    month_middle = sum(
        n for d, n in sales_by_day.items() if d.month in (4, 7, 10, 11) and 9 <= d.day <= 20
    )
    assert quarter_end > 1.1 * month_middle


def test_proactive_visits_grow_over_the_history(db):
    rows = db.execute(
        text(
            "SELECT ntile(4) OVER (ORDER BY created_at) AS q, source FROM work_orders "
            "WHERE source_ref LIKE 'hist:%'"
        )
    ).all()
    share = [
        sum(1 for q, s in rows if q == n and s == "alert") / sum(1 for q, _ in rows if q == n)
        for n in (1, 4)
    ]
    assert share[0] < 0.08 and share[1] > max(0.15, 2 * share[0])
    assert {s for _, s in rows} >= {"walk_in", "appointment", "alert", "reminder"}


def test_the_parts_ledger_adds_up(db):
    assert (
        _one(
            db,
            "SELECT count(*) FROM (SELECT lot_id, warehouse_id FROM stock_moves "
            "GROUP BY 1, 2 HAVING sum(quantity) < 0) AS x",
        )
        == 0
    )
    # Stock on hand (the parts report's query) is the sum of the moves, for every item.
    from api.parts.queries import levels_select

    levels = {
        (r.warehouse_id, r.part_id): r.on_hand for r in db.execute(levels_select(on=local_today()))
    }
    moved = {
        (w, p): q
        for w, p, q in db.execute(
            text("SELECT warehouse_id, part_id, sum(quantity) FROM stock_moves GROUP BY 1, 2")
        )
    }
    assert set(moved) <= set(levels)
    assert all(levels[key] == quantity for key, quantity in moved.items())
    # Every receipt line is one receipt move; every issued job line is issued from stock.
    assert (
        _one(
            db,
            "SELECT count(*) FROM goods_receipt_lines g LEFT JOIN stock_moves m "
            "ON m.receipt_line_id = g.id AND m.quantity = g.quantity WHERE m.id IS NULL",
        )
        == 0
    )
    assert (
        _one(
            db,
            "SELECT count(*) FROM work_order_parts l WHERE l.reservation_id IS NOT NULL "
            "AND l.status = 'issued' AND l.quantity <> -(SELECT coalesce(sum(quantity), 0) "
            "FROM stock_moves m WHERE m.reservation_id = l.reservation_id)",
        )
        == 0
    )


def test_fast_parts_are_on_the_shelf_more_often_than_slow_ones(db):
    rows = db.execute(
        text(
            "SELECT p.name_en LIKE 'Oil filter%' AS fast, "
            "min(m.occurred_at) > r.created_at + interval '1 hour' AS waited "
            "FROM work_order_parts l JOIN part_reservations r ON r.id = l.reservation_id "
            "JOIN stock_moves m ON m.reservation_id = r.id JOIN parts p ON p.id = l.part_id "
            "GROUP BY l.id, p.name_en, r.created_at"
        )
    ).all()
    fill = {
        fast: sum(1 for f, w in rows if f == fast and not w) / sum(1 for f, _ in rows if f == fast)
        for fast in (True, False)
    }
    assert fill[True] > 0.9 and fill[False] < fill[True]
    assert any(w for _, w in rows)


@pytest.mark.parametrize(("entity", "table", "column"), AUDITED)
def test_every_record_s_audit_path_ends_in_its_state(db, entity, table, column):
    mismatched = _one(
        db,
        f"""
        SELECT count(*) FROM {table} t LEFT JOIN LATERAL (
            SELECT to_state FROM state_transitions s
            WHERE s.entity_type = :entity AND s.entity_id = t.id
            ORDER BY s.at DESC, s.id DESC LIMIT 1) last ON true
        WHERE last.to_state IS DISTINCT FROM t.{column}""",
        entity=entity,
    )
    assert mismatched == 0


def test_customers_stay_and_leave(db):
    served = """SELECT DISTINCT customer_id FROM work_orders WHERE delivered_at
        BETWEEN now() - interval '{old} months' AND now() - interval '{new} months'"""
    old = set(db.execute(text(served.format(old=24, new=12))).scalars())
    recent = set(db.execute(text(served.format(old=12, new=0))).scalars())
    retention = len(old & recent) / len(old)
    assert 0.4 < retention < 0.9
    statuses = dict(db.execute(text("SELECT status, count(*) FROM customers GROUP BY 1")).all())
    assert statuses.get("dormant", 0) > 50 and statuses.get("lost", 0) > 50


def test_comebacks_margins_and_show_rate_have_data(db):
    comebacks = _one(
        db,
        """SELECT count(*) FROM work_orders a JOIN work_orders b
        ON b.vehicle_id = a.vehicle_id AND b.id <> a.id AND b.outcome_code = a.outcome_code
        AND b.checked_in_at BETWEEN a.delivered_at AND a.delivered_at + interval '30 days'""",
    )
    assert comebacks > 20
    margin = _one(
        db,
        """SELECT avg(o.price - o.discount - s.cost) FROM sales_orders o
        JOIN sales_stock s ON s.id = o.stock_vehicle_id WHERE o.delivered_at IS NOT NULL""",
    )
    assert margin > 0
    shows = dict(
        db.execute(
            text(
                "SELECT status, count(*) FROM service_appointments "
                "WHERE starts_at < now() - interval '1 day' GROUP BY 1"
            )
        ).all()
    )
    assert 0.75 < shows["arrived"] / (shows["arrived"] + shows["no_show"]) < 0.95
    answered = _one(
        db, "SELECT count(*) FROM service_surveys WHERE csi IS NOT NULL AND nps IS NOT NULL"
    )
    assert answered > 1000
    clocked = _one(
        db, "SELECT sum(extract(epoch FROM ended_at - started_at)) / 3600 FROM work_order_clocks"
    )
    assert clocked > 5000


def test_the_live_day_fills_every_board_column(db, history_fleet):
    today = local_today()
    for store in db.execute(text("SELECT id FROM stores")).scalars():
        states = dict(
            db.execute(
                text(
                    "SELECT status, count(*) FROM work_orders "
                    "WHERE store_id = :s AND source_ref LIKE 'live:%' GROUP BY 1"
                ),
                {"s": store},
            ).all()
        )
        for column in ("checked_in", "diagnosis", "in_repair", "quality_check", "waiting_parts"):
            assert states.get(column, 0) > 0, (store, column)
        assert (
            _one(
                db,
                "SELECT count(*) FROM work_orders WHERE store_id = :s AND status LIKE "
                "'waiting_%' AND wait_reason IS NULL",
                s=store,
            )
            == 0
        )
        days = set(
            db.execute(
                text(
                    f"SELECT (starts_at AT TIME ZONE '{ZONE}')::date FROM service_appointments "
                    "WHERE store_id = :s AND status IN ('booked', 'confirmed')"
                ),
                {"s": store},
            ).scalars()
        )
        # Today's visits start an hour after the seeding: late in the evening, that is tomorrow.
        assert today + timedelta(days=1) in days
        upcoming = _one(
            db,
            "SELECT count(*) FROM service_appointments WHERE store_id = :s "
            f"AND status IN ('booked', 'confirmed') AND (starts_at AT TIME ZONE '{ZONE}')::date "
            ">= :d",
            s=store,
            d=today,
        )
        assert upcoming >= sum(UPCOMING.values()), (store, upcoming)
    assert _one(db, "SELECT count(*) FROM work_order_clocks WHERE ended_at IS NULL") >= 2
    assert (
        _one(
            db,
            "SELECT count(*) FROM purchase_orders WHERE status = 'confirmed' AND expected_on = :d",
            d=today,
        )
        > 0
    )
    fleet = (
        "SELECT count(DISTINCT v.vin) FROM work_orders w JOIN vehicles v ON v.id = w.vehicle_id "
        "WHERE v.vin = ANY(:vins) AND w.source_ref LIKE :ref"
    )
    assert _one(db, fleet, vins=history_fleet, ref="live:%") == len(history_fleet)
    assert _one(db, fleet, vins=history_fleet, ref="hist:%") == len(history_fleet)


def test_a_second_seed_adds_nothing(db, history_db, history_fleet):
    before = {t: _one(db, f"SELECT count(*) FROM {t}") for t in COUNTED}
    report = seed_demo_database(history_db, history_fleet, history_days=HISTORY_DAYS)
    assert report.history.rows == {} and report.live == {}
    db.rollback()
    assert {t: _one(db, f"SELECT count(*) FROM {t}") for t in COUNTED} == before


def test_a_seed_just_after_midnight_ends_the_history_where_the_board_begins(
    server_url, history_fleet
):
    """The board of a seed at 00:30 reaches back into yesterday evening, which the history
    also fills: the history stops where the board begins, so no bay or technician is held
    twice (the database refuses that) and nothing is dated after the seeding."""
    from datetime import datetime, time

    from core.clock import zone
    from tests.conftest import create_database, drop_database

    now = datetime.combine(local_today(), time(0, 30), zone())
    url = create_database(server_url, "midnight")
    try:
        report = seed_demo_database(url, history_fleet[:2], history_days=3, now=now)
        assert report.live["work_orders"] > 0 and report.history.rows["appointments"] > 0
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with Session(engine) as session:
            board = _one(
                session,
                "SELECT min(checked_in_at) FROM work_orders WHERE source_ref LIKE 'live:%'",
            )
            assert now - timedelta(hours=9) < board < now
            held = _one(
                session,
                "SELECT max(a.ends_at) FROM service_appointments a JOIN work_orders w"
                " ON w.appointment_id = a.id WHERE w.source_ref LIKE 'hist:%'",
            )
            assert held <= board
            visited = _one(
                session,
                f"SELECT max((checked_in_at AT TIME ZONE '{ZONE}')::date) FROM work_orders"
                " WHERE source_ref LIKE 'hist:%'",
            )
            assert visited == local_today() - timedelta(days=1)
            latest = _one(
                session,
                "SELECT max(t) FROM (SELECT max(checked_in_at) t FROM work_orders UNION ALL"
                " SELECT max(started_at) FROM work_order_clocks UNION ALL"
                " SELECT max(at) FROM state_transitions"
                " WHERE entity_type = 'work_order') x",
            )
            assert latest <= now
        engine.dispose()
    finally:
        drop_database(server_url, url)
