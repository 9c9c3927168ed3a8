"""Work-order tables: the order, its labour and parts lines, clocked time, and the invoice
(the survey and complaint tables are in `api.feedback.models`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models_base import Entity, StoreEntity, sql_in
from api.work_orders.constants import (
    ESTIMATE_STATES,
    LABOUR_COST_RATE,
    OUTCOMES,
    PART_LINE_STATES,
    WAIT_REASONS,
    WORK_ORDER_SOURCES,
    WORK_ORDER_STATES,
)

Hours = Numeric(5, 2)
Money = Numeric(12, 2)
Quantity = Numeric(12, 3)
Percent = Numeric(5, 2)


def _fk(table: str, ondelete: str = "RESTRICT") -> Any:
    return ForeignKey(f"{table}.id", ondelete=ondelete)


class WorkOrder(StoreEntity):
    """A repair order (维修工单) through the 4S flow; its status is a state machine."""

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("store_id", "number"),
        CheckConstraint(sql_in("status", WORK_ORDER_STATES), name="status"),
        CheckConstraint(sql_in("source", WORK_ORDER_SOURCES), name="source"),
        CheckConstraint(f"outcome IS NULL OR {sql_in('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint(
            f"wait_reason IS NULL OR {sql_in('wait_reason', WAIT_REASONS)}", name="wait_reason"
        ),
        CheckConstraint("odometer_km IS NULL OR odometer_km >= 0", name="odometer_km"),
        Index(
            "uq_work_orders_source_ref",
            "store_id",
            "source_ref",
            unique=True,
            postgresql_where=text("source_ref IS NOT NULL AND status <> 'cancelled'"),
        ),
        Index("ix_work_orders_store_status", "store_id", "status"),
    )

    number: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[int] = mapped_column(BigInteger, _fk("customers"), index=True)
    vehicle_id: Mapped[int] = mapped_column(BigInteger, _fk("vehicles"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("service_appointments", "SET NULL"), unique=True
    )
    advisor_id: Mapped[int | None] = mapped_column(BigInteger, _fk("users", "SET NULL"))
    technician_id: Mapped[int | None] = mapped_column(
        BigInteger,
        _fk("service_technicians", "SET NULL"),
        index=True,
        comment="The lead technician (主修技师)",
    )
    status: Mapped[str] = mapped_column(String(20), default="booked")
    source: Mapped[str] = mapped_column(String(12))
    source_ref: Mapped[str | None] = mapped_column(
        String(80), comment="Idempotency key of an automated draft, e.g. alert:42"
    )
    complaint: Mapped[str | None] = mapped_column(Text, comment="The customer's concern (客户描述)")
    evidence: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'"), comment="What an alert found, for the technician"
    )
    odometer_km: Mapped[float | None] = mapped_column(Float)
    inspection: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'"), comment="Check-in inspection: item -> result, note"
    )
    diagnosis: Mapped[str | None] = mapped_column(Text)
    wait_reason: Mapped[str | None] = mapped_column(String(30))
    wait_return_to: Mapped[str | None] = mapped_column(
        String(20), comment="The state a wait returns to"
    )
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_code: Mapped[str | None] = mapped_column(
        String(40), comment="Confirmed cause: a DTC or failure mode, e.g. battery_aging"
    )
    outcome_notes: Mapped[str | None] = mapped_column(Text)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    labour: Mapped[list[LabourLine]] = relationship(order_by="LabourLine.id")
    parts: Mapped[list[PartLine]] = relationship(order_by="PartLine.id")


class LabourLine(Entity):
    """A labour operation on a work order: flat-rate hours billed at the rate, less discount."""

    __tablename__ = "work_order_labour"
    __table_args__ = (
        CheckConstraint("hours > 0 AND rate >= 0", name="values"),
        CheckConstraint("discount_pct BETWEEN 0 AND 100", name="discount_pct"),
    )

    work_order_id: Mapped[int] = mapped_column(
        BigInteger, _fk("work_orders", "CASCADE"), index=True
    )
    operation_id: Mapped[int] = mapped_column(BigInteger, _fk("service_operations"))
    description: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal] = mapped_column(Hours, comment="Flat-rate hours billed")
    rate: Mapped[Decimal] = mapped_column(Money, comment="CNY per hour, before tax")
    discount_pct: Mapped[Decimal] = mapped_column(Percent, server_default=text("0"))
    technician_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("service_technicians", "SET NULL"), index=True
    )


class LabourClock(Entity):
    """A technician's clocked time on a labour line (打卡): on, and off when done."""

    __tablename__ = "work_order_clocks"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="period"),
        # A technician works one job at a time: at most one open clock each.
        Index(
            "uq_work_order_clocks_open",
            "technician_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    labour_line_id: Mapped[int] = mapped_column(
        BigInteger, _fk("work_order_labour", "CASCADE"), index=True
    )
    technician_id: Mapped[int] = mapped_column(BigInteger, _fk("service_technicians"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PartLine(Entity):
    """A part on a work order, held by a parts reservation and issued during repair."""

    __tablename__ = "work_order_parts"
    __table_args__ = (
        CheckConstraint(sql_in("status", PART_LINE_STATES), name="status"),
        CheckConstraint("quantity > 0 AND unit_price >= 0", name="values"),
        CheckConstraint("discount_pct BETWEEN 0 AND 100", name="discount_pct"),
    )

    work_order_id: Mapped[int] = mapped_column(
        BigInteger, _fk("work_orders", "CASCADE"), index=True
    )
    part_id: Mapped[int] = mapped_column(BigInteger, _fk("parts"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money, comment="Before tax")
    discount_pct: Mapped[Decimal] = mapped_column(Percent, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(10))
    reservation_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("part_reservations", "SET NULL"), index=True
    )
    short_at_request: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), comment="Stock could not fill it when asked for"
    )


