"""Slots and appointments on real PostgreSQL: skills, bays, hours, closed days, parts ETA,
preferences; the state machine; and the double-booking race, won by exactly one."""

from __future__ import annotations

import threading
import time as clock
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from api.audit.models import StateTransition
from api.auth.actor import SystemActor
from api.auth.roles import Role
from api.errors import Conflict
from api.purchasing.models import PurchaseOrder, PurchaseOrderLine
from api.workshop import booking
from api.workshop.models import Appointment, ClosedDay, OpeningHours
from api.workshop.slots import Preferences, find_slots
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    make_vehicle,
)
from tests.factories.parts import make_part, make_supplier, make_warehouse, stock_in
from tests.factories.workshop import local, make_bay, make_operation, make_technician, next_weekday

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def world(app):
    """A store open Mon-Sat 08:30-18:00; a junior and a master; a lift and a quick bay."""
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        session.add_all(
            OpeningHours(store_id=store.id, weekday=d, opens=time(8, 30), closes=time(18))
            for d in range(6)
        )
        closed = next_weekday(3, weeks_ahead=2)  # a Thursday, closed for stock-taking
        session.add(ClosedDay(store_id=store.id, day=closed, reason="盘点"))
        warehouse = make_warehouse(session, group, store=store)
        supplier = make_supplier(session, group)
        supplier.lead_time_days = 5
        battery = make_part(session, group, kind="battery", supplier=supplier)
        stock_in(session, warehouse, battery, 1, expires_on=date.today() + timedelta(days=300))
        customers = [make_customer(session, store, name=f"客户{i}") for i in range(3)]
        world = {
            "group": group,
            "store": store,
            "closed": closed,
            "warehouse": warehouse,
            "battery": battery,
            "customers": customers,
            "cars": [make_vehicle(session, store, owner=c) for c in customers],
            "oil": make_operation(session, group, code="OIL", hours="0.8"),
            "diag": make_operation(
                session,
                group,
                code="DIAG",
                hours="1.2",
                skill="diagnostics",
                min_level=4,
                bay_kind=None,
            ),
            "junior": make_technician(session, group, store, skills=("maintenance",), level=1),
            "master": make_technician(
                session, group, store, skills=("maintenance", "diagnostics"), level=4
            ),
            "lift": make_bay(session, store, kind="lift"),
            "quick": make_bay(session, store, kind="quick"),
            "advisor": make_user(session, group, Role.service_advisor, stores=[store]),
        }
        world["customer_user"] = make_user(session, group, Role.customer, customer=customers[0])
    return world


def _book(app, world, starts_at, *, customer=0, operations=("OIL",), **extra):
    with app.state.session_factory.begin() as session:
        appointment = booking.book(
            session,
            actor=SystemActor(world["store"].id),
            store_id=world["store"].id,
            customer_id=world["customers"][customer].id,
            vehicle_id=world["cars"][customer].id,
            operations=list(operations),
            starts_at=starts_at,
            **extra,
        )
        return appointment.id


def _search(app, world, earliest, latest, **extra):
    with app.state.session_factory() as session:
        return find_slots(
            session, store_id=world["store"].id, earliest=earliest, latest=latest, **extra
        )


def test_slots_need_the_skill_the_level_and_a_fitting_bay(app, world):
    day = next_weekday(0)  # a Monday
    found = _search(app, world, local(day, 8), local(day, 19), operations=["OIL", "DIAG"])
    assert found.duration_minutes == 120  # 0.8 + 1.2 h
    assert found.skills == ["diagnostics", "maintenance"]
    assert {s.technician_id for s in found.slots} == {world["master"].id}
    assert {s.bay_id for s in found.slots} == {world["lift"].id}  # OIL needs a lift
    first = min(s.starts_at for s in found.slots)
    assert first == local(day, 8, 30)
    assert max(s.ends_at for s in found.slots) <= local(day, 18)
    oil = _search(app, world, local(day, 8), local(day, 19), operations=["OIL"])
    assert {s.technician_id for s in oil.slots} == {world["junior"].id}  # masters stay free


def test_sundays_and_closed_days_have_no_slots(app, world):
    sunday = next_weekday(6)
    assert _search(app, world, local(sunday, 0), local(sunday, 23), operations=["OIL"]).slots == []
    closed = world["closed"]
    found = _search(app, world, local(closed, 0), local(closed, 23), operations=["OIL"])
    assert found.slots == []


def test_preferences_rank_matching_slots_first(app, world):
    monday = next_weekday(0)
    found = _search(
        app,
        world,
        local(monday, 8),
        local(monday + timedelta(days=6), 18),
        operations=["OIL"],
        preferences=Preferences(weekdays=("sat",), time_of_day="afternoon"),
        limit=5,
    )
    for slot in found.slots:
        when = slot.starts_at.astimezone(local(monday, 8).tzinfo)
        assert when.weekday() == 5 and 12 <= when.hour < 17
        assert slot.matches == ("weekday", "time_of_day")
    assert found.slots == sorted(found.slots, key=lambda s: s.starts_at)


