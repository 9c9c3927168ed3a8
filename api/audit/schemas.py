"""API models of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.pagination import Page


class TransitionRead(BaseModel):
    """One state change."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    entity_type: str = Field(examples=["customer"])
    entity_id: int
    store_id: int | None
    from_state: str | None = Field(description="null for the creation of the record")
    to_state: str
    reason: str | None
    actor_user_id: int | None = Field(description="null for automatic transitions")
    at: datetime


TransitionPage = Page[TransitionRead]


class StatusChange(BaseModel):
    """A step of a record's state machine: the state to move to, and why (some steps need it)."""

    to: str = Field(max_length=40, examples=["confirmed"])
    reason: str | None = Field(default=None, max_length=2000, examples=["客户电话确认"])


class AuditEventRead(BaseModel):
    """One privileged action: who, when, what, and the values before and after."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str = Field(examples=["price_override"])
    entity_type: str = Field(examples=["work_order"])
    entity_id: int
    store_id: int | None
    actor_user_id: int | None = Field(description="null for the system")
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    at: datetime


AuditEventPage = Page[AuditEventRead]
