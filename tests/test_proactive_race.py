"""Many cars alerting at once with batteries short: several workers react concurrently, and
still no double booking, no negative stock, one appointment per car and failure mode."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from time import monotonic, sleep
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from api.auth.actor import SystemActor
from api.db import make_engine, make_session_factory
from api.models_base import load_all_models
from api.parts import service as parts_service
from api.proactive.models import HandledAlertEvent, Proposal
from api.proactive.worker import drain, handle_next
from api.purchasing.models import PurchaseOrder, PurchaseOrderLine
from api.work_orders.models import PartLine, WorkOrder
from api.workshop.models import Appointment
from core.db import connect
from tests.factories import settings_for_tests
from tests.proactive_support import make_car, make_dealer, raise_alerts

CARS = 12
STOCK = 3
WORKERS = 6


@pytest.fixture(scope="module")
def world(db_url):
    load_all_models()
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:
        dealer = make_dealer(session, stock=STOCK, technicians=2, bays=2)
        vins = [make_car(session, dealer)[1].vin for _ in range(CARS)]
        session.commit()
    yield factory, dealer, vins, settings_for_tests(db_url)
    engine.dispose()


def _race(factory, settings) -> int:
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            counts.append(drain(factory, settings))
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return sum(counts)


def test_many_cars_at_once_book_once_each_without_overselling(world, db_url):
    factory, dealer, vins, settings = world
    raise_alerts(db_url, vins)
    raise_alerts(db_url, vins[:4], severity="critical")  # a second event for the same alerts
    assert _race(factory, settings) == CARS + 4

    with factory() as session:
        outcomes = dict(
            session.execute(
                select(HandledAlertEvent.outcome, func.count()).group_by(HandledAlertEvent.outcome)
            ).all()
        )
        assert outcomes == {"booked": CARS, "already planned": 4}, outcomes
        per_car = session.execute(
            select(Appointment.vehicle_id, func.count())
            .where(Appointment.source == "alert", Appointment.status == "booked")
            .group_by(Appointment.vehicle_id)
        ).all()
        assert len(per_car) == CARS and {n for _, n in per_car} == {1}
        assert session.scalar(select(func.count()).select_from(Proposal)) == CARS
        linked = session.execute(
            select(Proposal.appointment_id, Proposal.work_order_id, Proposal.status)
        ).all()
        assert all(a and w and s == "booked" for a, w, s in linked), linked
        overlaps = session.execute(
            text("""SELECT count(*) FROM service_appointments a JOIN service_appointments b
            ON a.id < b.id AND a.period && b.period
               AND (a.technician_id = b.technician_id OR a.bay_id = b.bay_id)
            WHERE a.status = 'booked' AND b.status = 'booked'""")
        ).scalar()
        assert overlaps == 0
        stock = parts_service.availability(
            session, actor=SystemActor(dealer.store.id), part_id=dealer.part.id
        )
        assert stock.on_hand == STOCK and stock.reserved == STOCK and stock.available == 0
        lines = dict(
            session.execute(select(PartLine.status, func.count()).group_by(PartLine.status)).all()
        )
        assert lines == {"reserved": STOCK, "short": CARS - STOCK}, lines
        ordered = session.scalar(
            select(func.sum(PurchaseOrderLine.quantity))
            .join(PurchaseOrder)
            .where(PurchaseOrder.status == "draft", PurchaseOrderLine.part_id == dealer.part.id)
        )
        assert ordered == Decimal(CARS - STOCK)
        assert session.scalar(select(func.count()).select_from(PurchaseOrder)) == 1
        # A car whose battery is on order is booked after the supplier's lead time (3 days).
        zone = ZoneInfo("Asia/Shanghai")
        eta = datetime.combine(
            datetime.now(UTC).astimezone(zone).date() + timedelta(days=3), time(0), zone
        )
        short_jobs = (
            session.execute(
                select(Appointment.starts_at)
                .join(WorkOrder, WorkOrder.appointment_id == Appointment.id)
                .join(PartLine, PartLine.work_order_id == WorkOrder.id)
                .where(PartLine.status == "short")
            )
            .scalars()
            .all()
        )
        assert len(short_jobs) == CARS - STOCK and min(short_jobs) >= eta


def test_a_repeat_or_a_new_alert_for_the_same_car_books_nothing_more(world, db_url):
    factory, _, vins, settings = world
    from tests.proactive_support import clear_alerts

    clear_alerts(db_url, vins[:2])
    raise_alerts(db_url, vins[:2])  # new alerts (new ids) for the same cars and mode
    assert _race(factory, settings) == 4
    with factory() as session:
        booked = session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "booked")
        )
        assert booked == CARS
        assert session.scalar(select(func.count()).select_from(Proposal)) == CARS
        cleared = session.scalars(
            select(Proposal.alert_cleared_at).where(Proposal.vin.in_(vins[:2]))
        ).all()
        assert all(c is not None for c in cleared)


def test_an_event_another_worker_is_committing_is_a_no_op_not_an_error(world, db_url):
    """A second worker reaching an event whose handling commits meanwhile books nothing."""
    factory, dealer, _, settings = world
    with factory() as session:
        vin = make_car(session, dealer)[1].vin
        floor = session.scalar(text("SELECT coalesce(max(id), 0) FROM alert_events"))
        session.commit()
    raise_alerts(db_url, [vin])
    with connect(db_url) as other:  # the other worker: its mark of the event not yet committed
        event_id = other.execute(
            "SELECT id FROM alert_events WHERE vin = %s ORDER BY id DESC LIMIT 1", (vin,)
        ).fetchone()[0]
        other.execute(
            "INSERT INTO proactive_handled_events (alert_event_id, outcome) VALUES (%s, 'booked')",
            (event_id,),
        )
        other_pid = other.info.backend_pid
        result: list[object] = []
        worker = threading.Thread(
            target=lambda: result.append(_attempt(factory, settings, floor)), daemon=True
        )
        worker.start()
        _wait_until_blocked_by(db_url, other_pid)
        other.commit()
        worker.join(60)
    assert result == [None]
    with factory() as session:
        assert session.scalar(select(func.count()).where(Proposal.vin == vin)) == 0
        handled = session.get(HandledAlertEvent, event_id)
        assert handled.outcome == "booked"


def _attempt(factory, settings, floor: int) -> object:
    try:
        return handle_next(factory, settings, floor)
    except Exception as error:  # noqa: BLE001  (the test asserts there is none)
        return error


def _wait_until_blocked_by(db_url: str, pid: int, timeout: float = 30.0) -> None:
    deadline = monotonic() + timeout
    with connect(db_url, autocommit=True) as conn:
        while monotonic() < deadline:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                (pid,),
            ).fetchone()[0]
            if waiting:
                return
            sleep(0.05)
    raise AssertionError("the worker never waited for the other worker's mark")