def test_short_parts_push_the_slots_after_their_eta(app, world):
    monday = next_weekday(0)
    window = dict(
        operations=["OIL"], earliest=local(monday, 8), latest=local(monday, 18) + timedelta(days=20)
    )
    in_stock = _search(app, world, parts=[(world["battery"].id, Decimal(1))], **window)
    assert in_stock.parts_ready_at is None and in_stock.slots[0].starts_at == local(monday, 8, 30)
    short = _search(app, world, parts=[(world["battery"].id, Decimal(3))], **window)
    # No open order: the preferred supplier's lead time (5 days from today) decides.
    assert short.parts_ready_at is not None
    assert all(s.starts_at >= short.parts_ready_at for s in short.slots)
    with app.state.session_factory.begin() as session:
        order = PurchaseOrder(
            dealer_group_id=world["group"].id,
            store_id=world["store"].id,
            warehouse_id=world["warehouse"].id,
            supplier_id=world["battery"].preferred_supplier_id,
            number=f"PO-T-{world['battery'].id}",
            status="confirmed",
            expected_on=monday + timedelta(days=9),
        )
        session.add(order)
        session.flush()
        session.add(
            PurchaseOrderLine(
                purchase_order_id=order.id,
                part_id=world["battery"].id,
                quantity=Decimal(5),
                unit_price=Decimal(100),
            )
        )
    ordered = _search(app, world, parts=[(world["battery"].id, Decimal(3))], **window)
    assert ordered.parts_ready_at == local(monday + timedelta(days=9), 0)
    assert ordered.slots[0].starts_at == local(monday + timedelta(days=9), 8, 30)


def test_a_booked_slot_is_no_longer_offered(app, world):
    day = next_weekday(1, weeks_ahead=3)
    appointment_id = _book(app, world, local(day, 8, 30), operations=["DIAG"])
    found = _search(app, world, local(day, 8), local(day, 12), operations=["DIAG"])
    starts = {s.starts_at for s in found.slots}
    assert local(day, 8, 30) not in starts and local(day, 9) not in starts
    assert local(day, 10, 0) in starts  # 08:30 + 1.5 h
    with app.state.session_factory() as session:
        assert session.get(Appointment, appointment_id).technician_id == world["master"].id


def test_booking_twice_the_same_technician_is_refused_with_the_reason(app, client, world):
    day = next_weekday(2, weeks_ahead=3)
    _book(app, world, local(day, 14), technician_id=world["junior"].id, bay_id=world["lift"].id)
    body = {
        "store_id": world["store"].id,
        "customer_id": world["customers"][1].id,
        "vehicle_id": world["cars"][1].id,
        "operations": ["OIL"],
        "starts_at": local(day, 14, 30).isoformat(),
        "technician_id": world["junior"].id,
        "bay_id": world["quick"].id,
    }
    advisor = auth_headers(client, world["advisor"], **EN)
    refused = client.post("/service/appointments", json=body, headers=advisor)
    assert refused.status_code == 422  # OIL needs a lift; the quick bay does not fit
    body["bay_id"] = None
    taken = client.post("/service/appointments", json=body, headers=advisor)
    assert taken.status_code == 409
    assert "is already booked" in taken.json()["message"]
    assert taken.json()["details"]["constraint"] == "ex_service_appointments_technician"
    body["technician_id"] = None
    free = client.post("/service/appointments", json=body, headers=advisor)
    assert free.status_code == 409  # the only lift is held too
    assert "no technician" in free.json()["message"]
    outside = client.post(
        "/service/appointments",
        json={**body, "starts_at": local(day, 17, 30).isoformat()},
        headers=advisor,
    )
    assert outside.status_code == 422 and "opening hours" in outside.json()["message"]


def _race(app, world, bodies):
    barrier = threading.Barrier(len(bodies))
    outcomes: list[object] = [None] * len(bodies)

    def run(index, kwargs):
        with app.state.session_factory() as session:
            try:
                barrier.wait()
                booking.book(
                    session,
                    actor=SystemActor(world["store"].id),
                    store_id=world["store"].id,
                    **kwargs,
                )
                session.commit()
                outcomes[index] = "booked"
            except Conflict as error:
                session.rollback()
                outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("resource", ["technician", "bay"])
