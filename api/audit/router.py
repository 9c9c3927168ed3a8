"""The audit log of the caller's stores (managers, admins): state changes and privileged
actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.audit import service
from api.audit.schemas import AuditEventPage, TransitionPage
from api.deps import ManagerUser, SessionDep
from api.pagination import PageParamsDep
from api.types import IdQuery

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/transitions", response_model=TransitionPage)
def list_transitions(
    session: SessionDep,
    user: ManagerUser,
    page: PageParamsDep,
    entity_type: Annotated[str | None, Query(max_length=40, examples=["customer"])] = None,
    entity_id: IdQuery = None,
) -> TransitionPage:
    """Every state change in your stores, newest first."""
    paged = service.list_transitions(
        session, actor=user.scope, page=page, entity_type=entity_type, entity_id=entity_id
    )
    return TransitionPage.model_validate(paged, from_attributes=True)


@router.get("/events", response_model=AuditEventPage)
def list_events(
    session: SessionDep,
    user: ManagerUser,
    page: PageParamsDep,
    action: Annotated[str | None, Query(max_length=40, examples=["price_override"])] = None,
    entity_type: Annotated[str | None, Query(max_length=40, examples=["work_order"])] = None,
    entity_id: IdQuery = None,
    actor_user_id: IdQuery = None,
) -> AuditEventPage:
    """Privileged actions in your stores (prices, discounts, settlements, stock, roles)."""
    paged = service.list_events(
        session,
        actor=user.scope,
        page=page,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_user_id=actor_user_id,
    )
    return AuditEventPage.model_validate(paged, from_attributes=True)
