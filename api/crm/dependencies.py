"""CRM route dependencies: path ids resolved to records the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.crm import service
from api.crm.models import Customer
from api.deps import CurrentUser, SessionDep
from api.types import IdPath


def visible_customer(session: SessionDep, user: CurrentUser, customer_id: IdPath) -> Customer:
    """The customer of the path, if the caller may see it (404 / 403 otherwise)."""
    return service.get_customer(session, actor=user.scope, customer_id=customer_id)


CustomerDep = Annotated[Customer, Depends(visible_customer)]
