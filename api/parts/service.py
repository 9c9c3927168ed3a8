"""Stock services: reservations, issues, returns, adjustments, scrap, transfers. No HTTP.

The service domain (work orders) and diagnostics call these directly. Each takes the session
(the caller commits) and `scope_or_store`: the signed-in user's Scope, or a store id for a
system caller acting for that store. `warehouse_id=None` means that store's own warehouse.

    reserve(session, *, scope_or_store, part_id, quantity, reference_type, reference_id,
            warehouse_id=None, needed_by=None, actor_id=None) -> Reservation
        Hold stock for a work-order line; Conflict (409) when less is available.
    release(session, *, scope_or_store, reservation_id, reason=None, actor_id=None)
        -> Reservation
        Give the unissued rest back to available stock.
    issue_reservation(session, *, scope_or_store, reservation_id, quantity=None,
                      actor_id=None) -> list[StockMove]
        Hand the parts out (all that is left by default): picks lots FEFO, never an expired
        one, and consumes the reservation; it becomes `issued` when nothing is left.
    return_issued(session, *, scope_or_store, reservation_id, quantity, reason,
                  actor_id=None) -> list[StockMove]
        Book unused issued parts back into the lots they came from.
    availability(session, *, scope_or_store, part_id, warehouse_id=None) -> Quantities
        on_hand, expired, reserved and available of a part in a warehouse.
    reservations_for(session, *, reference_type, reference_id) -> list[Reservation]
        The reservations of one work-order line (or any other reference).

Stock never goes negative and reservations never exceed available stock, even when
requests race: every change locks its (warehouse, part) row first (see ledger.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.parts import messages as _messages  # noqa: F401  (registers parts text)
from api.parts.access import (
    Access,
    ScopeOrStore,
    access_of,
    default_warehouse,
    get_part,
    get_warehouse,
)
from api.parts.constants import EXPIRING_KINDS
from api.parts.ledger import (
    Quantities,
    book,
    fmt,
    lock_pairs,
    lock_stock,
    lot_balance,
    pick_fefo,
    quantities,
    today,
)
from api.parts.models import Lot, Part, Reservation, StockMove
from api.parts.states import RESERVATION


def _positive(quantity: Decimal | int | str, field: str = "quantity") -> Decimal:
    value = Decimal(str(quantity))
    if not value.is_finite() or value <= 0:
        raise InvalidInput(field=field, problem=Text("parts.quantity_positive"))
    return value


def _short(part: Part, warehouse_code: str, requested: Decimal, available: Decimal) -> Conflict:
    why = Text(
        "parts.not_enough_stock",
        {
            "part": part.part_number,
            "warehouse": warehouse_code,
            "requested": fmt(requested),
            "available": fmt(available),
        },
    )
    return Conflict(why=why, requested=fmt(requested), available=fmt(available))


def availability(
    session: Session, *, scope_or_store: ScopeOrStore, part_id: int, warehouse_id: int | None = None
) -> Quantities:
    """On-hand, expired, reserved and available stock of a part in a warehouse."""
    access = access_of(session, scope_or_store)
    part = get_part(session, access, part_id)
    warehouse = default_warehouse(session, access, warehouse_id)
    return quantities(session, warehouse_id=warehouse.id, part_id=part.id)


def reserve(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    part_id: int,
    quantity: Decimal | int | str,
    reference_type: str,
    reference_id: int,
    warehouse_id: int | None = None,
    needed_by: datetime | None = None,
    actor_id: int | None = None,
) -> Reservation:
    """Hold available stock for a reference (a work-order line); Conflict if not enough."""
    access = access_of(session, scope_or_store)
    amount = _positive(quantity)
    part = get_part(session, access, part_id)
    warehouse = default_warehouse(session, access, warehouse_id)
    lock_stock(session, warehouse_id=warehouse.id, part_id=part.id)
    available = quantities(session, warehouse_id=warehouse.id, part_id=part.id).available
    if available < amount:
        raise _short(part, warehouse.code, amount, available)
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
    scope_or_store: ScopeOrStore,
    reservation_id: int,
    reason: str | None = None,
    actor_id: int | None = None,
) -> Reservation:
    """Give the reservation's unissued quantity back to available stock; audited."""
    access = access_of(session, scope_or_store)
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
    scope_or_store: ScopeOrStore,
    reservation_id: int,
    quantity: Decimal | int | str | None = None,
    actor_id: int | None = None,
) -> list[StockMove]:
    """Issue reserved parts (all that is left by default), picking lots FEFO."""
    access = access_of(session, scope_or_store)
    reservation = _locked_active(session, access, reservation_id)
    left = reservation.quantity - reservation.issued_quantity
    amount = left if quantity is None else _positive(quantity)
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
    scope_or_store: ScopeOrStore,
    reservation_id: int,
    quantity: Decimal | int | str,
    reason: str,
    actor_id: int | None = None,
) -> list[StockMove]:
    """Book unused parts of a reservation's issues back into their lots, newest issue first."""
    access = access_of(session, scope_or_store)
    amount = _positive(quantity)
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
        raise _short(part, code, amount, held)
    if lot.expires_on is None or lot.expires_on >= today():
        available = quantities(session, warehouse_id=warehouse_id, part_id=part.id).available
        if available < amount:
            raise _short(part, code, amount, available)