class StorePricing(Entity):
    """A store's money settings: its labour rate and the discount limits per role."""

    __tablename__ = "store_pricing"
    __table_args__ = (
        CheckConstraint("labour_rate > 0", name="labour_rate"),
        CheckConstraint("labour_cost_rate >= 0", name="labour_cost_rate"),
        CheckConstraint(
            "advisor_discount_max BETWEEN 0 AND manager_discount_max "
            "AND manager_discount_max <= 100",
            name="discount_limits",
        ),
    )

    store_id: Mapped[int] = mapped_column(BigInteger, _fk("stores", "CASCADE"), unique=True)
    labour_rate: Mapped[Decimal] = mapped_column(Money, comment="CNY per flat-rate hour")
    labour_cost_rate: Mapped[Decimal] = mapped_column(
        Money,
        server_default=text(str(LABOUR_COST_RATE)),
        comment="What a clocked hour costs the store (wage and overhead), CNY",
    )
    advisor_discount_max: Mapped[Decimal] = mapped_column(
        Percent, comment="An advisor's discount limit, percent"
    )
    manager_discount_max: Mapped[Decimal] = mapped_column(
        Percent, comment="A manager's discount limit, percent"
    )


class EstimateVersion(Entity):
    """One version of a job's estimate (报价) as the customer saw it; the latest one counts."""

    __tablename__ = "work_order_estimates"
    __table_args__ = (
        UniqueConstraint("work_order_id", "version"),
        CheckConstraint(sql_in("status", ESTIMATE_STATES), name="status"),
        CheckConstraint("version > 0", name="version"),
    )

    work_order_id: Mapped[int] = mapped_column(
        BigInteger, _fk("work_orders", "CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(12))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, comment="The priced lines")
    grand_total: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(Text, comment="Why this version was made")
    created_by: Mapped[int | None] = mapped_column(BigInteger, _fk("users", "SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(BigInteger, _fk("users", "SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invoice(StoreEntity):
    """The settlement of a work order (结算单): its lines' totals, tax and grand total."""

    __tablename__ = "service_invoices"
    __table_args__ = (UniqueConstraint("store_id", "number"),)

    work_order_id: Mapped[int] = mapped_column(BigInteger, _fk("work_orders"), unique=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, _fk("customers"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    labour_total: Mapped[Decimal] = mapped_column(Money, comment="Before discount and tax")
    parts_total: Mapped[Decimal] = mapped_column(Money, comment="Before discount and tax")
    discount_total: Mapped[Decimal] = mapped_column(Money)
    net_total: Mapped[Decimal] = mapped_column(Money)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    tax_total: Mapped[Decimal] = mapped_column(Money)
    grand_total: Mapped[Decimal] = mapped_column(Money)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    lines: Mapped[list[InvoiceLine]] = relationship(order_by="InvoiceLine.id")


class InvoiceLine(Entity):
    """One billed line of an invoice, frozen at settlement."""

    __tablename__ = "service_invoice_lines"
    __table_args__ = (CheckConstraint(sql_in("kind", ("labour", "part")), name="kind"),)

    invoice_id: Mapped[int] = mapped_column(
        BigInteger, _fk("service_invoices", "CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Quantity, comment="Hours or parts")
    unit_price: Mapped[Decimal] = mapped_column(Money)
    gross: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    net: Mapped[Decimal] = mapped_column(Money)
