"""Booking: put a visit on the calendar (book, book the best slot, reschedule). No HTTP.

The database refuses overlapping held periods per technician and per bay (exclusion
constraints), so of two racing bookings exactly one wins; the other gets a Conflict naming
the busy technician or bay. Each insert runs in a savepoint: a refused booking leaves the
caller's transaction usable, so automation can try the next slot. Two inserts that check each
other's unfinished rows at once deadlock; the one PostgreSQL aborts writes again, and then
waits for the other and meets its row like any later booking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from api.auth.actor import Actor, ensure_store, ensure_visible, is_customer, role_of
from api.auth.models import Store
from api.auth.records import may_serve, of_store
from api.crm.models import Customer, Vehicle
from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.workshop.appointments import appointment_to_change
from api.workshop.constants import DEFAULT_SLOTS
from api.workshop.models import Appointment, Bay, Technician
from api.workshop.slots import Calendar, JobNeeds, Preferences, find_slots, job_needs
from api.workshop.states import APPOINTMENT
from api.workshop.window import check_open_visits, check_window

LIVE = ("booked", "confirmed")
DEADLOCK_RETRIES = 3


def _store(session: Session, store_id: int) -> Store:
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(entity="store", id=store_id)
    return store


def check_party(
    session: Session, *, actor: Actor, store: Store, customer_id: int, vehicle_id: int
) -> None:
    """Refuse unless the actor may act at the store, for this customer and their vehicle.

    Customer and vehicle resolve in the actor's scope (rule in api.auth.records): other
    stores' and missing ones answer the same 404.
    """
    if is_customer(actor):
        if actor.dealer_group_id != store.dealer_group_id:  # type: ignore[union-attr]
            raise NotFound(entity="store", id=store.id)
    else:
        ensure_store(actor, store.id, entity="appointment")
    customer = session.get(Customer, customer_id)
    if customer is None or not may_serve(actor, customer, store_id=store.id):
        raise NotFound(entity="customer", id=customer_id)
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(entity="vehicle", id=vehicle_id)
    if vehicle.owner_id != customer_id:
        ensure_visible(
            actor,
            entity="vehicle",
            store_id=vehicle.store_id,
            customer_id=vehicle.owner_id,
            record_id=vehicle_id,
        )
        raise InvalidInput(
            field="vehicle_id",
            problem=Text(
                "service.vehicle_not_customers", {"vehicle": vehicle_id, "customer": customer_id}
            ),
        )


def _pick(
    session: Session,
    calendar: Calendar,
    needs: JobNeeds,
    starts_at: datetime,
    technician_id: int | None,
    bay_id: int | None,
) -> tuple[int, int]:
    ends_at = starts_at + needs.duration
    if not calendar.is_open(starts_at, ends_at):
        raise InvalidInput(
            field="starts_at", problem=Text("service.outside_hours", {"starts": starts_at})
        )
    if technician_id is not None:
        technician = of_store(
            session,
            Technician,
            technician_id,
            store_id=calendar.store_id,
            entity="technician",
            field="technician_id",
        )
        if not needs.fits_technician(technician):
            raise InvalidInput(
                field="technician_id",
                problem=Text(
                    "service.technician_unfit",
                    {"technician": technician_id, "skills": ", ".join(sorted(needs.skills))},
                ),
            )
    if bay_id is not None:
        bay = of_store(
            session, Bay, bay_id, store_id=calendar.store_id, entity="bay", field="bay_id"
        )
        if not needs.fits_bay(bay):
            raise InvalidInput(
                field="bay_id",
                problem=Text(
                    "service.bay_unfit", {"bay": bay_id, "kind": ", ".join(needs.bay_kinds) or "-"}
                ),
            )
    # Friendly early refusals; under a race the exclusion constraints decide.
    if technician_id is not None and not calendar.technician_free(
        technician_id, starts_at, ends_at
    ):
        raise _busy("technician", technician_id, starts_at, ends_at)
    if bay_id is not None and not calendar.bay_free(bay_id, starts_at, ends_at):
        raise _busy("bay", bay_id, starts_at, ends_at)
    if technician_id is None:
        free = calendar.free_technicians(starts_at, ends_at)
        technician_id = free[0].id if free else None
    if bay_id is None:
        free_bays = calendar.free_bays(starts_at, ends_at)
        bay_id = free_bays[0].id if free_bays else None
    if technician_id is None or bay_id is None:
        why = Text(
            "service.no_free_resource",
            {"skills": ", ".join(sorted(needs.skills)), "starts": starts_at.isoformat()},
        )
        raise Conflict(why=why)
    return technician_id, bay_id


def _busy(resource: str, resource_id: int, starts: datetime, ends: datetime) -> Conflict:
    params = {resource: resource_id, "starts": starts.isoformat(), "ends": ends.isoformat()}
    why = Text(f"service.{resource}_busy", params)
    return Conflict(why=why, constraint=f"ex_service_appointments_{resource}")


def _refusal(
    error: IntegrityError, *, technician_id: int, bay_id: int, starts: datetime, ends: datetime
) -> Conflict | None:
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if constraint == "ex_service_appointments_technician":
        return _busy("technician", technician_id, starts, ends)
    if constraint == "ex_service_appointments_bay":
        return _busy("bay", bay_id, starts, ends)
    return None


def _write_held_period(session: Session, write: Callable[[], None]) -> None:
    """Run write in a savepoint; write again when it lost a deadlock against a racing booking."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with session.begin_nested():
                write()
            return
        except OperationalError as error:
            lost = getattr(error.orig, "sqlstate", None) == "40P01"
            if not lost or attempt == DEADLOCK_RETRIES - 1:
                raise


