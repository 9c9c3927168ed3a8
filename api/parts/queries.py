"""Stock reads: levels per (warehouse, part), lots with expiry, the ledger, reservations.

Every quantity is an aggregate over stock_moves and part_reservations, computed in SQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from api.auth.actor import Actor
from api.pagination import Paged, PageParams, paginate, search_clause, where_given
from api.parts.access import access_of, warehouses_visible
from api.parts.ledger import today
from api.parts.models import Lot, Part, Reservation, StockItem, StockMove, Warehouse


def levels_select(
    *, on: date, warehouse_id: int | None = None, part_id: int | None = None
) -> Select[Any]:
    """One row per stock item with on_hand, expired, reserved and available."""
    lot_filter = []
    if warehouse_id is not None:
        lot_filter.append(StockMove.warehouse_id == warehouse_id)
    if part_id is not None:
        lot_filter.append(StockMove.part_id == part_id)
    lots = (
        select(
            StockMove.warehouse_id,
            StockMove.part_id,
            StockMove.lot_id,
            func.sum(StockMove.quantity).label("qty"),
        )
        .where(*lot_filter)
        .group_by(StockMove.warehouse_id, StockMove.part_id, StockMove.lot_id)
        .subquery()
    )
    stock = (
        select(
            lots.c.warehouse_id,
            lots.c.part_id,
            func.sum(lots.c.qty).label("on_hand"),
            func.coalesce(func.sum(lots.c.qty).filter(Lot.expires_on < on), 0).label("expired"),
        )
        .join(Lot, Lot.id == lots.c.lot_id)
        .group_by(lots.c.warehouse_id, lots.c.part_id)
        .subquery()
    )
    held = (
        select(
            Reservation.warehouse_id,
            Reservation.part_id,
            func.sum(Reservation.quantity - Reservation.issued_quantity).label("reserved"),
        )
        .where(Reservation.status == "active")
        .group_by(Reservation.warehouse_id, Reservation.part_id)
        .subquery()
    )
    on_hand = func.coalesce(stock.c.on_hand, 0)
    expired = func.coalesce(stock.c.expired, 0)
    reserved = func.coalesce(held.c.reserved, 0)
    available = on_hand - expired - reserved
    stmt = (
        select(
            StockItem.warehouse_id,
            Warehouse.code.label("warehouse_code"),
            StockItem.part_id,
            Part.part_number,
            Part.name_zh,
            Part.name_en,
            on_hand.label("on_hand"),
            expired.label("expired"),
            reserved.label("reserved"),
            available.label("available"),
            StockItem.min_qty,
            StockItem.reorder_point,
            StockItem.max_qty,
            (and_(StockItem.max_qty > 0, available <= StockItem.reorder_point)).label(
                "below_reorder"
            ),
        )
        .join(Warehouse, Warehouse.id == StockItem.warehouse_id)
        .join(Part, Part.id == StockItem.part_id)
        .outerjoin(
            stock,
            and_(
                stock.c.warehouse_id == StockItem.warehouse_id, stock.c.part_id == StockItem.part_id
            ),
        )
        .outerjoin(
            held,
            and_(
                held.c.warehouse_id == StockItem.warehouse_id, held.c.part_id == StockItem.part_id
            ),
        )
    )
    if warehouse_id is not None:
        stmt = stmt.where(StockItem.warehouse_id == warehouse_id)
    if part_id is not None:
        stmt = stmt.where(StockItem.part_id == part_id)
    return stmt


def list_levels(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    warehouse_id: int | None = None,
    part_id: int | None = None,
    q: str | None = None,
    category: str | None = None,
    below_reorder: bool | None = None,
    in_stock: bool | None = None,
) -> Paged[Any]:
    """Stock levels in the caller's warehouses, filtered."""
    access = access_of(session, actor)
    inner = levels_select(on=today(), warehouse_id=warehouse_id, part_id=part_id)
    inner = inner.where(warehouses_visible(access))
    if q:
        inner = inner.where(search_clause(q, Part.part_number, Part.name_zh, Part.name_en))
    if category:
        inner = inner.where(Part.category == category)
    rows = inner.subquery()
    stmt = select(rows)
    if below_reorder is not None:
        stmt = stmt.where(rows.c.below_reorder.is_(below_reorder))
    if in_stock is not None:
        stmt = stmt.where((rows.c.on_hand > 0) if in_stock else (rows.c.on_hand <= 0))
    stmt = stmt.order_by(rows.c.warehouse_code, rows.c.part_number)
    return paginate(session, stmt, page, scalars=False)


def list_lots(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    warehouse_id: int | None = None,
    part_id: int | None = None,
    expiring_within_days: int | None = None,
) -> Paged[Any]:
    """Lots with stock, first expiring first; with expiring_within_days, the expiry warning."""
    access = access_of(session, actor)
    on = today()
    qty = func.sum(StockMove.quantity)
    stmt = (
        select(
            Lot.id.label("lot_id"),
            Lot.lot_number,
            Lot.part_id,
            Part.part_number,
            StockMove.warehouse_id,
            Lot.expires_on,
            (Lot.expires_on - on).label("days_to_expiry"),
            case((Lot.expires_on < on, True), else_=False).label("expired"),
            qty.label("quantity"),
            Lot.unit_cost,
        )
        .join(StockMove, StockMove.lot_id == Lot.id)
        .join(Part, Part.id == Lot.part_id)
        .where(warehouses_visible(access, StockMove.warehouse_id))
        .group_by(Lot.id, Part.part_number, StockMove.warehouse_id)
        .having(qty > 0)
    )
    if warehouse_id is not None:
        stmt = stmt.where(StockMove.warehouse_id == warehouse_id)
    if part_id is not None:
        stmt = stmt.where(Lot.part_id == part_id)
    if expiring_within_days is not None:
        stmt = stmt.where(Lot.expires_on <= on + timedelta(days=expiring_within_days))
    stmt = stmt.order_by(Lot.expires_on.asc().nulls_last(), Lot.id, StockMove.warehouse_id)
    return paginate(session, stmt, page, scalars=False)


def list_moves(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    warehouse_id: int | None = None,
    part_id: int | None = None,
    lot_id: int | None = None,
    kind: str | None = None,
    reservation_id: int | None = None,
) -> Paged[StockMove]:
    """The ledger in the caller's warehouses, newest first."""
    access = access_of(session, actor)
    stmt = select(StockMove).where(warehouses_visible(access, StockMove.warehouse_id))
    stmt = where_given(
        stmt,
        (StockMove.warehouse_id, warehouse_id),
        (StockMove.part_id, part_id),
        (StockMove.lot_id, lot_id),
        (StockMove.kind, kind),
        (StockMove.reservation_id, reservation_id),
    )
    return paginate(session, stmt.order_by(StockMove.occurred_at.desc(), StockMove.id.desc()), page)


def list_reservations(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    warehouse_id: int | None = None,
    part_id: int | None = None,
    status: str | None = None,
    reference_type: str | None = None,
    reference_id: int | None = None,
) -> Paged[Reservation]:
    """Reservations in the caller's warehouses, newest first."""
    access = access_of(session, actor)
    stmt = select(Reservation).where(warehouses_visible(access, Reservation.warehouse_id))
    stmt = where_given(
        stmt,
        (Reservation.warehouse_id, warehouse_id),
        (Reservation.part_id, part_id),
        (Reservation.status, status),
        (Reservation.reference_type, reference_type),
        (Reservation.reference_id, reference_id),
    )
    return paginate(session, stmt.order_by(Reservation.id.desc()), page)
