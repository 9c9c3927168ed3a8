"""Alert responses and requests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.pagination import Page

Severity = Literal["critical", "major", "minor", "warning"]
State = Literal["active", "cleared"]


class AlertRead(BaseModel):
    """A predictive-maintenance alert on a car, explained in the request language."""

    id: int
    vin: str
    store_id: int | None
    failure_mode: str
    severity: Severity
    state: State
    acknowledged: bool
    source: str
    probability: float | None
    count: int
    first_seen: datetime
    last_seen: datetime
    created_at: datetime
    acknowledged_at: datetime | None
    cleared_at: datetime | None
    clear_reason: str | None
    title: str = Field(description="Failure mode and severity in the request language")
    action: Literal["ignore", "monitor", "schedule", "immediate"]
    action_text: str
    reasons: list[str] = Field(description="Why: rules, codes or model signals, rendered")


class AlertDetail(AlertRead):
    """An alert with the structured explanation behind its reasons."""

    explanation: dict = Field(description="The structured explanation the reasons render")


AlertPage = Page[AlertRead]


class AlertClear(BaseModel):
    """Why an alert is cleared by hand."""

    reason: str | None = Field(
        default=None, max_length=2000, examples=["电瓶已更换 / battery replaced"]
    )