def test_of_two_racing_bookings_exactly_one_wins(app, world, resource):
    day = next_weekday(4, weeks_ahead=4 if resource == "bay" else 5)
    junior, master = world["junior"].id, world["master"].id
    lift, quick = world["lift"].id, world["quick"].id
    if resource == "technician":  # the master, in two different bays
        same = [
            dict(operations=["DIAG"], technician_id=master, bay_id=lift),
            dict(operations=["DIAG"], technician_id=master, bay_id=quick),
        ]
    else:  # the lift, for two different technicians
        same = [
            dict(operations=["OIL"], technician_id=junior, bay_id=lift),
            dict(operations=["DIAG"], technician_id=master, bay_id=lift),
        ]
    bodies = [
        dict(
            customer_id=world["customers"][i].id,
            vehicle_id=world["cars"][i].id,
            starts_at=local(day, 10, 30 * i),
            **same[i],
        )
        for i in range(2)
    ]
    outcomes = _race(app, world, bodies)
    assert outcomes.count("booked") == 1, outcomes
    (loser,) = [o for o in outcomes if isinstance(o, Conflict)]
    assert loser.params["constraint"] == f"ex_service_appointments_{resource}"
    with app.state.session_factory() as session:
        held = session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.starts_at >= local(day, 0), Appointment.starts_at < local(day, 23))
        )
        assert held == 1


BUSY = ("ex_service_appointments_technician", "ex_service_appointments_bay")


def test_a_booking_that_loses_a_deadlock_is_refused_as_busy_not_failed(app, world):
    """Two exclusion checks waiting on each other's unfinished rows: PostgreSQL aborts one."""
    day = next_weekday(3, weeks_ahead=7)
    store_id, system = world["store"].id, SystemActor(world["store"].id)
    at = dict(starts_at=local(day, 10))
    car = [
        dict(customer_id=c.id, vehicle_id=v.id)
        for c, v in zip(world["customers"], world["cars"], strict=True)
    ]
    junior, master = world["junior"].id, world["master"].id
    lift = world["lift"].id
    outcome: list[object] = []
    racer_pid: list[int] = []

    def waiting_booking():
        with app.state.session_factory() as session:
            session.execute(text("SET deadlock_timeout = '2s'"))
            racer_pid.append(session.scalar(text("SELECT pg_backend_pid()")))
            try:
                booking.book(
                    session,
                    actor=system,
                    store_id=store_id,
                    operations=["DIAG"],
                    technician_id=master,
                    bay_id=lift,
                    **car[1],
                    **at,
                )
                session.commit()
                outcome.append("booked")
            except Exception as error:  # noqa: BLE001 - the outcome is the assertion
                session.rollback()
                outcome.append(error)

    with app.state.session_factory() as first, app.state.session_factory() as watcher:
        first.execute(text("SET deadlock_timeout = '60s'"))  # the other side is the victim
        booking.book(
            first,
            actor=system,
            store_id=store_id,
            operations=["OIL"],
            technician_id=junior,
            bay_id=lift,
            **car[0],
            **at,
        )
        racer = threading.Thread(target=waiting_booking)
        racer.start()
        waits = text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid")
        for _ in range(1000):
            if racer_pid and watcher.scalar(waits, {"pid": racer_pid[0]}):
                break
            watcher.commit()
            clock.sleep(0.01)
        else:
            pytest.fail("the racing booking never waited on our unfinished row")
        booking.book(  # the racer's period, later: waits on its row while it waits on ours
            first,
            actor=system,
            store_id=store_id,
            operations=["DIAG"],
            technician_id=master,
            bay_id=lift,
            **car[2],
            starts_at=local(day, 11),
        )
        first.commit()
    racer.join(timeout=30)
    (refusal,) = outcome
    assert isinstance(refusal, Conflict), refusal
    assert refusal.params["constraint"] in BUSY, refusal


