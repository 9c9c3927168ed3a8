"""Catalogue services: parts, suppliers, warehouses, bins and stock policies. No HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause
from api.parts import messages as _messages  # noqa: F401  (registers parts text)
from api.parts.access import ScopeOrStore, access_of, get_part, get_warehouse, warehouses_visible
from api.parts.ledger import lock_stock
from api.parts.models import Bin, Part, StockItem, Warehouse
from api.parts.purchasing_models import Supplier
from api.parts.schemas import (
    BinCreate,
    PartCreate,
    PartUpdate,
    StockPolicy,
    WarehouseCreate,
)


def _same_group(session: Session, model: Any, record_id: int | None, group_id: int, field: str):
    if record_id is None:
        return None
    record = session.get(model, record_id)
    if record is None or record.dealer_group_id != group_id:
        raise InvalidInput(
            field=field, problem=Text("parts.other_group", {"entity": field, "id": record_id})
        )
    return record


# Parts -------------------------------------------------------------------------------------


def list_parts(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    page: PageParams,
    q: str | None = None,
    category: str | None = None,
    kind: str | None = None,
    supplier_id: int | None = None,
    active: bool | None = None,
) -> Paged[Part]:
    """The group's catalogue, filtered; q searches part number and both names."""
    access = access_of(session, scope_or_store)
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


def get(session: Session, *, scope_or_store: ScopeOrStore, part_id: int) -> Part:
    """One part of the caller's group."""
    return get_part(session, access_of(session, scope_or_store), part_id)


def create_part(session: Session, *, scope_or_store: ScopeOrStore, data: PartCreate) -> Part:
    """Add a part to the group's catalogue; part numbers are unique in the group."""
    access = access_of(session, scope_or_store)
    group = access.dealer_group_id
    taken = session.scalar(
        select(Part.id).where(Part.dealer_group_id == group, Part.part_number == data.part_number)
    )
    if taken is not None:
        why = Text("parts.part_number_taken", {"part_number": data.part_number, "id": taken})
        raise Conflict(why=why)
    _same_group(session, Part, data.superseded_by_id, group, "superseded_by_id")
    _same_group(session, Supplier, data.preferred_supplier_id, group, "preferred_supplier_id")
    part = Part(**data.model_dump(), dealer_group_id=group)
    session.add(part)
    session.flush()
    return part


def update_part(
    session: Session, *, scope_or_store: ScopeOrStore, part_id: int, data: PartUpdate
) -> Part:
    """Apply the given changes to a part (its number and kind stay: lots depend on them)."""
    access = access_of(session, scope_or_store)
    part = get_part(session, access, part_id)
    changes = data.model_dump(exclude_unset=True)
    group = access.dealer_group_id
    _same_group(session, Part, changes.get("superseded_by_id"), group, "superseded_by_id")
    if changes.get("superseded_by_id") == part.id:
        raise InvalidInput(field="superseded_by_id", problem="a part cannot supersede itself")
    _same_group(
        session, Supplier, changes.get("preferred_supplier_id"), group, "preferred_supplier_id"
    )
    for name, value in changes.items():
        setattr(part, name, value)
    session.flush()
    return part


# Suppliers ---------------------------------------------------------------------------------


def list_suppliers(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    page: PageParams,
    q: str | None = None,
    kind: str | None = None,
) -> Paged[Supplier]:
    """The group's suppliers; q searches code and name."""
    access = access_of(session, scope_or_store)
    stmt = select(Supplier).where(Supplier.dealer_group_id == access.dealer_group_id)
    if q:
        stmt = stmt.where(search_clause(q, Supplier.code, Supplier.name))
    if kind:
        stmt = stmt.where(Supplier.kind == kind)
    return paginate(session, stmt.order_by(Supplier.code), page)


def get_supplier(session: Session, *, scope_or_store: ScopeOrStore, supplier_id: int) -> Supplier:
    """One supplier of the caller's group."""
    access = access_of(session, scope_or_store)
    supplier = session.get(Supplier, supplier_id)
    if supplier is None or supplier.dealer_group_id != access.dealer_group_id:
        raise NotFound(entity="supplier", id=supplier_id)
    return supplier


def create_supplier(
    session: Session, *, scope_or_store: ScopeOrStore, values: dict[str, Any]
) -> Supplier:
    """Add a supplier to the group; codes are unique in the group."""
    access = access_of(session, scope_or_store)
    taken = session.scalar(
        select(Supplier.id).where(
            Supplier.dealer_group_id == access.dealer_group_id, Supplier.code == values["code"]
        )
    )
    if taken is not None:
        why = Text("parts.code_taken", {"code": values["code"], "entity": "supplier", "id": taken})
        raise Conflict(why=why)
    supplier = Supplier(**values, dealer_group_id=access.dealer_group_id)
    session.add(supplier)
    session.flush()
    return supplier


def update_supplier(
    session: Session, *, scope_or_store: ScopeOrStore, supplier_id: int, changes: dict[str, Any]
) -> Supplier:
    """Apply the given changes to a supplier."""
    supplier = get_supplier(session, scope_or_store=scope_or_store, supplier_id=supplier_id)
    for name, value in changes.items():
        setattr(supplier, name, value)
    session.flush()
    return supplier


# Warehouses and bins -----------------------------------------------------------------------


def list_warehouses(
    session: Session,
    *,
    scope_or_store: ScopeOrStore,
    page: PageParams,
    level: str | None = None,
    store_id: int | None = None,
) -> Paged[Warehouse]:
    """Warehouses of the caller's stores and the group's shared ones."""
    access = access_of(session, scope_or_store)
    stmt = select(Warehouse).where(warehouses_visible(access))
    if level:
        stmt = stmt.where(Warehouse.level == level)
    if store_id is not None:
        stmt = stmt.where(Warehouse.store_id == store_id)
    return paginate(session, stmt.order_by(Warehouse.level, Warehouse.code), page)


def create_warehouse(
    session: Session, *, scope_or_store: ScopeOrStore, data: WarehouseCreate
) -> Warehouse:
    """Add a warehouse at its level (store warehouses only in the caller's stores)."""
    access = access_of(session, scope_or_store)
    if (data.level == "store") != (data.store_id is not None):
        raise InvalidInput(field="store_id", problem=Text("parts.warehouse_store_level"))
    if data.store_id is not None:
        store = session.get(Store, data.store_id)
        if store is None or data.store_id not in access.store_ids:
            raise Forbidden(entity="store", why=Text("forbidden.other_store"))
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


def list_bins(session: Session, *, scope_or_store: ScopeOrStore, warehouse_id: int) -> list[Bin]:
    """The shelf locations of a warehouse, by code."""
    get_warehouse(session, access_of(session, scope_or_store), warehouse_id)
    return list(
        session.scalars(select(Bin).where(Bin.warehouse_id == warehouse_id).order_by(Bin.code))
    )


def create_bin(
    session: Session, *, scope_or_store: ScopeOrStore, warehouse_id: int, data: BinCreate
) -> Bin:
    """Add a shelf location to a warehouse."""
    get_warehouse(session, access_of(session, scope_or_store), warehouse_id)
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
    scope_or_store: ScopeOrStore,
    warehouse_id: int,
    part_id: int,
    data: StockPolicy,
) -> StockItem:
    """Set a part's bin, safety stock, reorder point and max in a warehouse."""
    access = access_of(session, scope_or_store)
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
