"""Purchasing reports, computed in SQL: the reorder proposal (and the orders drafted from it),
and what each part cost per supplier."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, case, func, select, text
from sqlalchemy.orm import Session

from api.auth.actor import Actor
from api.errors import InvalidInput
from api.forecasts.runs import Demand, weekly_demand
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate
from api.parts.access import access_of, get_warehouse, warehouses_visible
from api.parts.ledger import period, today
from api.parts.models import Lot, Part, StockMove
from api.parts.queries import levels_select
from api.purchasing import messages as _messages  # noqa: F401  (registers purchasing text)
from api.purchasing.constants import OPEN_ORDER_STATES
from api.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from api.purchasing.schemas import OrderLineIn, PurchaseOrderCreate
from api.purchasing.service import create_order

# Reorder proposal --------------------------------------------------------------------------


def on_order_select(warehouse_id: int) -> Any:
    """Open (ordered, not yet received) quantity per part for the warehouse."""
    received = (
        select(func.coalesce(func.sum(GoodsReceiptLine.quantity), 0))
        .where(GoodsReceiptLine.purchase_order_line_id == PurchaseOrderLine.id)
        .scalar_subquery()
    )
    return (
        select(
            PurchaseOrderLine.part_id,
            func.sum(
                PurchaseOrderLine.quantity - func.least(received, PurchaseOrderLine.quantity)
            ).label("on_order"),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.warehouse_id == warehouse_id,
            PurchaseOrder.status.in_(OPEN_ORDER_STATES),
        )
        .group_by(PurchaseOrderLine.part_id)
        .subquery()
    )


@dataclass
class SupplierProposal:
    """The proposed lines for one supplier."""

    supplier_id: int | None
    supplier_name: str | None
    lines: list[Any] = field(default_factory=list)


def reorder_proposal(
    session: Session, *, actor: Actor, warehouse_id: int
) -> list[SupplierProposal]:
    """What to order, grouped by preferred supplier (supplier_id None: none set on the part).

    A part with a demand forecast (api/forecasts) is ordered up to the forecast over its
    supplier's lead time and a week, plus a safety stock from the forecast's error; the rest
    are ordered by min/max: at or below the reorder point (counting open orders), up to max."""
    access = access_of(session, actor)
    get_warehouse(session, access, warehouse_id)
    levels = levels_select(on=today(), warehouse_id=warehouse_id).subquery()
    on_order_q = on_order_select(warehouse_id)
    on_order = func.coalesce(on_order_q.c.on_order, 0)
    position = levels.c.available + on_order
    stmt = (
        select(
            levels.c.part_id,
            levels.c.part_number,
            levels.c.name_zh,
            levels.c.name_en,
            levels.c.available,
            on_order.label("on_order"),
            levels.c.min_qty,
            levels.c.reorder_point,
            levels.c.max_qty,
            (levels.c.max_qty - position).label("quantity"),
            (position < levels.c.min_qty).label("urgent"),
            (position <= levels.c.reorder_point).label("at_reorder_point"),
            Part.standard_cost.label("unit_price"),
            Supplier.id.label("supplier_id"),
            Supplier.name.label("supplier_name"),
            Supplier.lead_time_days,
        )
        .join(Part, Part.id == levels.c.part_id)
        .outerjoin(Supplier, Supplier.id == Part.preferred_supplier_id)
        .outerjoin(on_order_q, on_order_q.c.part_id == levels.c.part_id)
        .where(levels.c.max_qty > 0, Part.active.is_(True))
        .order_by(Supplier.name.nulls_last(), levels.c.part_number)
    )
    forecasts = weekly_demand(session, warehouse_id)
    groups: dict[int | None, SupplierProposal] = {}
    for row in session.execute(stmt):
        line = _line(row._asdict(), forecasts.get(row.part_id))
        if line is None:
            continue
        group = groups.setdefault(
            row.supplier_id, SupplierProposal(row.supplier_id, row.supplier_name)
        )
        group.lines.append(SimpleNamespace(**line))
    return list(groups.values())


def _line(row: dict[str, Any], forecast: Demand | None) -> dict[str, Any] | None:
    """A proposal line, or None when nothing needs ordering."""
    row |= {"basis": "min_max", "forecast_weekly": None, "from_alerts": None}
    if forecast is not None:
        from analytics.parts_demand import reorder_quantity

        weeks, from_alerts, error = forecast
        lead = (row["lead_time_days"] if row["lead_time_days"] is not None else 3) / 7
        advice = reorder_quantity(
            weekly_demand=weeks, weekly_error=0.0 if math.isnan(error) else error,
            lead_time_weeks=lead, on_hand=float(row["available"]), on_order=float(row["on_order"]),
        )  # fmt: skip
        row |= {"basis": "forecast", "quantity": Decimal(advice.quantity),
                "forecast_weekly": round(sum(weeks) / len(weeks), 2),
                "from_alerts": round(from_alerts, 2)}  # fmt: skip
        return row if advice.quantity > 0 else None
    return row if row["at_reorder_point"] else None


def order_proposal(
    session: Session, *, actor: Actor, warehouse_id: int, actor_id: int | None
) -> list[PurchaseOrder]:
    """Draft one purchase order per supplier from the current proposal."""
    access = access_of(session, actor)
    get_warehouse(session, access, warehouse_id)  # 404 / 403 before taking any lock
    # Two clerks ordering the same proposal at once would order everything twice. The key is
    # one 64-bit hash: warehouse ids are BIGINT, too large for the (int, int) form.
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended('parts.reorder:' || :w, 0))"),
        {"w": str(warehouse_id)},
    )
    proposal = reorder_proposal(session, actor=access, warehouse_id=warehouse_id)
    orders = []
    for group in proposal:
        if group.supplier_id is None:
            continue
        lines = [
            OrderLineIn(part_id=r.part_id, quantity=r.quantity, unit_price=r.unit_price)
            for r in group.lines
        ]
        data = PurchaseOrderCreate(
            supplier_id=group.supplier_id,
            warehouse_id=warehouse_id,
            notes="补货建议自动生成 / from the reorder proposal",
            lines=lines,
        )
        orders.append(create_order(session, actor=access, data=data, actor_id=actor_id))
    if proposal and not orders:
        raise InvalidInput(field="warehouse_id", problem=Text("purchasing.no_preferred_supplier"))
    return orders


def cost_report(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    date_from: date,
    date_to: date,
    part_id: int | None = None,
    supplier_id: int | None = None,
) -> Paged[Any]:
    """Per part and supplier: purchase price, freight and shrinkage in [date_from, date_to)."""
    access = access_of(session, actor)
    start, end = period(date_from, date_to)
    bought = (
        select(
            GoodsReceiptLine.part_id,
            PurchaseOrder.supplier_id,
            func.sum(GoodsReceiptLine.quantity).label("qty"),
            func.sum(GoodsReceiptLine.quantity * GoodsReceiptLine.unit_price).label("value"),
            func.sum(GoodsReceiptLine.freight_allocated).label("freight"),
        )
        .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.goods_receipt_id)
        .join(PurchaseOrder, PurchaseOrder.id == GoodsReceipt.purchase_order_id)
        .where(
            GoodsReceipt.received_at >= start,
            GoodsReceipt.received_at < end,
            warehouses_visible(access, GoodsReceipt.warehouse_id),
        )
        .group_by(GoodsReceiptLine.part_id, PurchaseOrder.supplier_id)
        .subquery()
    )
    # Shrinkage: stock lost other than by issue or transfer (scrap, net count corrections),
    # charged to the supplier whose lot it was.
    lost = (
        select(
            StockMove.part_id,
            Lot.supplier_id,
            func.sum(-StockMove.quantity).label("qty"),
            func.sum(-StockMove.quantity * StockMove.unit_cost).label("value"),
        )
        .join(Lot, Lot.id == StockMove.lot_id)
        .where(
            StockMove.kind.in_(("scrap", "adjustment")),
            StockMove.occurred_at >= start,
            StockMove.occurred_at < end,
            warehouses_visible(access, StockMove.warehouse_id),
        )
        .group_by(StockMove.part_id, Lot.supplier_id)
        .subquery()
    )
    # A FULL JOIN needs a merge- or hash-joinable condition (PostgreSQL 18 refuses IS NOT
    # DISTINCT FROM there): lots without a supplier meet on 0, which is never a supplier's id.
    joined = lost.join(
        bought,
        and_(
            bought.c.part_id == lost.c.part_id,
            func.coalesce(bought.c.supplier_id, 0) == func.coalesce(lost.c.supplier_id, 0),
        ),
        full=True,
    )
    part_col = func.coalesce(bought.c.part_id, lost.c.part_id)
    supplier_col = func.coalesce(bought.c.supplier_id, lost.c.supplier_id)
    qty = func.coalesce(bought.c.qty, 0)
    value = func.coalesce(bought.c.value, 0)
    freight = func.coalesce(bought.c.freight, 0)
    lost_qty = func.coalesce(lost.c.qty, 0)
    per_unit = case((qty > 0, 1 / qty), else_=None)
    rows = (
        select(
            part_col.label("part_id"),
            supplier_col.label("supplier_id"),
            qty.label("received_qty"),
            value.label("purchase_value"),
            func.round(value * per_unit, 4).label("avg_unit_price"),
            freight.label("freight"),
            func.round((value + freight) * per_unit, 4).label("landed_unit_cost"),
            lost_qty.label("shrinkage_qty"),
            func.coalesce(lost.c.value, 0).label("shrinkage_value"),
            func.round(lost_qty * per_unit, 4).label("shrinkage_rate"),
        )
        .select_from(joined)
        .subquery()
    )
    stmt = (
        select(
            rows, Part.part_number, Part.name_zh, Part.name_en, Supplier.name.label("supplier_name")
        )
        .join(Part, Part.id == rows.c.part_id)
        .outerjoin(Supplier, Supplier.id == rows.c.supplier_id)
    )
    if part_id is not None:
        stmt = stmt.where(rows.c.part_id == part_id)
    if supplier_id is not None:
        stmt = stmt.where(rows.c.supplier_id == supplier_id)
    stmt = stmt.order_by(Part.part_number, Supplier.name.nulls_last())
    return paginate(session, stmt, page, scalars=False)
