"""Customers' confirm and reschedule links: signed tokens bound to one customer and one
appointment, and what following them does. No HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from sqlalchemy.orm import Session

from api.auth.actor import SystemActor
from api.auth.models import Store
from api.errors import Forbidden, NotAuthenticated
from api.i18n import Text
from api.proactive import messages as _messages  # noqa: F401  (registers the text)
from api.workshop import appointments, booking
from api.workshop.models import Appointment
from api.workshop.slots import find_slots
from core.settings import Settings

TOKEN_TYPE = "appointment_link"
ISSUER = "pitstop"
ALGORITHM = "HS256"
LINK_VALID_AFTER_VISIT = timedelta(days=2)  # a link works until shortly after the visit
RESCHEDULE_DAYS = 21  # how far ahead the reschedule page offers slots
RESCHEDULE_SLOTS = 12
CONFIRM_PATH = "/public/appointments/confirm"
RESCHEDULE_PATH = "/public/appointments/reschedule"


def make_token(settings: Settings, *, appointment: Appointment) -> str:
    """A token that lets the appointment's customer confirm or move that appointment only."""
    claims = {
        "typ": TOKEN_TYPE,
        "iss": ISSUER,
        "sub": str(appointment.customer_id),
        "apt": appointment.id,
        "iat": datetime.now(UTC),
        "exp": appointment.ends_at + LINK_VALID_AFTER_VISIT,
    }
    return jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM)


def links_for(settings: Settings, *, appointment: Appointment) -> dict[str, str]:
    """Absolute confirm and reschedule URLs for the appointment's customer."""
    query = urlencode({"token": make_token(settings, appointment=appointment)})
    base = settings.public_base_url.rstrip("/")
    return {
        "confirm": f"{base}{CONFIRM_PATH}?{query}",
        "reschedule": f"{base}{RESCHEDULE_PATH}?{query}",
    }


def appointment_of(
    session: Session, settings: Settings, *, token: str, appointment_id: int | None = None
) -> Appointment:
    """The appointment a valid token names; Forbidden when it is not that customer's."""
    try:
        claims = jwt.decode(
            token,
            settings.signing_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["typ", "sub", "apt", "exp"]},
        )
    except jwt.InvalidTokenError:
        raise NotAuthenticated(why=Text("proactive.bad_link")) from None
    if claims["typ"] != TOKEN_TYPE:
        raise NotAuthenticated(why=Text("proactive.bad_link"))
    appointment = session.get(Appointment, int(claims["apt"]), with_for_update=True)
    mismatch = appointment_id is not None and appointment_id != int(claims["apt"])
    if appointment is None or mismatch or str(appointment.customer_id) != claims["sub"]:
        raise Forbidden(entity="appointment", why=Text("proactive.link_not_yours"))
    return appointment


def describe(session: Session, appointment: Appointment, slots: list[Any] = ()) -> dict[str, Any]:
    """The public view of an appointment."""
    store = session.get(Store, appointment.store_id)
    return {
        "appointment_id": appointment.id,
        "status": appointment.status,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "store_name": store.name_zh if store else "",
        "slots": [{"starts_at": s.starts_at, "ends_at": s.ends_at} for s in slots],
    }


def confirm(
    session: Session, settings: Settings, *, token: str, appointment_id: int | None = None
) -> Appointment:
    """The customer confirms the visit (a confirmed one stays confirmed)."""
    appointment = appointment_of(session, settings, token=token, appointment_id=appointment_id)
    if appointment.status == "confirmed":
        return appointment
    return appointments.change_status(
        session,
        actor=SystemActor(appointment.store_id),
        appointment_id=appointment.id,
        to="confirmed",
        reason="customer confirmed by link",
    )


def free_slots(
    session: Session, settings: Settings, *, token: str, appointment_id: int | None = None
) -> tuple[Appointment, list[Any]]:
    """The appointment and other free slots for the same job."""
    appointment = appointment_of(session, settings, token=token, appointment_id=appointment_id)
    now = datetime.now(UTC)
    found = find_slots(
        session,
        store_id=appointment.store_id,
        operations=appointment.operation_codes,
        earliest=now,
        latest=now + timedelta(days=RESCHEDULE_DAYS),
        limit=RESCHEDULE_SLOTS,
        ignore_appointment_id=appointment.id,
    )
    return appointment, sorted(found.slots, key=lambda s: s.starts_at)


def reschedule(
    session: Session, settings: Settings, *, token: str, starts_at: datetime
) -> Appointment:
    """Move the visit to a slot the customer picked (409 when it was taken meanwhile)."""
    appointment = appointment_of(session, settings, token=token)
    return booking.reschedule(
        session,
        actor=SystemActor(appointment.store_id),
        appointment_id=appointment.id,
        starts_at=starts_at,
        reason="customer rescheduled by link",
    )
