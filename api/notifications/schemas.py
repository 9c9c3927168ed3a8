"""Notification API models: the inbox, push subscriptions, preferences, the delivery log."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.notifications.constants import (
    MAX_ENDPOINT_LENGTH,
    Channel,
    DeliveryStatus,
    Kind,
    Language,
)
from api.pagination import Page
from api.types import WallClock


class NotificationRead(BaseModel):
    """A message in the customer's in-app inbox."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    kind: Kind = Field(examples=["booking_created"])
    urgent: bool
    language: Language
    title: str = Field(examples=["沪A·D12345:检测到蓄电池,已预约 11月28日(周六)09:30 检修"])
    body_text: str
    url: str | None = Field(description="Where a click on the message leads")
    links: dict[str, str] = Field(
        examples=[{"confirm": "https://dealer.example/public/appointments/confirm?token=..."}]
    )
    created_at: datetime
    read_at: datetime | None


NotificationPage = Page[NotificationRead]


class ReadAll(BaseModel):
    """How many messages were marked read."""

    marked: int = Field(ge=0)


class PushKeys(BaseModel):
    """The keys of a browser PushSubscription (base64url, as toJSON() gives them)."""

    p256dh: str = Field(max_length=200, examples=["BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA..."])
    auth: str = Field(max_length=100, examples=["tBHItJI5svbpez7KI4CCXg"])


class PushSubscriptionCreate(BaseModel):
    """A browser's PushSubscription.toJSON(); expirationTime is accepted and ignored."""

    endpoint: str = Field(
        min_length=8,
        max_length=MAX_ENDPOINT_LENGTH,
        examples=["https://fcm.googleapis.com/fcm/send/c1KrmpTuRm..."],
    )
    keys: PushKeys
    user_agent: str | None = Field(default=None, max_length=300)


class PushSubscriptionRead(BaseModel):
    """A registered push subscription."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    endpoint: str
    user_agent: str | None
    created_at: datetime
    last_success_at: datetime | None


class VapidKeyRead(BaseModel):
    """The server's VAPID public key, for pushManager.subscribe({applicationServerKey})."""

    public_key: str = Field(examples=["BOXwM78XAeEXMKtK-hNCaKuuPcm7rRzVTpaTP_T_lmXV..."])


class PreferencesRead(BaseModel):
    """The customer's notification preferences."""

    language: Language = Field(examples=["zh-CN"])


class PreferencesUpdate(PreferencesRead):
    """New notification preferences."""


class QuietHoursRead(BaseModel):
    """A store's quiet hours in its local time (urgent messages are sent anyway)."""

    store_id: int
    quiet_start: WallClock = Field(examples=["21:00"])
    quiet_end: WallClock = Field(examples=["08:00"], description="Before start: the next morning")
    timezone: str = Field(examples=["Asia/Shanghai"])
    is_default: bool = Field(description="True while the store uses the defaults")


class QuietHoursUpdate(BaseModel):
    """New quiet hours for a store."""

    quiet_start: WallClock = Field(examples=["21:30"])
    quiet_end: WallClock = Field(examples=["08:00"])


class DeliveryRead(BaseModel):
    """One channel's delivery of a notification, with its attempts."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    notification_id: int
    customer_id: int
    kind: Kind
    title: str
    urgent: bool
    channel: Channel
    status: DeliveryStatus
    target: str | None = Field(description="Email address or push endpoint")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


DeliveryPage = Page[DeliveryRead]
