"""The declarative base of every DMS table: key and index names, and the common columns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints make Alembic migrations reproducible and error messages greppable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every DMS table; `Base.metadata` is what migrations are compared against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Entity(Base):
    """A table with a surrogate key and creation/update times."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class StoreEntity(Entity):
    """A record that belongs to one store (门店); staff see only their stores' records."""

    __abstract__ = True

    store_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stores.id", ondelete="RESTRICT"), index=True
    )


def load_all_models() -> None:
    """Import every domain's models so that Base.metadata knows all tables."""
    from api import domains

    domains.import_models()


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint body: column IN (values)."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"
