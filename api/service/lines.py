"""Work-order lines: labour operations with clocked time, and parts held by reservations.

Parts go through the parts domain: a line reserves stock against itself
(reference `work_order_part`, the line id), is issued FEFO during repair, and is released
when the job is cancelled. When stock is short the line is kept as 'short' without a
reservation, so the job can still be booked after the parts' ETA. No HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.parts import service as parts_service
from api.parts.models import Part
from api.service.access import Actor, ensure_store
from api.service.constants import DEFAULT_LABOUR_RATE, PART_LINE_REFERENCE
from api.service.models import LabourOperation, Technician
from api.service.work_models import LabourClock, LabourLine, PartLine, WorkOrder

# Lines change only before the quality check; afterwards the job is what gets invoiced.
EDITABLE = frozenset(
    {"booked", "checked_in", "diagnosis", "waiting_approval", "waiting_parts", "in_repair"}
)
CLOCKABLE = frozenset({"diagnosis", "in_repair"})
ISSUABLE = frozenset({"customer_approved", "in_repair"})


def _editable(wo: WorkOrder) -> None:
    if wo.status not in EDITABLE:
        raise Conflict(why=Text("service.lines_locked", {"status": wo.status}))


def add_labour_line(
    session: Session,
    *,
    actor: Actor,
    work_order: WorkOrder,
    operation: LabourOperation,
    hours: Decimal | None = None,
    rate: Decimal | None = None,
    discount_pct: Decimal = Decimal(0),
    technician_id: int | None = None,
    actor_id: int | None = None,
) -> LabourLine:
    """Add an operation at its flat-rate hours (or the hours given) and the labour rate."""
    ensure_store(actor, work_order.store_id, entity="work_order")
    _editable(work_order)
    line = LabourLine(
        work_order_id=work_order.id,
        operation_id=operation.id,
        description=f"{operation.code} {operation.name_zh}",
        hours=hours or operation.flat_rate_hours,
        rate=rate if rate is not None else DEFAULT_LABOUR_RATE,
        discount_pct=discount_pct,
        technician_id=technician_id or work_order.technician_id,
    )
    session.add(line)
    session.flush()
    session.refresh(work_order, attribute_names=["labour"])
    return line


def _reserve(session: Session, wo: WorkOrder, line: PartLine, actor_id: int | None) -> None:
    try:
        with session.begin_nested():
            reservation = parts_service.reserve(
                session,
                scope_or_store=wo.store_id,
                part_id=line.part_id,
                quantity=line.quantity,
                reference_type=PART_LINE_REFERENCE,
                reference_id=line.id,
                actor_id=actor_id,
            )
    except (Conflict, InvalidInput):  # short, or the store has no warehouse of its own
        line.status = "short"
        return
    line.reservation_id, line.status = reservation.id, "reserved"


def add_part_line(
    session: Session,
    *,
    actor: Actor,
    work_order: WorkOrder,
    part_id: int,
    quantity: Decimal,
    unit_price: Decimal | None = None,
    discount_pct: Decimal = Decimal(0),
    actor_id: int | None = None,
) -> PartLine:
    """Add a part at its list price and reserve it; the line is 'short' when stock is."""
    ensure_store(actor, work_order.store_id, entity="work_order")
    _editable(work_order)
    part = session.get(Part, part_id)
    if part is None or not part.active:
        raise NotFound(entity="part", id=part_id)
    line = PartLine(
        work_order_id=work_order.id,
        part_id=part.id,
        quantity=quantity,
        unit_price=unit_price if unit_price is not None else part.list_price,
        discount_pct=discount_pct,
        status="short",
    )
    session.add(line)
    session.flush()
    _reserve(session, work_order, line, actor_id)
    session.flush()
    session.refresh(work_order, attribute_names=["parts"])
    return line


def reserve_short(
    session: Session, *, actor: Actor, work_order: WorkOrder, actor_id: int | None = None
) -> list[PartLine]:
    """Try again to reserve the short lines (after a goods receipt); returns those still short."""
    ensure_store(actor, work_order.store_id, entity="work_order")
    short = [line for line in work_order.parts if line.status == "short"]
    for line in short:
        _reserve(session, work_order, line, actor_id)
    session.flush()
    return [line for line in short if line.status == "short"]


def issue_parts(
    session: Session, *, actor: Actor, work_order: WorkOrder, actor_id: int | None = None
) -> list[PartLine]:
    """Issue every reserved line (FEFO, by the parts domain) for the repair; returns them."""
    ensure_store(actor, work_order.store_id, entity="work_order")
    if work_order.status not in ISSUABLE:
        raise Conflict(why=Text("service.issue_state", {"status": work_order.status}))
    short = [line for line in work_order.parts if line.status == "short"]
    if short:
        raise Conflict(why=Text("service.part_short", {"line": short[0].id}))
    issued = []
    for line in work_order.parts:
        if line.status == "reserved" and line.reservation_id is not None:
            parts_service.issue_reservation(
                session,
                scope_or_store=work_order.store_id,
                reservation_id=line.reservation_id,
                actor_id=actor_id,
            )
            line.status = "issued"
            issued.append(line)
    session.flush()
    return issued


def release_parts(
    session: Session, *, work_order: WorkOrder, reason: str | None, actor_id: int | None
) -> None:
    """Give back the stock held for a cancelled job."""
    for line in work_order.parts:
        if line.status == "reserved" and line.reservation_id is not None:
            parts_service.release(
                session,
                scope_or_store=work_order.store_id,
                reservation_id=line.reservation_id,
                reason=reason,
                actor_id=actor_id,
            )
        if line.status in ("reserved", "short"):
            line.status = "released"
    session.flush()


def _line(session: Session, labour_line_id: int) -> LabourLine:
    line = session.get(LabourLine, labour_line_id)
    if line is None:
        raise NotFound(entity="labour_line", id=labour_line_id)
    return line


def clock_on(
    session: Session,
    *,
    work_order: WorkOrder,
    labour_line_id: int,
    technician_id: int,
    at: datetime | None = None,
) -> LabourClock:
    """Start a technician's clock on a labour line; one open clock per technician."""
    line = _line(session, labour_line_id)
    if line.work_order_id != work_order.id:
        raise NotFound(entity="labour_line", id=labour_line_id)
    if work_order.status not in CLOCKABLE:
        raise Conflict(why=Text("service.clock_state", {"status": work_order.status}))
    technician = session.get(Technician, technician_id)
    if technician is None or technician.store_id != work_order.store_id:
        raise NotFound(entity="technician", id=technician_id)
    clock = LabourClock(
        labour_line_id=line.id, technician_id=technician.id, started_at=at or datetime.now(UTC)
    )
    try:
        with session.begin_nested():
            session.add(clock)
            session.flush()
    except IntegrityError:
        raise Conflict(
            why=Text("service.already_clocked_on", {"technician": technician_id})
        ) from None
    if line.technician_id is None:
        line.technician_id = technician.id
    return clock


def clock_off(
    session: Session,
    *,
    work_order: WorkOrder,
    labour_line_id: int,
    technician_id: int,
    at: datetime | None = None,
) -> LabourClock:
    """Stop the technician's open clock on the line."""
    clock = session.scalar(
        select(LabourClock)
        .where(
            LabourClock.labour_line_id == labour_line_id,
            LabourClock.technician_id == technician_id,
            LabourClock.ended_at.is_(None),
        )
        .with_for_update()
    )
    line = _line(session, labour_line_id)
    if clock is None or line.work_order_id != work_order.id:
        raise Conflict(why=Text("service.not_clocked_on", {"technician": technician_id}))
    clock.ended_at = max(at or datetime.now(UTC), clock.started_at)
    session.flush()
    return clock


def clocked_hours(session: Session, *, labour_line_id: int) -> Decimal:
    """Hours clocked on a line so far (closed clocks only)."""
    clocks = session.scalars(
        select(LabourClock).where(
            LabourClock.labour_line_id == labour_line_id, LabourClock.ended_at.is_not(None)
        )
    )
    seconds = sum((c.ended_at - c.started_at).total_seconds() for c in clocks)  # type: ignore[operator]
    return Decimal(str(round(seconds / 3600, 2)))
