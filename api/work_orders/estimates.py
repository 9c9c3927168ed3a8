"""Estimate versions (报价版本): what the customer approved, kept as history.

Sending the estimate makes version 1. After that, any change to the lines (labour or parts,
quantity, price, discount) makes a new pending version, and the job goes on (to repair,
quality check, settlement) only when the customer has approved the latest version and the
lines are still what it shows. No HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.actor import Actor, user_of
from api.errors import Conflict
from api.i18n import Text
from api.work_orders import messages as _messages  # noqa: F401  (registers work-order text)
from api.work_orders.models import EstimateVersion, WorkOrder
from api.work_orders.pricing import totals
from api.work_orders.settlement import priced_lines

# Moving a job into these states needs the latest estimate approved.
NEEDS_APPROVAL = frozenset({"in_repair", "quality_check", "settled"})
# An estimate is made from diagnosis until the quality check; after it, the job is invoiced.
ESTIMABLE = frozenset(
    {
        "diagnosis",
        "estimate_sent",
        "waiting_approval",
        "customer_approved",
        "waiting_parts",
        "in_repair",
    }
)


def _fixed(value: Decimal, places: str) -> str:
    return str(Decimal(value).quantize(Decimal(places)))


def _snapshot(session: Session, work_order: WorkOrder) -> tuple[list[dict[str, Any]], Decimal]:
    lines = priced_lines(session, work_order=work_order)
    rows = [
        {
            "kind": line.kind,
            "description": line.description,
            "quantity": _fixed(line.quantity, "0.001"),
            "unit_price": _fixed(line.unit_price, "0.01"),
            "discount_pct": _fixed(line.discount_pct, "0.01"),
            "net": _fixed(line.net, "0.01"),
        }
        for line in lines
    ]
    return rows, totals(lines).grand_total


def versions(session: Session, *, work_order: WorkOrder) -> list[EstimateVersion]:
    """Every estimate version of the job, oldest first."""
    stmt = select(EstimateVersion).where(EstimateVersion.work_order_id == work_order.id)
    return list(session.scalars(stmt.order_by(EstimateVersion.version)))


def _latest(session: Session, work_order: WorkOrder) -> EstimateVersion | None:
    stmt = (
        select(EstimateVersion)
        .where(EstimateVersion.work_order_id == work_order.id)
        .order_by(EstimateVersion.version.desc())
        .limit(1)
        .with_for_update()
    )
    return session.scalar(stmt)


def make_current(
    session: Session, *, work_order: WorkOrder, actor_id: int | None, reason: str | None = None
) -> EstimateVersion:
    """The version showing the current lines: the latest when unchanged, else a new pending one."""
    rows, grand_total = _snapshot(session, work_order)
    latest = _latest(session, work_order)
    if latest is not None and latest.lines == rows:
        return latest
    if latest is not None and latest.status == "pending":
        latest.status = "superseded"
    version = EstimateVersion(
        work_order_id=work_order.id,
        version=(latest.version + 1) if latest else 1,
        status="pending",
        lines=rows,
        grand_total=grand_total,
        reason=reason,
        created_by=actor_id,
    )
    session.add(version)
    session.flush()
    return version


def lines_changed(
    session: Session, *, work_order: WorkOrder, actor_id: int | None, reason: str | None
) -> None:
    """After a line change: once an estimate was sent, the change makes a new version."""
    if _latest(session, work_order) is not None:
        make_current(session, work_order=work_order, actor_id=actor_id, reason=reason)


def approve(
    session: Session, *, actor: Actor, work_order: WorkOrder, version: int | None = None
) -> EstimateVersion:
    """The customer approves the latest version (staff may record it for them); audited.

    Who may approve is the policy's (api.auth.policy): the route and the 'customer_approved' step.
    """
    sent = work_order.status in ("estimate_sent", "customer_approved")
    if not sent and _latest(session, work_order) is None:
        raise Conflict(why=Text("service.estimate_missing"))
    current = make_current(session, work_order=work_order, actor_id=user_of(actor))
    if version is not None and version != current.version:
        why = Text("service.estimate_not_latest", {"version": version, "latest": current.version})
        raise Conflict(why=why)
    if current.status != "approved":
        current.status = "approved"
        current.approved_by, current.approved_at = user_of(actor), datetime.now(UTC)
        audit.record(
            session,
            action="estimate_approval",
            entity_type="work_order",
            entity_id=work_order.id,
            store_id=work_order.store_id,
            actor_user_id=user_of(actor),
            before={"version": current.version, "status": "pending"},
            after={"version": current.version, "grand_total": current.grand_total},
        )
        session.flush()
    return current


def require_approved(session: Session, *, work_order: WorkOrder) -> None:
    """409 unless the customer approved the latest version and the lines still match it."""
    latest = _latest(session, work_order)
    if latest is None:
        raise Conflict(why=Text("service.estimate_missing"))
    rows, _ = _snapshot(session, work_order)
    if latest.status != "approved" or latest.lines != rows:
        version = latest.version if latest.lines == rows else latest.version + 1
        raise Conflict(why=Text("service.estimate_unapproved", {"version": version}))
