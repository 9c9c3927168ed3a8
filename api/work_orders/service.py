"""Work orders through the 4S flow: draft, check-in, diagnosis, waits, QC, settlement,
delivery, follow-up. No HTTP; lines and clocks are in `lines`, money in `settlement`, the
survey and complaints in `api.feedback` (delivery creates the survey).

Every function takes the session (the caller commits) and `actor`: a signed-in user's Scope,
or a store id for a system caller (for example the proactive-maintenance loop, with
actor_id=None). Automated calls pass `source_ref`, an idempotency key: a repeat returns the
record the first call made instead of creating another.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.audit.service import history
from api.auth.actor import (
    Actor,
    ensure_store,
    ensure_visible,
    is_technician,
    role_of,
    visible,
)
from api.auth.models import Store
from api.auth.records import in_scope, of_store
from api.auth.scope import Scope
from api.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.feedback import service as feedback
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, where_given
from api.work_orders import estimates, lines, settlement
from api.work_orders import messages as _messages  # noqa: F401  (registers work-order text)
from api.work_orders.constants import INSPECTION_ITEMS, WAITS
from api.work_orders.models import EstimateVersion, LabourLine, WorkOrder
from api.work_orders.states import WORK_ORDER
from api.workshop.booking import check_party
from api.workshop.catalogue import operations_by_code, technician_of_user
from api.workshop.models import Appointment, Technician
from api.workshop.states import APPOINTMENT


def _number(prefix: str, row_id: int) -> str:
    return f"{prefix}{datetime.now(UTC):%y%m%d}-{row_id:06d}"


def _live_by_ref(session: Session, store_id: int, source_ref: str) -> WorkOrder | None:
    return session.scalar(
        select(WorkOrder).where(
            WorkOrder.store_id == store_id,
            WorkOrder.source_ref == source_ref,
            WorkOrder.status != "cancelled",
        )
    )


def draft_work_order(
    session: Session,
    *,
    actor: Actor,
    store_id: int,
    customer_id: int,
    vehicle_id: int,
    operations: Sequence[str] = (),
    parts: Sequence[tuple[int, Decimal]] = (),
    appointment_id: int | None = None,
    complaint: str | None = None,
    evidence: dict[str, Any] | None = None,
    source: str | None = None,
    source_ref: str | None = None,
    advisor_id: int | None = None,
    technician_id: int | None = None,
    actor_id: int | None = None,
    reserve_parts: bool = True,
) -> WorkOrder:
    """A booked work order with labour lines and reserved parts (short ones marked 'short').

    Idempotent: the same source_ref, or the same appointment, returns the existing order.
    reserve_parts=False leaves every part line 'short' for a later lines.reserve_short.
    """
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(entity="store", id=store_id)
    if isinstance(actor, Scope) and actor.is_customer:
        raise Forbidden(entity="work_order", why=Text("forbidden.other_store"))
    check_party(session, actor=actor, store=store, customer_id=customer_id, vehicle_id=vehicle_id)
    if source_ref is not None and (found := _live_by_ref(session, store_id, source_ref)):
        return found
    if technician_id is not None:
        of_store(
            session,
            Technician,
            technician_id,
            store_id=store_id,
            entity="technician",
            field="technician_id",
        )
    if appointment_id is not None:
        # Resolve in scope first: an order is returned only for an appointment the actor sees.
        appointment = in_scope(
            session, Appointment, appointment_id, actor=actor, entity="appointment"
        )
        if (appointment.store_id, appointment.vehicle_id) != (store_id, vehicle_id):
            raise InvalidInput(
                field="appointment_id", problem="the appointment is for another store or vehicle"
            )
        found = session.scalar(select(WorkOrder).where(WorkOrder.appointment_id == appointment_id))
        if found is not None:
            return found
        technician_id = technician_id or appointment.technician_id
        operations = list(dict.fromkeys([*appointment.operation_codes, *operations]))
    ops = operations_by_code(session, group_id=store.dealer_group_id, codes=operations)
    wo = WorkOrder(
        store_id=store_id,
        number=f"TMP-{uuid.uuid4().hex[:20]}",
        customer_id=customer_id,
        vehicle_id=vehicle_id,
        appointment_id=appointment_id,
        advisor_id=advisor_id or (actor_id if isinstance(actor, Scope) else None),
        technician_id=technician_id,
        source=source or ("appointment" if appointment_id else "walk_in"),
        source_ref=source_ref,
        complaint=complaint,
        evidence=evidence or {},
        inspection={},
    )
    try:
        with session.begin_nested():
            WORK_ORDER.start(session, entity=wo, actor_id=actor_id)
    except IntegrityError:
        if source_ref is not None and (found := _live_by_ref(session, store_id, source_ref)):
            return found  # a racing request with the same key won
        raise
    wo.number = _number("WO", wo.id)
    lines.add_catalogue_lines(
        session, work_order=wo, operations=ops, parts=parts, actor_id=actor_id,
        reserve=reserve_parts,
    )  # fmt: skip
    return wo


def get_work_order(session: Session, *, actor: Actor, work_order_id: int) -> WorkOrder:
    """A work order the actor may see (a technician: only jobs assigned to them)."""
    wo = session.get(WorkOrder, work_order_id)
    if wo is None:
        raise NotFound(entity="work_order", id=work_order_id)
    ensure_visible(
        actor,
        entity="work_order",
        store_id=wo.store_id,
        customer_id=wo.customer_id,
        record_id=work_order_id,
    )
    if is_technician(actor):
        own = technician_of_user(session, user_id=actor.user_id)  # type: ignore[union-attr]
        assigned = own is not None and (
            wo.technician_id == own.id or any(line.technician_id == own.id for line in wo.labour)
        )
        if not assigned:
            raise NotFound(entity="work_order", id=work_order_id)
    return wo


def list_work_orders(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    store_id: int | None = None,
    status: str | None = None,
    customer_id: int | None = None,
    vehicle_id: int | None = None,
    technician_id: int | None = None,
    source: str | None = None,
) -> Paged[WorkOrder]:
    """Work orders the actor may see, newest first."""
    stmt = select(WorkOrder).where(
        visible(actor, store_column=WorkOrder.store_id, customer_column=WorkOrder.customer_id)
    )
    if is_technician(actor):
        own = technician_of_user(session, user_id=actor.user_id)  # type: ignore[union-attr]
        own_id = own.id if own else -1
        on_line = exists().where(
            LabourLine.work_order_id == WorkOrder.id, LabourLine.technician_id == own_id
        )
        stmt = stmt.where(or_(WorkOrder.technician_id == own_id, on_line))
    stmt = where_given(
        stmt,
        (WorkOrder.store_id, store_id),
        (WorkOrder.status, status),
        (WorkOrder.customer_id, customer_id),
        (WorkOrder.vehicle_id, vehicle_id),
        (WorkOrder.technician_id, technician_id),
        (WorkOrder.source, source),
    )
    return paginate(session, stmt.order_by(WorkOrder.id.desc()), page)


def _for_step(session: Session, actor: Actor, work_order_id: int, to: str) -> WorkOrder:
    wo = get_work_order(session, actor=actor, work_order_id=work_order_id)
    if WORK_ORDER.can(wo.status, to):
        WORK_ORDER.check_role(entity=wo, to=to, role=role_of(actor))  # 403 before any change
    return wo


def advance(
    session: Session,
    *,
    actor: Actor,
    work_order_id: int,
    to: str,
    reason: str | None = None,
    actor_id: int | None = None,
) -> WorkOrder:
    """Take one step of the flow (audited; 409 says why an illegal step is refused).

    Settling issues the invoice; delivering creates the survey; cancelling releases parts.
    Waits are entered with `enter_wait`, which needs a reason code.
    """
    if to in WAITS:
        reasons = ", ".join(WAITS[to]["reasons"])
        raise InvalidInput(field="to", problem=Text("service.use_wait", {"reasons": reasons}))
    wo = _for_step(session, actor, work_order_id, to)
    was_waiting = wo.status in WAITS
    if to in estimates.NEEDS_APPROVAL and WORK_ORDER.can(wo.status, to):
        estimates.require_approved(session, work_order=wo)
    WORK_ORDER.apply(
        session, entity=wo, to=to, reason=reason, actor_id=actor_id, role=role_of(actor)
    )
    if was_waiting:
        wo.wait_reason = wo.wait_return_to = None
    if to == "estimate_sent":
        estimates.make_current(session, work_order=wo, actor_id=actor_id, reason=reason)
    elif to == "customer_approved":
        estimates.approve(session, actor=actor, work_order=wo)
    elif to == "settled":
        settlement.issue_invoice(session, work_order=wo, actor_id=actor_id)
    elif to == "delivered":
        wo.delivered_at = datetime.now(UTC)
        feedback.create_survey(session, work_order=wo)
    elif to == "cancelled":
        lines.release_parts(session, work_order=wo, reason=reason, actor_id=actor_id)
        _cancel_appointment(session, wo, reason, actor_id)
    session.flush()
    return wo


def _cancel_appointment(
    session: Session, wo: WorkOrder, reason: str | None, actor_id: int | None
) -> None:
    if wo.appointment_id is None:
        return
    appointment = session.get(Appointment, wo.appointment_id)
    if appointment is not None and appointment.status in ("booked", "confirmed"):
        APPOINTMENT.apply(
            session, entity=appointment, to="cancelled", reason=reason, actor_id=actor_id
        )


def check_in(
    session: Session,
    *,
    actor: Actor,
    work_order_id: int,
    odometer_km: float,
    inspection: dict[str, dict[str, str | None]],
    complaint: str | None = None,
    actor_id: int | None = None,
) -> WorkOrder:
    """Receive the car (接车): odometer and the multi-point inspection; the visit has arrived."""
    wo = _for_step(session, actor, work_order_id, "checked_in")
    ensure_store(actor, wo.store_id, entity="work_order")
    unknown = sorted(set(inspection) - set(INSPECTION_ITEMS))
    if unknown:
        raise InvalidInput(
            field="inspection",
            problem=f"unknown items {unknown}; the checklist is {', '.join(INSPECTION_ITEMS)}",
        )
    session.refresh(wo, with_for_update=True)
    if wo.status != "booked":  # refuse before touching the record
        WORK_ORDER.check(session, entity=wo, to="checked_in")
    wo.odometer_km = odometer_km
    wo.inspection = {item: dict(result) for item, result in inspection.items()}
    wo.complaint = complaint or wo.complaint
    wo.checked_in_at = datetime.now(UTC)
    session.flush()  # apply() re-reads the locked row
    WORK_ORDER.apply(session, entity=wo, to="checked_in", actor_id=actor_id, role=role_of(actor))
    if wo.appointment_id is not None:
        appointment = session.get(Appointment, wo.appointment_id)
        if appointment is not None and appointment.status in ("booked", "confirmed"):
            APPOINTMENT.apply(session, entity=appointment, to="arrived", actor_id=actor_id)
    return wo


def enter_wait(
    session: Session,
    *,
    actor: Actor,
    work_order_id: int,
    wait: str,
    reason_code: str,
    note: str | None = None,
    actor_id: int | None = None,
) -> WorkOrder:
    """Park a job waiting for parts, approval or sublet work, with a reason code."""
    if wait not in WAITS:
        raise InvalidInput(field="wait", problem=f"choose one of {', '.join(WAITS)}")
    reasons = WAITS[wait]["reasons"]
    if reason_code not in reasons:
        why = Text(
            "service.wait_reason",
            {"code": reason_code, "wait": wait, "reasons": ", ".join(reasons)},
        )
        raise InvalidInput(field="reason_code", problem=why)
    wo = _for_step(session, actor, work_order_id, wait)
    source = wo.status
    reason = f"{reason_code}: {note}" if note else reason_code
    WORK_ORDER.apply(
        session, entity=wo, to=wait, reason=reason, actor_id=actor_id, role=role_of(actor)
    )
    wo.wait_reason, wo.wait_return_to = reason_code, source
    session.flush()
    return wo


def resume(
    session: Session, *, actor: Actor, work_order_id: int, actor_id: int | None = None
) -> WorkOrder:
    """End a wait: the job returns to the state it left."""
    wo = get_work_order(session, actor=actor, work_order_id=work_order_id)
    if wo.status not in WAITS:
        raise Conflict(why=f"work order {wo.id} is not waiting (it is '{wo.status}')")
    return advance(
        session, actor=actor, work_order_id=wo.id, to=wo.wait_return_to or "", actor_id=actor_id
    )


def record_outcome(
    session: Session,
    *,
    actor: Actor,
    work_order_id: int,
    outcome: str,
    cause_code: str | None = None,
    notes: str | None = None,
) -> WorkOrder:
    """Record what the job found: a confirmed cause (and its code), no fault, or maintenance."""
    wo = get_work_order(session, actor=actor, work_order_id=work_order_id)
    ensure_store(actor, wo.store_id, entity="work_order")
    if outcome == "confirmed_cause" and not cause_code:
        raise InvalidInput(field="cause_code", problem="a confirmed cause needs its code")
    wo.outcome, wo.outcome_code, wo.outcome_notes = outcome, cause_code, notes
    session.flush()
    return wo


def work_order_history(
    session: Session, *, actor: Actor, work_order_id: int
) -> list[StateTransition]:
    """Every state change of a work order, oldest first."""
    get_work_order(session, actor=actor, work_order_id=work_order_id)
    return history(session, entity_type=WORK_ORDER.entity_type, entity_id=work_order_id)


def estimate_versions(
    session: Session, *, actor: Actor, work_order_id: int
) -> list[EstimateVersion]:
    """Every estimate version of the job, oldest first (the customer sees their own)."""
    wo = get_work_order(session, actor=actor, work_order_id=work_order_id)
    return estimates.versions(session, work_order=wo)


def send_estimate(
    session: Session, *, actor: Actor, work_order_id: int, actor_id: int | None = None
) -> EstimateVersion:
    """Make the version showing the current lines (for a job whose lines changed)."""
    wo = get_work_order(session, actor=actor, work_order_id=work_order_id)
    ensure_store(actor, wo.store_id, entity="work_order")
    if wo.status not in estimates.ESTIMABLE:
        raise Conflict(why=Text("service.estimate_state", {"status": wo.status}))
    return estimates.make_current(session, work_order=wo, actor_id=actor_id)


def approve_estimate(
    session: Session,
    *,
    actor: Actor,
    work_order_id: int,
    version: int,
    actor_id: int | None = None,
) -> EstimateVersion:
    """Approve the latest estimate version; a job waiting at 'estimate_sent' moves on."""
    wo = get_work_order(session, actor=actor, work_order_id=work_order_id)
    approved = estimates.approve(session, actor=actor, work_order=wo, version=version)
    if wo.status == "estimate_sent":
        advance(
            session, actor=actor, work_order_id=wo.id, to="customer_approved", actor_id=actor_id
        )
    return approved
