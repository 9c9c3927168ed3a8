"""One row per state change of any entity: who, when, from, to, why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String, Text, func
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