def test_book_best_slot_is_idempotent_and_races_to_distinct_slots(app, world):
    day = next_weekday(1, weeks_ahead=6)
    window = dict(earliest=local(day, 8), latest=local(day, 18), operations=["OIL"])
    bodies = [
        dict(
            customer_id=world["customers"][i].id,
            vehicle_id=world["cars"][i].id,
            source_ref=f"alert:car{i}",
        )
        for i in range(3)
    ]
    barrier = threading.Barrier(3)
    made: list[int] = []

    def run(kwargs):
        with app.state.session_factory() as session:
            barrier.wait()
            appointment = booking.book_best_slot(
                session,
                actor=SystemActor(world["store"].id),
                store_id=world["store"].id,
                **window,
                **kwargs,
            )
            session.commit()
            made.append(appointment.id)

    threads = [threading.Thread(target=run, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(made) == 3
    with app.state.session_factory() as session:
        rows = session.scalars(select(Appointment).where(Appointment.id.in_(made))).all()
        periods = sorted((a.starts_at, a.ends_at) for a in rows)
        # one lift: the three cars are lined up one after another, never overlapping
        assert all(a[1] <= b[0] for a, b in zip(periods, periods[1:], strict=False))
    with app.state.session_factory.begin() as session:
        again = booking.book_best_slot(
            session,
            actor=SystemActor(world["store"].id),
            store_id=world["store"].id,
            **window,
            **bodies[0],
        )
        assert again.id in made
        assert (
            session.scalar(
                select(func.count())
                .select_from(Appointment)
                .where(Appointment.source_ref == "alert:car0")
            )
            == 1
        )


def test_appointment_state_machine_confirm_reschedule_cancel(app, client, world):
    day = next_weekday(0, weeks_ahead=7)
    appointment_id = _book(app, world, local(day, 9))
    customer = auth_headers(client, world["customer_user"], **EN)
    url = f"/service/appointments/{appointment_id}"
    assert (
        client.post(f"{url}/status", json={"to": "confirmed"}, headers=customer).json()["status"]
        == "confirmed"
    )
    no_show = client.post(f"{url}/status", json={"to": "no_show"}, headers=customer)
    assert no_show.status_code == 403
    moved = client.post(
        f"{url}/reschedule",
        json={"starts_at": local(day, 15).isoformat(), "reason": "客户临时出差"},
        headers=customer,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "booked"  # a moved visit is confirmed again
    assert datetime.fromisoformat(moved.json()["starts_at"]) == local(day, 15)
    unexplained = client.post(f"{url}/status", json={"to": "cancelled"}, headers=customer)
    assert unexplained.status_code == 409
    assert unexplained.json()["details"]["rule"] == "reason_required"
    assert (
        client.post(
            f"{url}/status", json={"to": "cancelled", "reason": "已在别处维修"}, headers=customer
        ).status_code
        == 200
    )
    again = client.post(f"{url}/status", json={"to": "confirmed"}, headers=customer)
    assert again.status_code == 409
    history = client.get(f"{url}/history", headers=customer).json()
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        (None, "booked"),
        ("booked", "confirmed"),
        ("confirmed", "booked"),
        ("booked", "cancelled"),
    ]
    assert history[2]["reason"] == "客户临时出差"
    # the cancelled visit frees its technician and bay
    _book(app, world, local(day, 15), customer=1)


def test_reschedule_onto_a_taken_slot_is_refused_and_changes_nothing(app, world):
    day = next_weekday(2, weeks_ahead=7)
    first = _book(app, world, local(day, 9), technician_id=world["junior"].id)
    second = _book(app, world, local(day, 11), customer=1, technician_id=world["junior"].id)
    with app.state.session_factory() as session:
        with pytest.raises(Conflict) as refused:
            booking.reschedule(
                session,
                actor=SystemActor(world["store"].id),
                appointment_id=second,
                starts_at=local(day, 9, 30),
                reason="提前",
                technician_id=world["junior"].id,
            )
        assert "constraint" in refused.value.params or "no technician" in str(refused.value)
        session.rollback()
        row = session.get(Appointment, second)
        assert row.starts_at == local(day, 11)
        audits = session.scalar(
            select(func.count())
            .select_from(StateTransition)
            .where(
                StateTransition.entity_type == "appointment", StateTransition.entity_id == second
            )
        )
        assert audits == 1
    assert first != second


def _lock_waiters(app) -> int:
    with app.state.session_factory() as session:
        return session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


def test_the_database_refuses_an_overlap_the_checks_could_not_see(app, world):
    """The second booking reads the calendar before the first commits: only the exclusion
    constraint can refuse it, and it does, once the first commits."""
    day = next_weekday(3, weeks_ahead=8)
    master, lift, quick = world["master"].id, world["lift"].id, world["quick"].id
    first = app.state.session_factory()
    kwargs = dict(
        actor=SystemActor(world["store"].id), store_id=world["store"].id, operations=["DIAG"]
    )
    booking.book(
        first,
        customer_id=world["customers"][0].id,
        vehicle_id=world["cars"][0].id,
        starts_at=local(day, 10),
        technician_id=master,
        bay_id=lift,
        **kwargs,
    )
    outcome: dict[str, object] = {}

    def second() -> None:
        with app.state.session_factory() as session:
            try:
                booking.book(
                    session,
                    customer_id=world["customers"][1].id,
                    vehicle_id=world["cars"][1].id,
                    starts_at=local(day, 10, 30),
                    technician_id=master,
                    bay_id=quick,
                    **kwargs,
                )
                session.commit()
                outcome["result"] = "booked"
            except Conflict as error:
                outcome["result"] = error

    thread = threading.Thread(target=second)
    thread.start()
    for _ in range(600):  # until the second insert waits on the first one's row
        if _lock_waiters(app):
            break
        threading.Event().wait(0.05)
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join(timeout=30)
    refused = outcome["result"]
    assert isinstance(refused, Conflict)
    assert refused.params["constraint"] == "ex_service_appointments_technician"