def adjust(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    warehouse_id: int,
    lot_id: int,
    quantity: Decimal | int | str,
    reason: str,
    actor_id: int | None = None,
) -> StockMove:
    """Correct a lot's stock after a count (signed quantity); never below zero or reservations."""
    access = access_of(session, scope_or_store)
    delta = Decimal(str(quantity))
    if not delta.is_finite() or delta == 0:
        raise InvalidInput(field="quantity", problem=Text("parts.adjustment_nonzero"))
    lot, part = _lot_in(session, access, warehouse_id, lot_id)
    lock_stock(session, warehouse_id=warehouse_id, part_id=part.id)
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
    return move


def scrap(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    warehouse_id: int,
    lot_id: int,
    quantity: Decimal | int | str,
    reason: str,
    actor_id: int | None = None,
) -> StockMove:
    """Write off damaged or expired stock of a lot (报损)."""
    access = access_of(session, scope_or_store)
    amount = _positive(quantity)
    lot, part = _lot_in(session, access, warehouse_id, lot_id)
    lock_stock(session, warehouse_id=warehouse_id, part_id=part.id)
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
    return move


def transfer(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    part_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    quantity: Decimal | int | str,
    reason: str | None = None,
    actor_id: int | None = None,
) -> list[StockMove]:
    """Move available stock between warehouses (调拨), lots picked FEFO and kept."""
    access = access_of(session, scope_or_store)
    amount = _positive(quantity)
    if from_warehouse_id == to_warehouse_id:
        raise InvalidInput(field="to_warehouse_id", problem=Text("parts.transfer_same_warehouse"))
    part = get_part(session, access, part_id)
    source = get_warehouse(session, access, from_warehouse_id)
    target = get_warehouse(session, access, to_warehouse_id)
    lock_pairs(session, [(source.id, part.id), (target.id, part.id)])
    available = quantities(session, warehouse_id=source.id, part_id=part.id).available
    if available < amount:
        raise _short(part, source.code, amount, available)
    ref = str(uuid.uuid4())
    actor = actor_id or access.user_id
    outs = pick_fefo(
        session,
        warehouse_id=source.id,
        part_id=part.id,
        quantity=amount,
        kind="transfer_out",
        transfer_ref=ref,
        reason=reason,
        actor_user_id=actor,
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
            actor_user_id=actor,
        )
        for out in outs
    ]
    session.flush()
    return outs + ins


@dataclass(frozen=True)
class LotIn:
    """One receipt into a lot: the part, the supplier's lot number and expiry, the unit cost."""

    part: Part
    lot_number: str
    unit_cost: Decimal
    expires_on: date | None = None


def receipt_lots(
    session: Session,
    *,
    receipts: list[LotIn],
    supplier_id: int | None = None,
    received_at: datetime | None = None,
) -> list[Lot]:
    """The lot of each receipt: a new one, or the same supplier lot delivered again (flushed).

    Expiring kinds need an expiry date: the one given, or the part's shelf life from receipt.
    """
    keys = {(r.part.id, r.lot_number) for r in receipts}
    known = {
        (lot.part_id, lot.lot_number): lot
        for lot in session.scalars(select(Lot).where(tuple_(Lot.part_id, Lot.lot_number).in_(keys)))
    }
    lots, new = [], []
    for receipt in receipts:
        part, expires_on = receipt.part, receipt.expires_on
        if part.kind in EXPIRING_KINDS and expires_on is None:
            if part.shelf_life_days is None:
                why = Text("parts.expiry_required", {"part": part.part_number, "kind": part.kind})
                raise InvalidInput(field="expires_on", problem=why)
            start = received_at.date() if received_at else today()
            expires_on = start + timedelta(days=part.shelf_life_days)
        lot = known.get((part.id, receipt.lot_number))
        if lot is None:
            lot = Lot(
                part_id=part.id,
                lot_number=receipt.lot_number,
                expires_on=expires_on,
                supplier_id=supplier_id,
                unit_cost=receipt.unit_cost,
            )
            if received_at is not None:
                lot.received_at = received_at
            known[(part.id, receipt.lot_number)] = lot
            new.append(lot)
        elif lot.expires_on != expires_on:
            why = Text(
                "parts.lot_expiry_differs",
                {"lot": receipt.lot_number, "expires_on": lot.expires_on},
            )
            raise InvalidInput(field="lot_number", problem=why)
        lots.append(lot)
    session.add_all(new)
    session.flush()
    return lots


def receive_lot(
    session: Session,
    *,
    warehouse_id: int,
    part: Part,
    quantity: Decimal,
    unit_cost: Decimal,
    lot_number: str,
    expires_on: date | None = None,
    supplier_id: int | None = None,
    received_at: datetime | None = None,
    **fields: object,
) -> StockMove:
    """Book a receipt into a new lot (or the same supplier lot delivered again)."""
    lock_stock(session, warehouse_id=warehouse_id, part_id=part.id)
    (lot,) = receipt_lots(
        session,
        receipts=[LotIn(part, lot_number, unit_cost, expires_on)],
        supplier_id=supplier_id,
        received_at=received_at,
    )
    move = book(
        session,
        warehouse_id=warehouse_id,
        lot=lot,
        kind="receipt",
        quantity=quantity,
        unit_cost=unit_cost,
        **fields,
    )
    if received_at is not None:
        move.occurred_at = received_at
    session.flush()
    return move
