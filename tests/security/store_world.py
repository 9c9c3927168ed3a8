"""Two stores of one group with a workshop each, for the referenced-record tests (issue 10).

SH-PD (store a) and SH-MH (store b); Carol, SH-MH's customer, has an appointment and a work
order there with a complaint that must never leak to SH-PD.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.actor import SystemActor
from api.auth.roles import Role
from api.work_orders import service
from api.work_orders.models import WorkOrder
from api.workshop import booking
from api.workshop.models import Appointment
from tests.factories import make_user, two_store_world
from tests.factories.workshop import (
    local,
    make_bay,
    make_operation,
    make_technician,
    next_weekday,
    open_every_day,
)

CAROLS_COMPLAINT = "闵行门店的机密故障描述"


def workshop_world(session: Session) -> dict[str, Any]:
    """two_store_world plus hours, bays, technicians (one inactive) and Carol's job at SH-MH."""
    world = two_store_world(session)
    group, a, b = world["group"], world["a"], world["b"]
    for store in (a, b):
        open_every_day(session, store)
    make_operation(session, group, code="OIL")
    world["bay_a"], world["bay_b"] = make_bay(session, a), make_bay(session, b)
    world["technician_a"] = make_technician(session, group, a)
    world["technician_b"] = make_technician(session, group, b)
    world["technician_a_off"] = make_technician(session, group, a)
    world["technician_a_off"].active = False
    world["manager_b"] = make_user(session, group, Role.manager, stores=[b])
    carol_at = local(next_weekday(3), 9)
    appointment = booking.book(
        session,
        actor=SystemActor(b.id),
        store_id=b.id,
        customer_id=world["carol"].id,
        vehicle_id=world["carol_car"].id,
        operations=["OIL"],
        starts_at=carol_at,
        technician_id=world["technician_b"].id,
    )
    wo = service.draft_work_order(
        session,
        actor=SystemActor(b.id),
        store_id=b.id,
        customer_id=world["carol"].id,
        vehicle_id=world["carol_car"].id,
        appointment_id=appointment.id,
        complaint=CAROLS_COMPLAINT,
    )
    world["carol_appointment"], world["carol_wo"] = appointment, wo
    session.flush()
    return world


def counts(session: Session) -> tuple[int, int]:
    """How many appointments and work orders exist (to show that a refusal changed nothing)."""
    return (
        session.scalar(select(func.count()).select_from(Appointment)) or 0,
        session.scalar(select(func.count()).select_from(WorkOrder)) or 0,
    )
