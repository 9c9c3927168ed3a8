"""Proactive API models: policy, proposals, feed events, public appointment links, KPI."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.pagination import Page
from api.proactive.constants import MAX_WITHIN_DAYS, Action, FeedKind, Mode, ProposalStatus
from api.types import LocalMoment

Severity = str


class PolicyRule(BaseModel):
    """One triage rule: absent match keys match anything; the first matching rule wins."""

    failure_mode: str | None = Field(default=None, max_length=20, examples=["battery"])
    dtc: str | None = Field(
        default=None, pattern=r"^P[0-3][0-9A-F]{0,3}$", description="A code or a prefix"
    )
    severity: str | None = Field(
        default=None, pattern=r"^(warning|minor|major|critical)$", examples=["major"]
    )
    action: Action
    within_days: int | None = Field(default=None, ge=1, le=MAX_WITHIN_DAYS)


class PolicyUpdate(BaseModel):
    """A new mode and/or rule list for the store."""

    mode: Mode | None = None
    rules: list[PolicyRule] | None = Field(default=None, max_length=100)
    comeback_days: int | None = Field(default=None, ge=1, le=365)
    comeback_km: float | None = Field(default=None, ge=1, le=100_000)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "approval",
                    "rules": [
                        {"failure_mode": "stale", "action": "ignore"},
                        {"dtc": "P0217", "action": "immediate"},
                        {"failure_mode": "battery", "action": "schedule", "within_days": 3},
                        {"severity": "warning", "action": "monitor"},
                    ],
                }
            ]
        }
    )


class PolicyRead(BaseModel):
    """A store's triage policy."""

    model_config = ConfigDict(from_attributes=True)

    store_id: int
    mode: Mode
    rules: list[PolicyRule]
    comeback_days: int
    comeback_km: float
    updated_at: datetime


class ProposalRead(BaseModel):
    """A visit the loop planned: booked (auto mode) or waiting for an advisor (approval)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    kind: str
    status: ProposalStatus
    vin: str
    failure_mode: str
    alert_id: int | None
    severity: str | None
    action: Action
    customer_id: int | None
    vehicle_id: int
    operations: list[str]
    due_by: datetime
    suggested_starts_at: datetime | None
    appointment_id: int | None
    work_order_id: int | None
    purchase_order_id: int | None
    explanation: dict[str, Any]
    note: str | None
    alert_cleared_at: datetime | None
    delivered_at: datetime | None
    comeback: bool
    created_at: datetime


ProposalPage = Page[ProposalRead]


class WithdrawBody(BaseModel):
    """Why the visit is withdrawn (the appointment is cancelled and parts released)."""

    reason: str = Field(min_length=1, max_length=500, examples=["alert cleared, customer informed"])


class StreamTicketRead(BaseModel):
    """A single-use ticket that opens one event stream: GET /feed/stream?ticket=..."""

    ticket: str
    expires_at: datetime


class FeedEventRead(BaseModel):
    """One advisor feed card."""

    id: int
    event: FeedKind
    data: dict[str, Any]


FeedPage = Page[FeedEventRead]


class SlotRead(BaseModel):
    """A free slot offered for rescheduling."""

    starts_at: datetime
    ends_at: datetime


class PublicAppointment(BaseModel):
    """What a customer's link shows: the appointment and, for rescheduling, other slots."""

    appointment_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    store_name: str
    slots: list[SlotRead] = []


class RescheduleBody(BaseModel):
    """The slot the customer picked from the reschedule page."""

    token: str = Field(
        min_length=10, max_length=2000, examples=["eyJhcHBvaW50bWVudCI6NDIsImN1c3RvbWVyIjo3fQ.sig"]
    )
    starts_at: LocalMoment = Field(examples=["2026-12-02T09:30:00+08:00"])


class FirstTimeFix(BaseModel):
    """Jobs from predicted faults delivered in the period, and how many came back."""

    store_id: int
    date_from: date
    date_to: date
    delivered: int
    comebacks: int
    first_time_fix_rate: float | None = Field(description="1 - comebacks / delivered")
