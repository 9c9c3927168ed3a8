"""Notification tables: messages, their deliveries per channel, push subscriptions, settings."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models_base import StoreEntity, sql_in
from api.notifications.constants import (
    CHANNELS,
    DELIVERY_STATES,
    KINDS,
    LANGUAGES,
    MAX_DEDUPE_KEY_LENGTH,
    MAX_ENDPOINT_LENGTH,
)


class Notification(StoreEntity):
    """One message to one customer, rendered once in their language; read_at is for in-app."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(sql_in("kind", KINDS), name="kind"),
        CheckConstraint(sql_in("language", LANGUAGES), name="language"),
        # The same event announced twice (a repeated alert, a retried job) is one message.
        UniqueConstraint("customer_id", "dedupe_key"),
        Index("ix_notifications_customer_created", "customer_id", "created_at"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(
        String(2000), comment="Where a click on the message leads (confirm link, else the app)"
    )
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    links: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'"))
    dedupe_key: Mapped[str | None] = mapped_column(String(MAX_DEDUPE_KEY_LENGTH))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="notification", order_by="Delivery.id"
    )


class PushSubscription(StoreEntity):
    """A browser's Web Push subscription for a customer (removed when the push service says 410)."""

    __tablename__ = "push_subscriptions"

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(MAX_ENDPOINT_LENGTH), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200), comment="The browser's P-256 key, base64url")
    auth: Mapped[str] = mapped_column(String(100), comment="The 16-byte auth secret, base64url")
    user_agent: Mapped[str | None] = mapped_column(String(300))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(StoreEntity):
    """One attempt chain to bring a notification to the customer over one channel."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint(sql_in("channel", CHANNELS), name="channel"),
        CheckConstraint(sql_in("status", DELIVERY_STATES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # What dispatch scans: pending deliveries by due time.
        Index(
            "ix_notification_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('queued', 'failed')"),
        ),
        Index("ix_notification_deliveries_store_created", "store_id", "created_at"),
    )

    notification_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), server_default=text("'queued'"))
    target: Mapped[str | None] = mapped_column(
        String(MAX_ENDPOINT_LENGTH), comment="Email address or push endpoint, for the log"
    )
    subscription_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("push_subscriptions.id", ondelete="SET NULL")
    )
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="When dispatch tries next; NULL once sent or given up"
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    notification: Mapped[Notification] = relationship(back_populates="deliveries")

    @property
    def kind(self) -> str:
        """The notification's kind (for the delivery log)."""
        return self.notification.kind

    @property
    def title(self) -> str:
        """The notification's title (for the delivery log)."""
        return self.notification.title

    @property
    def urgent(self) -> bool:
        """Whether the notification bypassed quiet hours."""
        return self.notification.urgent


class NotificationPreference(StoreEntity):
    """A customer's notification language (crm keeps no language of its own)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint(sql_in("language", LANGUAGES), name="language"),)

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    language: Mapped[str] = mapped_column(String(5))


class QuietHours(StoreEntity):
    """A store's quiet hours in its local time; without a row the defaults apply."""

    __tablename__ = "notification_quiet_hours"
    __table_args__ = (
        UniqueConstraint("store_id"),
        CheckConstraint("quiet_start <> quiet_end", name="window"),
    )

    quiet_start: Mapped[time] = mapped_column(Time)
    quiet_end: Mapped[time] = mapped_column(Time, comment="Before start means the next morning")
