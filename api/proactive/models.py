"""Proactive-maintenance tables: triage policies, proposals, the advisor feed, handled events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.models_base import Base, StoreEntity, sql_in
from api.proactive.constants import (
    COMEBACK_DAYS,
    COMEBACK_KM,
    FEED_KINDS,
    MODES,
    PROPOSAL_KINDS,
    PROPOSAL_STATES,
)


class TriagePolicy(StoreEntity):
    """A store's triage: ordered rules mapping failure mode, DTC or severity to an action."""

    __tablename__ = "proactive_policies"
    __table_args__ = (
        CheckConstraint(sql_in("mode", MODES), name="mode"),
        UniqueConstraint("store_id"),
    )

    mode: Mapped[str] = mapped_column(String(10), server_default="auto")
    # [{"failure_mode"?, "dtc"?, "severity"?, "action", "within_days"?}, ...]; first match wins
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    comeback_days: Mapped[int] = mapped_column(server_default=text(str(COMEBACK_DAYS)))
    comeback_km: Mapped[float] = mapped_column(Float, server_default=text(str(int(COMEBACK_KM))))
    updated_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )


class Proposal(StoreEntity):
    """A visit the loop planned for a car: booked directly (auto) or awaiting an advisor."""

    __tablename__ = "proactive_proposals"
    __table_args__ = (
        CheckConstraint(sql_in("status", PROPOSAL_STATES), name="status"),
        CheckConstraint(sql_in("kind", PROPOSAL_KINDS), name="kind"),
        # One live plan per car and failure mode, however many alerts or workers race.
        Index(
            "uq_proactive_proposals_live",
            "vin",
            "failure_mode",
            unique=True,
            postgresql_where=text("status IN ('proposed', 'booked')"),
        ),
        Index("ix_proactive_proposals_store_status", "store_id", "status"),
    )

    kind: Mapped[str] = mapped_column(String(10))
    source_ref: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    vin: Mapped[str] = mapped_column(String(17))
    failure_mode: Mapped[str] = mapped_column(String(20))
    alert_id: Mapped[int | None] = mapped_column(BigInteger)
    severity: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="SET NULL")
    )
    vehicle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vehicles.id", ondelete="CASCADE"), index=True
    )
    operations: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    # [[part_id, quantity], ...] resolved from the kit for this car
    parts: Mapped[list[list[Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    due_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    suggested_starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    appointment_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("service_appointments.id", ondelete="SET NULL")
    )
    work_order_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("work_orders.id", ondelete="SET NULL"), index=True
    )
    purchase_order_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("purchase_orders.id", ondelete="SET NULL")
    )
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    note: Mapped[str | None] = mapped_column(Text, comment="Why it was not booked directly")
    alert_cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_km: Mapped[float | None] = mapped_column(Float)
    watch_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comeback: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    comeback_alert_id: Mapped[int | None] = mapped_column(BigInteger)


class FeedEvent(StoreEntity):
    """One card of the advisors' live feed; a trigger sends it on NOTIFY 'pitstop_feed'."""

    __tablename__ = "feed_events"
    __table_args__ = (
        CheckConstraint(sql_in("kind", FEED_KINDS), name="kind"),
        Index("ix_feed_events_store_id_id", "store_id", "id"),
    )

    kind: Mapped[str] = mapped_column(String(24))
    vin: Mapped[str | None] = mapped_column(String(17))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)


class HandledAlertEvent(Base):
    """An alert event the loop has reacted to (the cursor: several workers share it)."""

    __tablename__ = "proactive_handled_events"

    alert_event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    outcome: Mapped[str] = mapped_column(String(200))
    proposal_id: Mapped[int | None] = mapped_column(BigInteger)
    # Set when the reaction ends, just before its commit (the claim's time until then).
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
