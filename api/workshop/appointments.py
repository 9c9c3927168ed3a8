"""Appointments: read them, and confirm, cancel, mark no-show or arrived. No HTTP.

Putting a visit on the calendar (booking, rescheduling) is in `booking`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.audit.service import history
from api.auth.actor import Actor, ensure_visible, is_technician, role_of, visible
from api.auth.scope import Scope
from api.crm.models import Customer
from api.errors import Forbidden, InvalidInput, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, where_given
from api.workshop.catalogue import technician_of_user
from api.workshop.models import Appointment
from api.workshop.slots import Preferences
from api.workshop.states import APPOINTMENT

CUSTOMER_STEPS = frozenset({"confirmed", "cancelled", "booked"})  # what a customer may do


def get_appointment(session: Session, *, actor: Actor, appointment_id: int) -> Appointment:
    """An appointment the actor may see."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(entity="appointment", id=appointment_id)
    ensure_visible(
        actor,
        entity="appointment",
        store_id=appointment.store_id,
        customer_id=appointment.customer_id,
        record_id=appointment_id,
    )
    if is_technician(actor):
        own = technician_of_user(session, user_id=actor.user_id)  # type: ignore[union-attr]
        if own is None or own.id != appointment.technician_id:
            raise NotFound(entity="appointment", id=appointment_id)
    return appointment


def list_appointments(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    store_id: int | None = None,
    status: str | None = None,
    customer_id: int | None = None,
    technician_id: int | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
) -> Paged[Appointment]:
    """Appointments the actor may see, in time order."""
    stmt = select(Appointment).where(
        visible(actor, store_column=Appointment.store_id, customer_column=Appointment.customer_id)
    )
    if is_technician(actor):
        own = technician_of_user(session, user_id=actor.user_id)  # type: ignore[union-attr]
        stmt = stmt.where(Appointment.technician_id == (own.id if own else -1))
    stmt = where_given(
        stmt,
        (Appointment.store_id, store_id),
        (Appointment.status, status),
        (Appointment.customer_id, customer_id),
        (Appointment.technician_id, technician_id),
    )
    if starts_from is not None:
        stmt = stmt.where(Appointment.starts_at >= starts_from)
    if starts_before is not None:
        stmt = stmt.where(Appointment.starts_at < starts_before)
    return paginate(session, stmt.order_by(Appointment.starts_at, Appointment.id), page)


def appointment_to_change(
    session: Session, actor: Actor, appointment_id: int, to: str
) -> Appointment:
    """The appointment, if the actor may move it to `to` (customers: only some steps)."""
    appointment = get_appointment(session, actor=actor, appointment_id=appointment_id)
    if isinstance(actor, Scope) and actor.is_customer:
        if to not in CUSTOMER_STEPS:
            raise Forbidden(
                entity="appointment",
                why=Text("forbidden.role", {"role": actor.role.value, "roles": "staff"}),
            )
    elif is_technician(actor):
        raise Forbidden(
            entity="appointment",
            why=Text("forbidden.role", {"role": "technician", "roles": "advisor, manager"}),
        )
    return appointment


def change_status(
    session: Session,
    *,
    actor: Actor,
    appointment_id: int,
    to: str,
    reason: str | None = None,
    actor_id: int | None = None,
) -> Appointment:
    """Confirm, cancel, mark no-show or arrived; audited, 409 on an illegal step."""
    appointment = appointment_to_change(session, actor, appointment_id, to)
    if to == "booked":
        raise InvalidInput(field="to", problem="to move an appointment, reschedule it")
    APPOINTMENT.apply(
        session, entity=appointment, to=to, reason=reason, actor_id=actor_id, role=role_of(actor)
    )
    return appointment


def appointment_history(
    session: Session, *, actor: Actor, appointment_id: int
) -> list[StateTransition]:
    """Every state change of an appointment, oldest first."""
    get_appointment(session, actor=actor, appointment_id=appointment_id)
    return history(session, entity_type=APPOINTMENT.entity_type, entity_id=appointment_id)


def preferences_of(customer: Customer, weekdays: Iterable[str] = ()) -> Preferences:
    """Slot preferences from a customer's CRM record (weekday and time of day)."""
    days = tuple(weekdays) or ((customer.preferred_weekday,) if customer.preferred_weekday else ())
    return Preferences(weekdays=days, time_of_day=customer.preferred_time_of_day)
