"""Business alarms (经营预警) on a store's daily figures, and the managers told of each."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.alarms.constants import ALARM_STATES, DIRECTIONS, EMAIL_STATES, METRICS
from api.models_base import Entity, StoreEntity, sql_in


class BusinessAlarm(StoreEntity):
    """A lasting change of one metric in the bad direction, as analytics.alarms found it."""

    __tablename__ = "business_alarms"
    __table_args__ = (
        # However often the job runs, one change of one metric is one alarm.
        UniqueConstraint("store_id", "metric", "started_on"),
        CheckConstraint(sql_in("metric", METRICS), name="metric"),
        CheckConstraint(sql_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(sql_in("state", ALARM_STATES), name="state"),
    )

    metric: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(4))
    started_on: Mapped[date] = mapped_column(Date, comment="The estimated change point")
    detected_on: Mapped[date] = mapped_column(Date, comment="The day the detector was sure")
    expected: Mapped[float] = mapped_column(Float, comment="Median expected, start to detection")
    observed: Mapped[float] = mapped_column(Float, comment="Median observed, start to detection")
    size: Mapped[float] = mapped_column(Float, comment="observed / expected - 1")
    reason_en: Mapped[str] = mapped_column(Text)
    reason_zh: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="open")
    acknowledged_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlarmNotice(Entity):
    """One manager told of one alarm: in the console (the feed card, the alarms list) and by
    email when they have an address."""

    __tablename__ = "business_alarm_notices"
    __table_args__ = (
        UniqueConstraint("alarm_id", "user_id"),
        CheckConstraint(sql_in("email_state", EMAIL_STATES), name="email_state"),
    )

    alarm_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("business_alarms.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email_state: Mapped[str] = mapped_column(String(10), default="pending")
    email_to: Mapped[str | None] = mapped_column(String(200), comment="The address it went to")
    email_attempts: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    email_next_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="No attempt before this (backoff after a failure)"
    )
    email_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_error: Mapped[str | None] = mapped_column(Text)
