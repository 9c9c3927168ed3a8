"""Workshop tables: labour operations, technicians, bays, opening hours and appointments.

Appointments hold a technician and a bay for a period. Two PostgreSQL exclusion constraints
(btree_gist) refuse any overlap of a held period on the same technician or the same bay, so
two racing bookings can never both win, whatever the application does.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSTZRANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from api.models_base import Entity, StoreEntity, sql_in
from api.workshop.constants import (
    APPOINTMENT_SOURCES,
    APPOINTMENT_STATES,
    BAY_KINDS,
    HOLDING_STATES,
    MAX_TECH_LEVEL,
    SKILLS,
)

Hours = Numeric(5, 2)
HOLDING = text(sql_in("status", HOLDING_STATES))


class LabourOperation(Entity):
    """A labour operation of the group's catalogue (工时项目): flat-rate hours and the skill."""

    __tablename__ = "service_operations"
    __table_args__ = (
        UniqueConstraint("dealer_group_id", "code"),
        CheckConstraint(sql_in("required_skill", SKILLS), name="required_skill"),
        CheckConstraint(f"bay_kind IS NULL OR {sql_in('bay_kind', BAY_KINDS)}", name="bay_kind"),
        CheckConstraint("flat_rate_hours > 0", name="flat_rate_hours"),
        CheckConstraint(f"min_level BETWEEN 1 AND {MAX_TECH_LEVEL}", name="min_level"),
    )

    dealer_group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dealer_groups.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    flat_rate_hours: Mapped[Decimal] = mapped_column(Hours)
    required_skill: Mapped[str] = mapped_column(String(20))
    min_level: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    bay_kind: Mapped[str | None] = mapped_column(
        String(12), comment="The kind of bay the job needs; NULL means any bay"
    )
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class Technician(StoreEntity):
    """A technician's workshop profile: the user, their skills and level (技师等级)."""

    __tablename__ = "service_technicians"
    __table_args__ = (
        CheckConstraint(f"level BETWEEN 1 AND {MAX_TECH_LEVEL}", name="level"),
        CheckConstraint(
            "skills <@ ARRAY[" + ", ".join(f"'{s}'" for s in SKILLS) + "]::varchar[]",
            name="skills",
        ),
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="RESTRICT"), unique=True
    )
    level: Mapped[int] = mapped_column(SmallInteger)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class Bay(StoreEntity):
    """A workshop bay (工位), with or without a lift (举升机)."""

    __tablename__ = "service_bays"
    __table_args__ = (
        UniqueConstraint("store_id", "code"),
        CheckConstraint(sql_in("kind", BAY_KINDS), name="kind"),
    )

    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class OpeningHours(StoreEntity):
    """The workshop's hours on one weekday (0 = Monday), in the store's time zone."""

    __tablename__ = "service_opening_hours"
    __table_args__ = (
        UniqueConstraint("store_id", "weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("opens < closes", name="order"),
    )

    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class ClosedDay(StoreEntity):
    """A day the workshop is closed although its weekday has hours (holidays, stock-taking)."""

    __tablename__ = "service_closed_days"
    __table_args__ = (UniqueConstraint("store_id", "day"),)

    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))


class Appointment(StoreEntity):
    """A booked visit: a technician and a bay held for a period, for a customer's vehicle."""

    __tablename__ = "service_appointments"
    __table_args__ = (
        CheckConstraint(sql_in("status", APPOINTMENT_STATES), name="status"),
        CheckConstraint(sql_in("source", APPOINTMENT_SOURCES), name="source"),
        CheckConstraint("starts_at < ends_at", name="period"),
        ExcludeConstraint(
            ("technician_id", "="),
            ("period", "&&"),
            name="ex_service_appointments_technician",
            using="gist",
            where=HOLDING,
        ),
        ExcludeConstraint(
            ("bay_id", "="),
            ("period", "&&"),
            name="ex_service_appointments_bay",
            using="gist",
            where=HOLDING,
        ),
        # An automated request (an alert, a reminder) books at most one live appointment.
        Index(
            "uq_service_appointments_source_ref",
            "store_id",
            "source_ref",
            unique=True,
            postgresql_where=text("source_ref IS NOT NULL AND status IN ('booked', 'confirmed')"),
        ),
        Index("ix_service_appointments_store_starts", "store_id", "starts_at"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    vehicle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vehicles.id", ondelete="RESTRICT"), index=True
    )
    technician_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("service_technicians.id", ondelete="RESTRICT"), index=True
    )
    bay_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("service_bays.id", ondelete="RESTRICT")
    )
    advisor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period: Mapped[Range[datetime]] = mapped_column(
        TSTZRANGE, Computed("tstzrange(starts_at, ends_at, '[)')", persisted=True)
    )
    status: Mapped[str] = mapped_column(String(12), default="booked")
    operation_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(20)), server_default=text("'{}'")
    )
    source: Mapped[str] = mapped_column(String(10))
    source_ref: Mapped[str | None] = mapped_column(
        String(80), comment="Idempotency key of an automated booking, e.g. alert:42"
    )
    notes: Mapped[str | None] = mapped_column(Text)
