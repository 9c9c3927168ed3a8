"""The stock ledger's mechanics: the per-(warehouse, part) lock, quantities derived in SQL,
receiving into lots, FEFO lot picking, booking moves, the refusals that stock operations
share, and the stock calendar. Public stock operations are in service.py; purchasing books
goods receipts through `receipt_lots` and `book`.

Every change of a part's stock in a warehouse first locks that pair's stock_items row
(SELECT … FOR UPDATE), then reads the quantities and books the moves in the same
transaction. Under READ COMMITTED each statement after the lock sees what earlier lock
holders committed, so two requests can never both take the last unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.errors import Conflict, InvalidInput
from api.i18n import Text
from api.parts import messages as _messages  # noqa: F401  (registers parts text)
from api.parts.constants import EXPIRING_KINDS, STOCK_TIMEZONE
from api.parts.models import Lot, Part, Reservation, StockItem, StockMove


def fmt(quantity: Decimal) -> str:
    """A quantity as people write it: 2, 1.5 (not 2.000)."""
    text = format(Decimal(quantity).normalize(), "f")
    return text


def positive(quantity: Decimal | int | str, field: str = "quantity") -> Decimal:
    """The quantity as a Decimal; 422 unless it is a finite number above zero."""
    value = Decimal(str(quantity))
    if not value.is_finite() or value <= 0:
        raise InvalidInput(field=field, problem=Text("parts.quantity_positive"))
    return value


def not_enough_stock(
    part: Part, warehouse_code: str, requested: Decimal, available: Decimal
) -> Conflict:
    """The 409 for taking more of a part than the warehouse can give."""
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


def today() -> date:
    """The stock calendar's today (lots are usable through their expiry day)."""
    return datetime.now(STOCK_TIMEZONE).date()


