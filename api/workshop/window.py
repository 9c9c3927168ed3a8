"""Booking windows: when each booker may book, and how many open visits a customer's car may
have (staff may book more, e.g. a fleet car with several jobs).

Customers book from now to CUSTOMER_BOOK_AHEAD; staff also up to STAFF_BOOK_BEHIND back (a
walk-in already in the workshop) and STAFF_BOOK_AHEAD ahead. The system (proactive
maintenance, seeding) books only through slot search, which starts at now.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.actor import Actor, SystemActor, is_customer
from api.crm.models import Vehicle
from api.errors import Conflict, InvalidInput
from api.i18n import Text, register
from api.workshop.constants import (
    CUSTOMER_BOOK_AHEAD,
    MAX_OPEN_VISITS_PER_CAR,
    STAFF_BOOK_AHEAD,
    STAFF_BOOK_BEHIND,
)
from api.workshop.models import Appointment

OPEN = ("booked", "confirmed")

register(
    {
        "service.outside_window": {
            "en": "starts_at {starts} is outside the booking window; book between {first} "
            "and {last}",
            "zh-CN": "预约时间 {starts} 不在可预约范围内,请在 {first} 至 {last} 之间预约",
        },
        "service.too_many_open_visits": {
            "en": "vehicle {vehicle} already has {open} open appointments (at most {most}); "
            "cancel or complete one first",
            "zh-CN": "车辆 {vehicle} 已有 {open} 个未完成的预约(最多 {most} 个),"
            "请先取消或完成其中一个",
        },
    }
)


def window_of(actor: Actor, now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """The first and last start the actor may book (None: the system, bound by slot search)."""
    if isinstance(actor, SystemActor):
        return None
    now = now or datetime.now(UTC)
    if is_customer(actor):
        return now, now + CUSTOMER_BOOK_AHEAD
    return now - STAFF_BOOK_BEHIND, now + STAFF_BOOK_AHEAD


def check_window(actor: Actor, starts_at: datetime, now: datetime | None = None) -> None:
    """422 naming the window unless the actor may book a visit starting at starts_at."""
    window = window_of(actor, now)
    if window is None:
        return
    first, last = window
    if not first <= starts_at <= last:
        params = {
            "starts": starts_at.isoformat(),
            "first": f"{first:%Y-%m-%d %H:%M} UTC",
            "last": f"{last:%Y-%m-%d %H:%M} UTC",
        }
        raise InvalidInput(field="starts_at", problem=Text("service.outside_window", params))


def check_open_visits(
    session: Session, *, vehicle_id: int, ignore_appointment_id: int | None = None
) -> None:
    """409 when the car already has MAX_OPEN_VISITS_PER_CAR open appointments."""
    session.execute(select(Vehicle.id).where(Vehicle.id == vehicle_id).with_for_update())
    stmt = select(func.count()).where(
        Appointment.vehicle_id == vehicle_id, Appointment.status.in_(OPEN)
    )
    if ignore_appointment_id is not None:
        stmt = stmt.where(Appointment.id != ignore_appointment_id)
    count = session.scalar(stmt) or 0
    if count >= MAX_OPEN_VISITS_PER_CAR:
        params = {"vehicle": vehicle_id, "open": count, "most": MAX_OPEN_VISITS_PER_CAR}
        raise Conflict(why=Text("service.too_many_open_visits", params))


def clip_search(actor: Actor, earliest: datetime, latest: datetime) -> datetime:
    """The latest a slot search may reach: slots are offered only where booking accepts them."""
    window = window_of(actor)
    if window is None:
        return latest
    if earliest > window[1]:
        check_window(actor, earliest)
    return min(latest, window[1])
