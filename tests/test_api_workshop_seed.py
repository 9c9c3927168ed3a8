"""The workshop and work-order demo seeds: the labour catalogue, technicians, bays and hours,
and a believable history of delivered jobs with invoices and surveys; a second run adds
nothing; the demo workshop offers slots for a battery job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.auth.roles import Role
from api.feedback.models import Survey
from api.work_orders.models import Invoice, WorkOrder
from api.workshop.models import Bay, LabourOperation, OpeningHours, Technician
from api.workshop.slots import find_slots
from demo.work_orders import seed_work_orders
from demo.workshop import OPERATIONS, seed_workshop
from tests.factories import make_customer, make_group, make_store, make_user, make_vehicle
from tests.factories.workshop import local, next_weekday

REQUIRED = {
    "OIL-SVC",
    "BAT-TEST",
    "BAT-REPL",
    "COOL-PT",
    "THERMO-R",
    "PLUG-R",
    "COIL-R",
    "SMOKE-T",
    "O2-DIAG",
    "BRK-PAD-F",
    "TYRE-ROT",
}


@pytest.fixture(scope="module")
def seeded(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        stores = {code: make_store(session, group) for code in ("SH-PD", "SH-MH")}
        for store in stores.values():
            make_user(session, group, Role.service_advisor, stores=[store])
            for i in range(4):
                make_vehicle(session, store, owner=make_customer(session, store, name=f"车主{i}"))
        first = seed_workshop(session, group, stores), seed_work_orders(session, stores)
        second = seed_workshop(session, group, stores), seed_work_orders(session, stores)
        return {"group": group, "stores": stores, "first": first, "second": second}


def test_the_catalogue_and_workshop_are_seeded_once(app, seeded):
    (first, _), (second, second_orders) = seeded["first"], seeded["second"]
    assert first.operations == len(OPERATIONS) and first.technicians == 5 and first.bays == 12
    assert (second.operations, second.technicians, second.bays, second_orders) == (0, 0, 0, 0)
    with app.state.session_factory() as session:
        codes = set(session.scalars(select(LabourOperation.code)))
        assert codes >= REQUIRED
        skills = {s for t in session.scalars(select(Technician)) for s in t.skills}
        assert {"diagnostics", "electrical", "cooling", "brakes"} <= skills
        assert session.scalar(select(func.count()).select_from(OpeningHours)) == 14
        assert session.scalar(select(func.count()).select_from(Bay)) == 12


def test_the_history_has_delivered_jobs_with_invoices_and_surveys(app, seeded):
    assert seeded["first"][1] == 8  # four cars per store in this small world
    with app.state.session_factory() as session:
        orders = session.scalars(select(WorkOrder)).all()
        assert {wo.status for wo in orders} <= {"delivered", "follow_up"}
        assert all(wo.outcome for wo in orders)
        assert all(wo.delivered_at < wo.created_at + timedelta(days=1) for wo in orders)
        invoices = session.scalars(select(Invoice)).all()
        assert len(invoices) == len(orders)
        assert all(i.grand_total == i.net_total + i.tax_total > 0 for i in invoices)
        assert session.scalar(select(func.count()).select_from(Survey)) == len(orders)


def test_the_demo_workshop_offers_slots_for_a_battery_job(app, seeded):
    store = seeded["stores"]["SH-PD"]
    day = next_weekday(0)
    with app.state.session_factory() as session:
        found = find_slots(
            session,
            store_id=store.id,
            operations=["BAT-TEST", "BAT-REPL"],
            earliest=local(day, 8),
            latest=local(day, 18),
        )
    assert found.slots and found.duration_minutes == 60
    assert found.slots[0].starts_at == local(day, 8, 30)
