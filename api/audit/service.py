"""Reading the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.auth.scope import Scope
from api.pagination import Paged, PageParams, paginate


def list_transitions(
    session: Session,
    *,
    scope: Scope,
    page: PageParams,
    entity_type: str | None = None,
    entity_id: int | None = None,
) -> Paged[StateTransition]:
    """State changes in the caller's stores, newest first, optionally for one entity."""
    stmt = select(StateTransition).where(StateTransition.store_id.in_(scope.store_ids))
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
