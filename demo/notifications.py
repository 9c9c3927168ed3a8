"""Demo notifications: a few months of delivered reminders and surveys (with the odd failure),
the demo customer's inbox, and one store's own quiet hours.

Idempotent: every message has a dedupe_key "seed:<n>", so a second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.crm.models import Customer, Vehicle
from api.notifications.models import Notification, QuietHours
from api.notifications.service import notify
from demo.people import DEMO_CUSTOMER_USER

SEED = 11
PER_STORE = 12  # customers per store with past messages; enough for a readable log
HISTORY_DAYS = 120
# (kind, context) of the past messages; the reminder's km and the survey need no appointment.
PAST = (
    ("service_reminder", {"service_name": {"zh-CN": "常规保养(机油机滤)", "en": "oil service"},
                          "due_km": 15000}),
    ("survey", {}),
)  # fmt: skip
EMAIL_BOUNCE = "the mail server answered 550 5.1.1 mailbox unavailable"


def seed_notifications(session: Session, group: DealerGroup, stores: dict[str, Store]) -> int:
    """Add the demo notifications (idempotent); returns how many messages were added."""
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    added = 0
    minhang = stores.get("SH-MH")
    if (
        minhang is not None
        and session.scalar(select(QuietHours.id).where(QuietHours.store_id == minhang.id)) is None
    ):
        session.add(QuietHours(store_id=minhang.id, quiet_start=time(22), quiet_end=time(7, 30)))
    for store in stores.values():
        customers = session.scalars(
            select(Customer).where(Customer.store_id == store.id).order_by(Customer.id)
        ).all()[:PER_STORE]
        for customer in customers:
            kind, context = rng.choice(PAST)
            sent_at = now - timedelta(days=rng.randint(3, HISTORY_DAYS), hours=rng.randint(0, 9))
            added += _message(session, store, customer, kind, context, sent_at, rng, "history")
    demo = session.scalar(select(User).where(User.username == DEMO_CUSTOMER_USER))
    if demo is not None and demo.customer_id is not None:
        customer = session.get(Customer, demo.customer_id)
        store = session.get(Store, customer.store_id) if customer else None
        if customer is not None and store is not None:
            for days, (kind, context) in ((30, PAST[0]), (9, PAST[1])):
                sent_at = now - timedelta(days=days)
                added += _message(session, store, customer, kind, context, sent_at, rng, kind)
    session.flush()
    return added


def _message(
    session: Session,
    store: Store,
    customer: Customer,
    kind: str,
    context: dict,
    sent_at: datetime,
    rng: random.Random,
    label: str,
) -> int:
    key = f"seed:{label}"
    taken = select(Notification.id).where(
        Notification.customer_id == customer.id, Notification.dedupe_key == key
    )
    if session.scalar(taken) is not None:
        return 0
    vehicle = session.scalar(
        select(Vehicle).where(Vehicle.owner_id == customer.id).order_by(Vehicle.id)
    )
    facts = dict(context)
    if vehicle is not None:
        facts |= {"plate": vehicle.plate, "vehicle": f"{vehicle.make} {vehicle.model}"}
    deliveries = notify(
        session,
        store_id=store.id,
        customer_id=customer.id,
        kind=kind,
        context=facts,
        dedupe_key=key,
        now=sent_at,
    )
    fresh = [d for d in deliveries if d.status == "queued"]
    for delivery in fresh:
        delivery.created_at = delivery.updated_at = sent_at
        delivery.attempts, delivery.next_attempt_at = 1, None
        if delivery.channel == "email" and rng.random() < 0.1:
            delivery.status, delivery.last_error = "gave_up", EMAIL_BOUNCE
        else:
            delivery.status, delivery.sent_at = "sent", sent_at
    for delivery in deliveries:
        if delivery.status == "gave_up" and delivery.attempts == 0:
            delivery.created_at = delivery.updated_at = sent_at  # unreachable: no address
    if deliveries:
        note = deliveries[0].notification
        note.created_at = sent_at
        if kind == "survey":
            note.read_at = sent_at + timedelta(hours=rng.randint(1, 30))
    return 1
