"""Stock services: reservations, issues, returns, adjustments, scrap, transfers. No HTTP.

Work orders, the workshop's booking and the proactive flows call these directly (receipts
into lots are in ledger.py, goods receipts in api.purchasing). Each takes the session
(the caller commits) and `actor` (api.auth.actor): a signed-in user, or the system acting
for one store. `warehouse_id=None` means that store's own warehouse.

    reserve(session, *, actor, part_id, quantity, reference_type, reference_id,
            warehouse_id=None, needed_by=None, actor_id=None) -> Reservation
        Hold stock for a work-order line; Conflict (409) when less is available.
    release(session, *, actor, reservation_id, reason=None, actor_id=None)
        -> Reservation
        Give the unissued rest back to available stock.
    issue_reservation(session, *, actor, reservation_id, quantity=None,
                      actor_id=None) -> list[StockMove]
        Hand the parts out (all that is left by default): picks lots FEFO, never an expired
        one, and consumes the reservation; it becomes `issued` when nothing is left.
    return_issued(session, *, actor, reservation_id, quantity, reason,
                  actor_id=None) -> list[StockMove]
        Book unused issued parts back into the lots they came from.
    availability(session, *, actor, part_id, warehouse_id=None) -> Quantities
        on_hand, expired, reserved and available of a part in a warehouse.
    reservations_for(session, *, reference_type, reference_id) -> list[Reservation]
        The reservations of one work-order line (or any other reference).

Stock never goes negative and reservations never exceed available stock, even when
requests race: every change locks its (warehouse, part) row first (see ledger.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.actor import Actor
from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.parts import messages as _messages  # noqa: F401  (registers parts text)
from api.parts.access import (
    Access,
    access_of,
    default_warehouse,
    get_part,
    get_warehouse,
    warehouse_to_change,
)
from api.parts.ledger import (
    Quantities,
    book,
    fmt,
    lock_pairs,
    lock_stock,
    lot_balance,
    not_enough_stock,
    pick_fefo,
    positive,
    quantities,
    today,
)
from api.parts.models import Lot, Part, Reservation, StockMove
from api.parts.states import RESERVATION


def availability(
    session: Session, *, actor: Actor, part_id: int, warehouse_id: int | None = None
) -> Quantities:
    """On-hand, expired, reserved and available stock of a part in a warehouse."""
    access = access_of(session, actor)
    part = get_part(session, access, part_id)
    warehouse = default_warehouse(session, access, warehouse_id)
    return quantities(session, warehouse_id=warehouse.id, part_id=part.id)


def reserve(
    session: Session,
    *,
    actor: Actor,
    part_id: int,
    quantity: Decimal | int | str,
    reference_type: str,
    reference_id: int,
    warehouse_id: int | None = None,
    needed_by: datetime | None = None,
    actor_id: int | None = None,
) -> Reservation:
    """Hold available stock for a reference (a work-order line); Conflict if not enough."""
    access = access_of(session, actor)
    amount = positive(quantity)
    part = get_part(session, access, part_id)
    warehouse = default_warehouse(session, access, warehouse_id)
    lock_stock(session, warehouse_id=warehouse.id, part_id=part.id)
    available = quantities(session, warehouse_id=warehouse.id, part_id=part.id).available
    if available < amount:
        raise not_enough_stock(part, warehouse.code, amount, available)
    reservation = Reservation(
        warehouse_id=warehouse.id,
        store_id=warehouse.store_id,
        part_id=part.id,
        quantity=amount,
        issued_quantity=Decimal(0),
        reference_type=reference_type,
        reference_id=reference_id,
        needed_by=needed_by,
        actor_user_id=actor_id if actor_id is not None else access.user_id,
    )
    RESERVATION.start(session, entity=reservation, actor_id=actor_id or access.user_id)
    return reservation


def get_reservation(session: Session, access: Access, reservation_id: int) -> Reservation:
    """A reservation in a warehouse the caller may use."""
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound(entity="part_reservation", id=reservation_id)
    get_warehouse(session, access, reservation.warehouse_id)
    return reservation


def _locked_active(session: Session, access: Access, reservation_id: int) -> Reservation:
    reservation = get_reservation(session, access, reservation_id)
    lock_stock(session, warehouse_id=reservation.warehouse_id, part_id=reservation.part_id)
    session.refresh(reservation, with_for_update=True)
    if reservation.status != "active":
        why = Text("parts.reservation_not_active", {"status": reservation.status})
        raise Conflict(why=why, status=reservation.status)
    return reservation


def release(
    session: Session,
    *,
    actor: Actor,
    reservation_id: int,
    reason: str | None = None,
    actor_id: int | None = None,
) -> Reservation:
    """Give the reservation's unissued quantity back to available stock; audited."""
    access = access_of(session, actor)
    reservation = _locked_active(session, access, reservation_id)
    RESERVATION.apply(
        session,
        entity=reservation,
        to="released",
        reason=reason,
        actor_id=actor_id or access.user_id,
    )
    return reservation


