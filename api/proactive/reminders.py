"""Mileage and time-based service reminders: due every N km or N months (per make, as data),
from the telemetry odometer and the last delivered job; they go through the same machinery as
alerts (a proposal for the advisor, a feed card, a customer notification)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.crm.models import Vehicle
from api.notifications.service import notify
from api.proactive import feed, kits
from api.proactive.constants import (
    REMIND_AHEAD_DAYS,
    REMIND_AHEAD_KM,
    REMINDER_BOOK_WITHIN_DAYS,
    REMINDER_MODE,
    plan_for,
)
from api.proactive.models import Proposal
from api.proactive.states import PROPOSAL

log = logging.getLogger(__name__)

REMINDER_BATCH = 500  # vehicles looked at per run
_CANDIDATES = text("""
SELECT v.id, v.vin, v.make, v.model, v.store_id, v.owner_id, v.created_at,
    coalesce((l."values"->>'ODOMETER')::float, v.odometer_km) AS km,
    w.id AS wo_id, w.delivered_at, w.odometer_km AS last_km
FROM vehicles v
LEFT JOIN vehicle_latest l ON l.vin = v.vin
LEFT JOIN LATERAL (
    SELECT id, delivered_at, odometer_km FROM work_orders
    WHERE vehicle_id = v.id AND delivered_at IS NOT NULL ORDER BY delivered_at DESC LIMIT 1
) w ON true
WHERE v.owner_id IS NOT NULL AND v.id > :after
  AND NOT EXISTS (SELECT 1 FROM proactive_proposals p
                  WHERE p.source_ref = 'reminder:' || v.vin || ':' || coalesce(w.id, 0))
ORDER BY v.id LIMIT :limit""")


@dataclass(frozen=True)
class Due:
    """Why a car is due: its next service distance and date."""

    due_km: float | None
    due_date: datetime
    odometer_km: float | None


def add_months(moment: datetime, months: int) -> datetime:
    """The same day (or the month's last) months later."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {moment}")


def is_due(row: Any, now: datetime) -> Due | None:
    """The car's due point when it is within the reminder margin, else None."""
    plan = plan_for(row.make, row.model)
    since = row.delivered_at or row.created_at
    due_date = add_months(since, plan.every_months)
    due_km = (row.last_km or 0.0) + plan.every_km if row.wo_id is not None else plan.every_km
    by_km = row.km is not None and row.km >= due_km - REMIND_AHEAD_KM
    by_date = now >= due_date - timedelta(days=REMIND_AHEAD_DAYS)
    return Due(due_km, due_date, row.km) if by_km or by_date else None


def run_reminders(session: Session, *, now: datetime | None = None) -> int:
    """Remind every car that is due and not yet reminded for its last service; returns count."""
    now = now or datetime.now(UTC)
    made, after = 0, 0
    while True:
        rows = session.execute(_CANDIDATES, {"after": after, "limit": REMINDER_BATCH}).all()
        if not rows:
            return made
        for row in rows:
            after = row.id
            due = is_due(row, now)
            if due is not None and _remind(session, row, due, now):
                made += 1


def _remind(session: Session, row: Any, due: Due, now: datetime) -> bool:
    vehicle = session.get(Vehicle, row.id)
    store = session.get(Store, row.store_id)
    kit = kits.kit_for(REMINDER_MODE)
    parts = kits.resolve_parts(session, group_id=store.dealer_group_id, vehicle=vehicle, kit=kit)
    proposal = Proposal(
        store_id=row.store_id,
        kind="reminder",
        source_ref=f"reminder:{row.vin}:{row.wo_id or 0}",
        vin=row.vin,
        failure_mode=REMINDER_MODE,
        action="schedule",
        customer_id=row.owner_id,
        vehicle_id=row.id,
        operations=list(kit.operations),
        parts=[[p, str(q)] for p, q in parts],
        due_by=max(due.due_date, now + timedelta(days=REMINDER_BOOK_WITHIN_DAYS)),
        explanation={
            "title_zh": "定期保养提醒",
            "title_en": "Service reminder",
            "due_km": due.due_km,
            "due_date": due.due_date.date().isoformat(),
            "odometer_km": due.odometer_km,
        },
    )
    try:
        with session.begin_nested():
            PROPOSAL.start(session, entity=proposal, actor_id=None)
    except IntegrityError:  # a live service proposal for the car exists, or a racing run
        return False
    feed.publish(
        session, store_id=row.store_id, kind="proposal_created", vin=row.vin,
        failure_mode=REMINDER_MODE, proposal_id=proposal.id,
    )  # fmt: skip
    context = {
        "plate": vehicle.plate,
        "vehicle": f"{vehicle.make} {vehicle.model}",
        "due_km": due.due_km,
        "due_date": due.due_date.date().isoformat(),
        "odometer_km": due.odometer_km,
        "service_name_zh": "常规保养(机油机滤)",
        "service_name_en": "routine service (oil and filter)",
    }
    notify(
        session,
        store_id=row.store_id,
        customer_id=row.owner_id,
        kind="service_reminder",
        context={k: v for k, v in context.items() if v is not None},
        dedupe_key=proposal.source_ref,
    )
    return True
