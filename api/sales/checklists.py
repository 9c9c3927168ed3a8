"""PDI and delivery checklists of an order: opened on entering PDI, ticked line by line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.errors import Conflict, InvalidInput
from api.i18n import Text
from api.sales import service
from api.sales.constants import CHECKLISTS
from api.sales.models import ChecklistItem
from api.sales.states import checklist_gaps


def checklist(session: Session, *, actor: Scope, lead_id: int) -> dict[str, Any]:
    """The order's PDI and delivery checklists, in template order, with completeness."""
    order = service.order_of_lead(session, actor=actor, lead_id=lead_id)
    rows = {
        (i.kind, i.code): i
        for i in session.scalars(select(ChecklistItem).where(ChecklistItem.order_id == order.id))
    }
    items = []
    for kind, template in CHECKLISTS.items():
        for code, zh, en in template:
            row = rows.get((kind, code))
            items.append(
                {
                    "kind": kind,
                    "code": code,
                    "label_zh": zh,
                    "label_en": en,
                    "result": row.result if row else "pending",
                    "note": row.note if row else None,
                    "checked_by_id": row.checked_by_id if row else None,
                    "checked_at": row.checked_at if row else None,
                }
            )
    return {
        "order_id": order.id,
        "pdi_passed": not checklist_gaps(session, order.id, "pdi"),
        "delivery_complete": not checklist_gaps(session, order.id, "delivery"),
        "items": items,
    }


def tick(
    session: Session,
    *,
    actor: Scope,
    actor_id: int | None,
    lead_id: int,
    kind: str,
    code: str,
    result: str,
    note: str | None,
) -> dict[str, Any]:
    """Record one checklist line's result (only while the lead is in PDI)."""
    lead = service.get_lead(session, actor=actor, lead_id=lead_id)
    if lead.status != "pdi":
        raise Conflict(why=Text("sales.checklist_state", {"status": lead.status}))
    codes = [c for c, _, _ in CHECKLISTS[kind]]
    if code not in codes:
        raise InvalidInput(
            field="code",
            problem=Text(
                "sales.checklist_code", {"code": code, "kind": kind, "codes": ", ".join(codes)}
            ),
        )
    if kind == "delivery" and result == "failed":
        raise InvalidInput(field="result", problem=Text("sales.delivery_not_failed"))
    order = service.order_of_lead(session, actor=actor, lead_id=lead_id)
    item = session.scalar(
        select(ChecklistItem).where(
            ChecklistItem.order_id == order.id,
            ChecklistItem.kind == kind,
            ChecklistItem.code == code,
        )
    )
    if item is None:  # a line added to the template after this PDI began
        item = ChecklistItem(store_id=order.store_id, order_id=order.id, kind=kind, code=code)
        session.add(item)
    item.result, item.note = result, note
    item.checked_by_id, item.checked_at = actor_id, datetime.now(UTC)
    session.flush()
    return checklist(session, actor=actor, lead_id=lead_id)
