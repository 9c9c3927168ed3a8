"""GET /audit/transitions: the state-change log of the caller's stores (managers, admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.audit import service
from api.audit.schemas import TransitionPage
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
        session, scope=user.scope, page=page, entity_type=entity_type, entity_id=entity_id
    )
    return TransitionPage.model_validate(paged, from_attributes=True)
