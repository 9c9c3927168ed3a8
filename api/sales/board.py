"""The sales performance board (销售绩效看板): leads, conversion, units and margin, in SQL.

Definitions (one place, read by the schema's descriptions too):
- leads: leads created in the period, counted for their consultant;
- converted: of those leads, the ones now at a signed order or beyond (order, allocated, pdi,
  delivered) — a cancelled order does not count;
- units: cars delivered in the period; revenue: Σ price − discount of those cars;
- gross margin: Σ price − cost − discount (cost is what the store paid for the car).
Periods are calendar days, ISO weeks (from Monday) or months in the store's own time zone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    Numeric,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from api.auth.models import Store, User
from api.auth.roles import Role
from api.auth.scope import Scope
from api.errors import Forbidden, InvalidInput
from api.i18n import Text
from api.sales.constants import CONVERTED_STATES, MAX_BOARD_DAYS, day_after
from api.sales.models import Lead, SalesOrder, StockVehicle


def _in_range(local_ts: Any, date_from: date, date_to: date) -> Any:
    return and_(local_ts >= date_from, local_ts < day_after(date_to))


def performance(
    session: Session,
    *,
    actor: Scope,
    period: str,
    date_from: date,
    date_to: date,
    store_id: int | None = None,
    consultant_id: int | None = None,
) -> dict[str, Any]:
    """Per consultant and period: leads, converted, conversion rate, units, revenue, margin."""
    if date_to < date_from or (date_to - date_from).days > MAX_BOARD_DAYS:
        raise InvalidInput(
            field="date_to", problem=Text("sales.date_range", {"days": MAX_BOARD_DAYS})
        )
    if store_id is not None:
        actor.ensure_store(store_id, entity="store")
    if actor.role is Role.sales_consultant:
        if consultant_id is not None and consultant_id != actor.user_id:
            raise Forbidden(entity="board", why=Text("sales.board_own_only"))
        consultant_id = actor.user_id
    stores = [store_id] if store_id is not None else sorted(actor.store_ids)

    lead_ts = func.timezone(Store.timezone, Lead.created_at)
    leads = (
        select(
            Lead.consultant_id.label("consultant_id"),
            func.date_trunc(period, lead_ts).label("bucket"),
            literal(1).label("leads"),
            case((Lead.status.in_(CONVERTED_STATES), 1), else_=0).label("converted"),
            literal(0).label("units"),
            cast(literal(0), Numeric(14, 2)).label("revenue"),
            cast(literal(0), Numeric(14, 2)).label("margin"),
        )
        .join(Store, Store.id == Lead.store_id)
        .where(Lead.store_id.in_(stores), _in_range(lead_ts, date_from, date_to))
    )
    delivered_ts = func.timezone(Store.timezone, SalesOrder.delivered_at)
    deliveries = (
        select(
            Lead.consultant_id,
            func.date_trunc(period, delivered_ts),
            literal(0),
            literal(0),
            literal(1),
            SalesOrder.price - SalesOrder.discount,
            SalesOrder.price - StockVehicle.cost - SalesOrder.discount,
        )
        .join(Lead, Lead.id == SalesOrder.lead_id)
        .join(StockVehicle, StockVehicle.id == SalesOrder.stock_vehicle_id)
        .join(Store, Store.id == SalesOrder.store_id)
        .where(
            SalesOrder.store_id.in_(stores),
            Lead.status == "delivered",
            _in_range(delivered_ts, date_from, date_to),
        )
    )
    if consultant_id is not None:
        leads = leads.where(Lead.consultant_id == consultant_id)
        deliveries = deliveries.where(Lead.consultant_id == consultant_id)
    events = union_all(leads, deliveries).subquery("events")

    total_leads = func.sum(events.c.leads)
    total_converted = func.sum(events.c.converted)
    figures = (
        select(
            events.c.consultant_id,
            events.c.bucket,
            func.grouping(events.c.bucket).label("is_total"),
            cast(total_leads, Integer).label("leads"),
            cast(total_converted, Integer).label("converted"),
            func.round(cast(total_converted, Numeric) / func.nullif(total_leads, 0), 4).label(
                "conversion_rate"
            ),
            cast(func.sum(events.c.units), Integer).label("units"),
            func.sum(events.c.revenue).label("revenue"),
            func.sum(events.c.margin).label("gross_margin"),
        )
        .group_by(
            func.grouping_sets(
                tuple_(events.c.consultant_id, events.c.bucket), tuple_(events.c.consultant_id)
            )
        )
        .subquery("figures")
    )
    stmt = (
        select(figures, User.full_name.label("consultant_name"))
        .outerjoin(User, User.id == figures.c.consultant_id)
        .order_by(figures.c.is_total, figures.c.bucket, figures.c.consultant_id.nulls_last())
    )
    rows, totals = [], []
    for row in session.execute(stmt).mappings():
        item = {
            "consultant_id": row["consultant_id"],
            "consultant_name": row["consultant_name"],
            "period_start": row["bucket"].date() if row["bucket"] is not None else None,
            "leads": row["leads"],
            "converted": row["converted"],
            "conversion_rate": float(row["conversion_rate"])
            if row["conversion_rate"] is not None
            else None,
            "units": row["units"],
            "revenue": row["revenue"],
            "gross_margin": row["gross_margin"],
        }
        (totals if row["is_total"] else rows).append(item)
    return {
        "period": period,
        "date_from": date_from,
        "date_to": date_to,
        "store_id": store_id,
        "rows": rows,
        "totals": totals,
    }
