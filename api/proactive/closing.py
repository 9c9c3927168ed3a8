"""Closing the loop: delivered jobs start a watch; the same fault back inside it is a comeback;
the job's outcome becomes a diagnostics training label; first-time-fix rate per store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.proactive.models import Proposal
from api.proactive.policy import policy_of
from api.proactive.states import PROPOSAL
from api.telemetry.models import vehicle_latest
from api.work_orders.models import WorkOrder
from diagnostics import registry

DELIVERED = ("delivered", "follow_up")
CLOSE_BATCH = 200  # proposals closed per transaction
# The service's outcome -> the diagnostics label (maintenance is no label either way).
LABELS = {"confirmed_cause": "confirmed", "no_fault_found": "no_fault_found"}


def odometer_of(session: Session, vin: str) -> float | None:
    """The car's last odometer reading from telemetry."""
    km = cast(vehicle_latest.c["values"]["ODOMETER"].astext, Float)
    return session.scalar(select(km).where(vehicle_latest.c.vin == vin))


def close_delivered(session: Session, *, now: datetime | None = None) -> int:
    """Complete the proposals whose job was delivered; start their comeback watch."""
    now = now or datetime.now(UTC)
    rows = session.execute(
        select(Proposal, WorkOrder)
        .join(WorkOrder, WorkOrder.id == Proposal.work_order_id)
        .where(Proposal.status == "booked", WorkOrder.status.in_(DELIVERED))
        .order_by(Proposal.id)
        .limit(CLOSE_BATCH)
        .with_for_update(of=Proposal, skip_locked=True)
    ).all()
    for proposal, wo in rows:
        policy = policy_of(session, store_id=proposal.store_id)
        delivered = wo.delivered_at or now
        proposal.delivered_at = delivered
        proposal.delivered_km = wo.odometer_km or odometer_of(session, proposal.vin)
        proposal.watch_until = delivered + timedelta(days=policy.comeback_days)
        session.flush()  # apply() re-reads the locked row
        PROPOSAL.apply(session, entity=proposal, to="completed", actor_id=None)
        label = LABELS.get(wo.outcome or "")
        if proposal.kind == "alert" and label is not None:
            registry.record_outcome(
                session,
                vin=proposal.vin,
                failure_mode=proposal.failure_mode,
                outcome=label,
                work_order_ref=wo.number,
                confirmed_at=delivered,
                notes=wo.outcome_code or wo.outcome_notes,
            )
    return len(rows)


def flag_comeback(session: Session, *, vin: str, alert: dict[str, Any]) -> int:
    """Mark fixed jobs whose fault came back within the store's time and distance: comebacks."""
    now = datetime.now(UTC)
    watched = session.scalars(
        select(Proposal).where(
            Proposal.vin == vin,
            Proposal.failure_mode == alert["failure_mode"],
            Proposal.status == "completed",
            Proposal.comeback.is_(False),
            Proposal.watch_until >= now,
        )
    ).all()
    km = odometer_of(session, vin) if watched else None
    flagged = 0
    for proposal in watched:
        limit = policy_of(session, store_id=proposal.store_id).comeback_km
        known = km is not None and proposal.delivered_km is not None
        if known and km - proposal.delivered_km > limit:
            continue
        proposal.comeback, proposal.comeback_alert_id = True, alert["id"]
        flagged += 1
    session.flush()
    return flagged


def first_time_fix(
    session: Session, *, actor: Scope, store_id: int, date_from: date, date_to: date
) -> dict[str, Any]:
    """Jobs from predicted faults delivered in [date_from, date_to] and the share that held."""
    actor.ensure(entity="kpi", store_id=store_id)
    start = datetime.combine(date_from, datetime.min.time(), UTC)
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), UTC)
    delivered, comebacks = session.execute(
        select(func.count(), func.count().filter(Proposal.comeback)).where(
            Proposal.store_id == store_id,
            Proposal.kind == "alert",
            Proposal.status == "completed",
            Proposal.delivered_at >= start,
            Proposal.delivered_at < end,
        )
    ).one()
    rate = round(1 - comebacks / delivered, 4) if delivered else None
    return {
        "store_id": store_id,
        "date_from": date_from,
        "date_to": date_to,
        "delivered": delivered,
        "comebacks": comebacks,
        "first_time_fix_rate": rate,
    }
