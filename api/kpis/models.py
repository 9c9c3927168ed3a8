"""The KPI rollups (daily sums per measure, customers' visit months), their refresh state, and
each store's targets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.models_base import Base, StoreEntity

TOTAL = ""  # the dimension and member of a store's whole figure
UNKNOWN = "-"  # the member of rows without one (a job with no advisor)


def _store() -> ForeignKey:
    return ForeignKey("stores.id", ondelete="CASCADE")


class KpiFact(Base):
    """One measure's sum for a store's local day, in total or for one member of a dimension."""

    __tablename__ = "kpi_facts"

    store_id: Mapped[int] = mapped_column(BigInteger, _store(), primary_key=True)
    measure: Mapped[str] = mapped_column(String(40), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    member: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric)


class CustomerMonth(Base):
    """A customer's workshop visits to a store in one month (for retention and churn)."""

    __tablename__ = "kpi_customer_months"

    store_id: Mapped[int] = mapped_column(BigInteger, _store(), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True, comment="Its first day")
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    visits: Mapped[int] = mapped_column(Integer)


class RollupState(Base):
    """How far each rollup has been refreshed."""

    __tablename__ = "kpi_rollup_state"

    rollup: Mapped[str] = mapped_column(String(40), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), comment="Rows changed after this are refreshed next"
    )
    built_from: Mapped[date] = mapped_column(Date, comment="The first day the rollup holds")


class KpiTarget(StoreEntity):
    """A store's target for one KPI; the KPI page shows the gap to it."""

    __tablename__ = "kpi_targets"
    __table_args__ = (UniqueConstraint("store_id", "kpi"), CheckConstraint("target >= 0", "target"))

    kpi: Mapped[str] = mapped_column(String(40))
    target: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    set_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
