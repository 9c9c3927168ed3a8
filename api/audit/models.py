"""The audit log: one row per state change of any entity (who, when, from, to, why), and
one per privileged action (who, when, what, before and after)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.models_base import Base


class StateTransition(Base):
    """An audit row; never updated or deleted by the application."""

    __tablename__ = "state_transitions"
    __table_args__ = (Index("ix_state_transitions_entity", "entity_type", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    store_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stores.id", ondelete="SET NULL"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(40), comment="NULL when created")
    to_state: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_user_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("users.id", ondelete="SET NULL"),
        comment="NULL for automatic transitions (for example raised by diagnostics)",
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditEvent(Base):
    """A privileged action: who did what to which record, with the values before and after.

    Written by the services that take such actions (price overrides, discounts, settlement,
    estimate approvals, stock adjustments and scrap, roles granted); never updated or deleted.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id", "at"),
        Index("ix_audit_events_store_at", "store_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    action: Mapped[str] = mapped_column(String(40), comment="e.g. price_override, settlement")
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    dealer_group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dealer_groups.id", ondelete="CASCADE"), index=True
    )
    store_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("stores.id", ondelete="SET NULL"),
        comment="NULL for group-wide records (HQ stock, users without a store)",
    )
    actor_user_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("users.id", ondelete="SET NULL"),
        comment="NULL for the system",
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
