"""Dealer groups, their stores (门店), and the users who sign in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.auth.roles import Role
from api.models_base import Base, Entity
from core.clock import DEFAULT_ZONE

user_stores = Table(
    "user_stores",
    Base.metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("store_id", BigInteger, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
)


class DealerGroup(Entity):
    """A dealer group (经销商集团) owning one or more stores."""

    __tablename__ = "dealer_groups"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    stores: Mapped[list[Store]] = relationship(back_populates="dealer_group")


class Store(Entity):
    """One 4S store (门店)."""

    __tablename__ = "stores"

    dealer_group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dealer_groups.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(50))
    timezone: Mapped[str] = mapped_column(String(40), default=DEFAULT_ZONE)

    dealer_group: Mapped[DealerGroup] = relationship(back_populates="stores")


class User(Entity):
    """Someone who signs in: staff of the group's stores, or a customer."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{r.value}'" for r in Role) + ")", name="role"),
        CheckConstraint("(role = 'customer') = (customer_id IS NOT NULL)", name="customer_link"),
        # A customer's address is on their customer record (with its consents), not here.
        CheckConstraint("role <> 'customer' OR email IS NULL", name="staff_email"),
    )

    dealer_group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dealer_groups.id", ondelete="RESTRICT"), index=True
    )
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(
        String(200), comment="Staff only: where business alarms and other staff mail go"
    )
    role: Mapped[str] = mapped_column(String(20))
    hashed_password: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised on logout or password change: every token carrying an older value stops working.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    customer_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("customers.id", ondelete="CASCADE"),
        unique=True,
        comment="Set for role=customer: the customer record this account is",
    )

    stores: Mapped[list[Store]] = relationship(secondary=user_stores, order_by="Store.id")

    @property
    def store_ids(self) -> list[int]:
        """Ids of the stores this user is assigned to."""
        return [store.id for store in self.stores]


class RefreshToken(Entity):
    """An issued refresh token: single use; redeeming a used one revokes its whole family."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(32), unique=True)
    family_id: Mapped[str] = mapped_column(
        String(32), index=True, comment="Shared by the tokens one login rotated into"
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Entity):
    """Recent wrong passwords for an account or a client address, and its lockout."""

    __tablename__ = "login_throttles"

    subject: Mapped[str] = mapped_column(
        String(120), unique=True, comment="account:<username> or address:<client IP>"
    )
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StreamTicket(Entity):
    """A spent event-stream ticket: each opens one stream, once."""

    __tablename__ = "stream_tickets"

    jti: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
