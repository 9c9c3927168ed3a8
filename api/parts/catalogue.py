"""Catalogue services: parts, warehouses, bins and stock policies. No HTTP.

Suppliers are purchasing's (api.purchasing.service).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.actor import Actor
from api.auth.models import Store
from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause
from api.parts import messages as _messages  # noqa: F401  (registers parts text)
from api.parts.access import access_of, get_part, get_warehouse, warehouses_visible
from api.parts.ledger import lock_stock
from api.parts.models import Bin, Part, StockItem, Warehouse
from api.parts.schemas import (
    BinCreate,
    PartCreate,
    PartUpdate,
    StockPolicy,
    WarehouseCreate,
)


def _same_group(session: Session, reference: Any, record_id: int | None, group_id: int) -> None:
    """Refuse a reference (a foreign-key column of Part) to a row of another dealer group."""
    if record_id is None:
        return
    (foreign_key,) = reference.property.columns[0].foreign_keys
    table = foreign_key.column.table  # parts, or suppliers: purchasing's table, seen by name
    found = session.scalar(select(table.c.dealer_group_id).where(table.c.id == record_id))
    if found != group_id:
        problem = Text("parts.other_group", {"entity": reference.key, "id": record_id})
        raise InvalidInput(field=reference.key, problem=problem)


# Parts -------------------------------------------------------------------------------------


def list_parts(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    q: str | None = None,
    category: str | None = None,
    kind: str | None = None,
    supplier_id: int | None = None,
    active: bool | None = None,
) -> Paged[Part]:
    """The group's catalogue, filtered; q searches part number and both names."""
    access = access_of(session, actor)
    stmt = select(Part).where(Part.dealer_group_id == access.dealer_group_id)
    if q:
        stmt = stmt.where(search_clause(q, Part.part_number, Part.name_zh, Part.name_en))
    if category:
        stmt = stmt.where(Part.category == category)
    if kind:
        stmt = stmt.where(Part.kind == kind)
    if supplier_id is not None:
        stmt = stmt.where(Part.preferred_supplier_id == supplier_id)
    if active is not None:
        stmt = stmt.where(Part.active.is_(active))
    return paginate(session, stmt.order_by(Part.part_number), page)


def get(session: Session, *, actor: Actor, part_id: int) -> Part:
    """One part of the caller's group."""
    return get_part(session, access_of(session, actor), part_id)


def create_part(session: Session, *, actor: Actor, data: PartCreate) -> Part:
    """Add a part to the group's catalogue; part numbers are unique in the group."""
    access = access_of(session, actor)
    group = access.dealer_group_id
    taken = session.scalar(
        select(Part.id).where(Part.dealer_group_id == group, Part.part_number == data.part_number)
    )
    if taken is not None:
        why = Text("parts.part_number_taken", {"part_number": data.part_number, "id": taken})
        raise Conflict(why=why)
    _same_group(session, Part.superseded_by_id, data.superseded_by_id, group)
    _same_group(session, Part.preferred_supplier_id, data.preferred_supplier_id, group)
    part = Part(**data.model_dump(), dealer_group_id=group)
    session.add(part)
    session.flush()
    return part


def update_part(session: Session, *, actor: Actor, part_id: int, data: PartUpdate) -> Part:
    """Apply the given changes to a part (its number and kind stay: lots depend on them)."""
    access = access_of(session, actor)
    part = get_part(session, access, part_id)
    changes = data.model_dump(exclude_unset=True)
    group = access.dealer_group_id
    _same_group(session, Part.superseded_by_id, changes.get("superseded_by_id"), group)
    if changes.get("superseded_by_id") == part.id:
        raise InvalidInput(field="superseded_by_id", problem="a part cannot supersede itself")
    _same_group(session, Part.preferred_supplier_id, changes.get("preferred_supplier_id"), group)
    for name, value in changes.items():
        setattr(part, name, value)
    session.flush()
    return part


# Warehouses and bins -----------------------------------------------------------------------


def list_warehouses(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    level: str | None = None,
    store_id: int | None = None,
) -> Paged[Warehouse]:
    """Warehouses of the caller's stores and the group's shared ones."""
    access = access_of(session, actor)
    stmt = select(Warehouse).where(warehouses_visible(access))
    if level:
        stmt = stmt.where(Warehouse.level == level)
    if store_id is not None:
        stmt = stmt.where(Warehouse.store_id == store_id)
    return paginate(session, stmt.order_by(Warehouse.level, Warehouse.code), page)


def create_warehouse(session: Session, *, actor: Actor, data: WarehouseCreate) -> Warehouse:
    """Add a warehouse at its level (store warehouses only in the caller's stores)."""
    access = access_of(session, actor)
    if (data.level == "store") != (data.store_id is not None):
        raise InvalidInput(field="store_id", problem=Text("parts.warehouse_store_level"))
    if data.store_id is not None:
        store = session.get(Store, data.store_id)
        if store is None or data.store_id not in access.store_ids:
            raise NotFound(entity="store", id=data.store_id)
    if data.parent_id is not None:
        get_warehouse(session, access, data.parent_id)
    taken = session.scalar(
        select(Warehouse.id).where(
            Warehouse.dealer_group_id == access.dealer_group_id, Warehouse.code == data.code
        )
    )
    if taken is not None:
        why = Text("parts.code_taken", {"code": data.code, "entity": "warehouse", "id": taken})
        raise Conflict(why=why)
    warehouse = Warehouse(**data.model_dump(), dealer_group_id=access.dealer_group_id)
    session.add(warehouse)
    session.flush()
    return warehouse


def list_bins(session: Session, *, actor: Actor, warehouse_id: int) -> list[Bin]:
    """The shelf locations of a warehouse, by code."""
    get_warehouse(session, access_of(session, actor), warehouse_id)
    return list(
        session.scalars(select(Bin).where(Bin.warehouse_id == warehouse_id).order_by(Bin.code))
    )


def create_bin(session: Session, *, actor: Actor, warehouse_id: int, data: BinCreate) -> Bin:
    """Add a shelf location to a warehouse."""
    get_warehouse(session, access_of(session, actor), warehouse_id)
    taken = session.scalar(
        select(Bin.id).where(Bin.warehouse_id == warehouse_id, Bin.code == data.code)
    )
    if taken is not None:
        why = Text("parts.code_taken", {"code": data.code, "entity": "bin", "id": taken})
        raise Conflict(why=why)
    row = Bin(warehouse_id=warehouse_id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def set_policy(
    session: Session,
    *,
    actor: Actor,
    warehouse_id: int,
    part_id: int,
    data: StockPolicy,
) -> StockItem:
    """Set a part's bin, safety stock, reorder point and max in a warehouse."""
    access = access_of(session, actor)
    get_warehouse(session, access, warehouse_id)
    get_part(session, access, part_id)
    if not data.min_qty <= data.reorder_point <= data.max_qty:
        raise InvalidInput(field="reorder_point", problem="need min_qty ≤ reorder_point ≤ max_qty")
    if data.bin_id is not None:
        row = session.get(Bin, data.bin_id)
        if row is None or row.warehouse_id != warehouse_id:
            raise InvalidInput(field="bin_id", problem="the bin is not in this warehouse")
    item = lock_stock(session, warehouse_id=warehouse_id, part_id=part_id)
    for name, value in data.model_dump().items():
        setattr(item, name, value)
    session.flush()
    return item
