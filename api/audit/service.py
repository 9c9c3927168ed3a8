"""Writing privileged actions to the audit log, and reading it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.models import AuditEvent, StateTransition
from api.auth.models import Store
from api.auth.roles import Role
from api.auth.scope import Scope
from api.pagination import Paged, PageParams, paginate


def list_transitions(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    entity_type: str | None = None,
    entity_id: int | None = None,
) -> Paged[StateTransition]:
    """State changes in the caller's stores, newest first, optionally for one entity."""
    stmt = select(StateTransition).where(StateTransition.store_id.in_(actor.store_ids))
    if entity_type is not None:
        stmt = stmt.where(StateTransition.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(StateTransition.entity_id == entity_id)
    return paginate(
        session, stmt.order_by(StateTransition.at.desc(), StateTransition.id.desc()), page
    )


def history(session: Session, *, entity_type: str, entity_id: int) -> list[StateTransition]:
    """Every state change of one record, oldest first."""
    stmt = (
        select(StateTransition)
        .where(StateTransition.entity_type == entity_type, StateTransition.entity_id == entity_id)
        .order_by(StateTransition.at, StateTransition.id)
    )
    return list(session.scalars(stmt))


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """The values as JSON: decimals and times as strings."""
    if values is None:
        return None
    return {k: str(v) if isinstance(v, Decimal | datetime) else v for k, v in values.items()}


def record(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: int,
    store_id: int | None,
    actor_user_id: int | None,
    dealer_group_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Write one privileged action to the audit log (in the caller's transaction).

    dealer_group_id defaults to the store's group; group-wide records (no store) must give it.
    """
    if dealer_group_id is None:
        dealer_group_id = session.scalar(select(Store.dealer_group_id).where(Store.id == store_id))
    event = AuditEvent(
        dealer_group_id=dealer_group_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        store_id=store_id,
        actor_user_id=actor_user_id,
        before=_plain(before),
        after=_plain(after),
        reason=reason,
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    actor_user_id: int | None = None,
) -> Paged[AuditEvent]:
    """Privileged actions in the caller's stores (an admin: the whole group), newest first."""
    if actor.role is Role.admin:
        stmt = select(AuditEvent).where(AuditEvent.dealer_group_id == actor.dealer_group_id)
    else:
        stmt = select(AuditEvent).where(AuditEvent.store_id.in_(actor.store_ids))
    for column, value in (
        (AuditEvent.action, action),
        (AuditEvent.entity_type, entity_type),
        (AuditEvent.entity_id, entity_id),
        (AuditEvent.actor_user_id, actor_user_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(session, stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), page)
