"""The records behind a KPI: the ledger rows its measures sum, one page at a time."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.errors import InvalidInput
from api.i18n import Text
from api.kpis.definitions import DERIVED, Kpi
from api.kpis.measures import BY_CODE
from api.kpis.service import abc_classes, check_period, kpi_named, stores_of
from api.pagination import Paged, PageParams


def records(
    session: Session,
    *,
    actor: Scope,
    code: str,
    store_id: int | None,
    date_from: date,
    date_to: date,
    dimension: str | None,
    member: str | None,
    page: PageParams,
) -> Paged:
    """The ledger rows behind a KPI's measures in the period, newest first, one page."""
    kpi = kpi_named(code)
    check_period(date_from, date_to)
    stores = stores_of(actor, store_id)
    if kpi.kind == "retention":
        raise InvalidInput(field="code", problem=Text("kpi.no_records", {"kpi": code}))
    parts, params = [], {"stores": stores, "from": date_from, "to": date_to}
    wanted = _member_filter(session, kpi, stores, date_to, dimension, member, params)
    for measure in dict.fromkeys(kpi.measures):
        spec = BY_CODE[measure]
        day = "r.at" if spec.per_day else "(r.at AT TIME ZONE s.timezone)::date"
        parts.append(
            f"SELECT '{measure}' AS measure, '{spec.record}' AS record, r.record_id, r.store_id,"
            f" {day} AS day, r.value FROM ({spec.rows}) r JOIN stores s ON s.id = r.store_id"
            f" WHERE r.store_id = ANY(:stores) AND {day} BETWEEN :from AND :to"
            + (f" AND CAST(r.{wanted} AS text) = ANY(:members)" if wanted else "")
        )
    params |= {"start": date_from - timedelta(days=1), "end": date_to + timedelta(days=2)}
    union = " UNION ALL ".join(parts)
    total = session.scalar(text(f"SELECT count(*) FROM ({union}) u"), params)
    rows = session.execute(
        text(f"SELECT * FROM ({union}) u ORDER BY day DESC, measure, record_id"
             " LIMIT :limit OFFSET :offset"),
        params | {"limit": page.limit, "offset": page.offset},
    ).mappings().all()  # fmt: skip
    items = [dict(r) | {"value": float(r["value"])} for r in rows]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


def _member_filter(
    session: Session,
    kpi: Kpi,
    stores: list[int],
    end: date,
    dimension: str | None,
    member: str | None,
    params: dict[str, Any],
) -> str | None:
    if dimension is None:
        return None
    if dimension not in kpi.dimensions or member is None:
        why = Text("kpi.dimension", {"kpi": kpi.code, "allowed": ", ".join(kpi.dimensions)})
        raise InvalidInput(field="dimension", problem=why)
    if dimension in DERIVED:
        classes = abc_classes(session, stores, end)
        params["members"] = [part for part, cls in classes.items() if cls == member]
        return DERIVED[dimension]
    params["members"] = [member]
    return dimension
