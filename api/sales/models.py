"""Sales tables: the model catalogue, stock vehicles, leads, quotes, orders, checklists."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models_base import Entity, StoreEntity, sql_in
from api.sales.constants import (
    CHECKLIST_KINDS,
    CHECKLIST_RESULTS,
    LEAD_SOURCES,
    LEAD_STATES,
    POWERTRAINS,
    STOCK_STATES,
)

Money = Numeric(10, 2)


class SalesModel(Entity):
    """A model and trim the group sells (车型/配置), with its list price (MSRP)."""

    __tablename__ = "sales_models"
    __table_args__ = (
        UniqueConstraint("dealer_group_id", "code"),
        CheckConstraint("msrp > 0", name="msrp"),
        CheckConstraint(sql_in("powertrain", POWERTRAINS), name="powertrain"),
    )

    dealer_group_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dealer_groups.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(30))
    make: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(60))
    trim: Mapped[str] = mapped_column(String(60))
    model_year: Mapped[int] = mapped_column(SmallInteger)
    powertrain: Mapped[str] = mapped_column(String(10))
    msrp: Mapped[Decimal] = mapped_column(Money)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class StockVehicle(StoreEntity):
    """A new car the store holds or has on order from the factory, identified by VIN."""

    __tablename__ = "sales_stock"
    __table_args__ = (
        CheckConstraint(sql_in("status", STOCK_STATES), name="status"),
        CheckConstraint("cost >= 0", name="cost"),
        Index("ix_sales_stock_store_status", "store_id", "status"),
    )

    vin: Mapped[str] = mapped_column(String(17), unique=True)
    model_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sales_models.id", ondelete="RESTRICT"), index=True
    )
    colour: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(100))
    cost: Mapped[Decimal] = mapped_column(Money, comment="What the store paid the maker")
    arrived_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="NULL while the car is still on its way"
    )

    sales_model: Mapped[SalesModel] = relationship()


class Lead(StoreEntity):
    """A prospective sale, from first contact to delivery (or a lost/cancelled exit)."""

    __tablename__ = "sales_leads"
    __table_args__ = (
        CheckConstraint(sql_in("source", LEAD_SOURCES), name="source"),
        CheckConstraint(sql_in("status", LEAD_STATES), name="status"),
        Index("ix_sales_leads_store_status", "store_id", "status"),
        Index("ix_sales_leads_consultant_created", "consultant_id", "created_at"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    consultant_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), comment="销售顾问"
    )
    source: Mapped[str] = mapped_column(String(20))
    interested_model_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("sales_models.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)

    order: Mapped[SalesOrder | None] = relationship(back_populates="lead", uselist=False)


class Quote(StoreEntity):
    """A priced offer for one model: options, discount, trade-in and optional financing."""

    __tablename__ = "sales_quotes"
    __table_args__ = (
        CheckConstraint("vehicle_price > 0", name="vehicle_price"),
        CheckConstraint(
            "options_price >= 0 AND discount >= 0 AND trade_in_value >= 0", name="amounts"
        ),
        CheckConstraint("total > 0", name="total"),
    )

    lead_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sales_leads.id", ondelete="CASCADE"), index=True
    )
    model_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sales_models.id", ondelete="RESTRICT")
    )
    colour: Mapped[str | None] = mapped_column(String(30))
    vehicle_price: Mapped[Decimal] = mapped_column(Money)
    # [{"code": "PANO", "name": "全景天窗", "price": "8000.00"}]
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    options_price: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    # {"vin": ..., "make": ..., "model": ..., "year": ..., "odometer_km": ...}
    trade_in: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    trade_in_value: Mapped[Decimal] = mapped_column(Money)
    # {"provider", "down_payment", "term_months", "apr_percent", "monthly_payment"}
    financing: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    total: Mapped[Decimal] = mapped_column(Money, comment="price + options - discount - trade-in")
    valid_until: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )


class SalesOrder(StoreEntity):
    """A signed order (订单) for a lead, and the stock vehicle allocated to it."""

    __tablename__ = "sales_orders"
    __table_args__ = (
        CheckConstraint("price > 0", name="price"),
        CheckConstraint("discount >= 0 AND discount < price", name="discount"),
        CheckConstraint("trade_in_value >= 0", name="trade_in_value"),
        CheckConstraint("deposit >= 0 AND deposit <= price - discount", name="deposit"),
        Index("ix_sales_orders_store_delivered", "store_id", "delivered_at"),
    )

    lead_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sales_leads.id", ondelete="RESTRICT"), unique=True
    )
    quote_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sales_quotes.id", ondelete="RESTRICT")
    )
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    model_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sales_models.id", ondelete="RESTRICT")
    )
    colour: Mapped[str | None] = mapped_column(String(30))
    price: Mapped[Decimal] = mapped_column(Money, comment="Vehicle and options, before discount")
    discount: Mapped[Decimal] = mapped_column(Money)
    trade_in_value: Mapped[Decimal] = mapped_column(Money)
    deposit: Mapped[Decimal] = mapped_column(Money, comment="定金")
    # Unique: one car is reserved for at most one order, whatever races the requests run.
    stock_vehicle_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("sales_stock.id", ondelete="RESTRICT"), unique=True
    )
    ordered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lead: Mapped[Lead] = relationship(back_populates="order")
    stock_vehicle: Mapped[StockVehicle | None] = relationship()

    @property
    def status(self) -> str:
        """Where the order's lead stands (the lead carries the state machine)."""
        return self.lead.status

    @property
    def vin(self) -> str | None:
        """VIN of the allocated car, if any."""
        return self.stock_vehicle.vin if self.stock_vehicle else None


class ChecklistItem(StoreEntity):
    """One line of an order's PDI or delivery checklist."""

    __tablename__ = "sales_checklist_items"
    __table_args__ = (
        UniqueConstraint("order_id", "kind", "code"),
        CheckConstraint(sql_in("kind", CHECKLIST_KINDS), name="kind"),
        CheckConstraint(sql_in("result", CHECKLIST_RESULTS), name="result"),
    )

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(10), server_default=text("'pending'"))
    note: Mapped[str | None] = mapped_column(Text)
    checked_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