def period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The report period [date_from, date_to) as local midnights; 422 unless it is forward."""
    if date_to <= date_from:
        raise InvalidInput(field="date_to", problem=Text("parts.period"))
    return (
        datetime.combine(date_from, time(), STOCK_TIMEZONE),
        datetime.combine(date_to, time(), STOCK_TIMEZONE),
    )


def lock_stock(session: Session, *, warehouse_id: int, part_id: int) -> StockItem:
    """Create if missing, then lock, the stock_items row of the pair until the transaction ends."""
    session.execute(
        insert(StockItem)
        .values(warehouse_id=warehouse_id, part_id=part_id)
        .on_conflict_do_nothing(index_elements=["warehouse_id", "part_id"])
    )
    stmt = (
        select(StockItem)
        .where(StockItem.warehouse_id == warehouse_id, StockItem.part_id == part_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one()


def lock_pairs(session: Session, pairs: list[tuple[int, int]]) -> None:
    """Lock several (warehouse, part) pairs in one global order, so none wait on each other.

    Two statements whatever the number of pairs: the rows are created in that order, and the
    sorted SELECT … FOR UPDATE locks them in the order it returns them.
    """
    ordered = sorted(set(pairs))
    if not ordered:
        return
    session.execute(
        insert(StockItem)
        .values([{"warehouse_id": w, "part_id": p} for w, p in ordered])
        .on_conflict_do_nothing(index_elements=["warehouse_id", "part_id"])
    )
    session.execute(
        select(StockItem.id)
        .where(tuple_(StockItem.warehouse_id, StockItem.part_id).in_(ordered))
        .order_by(StockItem.warehouse_id, StockItem.part_id)
        .with_for_update()
    )


@dataclass(frozen=True)
class Quantities:
    """Stock of one part in one warehouse, derived from the ledger and the reservations."""

    on_hand: Decimal
    expired: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        """What may still be reserved or issued: unexpired on-hand minus active reservations."""
        return self.on_hand - self.expired - self.reserved


def quantities(
    session: Session, *, warehouse_id: int, part_id: int, on: date | None = None
) -> Quantities:
    """On-hand, expired and reserved quantities of the pair, summed in SQL."""
    on = on or today()
    lots = (
        select(StockMove.lot_id, func.sum(StockMove.quantity).label("qty"))
        .where(StockMove.warehouse_id == warehouse_id, StockMove.part_id == part_id)
        .group_by(StockMove.lot_id)
        .subquery()
    )
    on_hand, expired = session.execute(
        select(
            func.coalesce(func.sum(lots.c.qty), 0),
            func.coalesce(func.sum(lots.c.qty).filter(Lot.expires_on < on), 0),
        ).join(Lot, Lot.id == lots.c.lot_id)
    ).one()
    reserved = session.scalar(
        select(
            func.coalesce(func.sum(Reservation.quantity - Reservation.issued_quantity), 0)
        ).where(
            Reservation.warehouse_id == warehouse_id,
            Reservation.part_id == part_id,
            Reservation.status == "active",
        )
    )
    return Quantities(Decimal(on_hand), Decimal(expired), Decimal(reserved))


@dataclass(frozen=True)
class LotBalance:
    """What one lot holds in one warehouse."""

    lot: Lot
    quantity: Decimal


def lot_balances(
    session: Session, *, warehouse_id: int, part_id: int | None, usable_on: date | None = None
) -> list[LotBalance]:
    """Lots with stock in the warehouse, first expiring first (FEFO), then oldest received.

    With usable_on, lots expired before that day are left out: they are never picked.
    With part_id None, the lots of every part (for bulk work such as the demo seed).
    """
    qty = func.sum(StockMove.quantity).label("qty")
    stmt = (
        select(Lot, qty)
        .join(StockMove, StockMove.lot_id == Lot.id)
        .where(StockMove.warehouse_id == warehouse_id)
        .group_by(Lot.id)
        .having(qty > 0)
        .order_by(Lot.expires_on.asc().nulls_last(), Lot.received_at, Lot.id)
    )
    if part_id is not None:
        stmt = stmt.where(StockMove.part_id == part_id)
    if usable_on is not None:
        stmt = stmt.where((Lot.expires_on.is_(None)) | (Lot.expires_on >= usable_on))
    return [LotBalance(lot, Decimal(q)) for lot, q in session.execute(stmt)]


def lot_balance(session: Session, *, warehouse_id: int, lot_id: int) -> Decimal:
    """What one lot holds in one warehouse."""
    total = session.scalar(
        select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
            StockMove.warehouse_id == warehouse_id, StockMove.lot_id == lot_id
        )
    )
    return Decimal(total)


def book(
    session: Session,
    *,
    warehouse_id: int,
    lot: Lot,
    kind: str,
    quantity: Decimal,
    **fields: object,
) -> StockMove:
    """Append one move to the ledger (the caller holds the pair's lock and checked the rules)."""
    move = StockMove(
        warehouse_id=warehouse_id,
        part_id=lot.part_id,
        lot_id=lot.id,
        kind=kind,
        quantity=quantity,
        unit_cost=fields.pop("unit_cost", lot.unit_cost),
        **fields,
    )
    session.add(move)
    return move


def pick_fefo(
    session: Session,
    *,
    warehouse_id: int,
    part_id: int,
    quantity: Decimal,
    kind: str,
    **fields: object,
) -> list[StockMove]:
    """Take the quantity out of unexpired lots, first expiring first; Conflict if short."""
    balances = lot_balances(session, warehouse_id=warehouse_id, part_id=part_id, usable_on=today())
    usable = sum((b.quantity for b in balances), Decimal(0))
    if usable < quantity:
        raise Conflict(
            why=Text(
                "parts.not_enough_unexpired", {"requested": fmt(quantity), "usable": fmt(usable)}
            ),
            requested=fmt(quantity),
            usable=fmt(usable),
        )
    moves, left = [], quantity
    for balance in balances:
        if left <= 0:
            break
        take = min(left, balance.quantity)
        moves.append(
            book(
                session,
                warehouse_id=warehouse_id,
                lot=balance.lot,
                kind=kind,
                quantity=-take,
                **fields,
            )
        )
        left -= take
    session.flush()
    return moves


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