def issue_reservation(
    session: Session,
    *,
    actor: Actor,
    reservation_id: int,
    quantity: Decimal | int | str | None = None,
    actor_id: int | None = None,
) -> list[StockMove]:
    """Issue reserved parts (all that is left by default), picking lots FEFO."""
    access = access_of(session, actor)
    reservation = _locked_active(session, access, reservation_id)
    left = reservation.quantity - reservation.issued_quantity
    amount = left if quantity is None else positive(quantity)
    if amount > left:
        why = Text("parts.issue_exceeds_reservation", {"requested": fmt(amount), "left": fmt(left)})
        raise InvalidInput(field="quantity", problem=why)
    moves = pick_fefo(
        session,
        warehouse_id=reservation.warehouse_id,
        part_id=reservation.part_id,
        quantity=amount,
        kind="issue",
        reservation_id=reservation.id,
        reference_type=reservation.reference_type,
        reference_id=reservation.reference_id,
        actor_user_id=actor_id or access.user_id,
    )
    reservation.issued_quantity = reservation.issued_quantity + amount
    session.flush()
    if reservation.issued_quantity >= reservation.quantity:
        RESERVATION.apply(
            session, entity=reservation, to="issued", actor_id=actor_id or access.user_id
        )
    return moves


def return_issued(
    session: Session,
    *,
    actor: Actor,
    reservation_id: int,
    quantity: Decimal | int | str,
    reason: str,
    actor_id: int | None = None,
) -> list[StockMove]:
    """Book unused parts of a reservation's issues back into their lots, newest issue first."""
    access = access_of(session, actor)
    amount = positive(quantity)
    reservation = get_reservation(session, access, reservation_id)
    lock_stock(session, warehouse_id=reservation.warehouse_id, part_id=reservation.part_id)
    rows = session.scalars(
        select(StockMove)
        .where(StockMove.reservation_id == reservation.id)
        .order_by(StockMove.id.desc())
    ).all()
    returned = sum((m.quantity for m in rows if m.kind == "return"), Decimal(0))
    issued = -sum((m.quantity for m in rows if m.kind == "issue"), Decimal(0))
    if amount > issued - returned:
        why = Text(
            "parts.return_exceeds_issue",
            {"requested": fmt(amount), "issued": fmt(issued - returned)},
        )
        raise InvalidInput(field="quantity", problem=why)
    # Return into the lots of the latest issues (the parts most likely still in the box).
    moves, left = [], amount
    for issue in (m for m in rows if m.kind == "issue"):
        take = min(left, -issue.quantity)
        lot = session.get(Lot, issue.lot_id)
        moves.append(
            book(
                session,
                warehouse_id=reservation.warehouse_id,
                lot=lot,
                kind="return",
                quantity=take,
                unit_cost=issue.unit_cost,
                reservation_id=reservation.id,
                reference_type=reservation.reference_type,
                reference_id=reservation.reference_id,
                reason=reason,
                actor_user_id=actor_id or access.user_id,
            )
        )
        left -= take
        if left <= 0:
            break
    session.flush()
    return moves


def reservations_for(
    session: Session, *, reference_type: str, reference_id: int
) -> list[Reservation]:
    """The reservations made for one reference, oldest first."""
    stmt = (
        select(Reservation)
        .where(
            Reservation.reference_type == reference_type, Reservation.reference_id == reference_id
        )
        .order_by(Reservation.id)
    )
    return list(session.scalars(stmt))


def _lot_in(session: Session, access: Access, warehouse_id: int, lot_id: int) -> tuple[Lot, Part]:
    get_warehouse(session, access, warehouse_id)
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise NotFound(entity="lot", id=lot_id)
    return lot, get_part(session, access, lot.part_id)


def _take_from_lot(
    session: Session, *, warehouse_id: int, lot: Lot, part: Part, amount: Decimal, code: str
) -> None:
    """Refuse taking more than the lot holds, or more than unreserved stock if it is usable."""
    held = lot_balance(session, warehouse_id=warehouse_id, lot_id=lot.id)
    if held < amount:
        raise not_enough_stock(part, code, amount, held)
    if lot.expires_on is None or lot.expires_on >= today():
        available = quantities(session, warehouse_id=warehouse_id, part_id=part.id).available
        if available < amount:
            raise not_enough_stock(part, code, amount, available)


