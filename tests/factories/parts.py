"""Factories for parts tests: parts, warehouses, suppliers, and stock booked into lots."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store
from api.parts.ledger import receive_lot
from api.parts.models import Part, StockMove, Warehouse
from api.purchasing.models import Supplier


def _token() -> str:
    return uuid.uuid4().hex[:8].upper()


def make_supplier(session: Session, group: DealerGroup, *, name: str = "测试供应商") -> Supplier:
    """A third-party supplier of the group."""
    supplier = Supplier(dealer_group_id=group.id, code=f"SUP{_token()}", name=name, kind="oem")
    session.add(supplier)
    session.flush()
    return supplier


def make_part(
    session: Session,
    group: DealerGroup,
    *,
    kind: str = "standard",
    cost: str = "40",
    supplier: Supplier | None = None,
    category: str | None = None,
) -> Part:
    """A catalogue part of the kind (fluids are bottles, the rest pieces)."""
    part = Part(
        dealer_group_id=group.id,
        part_number=f"T{_token()}",
        name_zh="测试配件",
        name_en="Test part",
        category=category
        or {"fluid": "fluid", "battery": "battery", "tyre": "tyre"}.get(kind, "filter"),
        kind=kind,
        unit="bottle" if kind == "fluid" else "piece",
        list_price=Decimal(cost) * 2,
        standard_cost=Decimal(cost),
        preferred_supplier_id=supplier.id if supplier else None,
    )
    session.add(part)
    session.flush()
    return part


def make_warehouse(
    session: Session, group: DealerGroup, *, store: Store | None = None, level: str | None = None
) -> Warehouse:
    """A store warehouse of the store, or an HQ warehouse of the group."""
    warehouse = Warehouse(
        dealer_group_id=group.id,
        store_id=store.id if store else None,
        code=f"W{_token()}",
        name_zh="测试仓",
        name_en="Test warehouse",
        level=level or ("store" if store else "hq"),
    )
    session.add(warehouse)
    session.flush()
    return warehouse


def stock_in(
    session: Session,
    warehouse: Warehouse,
    part: Part,
    quantity: int | str,
    *,
    expires_on: date | None = None,
    unit_cost: str | None = None,
    supplier: Supplier | None = None,
) -> StockMove:
    """Book a receipt of the quantity into a new lot."""
    return receive_lot(
        session,
        warehouse_id=warehouse.id,
        part=part,
        quantity=Decimal(str(quantity)),
        unit_cost=Decimal(unit_cost) if unit_cost else part.standard_cost,
        lot_number=f"L{_token()}",
        expires_on=expires_on,
        supplier_id=supplier.id if supplier else None,
    )
