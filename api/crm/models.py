"""CRM tables: customers, their vehicles, and interactions with them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.base import NO_VALUE

from api.crm.constants import (
    CUSTOMER_STATES,
    DIRECTIONS,
    INTERACTION_KINDS,
    SOURCES,
    TIMES_OF_DAY,
    WEEKDAYS,
)
from api.models_base import StoreEntity, sql_in

OWNER_SINCE_COMMENT = (
    "When the current owner took the car over (a transfer); the owner reads telemetry and "
    "trouble codes from then on. NULL: the car was theirs from the start"
)


class Customer(StoreEntity):
    """A person the dealer sells to or services for; store_id is their home store."""

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(sql_in("source", SOURCES), name="source"),
        CheckConstraint(sql_in("status", CUSTOMER_STATES), name="status"),
        CheckConstraint(
            f"preferred_weekday IS NULL OR {sql_in('preferred_weekday', WEEKDAYS)}",
            name="preferred_weekday",
        ),
        CheckConstraint(
            f"preferred_time_of_day IS NULL OR {sql_in('preferred_time_of_day', TIMES_OF_DAY)}",
            name="preferred_time_of_day",
        ),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
    )

    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="prospect")
    preferred_store_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stores.id", ondelete="SET NULL")
    )
    preferred_weekday: Mapped[str | None] = mapped_column(String(3))
    preferred_time_of_day: Mapped[str | None] = mapped_column(String(10))
    # {"email": bool, "web_push": bool, "sms": bool, "in_app": bool}; absent means no consent.
    consents: Mapped[dict[str, bool]] = mapped_column(JSONB, server_default=text("'{}'"))
    consents_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default=text("'{}'"))
    notes: Mapped[str | None] = mapped_column(Text)

    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="owner", order_by="Vehicle.id")


class Vehicle(StoreEntity):
    """A customer's car; its odometer is refreshed from telemetry (vehicle_latest) on read."""

    __tablename__ = "vehicles"
    __table_args__ = (
        CheckConstraint("year BETWEEN 1980 AND 2100", name="year"),
        CheckConstraint("odometer_km IS NULL OR odometer_km >= 0", name="odometer_km"),
    )

    vin: Mapped[str] = mapped_column(String(17), unique=True)
    plate: Mapped[str | None] = mapped_column(String(12), index=True)
    make: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(SmallInteger)
    colour: Mapped[str | None] = mapped_column("color", String(30))  # the column's spelling
    owner_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="SET NULL"), index=True, active_history=True
    )
    owner_since: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True),
        comment=OWNER_SINCE_COMMENT,
    )
    odometer_km: Mapped[float | None] = mapped_column(
        Float, comment="Last reading entered by staff; telemetry overrides it when larger"
    )
    odometer_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    telematics_device_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    warranty_end: Mapped[date | None] = mapped_column(Date)

    owner: Mapped[Customer | None] = relationship(back_populates="vehicles")


@event.listens_for(Vehicle.owner_id, "set")
def _record_transfer(target: Vehicle, value: object, old: object, _initiator: object) -> None:
    """A car that changes hands records when: its new owner's history starts there."""
    if target.id is not None and old is not NO_VALUE and value != old:
        target.owner_since = datetime.now(UTC)


class Interaction(StoreEntity):
    """A call, visit or message between the store and a customer."""

    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint(sql_in("kind", INTERACTION_KINDS), name="kind"),
        CheckConstraint(sql_in("direction", DIRECTIONS), name="direction"),
        Index("ix_interactions_customer_occurred", "customer_id", "occurred_at"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="CASCADE")
    )
    vehicle_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("vehicles.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), comment="Staff who logged it"
    )
    kind: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