def _audit_stock(
    session: Session,
    access: Access,
    *,
    action: str,
    warehouse_id: int,
    lot: Lot,
    held_before: Decimal,
    reason: str,
    actor_id: int | None,
) -> None:
    warehouse = get_warehouse(session, access, warehouse_id)
    held_after = lot_balance(session, warehouse_id=warehouse_id, lot_id=lot.id)
    audit.record(
        session,
        action=action,
        entity_type="lot",
        entity_id=lot.id,
        store_id=warehouse.store_id,
        dealer_group_id=warehouse.dealer_group_id,
        actor_user_id=actor_id,
        before={"warehouse": warehouse.code, "lot": lot.lot_number, "quantity": held_before},
        after={"warehouse": warehouse.code, "lot": lot.lot_number, "quantity": held_after},
        reason=reason,
    )


def adjust(
    session: Session,
    *,
    actor: Actor,
    warehouse_id: int,
    lot_id: int,
    quantity: Decimal | int | str,
    reason: str,
    actor_id: int | None = None,
) -> StockMove:
    """Correct a lot's stock after a count (signed quantity); never below zero or reservations."""
    access = access_of(session, actor)
    delta = Decimal(str(quantity))
    if not delta.is_finite() or delta == 0:
        raise InvalidInput(field="quantity", problem=Text("parts.adjustment_nonzero"))
    warehouse_to_change(session, access, warehouse_id)
    lot, part = _lot_in(session, access, warehouse_id, lot_id)
    lock_stock(session, warehouse_id=warehouse_id, part_id=part.id)
    held_before = lot_balance(session, warehouse_id=warehouse_id, lot_id=lot.id)
    if delta < 0:
        code = get_warehouse(session, access, warehouse_id).code
        _take_from_lot(
            session, warehouse_id=warehouse_id, lot=lot, part=part, amount=-delta, code=code
        )
    move = book(
        session,
        warehouse_id=warehouse_id,
        lot=lot,
        kind="adjustment",
        quantity=delta,
        reason=reason,
        actor_user_id=actor_id or access.user_id,
    )
    session.flush()
    _audit_stock(
        session,
        access,
        action="stock_adjustment",
        warehouse_id=warehouse_id,
        lot=lot,
        held_before=held_before,
        reason=reason,
        actor_id=actor_id or access.user_id,
    )
    return move


def scrap(
    session: Session,
    *,
    actor: Actor,
    warehouse_id: int,
    lot_id: int,
    quantity: Decimal | int | str,
    reason: str,
    actor_id: int | None = None,
) -> StockMove:
    """Write off damaged or expired stock of a lot (报损)."""
    access = access_of(session, actor)
    amount = positive(quantity)
    warehouse_to_change(session, access, warehouse_id)
    lot, part = _lot_in(session, access, warehouse_id, lot_id)
    lock_stock(session, warehouse_id=warehouse_id, part_id=part.id)
    held_before = lot_balance(session, warehouse_id=warehouse_id, lot_id=lot.id)
    code = get_warehouse(session, access, warehouse_id).code
    _take_from_lot(session, warehouse_id=warehouse_id, lot=lot, part=part, amount=amount, code=code)
    move = book(
        session,
        warehouse_id=warehouse_id,
        lot=lot,
        kind="scrap",
        quantity=-amount,
        reason=reason,
        actor_user_id=actor_id or access.user_id,
    )
    session.flush()
    _audit_stock(
        session,
        access,
        action="stock_scrap",
        warehouse_id=warehouse_id,
        lot=lot,
        held_before=held_before,
        reason=reason,
        actor_id=actor_id or access.user_id,
    )
    return move


def transfer(
    session: Session,
    *,
    actor: Actor,
    part_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    quantity: Decimal | int | str,
    reason: str | None = None,
    actor_id: int | None = None,
) -> list[StockMove]:
    """Move available stock between warehouses (调拨), lots picked FEFO and kept."""
    access = access_of(session, actor)
    amount = positive(quantity)
    if from_warehouse_id == to_warehouse_id:
        raise InvalidInput(field="to_warehouse_id", problem=Text("parts.transfer_same_warehouse"))
    part = get_part(session, access, part_id)
    source = get_warehouse(session, access, from_warehouse_id)
    target = get_warehouse(session, access, to_warehouse_id)
    lock_pairs(session, [(source.id, part.id), (target.id, part.id)])
    available = quantities(session, warehouse_id=source.id, part_id=part.id).available
    if available < amount:
        raise not_enough_stock(part, source.code, amount, available)
    ref = str(uuid.uuid4())
    by_user = actor_id or access.user_id
    outs = pick_fefo(
        session,
        warehouse_id=source.id,
        part_id=part.id,
        quantity=amount,
        kind="transfer_out",
        transfer_ref=ref,
        reason=reason,
        actor_user_id=by_user,
    )
    ins = [
        book(
            session,
            warehouse_id=target.id,
            lot=session.get(Lot, out.lot_id),
            kind="transfer_in",
            quantity=-out.quantity,
            transfer_ref=ref,
            reason=reason,
            actor_user_id=by_user,
        )
        for out in outs
    ]
    session.flush()
    return outs + ins
