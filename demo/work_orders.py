"""Demo work-order history: delivered jobs with invoices, surveys and a few complaints,
written through the work-order services and dated back over the last months.

Idempotent: history by the work orders' source_ref ("seed:<store>:<n>").
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.auth.actor import SystemActor
from api.auth.models import Store, User
from api.auth.roles import Role
from api.crm.models import Vehicle
from api.feedback import service as feedback
from api.feedback.constants import SURVEY_VALID_DAYS
from api.feedback.models import Complaint, Survey
from api.parts.models import Part
from api.work_orders import service, settlement
from api.work_orders.models import Invoice, PartLine, WorkOrder
from api.work_orders.states import WORK_ORDER
from api.workshop.models import Technician
from demo.history import walk

SEED = 7
HISTORY_PER_STORE = 30  # delivered jobs per store; the demo wants a few months of history
HISTORY_DAYS = 180

# Typical jobs of the history: operations, parts categories, outcome and cause code.
JOBS = (
    (("OIL-SVC", "TYRE-ROT"), ("fluid", "filter"), "maintenance", None),
    (("OIL-SVC",), ("fluid", "filter"), "maintenance", None),
    (("BAT-TEST", "BAT-REPL"), ("battery",), "confirmed_cause", "battery_aging"),
    (("COOL-PT", "THERMO-R"), ("cooling",), "confirmed_cause", "thermostat_stuck_open"),
    (("DTC-SCAN", "PLUG-R", "COIL-R"), ("ignition",), "confirmed_cause", "P0301"),
    (("DTC-SCAN", "SMOKE-T"), (), "no_fault_found", None),
    (("O2-DIAG", "O2-REPL"), ("exhaust",), "confirmed_cause", "P0420"),
    (("BRK-PAD-F", "BRK-FLUID"), ("brake",), "maintenance", None),
)
PATH = (  # a delivered job's way through WORK_ORDER
    "booked", "checked_in", "diagnosis", "estimate_sent", "customer_approved", "in_repair",
    "quality_check", "settled", "delivered",
)  # fmt: skip


def seed_work_orders(session: Session, stores: dict[str, Store]) -> int:
    """Add the demo history of delivered jobs to the stores (idempotent); returns how many.

    Needs the workshop (technicians), parts and customers' cars seeded first; the caller
    commits.
    """
    added = 0
    rng = random.Random(SEED)
    for store in stores.values():
        added += _history(session, rng, store)
    session.flush()
    return added


def _history(session: Session, rng: random.Random, store: Store) -> int:
    cars = session.scalars(
        select(Vehicle)
        .where(Vehicle.store_id == store.id, Vehicle.owner_id.is_not(None))
        .order_by(Vehicle.id)
    ).all()
    if not cars:
        return 0
    advisor = session.scalar(
        select(User.id)
        .join(User.stores)
        .where(Store.id == store.id, User.role == Role.service_advisor.value)
    )
    technicians = session.scalars(
        select(Technician).where(Technician.store_id == store.id).order_by(Technician.id)
    ).all()
    parts_by_category: dict[str, list[Part]] = {}
    for part in session.scalars(
        select(Part).where(Part.dealer_group_id == store.dealer_group_id).order_by(Part.id)
    ):
        parts_by_category.setdefault(part.category, []).append(part)
    now = datetime.now(UTC)
    added = 0
    for n in range(min(HISTORY_PER_STORE, len(cars))):
        ref = f"seed:{store.code}:{n}"
        exists = session.scalar(
            select(WorkOrder.id).where(WorkOrder.store_id == store.id, WorkOrder.source_ref == ref)
        )
        if exists is not None:
            continue
        car = cars[rng.randrange(len(cars))]
        operations, categories, outcome, cause = JOBS[rng.randrange(len(JOBS))]
        when = now - timedelta(days=rng.randint(3, HISTORY_DAYS), hours=rng.randint(0, 6))
        _job(
            session,
            rng,
            store,
            car,
            operations,
            categories,
            outcome,
            cause,
            when,
            ref,
            advisor,
            technicians,
            parts_by_category,
        )
        added += 1
    return added


def _job(session, rng, store, car, operations, categories, outcome, cause, when, ref, advisor,
         technicians, parts_by_category) -> None:  # fmt: skip
    fitting = [t for t in technicians if t.level >= 2] or list(technicians)
    wo = service.draft_work_order(
        session,
        actor=SystemActor(store.id),
        store_id=store.id,
        customer_id=car.owner_id,
        vehicle_id=car.id,
        operations=operations,
        source="walk_in",
        source_ref=ref,
        advisor_id=advisor,
        technician_id=rng.choice(fitting).id if fitting else None,
    )
    # History took its parts long ago: issued lines without touching today's stock.
    for category in categories:
        choices = parts_by_category.get(category)
        if choices:
            part = rng.choice(choices)
            quantity = Decimal(4 if part.unit == "litre" else 1)
            session.add(
                PartLine(
                    work_order_id=wo.id,
                    part_id=part.id,
                    quantity=quantity,
                    unit_price=part.list_price,
                    status="issued",
                )
            )
    session.flush()
    session.refresh(wo, attribute_names=["parts"])
    # The visit is history: the job is written in its end state (the invoice and survey by
    # their services), and its audit rows by walk(), which checks the path and the guards.
    wo.odometer_km = float(car.odometer_km or rng.randint(8_000, 90_000))
    wo.inspection = {
        "tyres": {"result": "ok", "note": None},
        "lights": {"result": "ok", "note": None},
    }
    service.record_outcome(
        session, actor=SystemActor(store.id), work_order_id=wo.id, outcome=outcome, cause_code=cause
    )
    wo.status = "settled"
    settlement.issue_invoice(session, work_order=wo)
    delivered = when + timedelta(hours=5)
    wo.status, wo.created_at = "delivered", when
    wo.checked_in_at, wo.delivered_at = when + timedelta(minutes=10), delivered
    survey = feedback.create_survey(session, work_order=wo)
    steps_at = when + timedelta(minutes=20)
    session.add_all(
        walk(WORK_ORDER, wo, PATH, actor_id=None, at=steps_at, session=session, started=True)
    )
    if rng.random() < 0.8:  # most customers answer
        low = rng.random() < 0.12
        csi, nps = (
            (rng.randint(3, 6), rng.randint(2, 6))
            if low
            else (rng.randint(8, 10), rng.randint(7, 10))
        )
        comment = "等待时间太长,未主动告知进度" if low else None
        feedback.answer_survey(session, token=survey.token, csi=csi, nps=nps, comment=comment)
    _backdate(session, wo, delivered, steps_at)


def _backdate(session: Session, wo: WorkOrder, delivered: datetime, steps_at: datetime) -> None:
    """Date what the services wrote today (creation row, invoice, survey, complaint) back."""
    session.execute(
        update(StateTransition)
        .where(StateTransition.entity_type == "work_order", StateTransition.entity_id == wo.id)
        .values(at=steps_at)
    )
    session.execute(
        update(Invoice).where(Invoice.work_order_id == wo.id).values(issued_at=delivered)
    )
    session.execute(
        update(Survey)
        .where(Survey.work_order_id == wo.id)
        .values(created_at=delivered, expires_at=delivered + timedelta(days=SURVEY_VALID_DAYS))
    )
    session.execute(
        update(Survey)
        .where(Survey.work_order_id == wo.id, Survey.answered_at.is_not(None))
        .values(answered_at=delivered + timedelta(days=1))
    )
    session.execute(
        update(Complaint)
        .where(Complaint.work_order_id == wo.id)
        .values(created_at=delivered + timedelta(days=1))
    )
