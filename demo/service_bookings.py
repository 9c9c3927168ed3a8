"""How the history's visits were booked: a customer's online request confirmed by the store,
a telematics alert booked by the proactive loop, a reminder; and the booked visits that
ended as a no-show or were cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.clock import zone
from demo.history_customers import local_moment
from demo.responses import alert_booking, alert_moment, confirmation, request_moment

OPENS, LAST_START = 8.5, 16.5
NO_SHOW_RATE, CANCEL_RATE = 0.1, 0.05  # of booked visits


@dataclass
class Booking:
    """When a visit was booked, what asked for it (the request or the alert), and when the
    store confirmed it (customers' requests only)."""

    booked: datetime
    asked: datetime | None = None
    confirmed: datetime | None = None


def _local_day(at: datetime) -> date:
    return at.astimezone(zone()).date()


def book(history, shop, car, job, source: str, start: datetime, lead_days: int = 0) -> Booking:
    """The booking of a visit starting at `start` (lead_days: the alert came that many days
    before, else one to four)."""
    rng = history.rng
    if source == "alert":
        lead = timedelta(days=lead_days or rng.randint(1, 4))
        raised = alert_moment(rng, _local_day(start) - lead)
        booked = min(alert_booking(rng, shop.code, raised), start - timedelta(minutes=15))
        return Booking(booked, raised)
    if source == "reminder":
        return Booking(start - timedelta(days=rng.randint(3, 10), hours=rng.randint(0, 8)))
    asked = request_moment(rng, _local_day(start) - timedelta(days=rng.randint(1, 7)))
    history.interactions.append(
        {
            "store_id": shop.store_id,
            "customer_id": car.customer_id,
            "vehicle_id": car.vehicle_id,
            "kind": "message",
            "direction": "inbound",
            "summary": f"客户在线预约:{job.complaint}",
            "user_id": shop.advisor_id,
            "occurred_at": asked,
        }
    )
    confirmed = min(confirmation(rng, shop.code, asked), start - timedelta(minutes=10))
    return Booking(asked, asked, confirmed)


def missed(history, shop, day: date, source: str, booked_by: str, half_hour) -> None:
    """Visits booked like this one that ended as a no-show or were cancelled."""
    rng, cars = history.rng, history.pool.cars[shop.store_id]
    for status, rate in (("no_show", NO_SHOW_RATE), ("cancelled", CANCEL_RATE)):
        if rng.random() < rate / (1 - NO_SHOW_RATE - CANCEL_RATE):
            car = rng.choice(cars)
            starts = half_hour(local_moment(day, rng.uniform(OPENS, LAST_START)))
            booked = starts - timedelta(days=rng.randint(1, 6), hours=rng.randint(1, 9))
            confirmed = None
            if booked_by == "customer":
                booked = request_moment(rng, day - timedelta(days=rng.randint(1, 6)))
                confirmed = min(confirmation(rng, shop.code, booked), starts - timedelta(hours=5))
            history.rows.appointment(
                id=history.rows.next_id("service_appointments"),
                store_id=shop.store_id,
                car=car,
                technician_id=rng.choice(shop.technicians).id,
                bay_id=rng.choice(shop.bays).id,
                advisor_id=shop.advisor_id,
                starts=starts,
                minutes=60,
                source=booked_by,
                booked=booked,
                status=status,
                operations=("OIL-SVC",),
                confirmed=confirmed,
            )