def _live_by_ref(session: Session, store_id: int, source_ref: str) -> Appointment | None:
    return session.scalar(
        select(Appointment).where(
            Appointment.store_id == store_id,
            Appointment.source_ref == source_ref,
            Appointment.status.in_(LIVE),
        )
    )


def book(
    session: Session,
    *,
    actor: Actor,
    store_id: int,
    customer_id: int,
    vehicle_id: int,
    operations: Sequence[str],
    starts_at: datetime,
    technician_id: int | None = None,
    bay_id: int | None = None,
    source: str = "advisor",
    source_ref: str | None = None,
    advisor_id: int | None = None,
    notes: str | None = None,
    actor_id: int | None = None,
) -> Appointment:
    """Book a visit; free technician and bay are chosen when not given. Idempotent by source_ref.

    Conflict (409) when the technician or bay is taken, also by a racing booking.
    """
    store = _store(session, store_id)
    check_party(session, actor=actor, store=store, customer_id=customer_id, vehicle_id=vehicle_id)
    if source_ref is not None:
        existing = _live_by_ref(session, store_id, source_ref)
        if existing is not None:
            return existing
    check_window(actor, starts_at)
    if is_customer(actor):
        check_open_visits(session, vehicle_id=vehicle_id)
    needs = job_needs(session, group_id=store.dealer_group_id, operations=operations)
    calendar = Calendar(
        session, store=store, needs=needs, start=starts_at, end=starts_at + needs.duration
    )
    return _place(
        session,
        calendar=calendar,
        needs=needs,
        customer_id=customer_id,
        vehicle_id=vehicle_id,
        starts_at=starts_at,
        technician_id=technician_id,
        bay_id=bay_id,
        source=source,
        source_ref=source_ref,
        advisor_id=advisor_id,
        notes=notes,
        actor_id=actor_id,
    )


def _place(
    session: Session,
    *,
    calendar: Calendar,
    needs: JobNeeds,
    customer_id: int,
    vehicle_id: int,
    starts_at: datetime,
    technician_id: int | None,
    bay_id: int | None,
    source: str,
    source_ref: str | None,
    advisor_id: int | None,
    notes: str | None,
    actor_id: int | None,
) -> Appointment:
    """Insert the appointment on a calendar the caller read; the constraints judge races."""
    store_id = calendar.store_id
    ends_at = starts_at + needs.duration
    technician_id, bay_id = _pick(session, calendar, needs, starts_at, technician_id, bay_id)
    appointment = Appointment(
        store_id=store_id,
        customer_id=customer_id,
        vehicle_id=vehicle_id,
        technician_id=technician_id,
        bay_id=bay_id,
        advisor_id=advisor_id,
        starts_at=starts_at,
        ends_at=ends_at,
        operation_codes=[op.code for op in needs.operations],
        source=source,
        source_ref=source_ref,
        notes=notes,
    )
    try:
        _write_held_period(
            session, lambda: APPOINTMENT.start(session, entity=appointment, actor_id=actor_id)
        )
    except IntegrityError as error:
        if source_ref is not None:
            existing = _live_by_ref(session, store_id, source_ref)
            if existing is not None:  # a racing request with the same key won
                return existing
        refusal = _refusal(
            error, technician_id=technician_id, bay_id=bay_id, starts=starts_at, ends=ends_at
        )
        if refusal is None:
            raise
        raise refusal from None
    return appointment


