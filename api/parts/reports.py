"""Stock reports, computed in SQL: ABC classes of the catalogue by consumption value."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.orm import Session

from api.auth.actor import Actor
from api.pagination import Paged, PageParams, paginate
from api.parts.access import access_of, get_warehouse, warehouses_visible
from api.parts.constants import ABC_A_SHARE, ABC_B_SHARE
from api.parts.ledger import period
from api.parts.models import Part, StockMove


def abc_select(access: Any, *, start: datetime, end: datetime, warehouse_id: int | None) -> Any:
    """Per part: consumption (issues net of returns) quantity and value, share, ABC class."""
    filters = [
        StockMove.kind.in_(("issue", "return")),
        StockMove.occurred_at >= start,
        StockMove.occurred_at < end,
        warehouses_visible(access, StockMove.warehouse_id),
    ]
    if warehouse_id is not None:
        filters.append(StockMove.warehouse_id == warehouse_id)
    used = (
        select(
            StockMove.part_id,
            func.sum(-StockMove.quantity).label("qty"),
            func.sum(-StockMove.quantity * StockMove.unit_cost).label("value"),
        )
        .where(*filters)
        .group_by(StockMove.part_id)
        .subquery()
    )
    value = func.greatest(func.coalesce(used.c.value, 0), 0)
    running = func.sum(value).over(order_by=(value.desc(), Part.part_number))
    total = func.sum(value).over()
    ranked = (
        select(
            Part.id.label("part_id"),
            Part.part_number,
            Part.name_zh,
            Part.name_en,
            Part.category,
            func.coalesce(used.c.qty, 0).label("consumption_qty"),
            value.label("consumption_value"),
            running.label("running"),
            total.label("total"),
        )
        .outerjoin(used, used.c.part_id == Part.id)
        .where(Part.dealer_group_id == access.dealer_group_id)
        .subquery()
    )
    before = ranked.c.running - ranked.c.consumption_value
    share = case((ranked.c.total > 0, ranked.c.consumption_value / ranked.c.total), else_=0)
    cumulative = case((ranked.c.total > 0, ranked.c.running / ranked.c.total), else_=0)
    abc = case(
        (ranked.c.consumption_value <= 0, literal("C")),
        (before < ranked.c.total * ABC_A_SHARE, literal("A")),
        (before < ranked.c.total * ABC_B_SHARE, literal("B")),
        else_=literal("C"),
    )
    return select(
        ranked.c.part_id,
        ranked.c.part_number,
        ranked.c.name_zh,
        ranked.c.name_en,
        ranked.c.category,
        ranked.c.consumption_qty,
        ranked.c.consumption_value,
        func.round(share, 4).label("share"),
        func.round(cumulative, 4).label("cumulative_share"),
        cast(abc, String(1)).label("abc_class"),
    ).subquery()


def abc_classes(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    date_from: date,
    date_to: date,
    warehouse_id: int | None = None,
    abc_class: str | None = None,
) -> Paged[Any]:
    """ABC classes of the catalogue by consumption value in [date_from, date_to)."""
    access = access_of(session, actor)
    if warehouse_id is not None:
        get_warehouse(session, access, warehouse_id)
    start, end = period(date_from, date_to)
    rows = abc_select(access, start=start, end=end, warehouse_id=warehouse_id)
    stmt = select(rows)
    if abc_class:
        stmt = stmt.where(rows.c.abc_class == abc_class)
    stmt = stmt.order_by(rows.c.consumption_value.desc(), rows.c.part_number)
    return paginate(session, stmt, page, scalars=False)
