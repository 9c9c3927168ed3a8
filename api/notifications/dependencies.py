"""Notification route dependencies: the customer account the inbox belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth.roles import Role
from api.deps import Principal, require_roles

CustomerUser = Annotated[Principal, Depends(require_roles({Role.customer}))]