def book_best_slot(
    session: Session,
    *,
    actor: Actor,
    store_id: int,
    customer_id: int,
    vehicle_id: int,
    operations: Sequence[str],
    earliest: datetime,
    latest: datetime,
    parts: Sequence[tuple[int, Decimal]] = (),
    preferences: Preferences | None = None,
    source: str = "alert",
    source_ref: str | None = None,
    advisor_id: int | None = None,
    notes: str | None = None,
    actor_id: int | None = None,
    attempts: int = DEFAULT_SLOTS,
) -> Appointment:
    """Search slots and book the best one, trying the next when a racing booking took it."""
    if source_ref is not None:
        existing = _live_by_ref(session, store_id, source_ref)
        if existing is not None:
            return existing
    found = find_slots(
        session,
        store_id=store_id,
        operations=operations,
        earliest=earliest,
        latest=latest,
        parts=parts,
        preferences=preferences,
        limit=attempts,
    )
    last: Conflict | None = None
    calendar = found.calendar  # set whenever there are slots
    if found.slots and calendar is not None:
        store = _store(session, store_id)
        check_party(
            session, actor=actor, store=store, customer_id=customer_id, vehicle_id=vehicle_id
        )
        if is_customer(actor):
            check_open_visits(session, vehicle_id=vehicle_id)
        needs = calendar.needs
        for slot in found.slots:
            if last is not None:  # a racing booking took a slot: read the workshop afresh
                start, ends = slot.starts_at, slot.starts_at + needs.duration
                calendar = Calendar(session, store=store, needs=needs, start=start, end=ends)
            try:
                check_window(actor, slot.starts_at)
                return _place(
                    session,
                    calendar=calendar,
                    needs=needs,
                    customer_id=customer_id,
                    vehicle_id=vehicle_id,
                    starts_at=slot.starts_at,
                    technician_id=slot.technician_id,
                    bay_id=slot.bay_id,
                    source=source,
                    source_ref=source_ref,
                    advisor_id=advisor_id,
                    notes=notes,
                    actor_id=actor_id,
                )
            except Conflict as error:
                last = error
    if last is not None:
        raise last
    why = Text("service.no_slot", {"earliest": earliest.isoformat(), "latest": latest.isoformat()})
    raise Conflict(why=why)


def reschedule(
    session: Session,
    *,
    actor: Actor,
    appointment_id: int,
    starts_at: datetime,
    reason: str,
    technician_id: int | None = None,
    bay_id: int | None = None,
    actor_id: int | None = None,
) -> Appointment:
    """Move an appointment (a confirmed one must be confirmed again); 409 if the slot is taken."""
    appointment = appointment_to_change(session, actor, appointment_id, "booked")
    session.refresh(appointment, with_for_update=True)
    APPOINTMENT.check(session, entity=appointment, to="booked", reason=reason)
    check_window(actor, starts_at)
    store = _store(session, appointment.store_id)
    needs = job_needs(
        session, group_id=store.dealer_group_id, operations=appointment.operation_codes
    )
    ends_at = starts_at + needs.duration
    calendar = Calendar(
        session,
        store=store,
        needs=needs,
        start=starts_at,
        end=ends_at,
        ignore_appointment_id=appointment.id,
    )
    technician_id, bay_id = _pick(session, calendar, needs, starts_at, technician_id, bay_id)

    def move() -> None:
        appointment.starts_at, appointment.ends_at = starts_at, ends_at
        appointment.technician_id, appointment.bay_id = technician_id, bay_id
        session.flush()

    try:
        _write_held_period(session, move)
    except IntegrityError as error:
        refusal = _refusal(
            error, technician_id=technician_id, bay_id=bay_id, starts=starts_at, ends=ends_at
        )
        if refusal is None:
            raise
        raise refusal from None
    APPOINTMENT.apply(
        session,
        entity=appointment,
        to="booked",
        reason=reason,
        actor_id=actor_id,
        role=role_of(actor),
    )
    session.refresh(appointment)
    return appointment
