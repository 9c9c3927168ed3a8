"""Business-alarm API models."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from api.alarms.constants import AlarmState, Direction, EmailState, Metric
from api.pagination import Page


class AlarmRead(BaseModel):
    """A business alarm (经营预警), with its reason in the reader's language."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    metric: Metric
    direction: Direction = Field(description="drop or rise: the metric's bad direction")
    unit: str = Field(description="Unit of expected and observed (margin: %)")
    started_on: date = Field(description="The estimated change point (store's local day)")
    detected_on: date = Field(description="The day the detector was sure")
    expected: float = Field(description="Median expected value from start to detection")
    observed: float = Field(description="Median observed value from start to detection")
    size: float = Field(description="observed / expected - 1 (e.g. -0.3 for a 30 % drop)")
    reason: str = Field(description="Why, in the reader's language")
    reason_en: str
    reason_zh: str
    state: AlarmState
    acknowledged_by: int | None
    acknowledged_at: datetime | None
    created_at: datetime


AlarmPage = Page[AlarmRead]


class AlarmNoticeRead(BaseModel):
    """A manager told of the alarm."""

    model_config = ConfigDict(from_attributes=True)

    user_id: int
    created_at: datetime
    email_state: EmailState = Field(description="pending, sent, failed or no_address")
    email_sent_at: datetime | None
    email_error: str | None = Field(description="Why the last attempt failed")


class AlarmDetail(AlarmRead):
    """An alarm with the managers told of it."""

    notified: list[AlarmNoticeRead]
