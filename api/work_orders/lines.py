"""Work-order lines: labour operations with clocked time, and parts held by reservations.

Parts go through the parts domain: a line reserves stock against itself
(reference `work_order_part`, the line id), is issued FEFO during repair, and is released
when the job is cancelled. When stock is short the line is kept as 'short' without a
reservation, so the job can still be booked after the parts' ETA. No HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.actor import Actor, SystemActor, ensure_store, user_of
from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.parts import service as parts_service
from api.parts.models import Part
from api.work_orders import estimates, money_rules
from api.work_orders import messages as _messages  # noqa: F401  (registers work-order text)
from api.work_orders.constants import PART_LINE_REFERENCE
from api.work_orders.models import LabourClock, LabourLine, PartLine, WorkOrder
from api.workshop.catalogue import technician_of_user
from api.workshop.models import LabourOperation, Technician

# Lines change only before the quality check; afterwards the job is what gets invoiced.
EDITABLE = frozenset(
    {"booked", "checked_in", "diagnosis", "waiting_approval", "waiting_parts", "in_repair"}
)
CLOCKABLE = frozenset({"diagnosis", "in_repair"})
ISSUABLE = frozenset({"customer_approved", "in_repair"})
UNISSUED = frozenset({"short", "reserved"})


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
    reason: str | None = None,
    technician_id: int | None = None,
    actor_id: int | None = None,
) -> LabourLine:
    """Add an operation at its flat-rate hours and the store's labour rate.

    Other hours, another rate or a discount follow `money_rules` and are audited; after the
    estimate was sent the change makes a new estimate version.
    """
    ensure_store(actor, work_order.store_id, entity="work_order")
    _editable(work_order)
    standard_rate = money_rules.pricing_of(session, work_order.store_id).labour_rate
    line = _labour_line(
        session, actor=actor, work_order=work_order, operation=operation,
        standard_rate=standard_rate, hours=hours, rate=rate, discount_pct=discount_pct,
        reason=reason, technician_id=technician_id,
    )  # fmt: skip
    session.refresh(work_order, attribute_names=["labour"])
    estimates.lines_changed(session, work_order=work_order, actor_id=actor_id, reason=reason)
    return line


def _labour_line(
    session: Session,
    *,
    actor: Actor,
    work_order: WorkOrder,
    operation: LabourOperation,
    standard_rate: Decimal,
    hours: Decimal | None = None,
    rate: Decimal | None = None,
    discount_pct: Decimal = Decimal(0),
    reason: str | None = None,
    technician_id: int | None = None,
) -> LabourLine:
    money_rules.check_price_override(actor, field="rate", price=rate, reason=reason)
    money_rules.check_hours(actor, standard=operation.flat_rate_hours, hours=hours, reason=reason)
    money_rules.check_discount(session, actor, store_id=work_order.store_id, pct=discount_pct)
    line = LabourLine(
        work_order_id=work_order.id,
        operation_id=operation.id,
        description=f"{operation.code} {operation.name_zh}",
        hours=hours or operation.flat_rate_hours,
        rate=rate if rate is not None else standard_rate,
        discount_pct=discount_pct,
        technician_id=technician_id or work_order.technician_id,
    )
    session.add(line)
    session.flush()
    money_rules.audit_line(
        session,
        actor=actor,
        work_order=work_order,
        line=f"labour:{line.id} {operation.code}",
        catalogue={
            "hours": operation.flat_rate_hours,
            "rate": standard_rate,
            "discount_pct": Decimal(0),
        },
        given={"hours": line.hours, "rate": line.rate, "discount_pct": line.discount_pct},
        reason=reason,
    )
    return line


def _reserve(session: Session, wo: WorkOrder, line: PartLine, actor_id: int | None) -> None:
    try:
        with session.begin_nested():
            reservation = parts_service.reserve(
                session,
                actor=SystemActor(wo.store_id),
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
    reason: str | None = None,
    actor_id: int | None = None,
    reserve: bool = True,
) -> PartLine:
    """Add a part at its list price and reserve it; the line is 'short' when stock is.

    With reserve=False the line stays 'short' for a later reserve_short (the stock row is then
    locked only from that call to the commit). Another price or a discount follow
    `money_rules` and are audited; after the estimate was sent the change makes a new estimate
    version.
    """
    ensure_store(actor, work_order.store_id, entity="work_order")
    _editable(work_order)
    line = _part_line(
        session, actor=actor, work_order=work_order, part_id=part_id, quantity=quantity,
        unit_price=unit_price, discount_pct=discount_pct, reason=reason, actor_id=actor_id,
        reserve=reserve,
    )  # fmt: skip
    session.flush()
    session.refresh(work_order, attribute_names=["parts"])
    estimates.lines_changed(session, work_order=work_order, actor_id=actor_id, reason=reason)
    return line


def _part_line(
    session: Session,
    *,
    actor: Actor,
    work_order: WorkOrder,
    part_id: int,
    quantity: Decimal,
    unit_price: Decimal | None,
    discount_pct: Decimal,
    reason: str | None,
    actor_id: int | None,
    reserve: bool,
) -> PartLine:
    part = session.get(Part, part_id)
    if part is None or not part.active:
        raise NotFound(entity="part", id=part_id)
    money_rules.check_price_override(actor, field="unit_price", price=unit_price, reason=reason)
    money_rules.check_discount(session, actor, store_id=work_order.store_id, pct=discount_pct)
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
    money_rules.audit_line(
        session,
        actor=actor,
        work_order=work_order,
        line=f"part:{line.id} {part.part_number}",
        catalogue={"unit_price": part.list_price, "discount_pct": Decimal(0)},
        given={"unit_price": line.unit_price, "discount_pct": line.discount_pct},
        reason=reason,
    )
    if reserve:
        _reserve(session, work_order, line, actor_id)
        line.short_at_request = line.status == "short"
    return line


def add_catalogue_lines(
    session: Session,
    *,
    work_order: WorkOrder,
    operations: Sequence[LabourOperation],
    parts: Sequence[tuple[int, Decimal]],
    actor_id: int | None,
    reserve: bool,
) -> None:
    """A new order's lines at catalogue prices, all at once: it has no estimate yet, so no
    version to renew, and its line lists are read once at the end."""
    actor = SystemActor(work_order.store_id)
    _editable(work_order)
    standard_rate = money_rules.pricing_of(session, work_order.store_id).labour_rate
    for operation in operations:
        _labour_line(session, actor=actor, work_order=work_order, operation=operation,
                     standard_rate=standard_rate)  # fmt: skip
    for part_id, quantity in parts:
        _part_line(session, actor=actor, work_order=work_order, part_id=part_id,
                   quantity=Decimal(str(quantity)), unit_price=None, discount_pct=Decimal(0),
                   reason=None, actor_id=actor_id, reserve=reserve)  # fmt: skip
    session.flush()
    session.refresh(work_order, attribute_names=["labour", "parts"])


def reserve_short(
    session: Session,
    *,
    actor: Actor,
    work_order: WorkOrder,
    actor_id: int | None = None,
    first_request: bool = False,
) -> list[PartLine]:
    """Try again to reserve the short lines (after a goods receipt); returns those still short.

    first_request: the lines were drafted without reserving, and this is their first try
    (what stock could not fill now counts against the fill rate)."""
    ensure_store(actor, work_order.store_id, entity="work_order")
    short = [line for line in work_order.parts if line.status == "short"]
    for line in short:
        _reserve(session, work_order, line, actor_id)
        if first_request:
            line.short_at_request = line.status == "short"
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
                actor=SystemActor(work_order.store_id),
                reservation_id=line.reservation_id,
                actor_id=actor_id,
            )
            line.status = "issued"
            issued.append(line)
    session.flush()
    return issued


def _release_line(
    session: Session, wo: WorkOrder, line: PartLine, reason: str | None, actor_id: int | None
) -> None:
    if line.status == "reserved" and line.reservation_id is not None:
        parts_service.release(
            session,
            actor=SystemActor(wo.store_id),
            reservation_id=line.reservation_id,
            reason=reason,
            actor_id=actor_id,
        )
    if line.status in UNISSUED:
        line.status = "released"


def release_parts(
    session: Session, *, work_order: WorkOrder, reason: str | None, actor_id: int | None
) -> None:
    """Give back the stock held for a cancelled job."""
    for line in work_order.parts:
        _release_line(session, work_order, line, reason, actor_id)
    session.flush()


def drop_part_line(
    session: Session,
    *,
    actor: Actor,
    work_order: WorkOrder,
    line_id: int,
    reason: str,
    actor_id: int | None = None,
) -> PartLine:
    """Take a part that was not issued off the job (say, one that can never be supplied).

    Its stock goes back, the line stays on record as 'released' and is not invoiced; the drop
    is audited and, once an estimate was sent, makes a new estimate version.
    """
    ensure_store(actor, work_order.store_id, entity="work_order")
    _editable(work_order)
    line = next((p for p in work_order.parts if p.id == line_id), None)
    if line is None:
        raise NotFound(entity="part_line", id=line_id)
    if line.status not in UNISSUED:
        raise Conflict(why=Text("service.part_not_droppable", {"status": line.status}))
    before = line.status
    _release_line(session, work_order, line, reason, actor_id)
    audit.record(
        session,
        action="part_line_drop",
        entity_type="work_order",
        entity_id=work_order.id,
        store_id=work_order.store_id,
        actor_user_id=user_of(actor),
        before={"line": line.id, "part_id": line.part_id, "status": before},
        after={"line": line.id, "part_id": line.part_id, "status": line.status},
        reason=reason,
    )
    session.flush()
    session.refresh(work_order, attribute_names=["parts"])
    estimates.lines_changed(session, work_order=work_order, actor_id=actor_id, reason=reason)
    return line


def _line(session: Session, labour_line_id: int) -> LabourLine:
    line = session.get(LabourLine, labour_line_id)
    if line is None:
        raise NotFound(entity="labour_line", id=labour_line_id)
    return line


def technician_to_clock(session: Session, *, user_id: int, chosen: int | None) -> int:
    """The technician to clock on or off: the one chosen, or else the user's own profile."""
    if chosen is not None:
        return chosen
    own = technician_of_user(session, user_id=user_id)
    if own is None:
        raise InvalidInput(field="technician_id", problem="you have no technician profile")
    return own.id


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
