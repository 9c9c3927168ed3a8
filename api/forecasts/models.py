"""Forecast runs with their back-test, their points, and each customer's churn risk."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, Float, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.forecasts.constants import RUN_KINDS
from api.models_base import Base, StoreEntity, sql_in


class ForecastRun(StoreEntity):
    """One forecast of a store's sales or of a warehouse's parts, or one churn scoring."""

    __tablename__ = "forecast_runs"
    __table_args__ = (CheckConstraint(sql_in("kind", RUN_KINDS), name="kind"),)

    kind: Mapped[str] = mapped_column(String(10))
    warehouse_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("warehouses.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(20), comment="The method the back-test chose")
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    backtest: Mapped[dict[str, Any]] = mapped_column(
        JSONB, comment="Errors per method, the chosen one's ratio to the baseline, its size"
    )


class ForecastPoint(Base):
    """One series' forecast for one period (a month of a model, a week of a part)."""

    __tablename__ = "forecast_points"

    run_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("forecast_runs.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(String(40), primary_key=True, comment="model or part id")
    period: Mapped[date] = mapped_column(Date, primary_key=True, comment="Its first day")
    mean: Mapped[float] = mapped_column(Float)
    lo_80: Mapped[float | None] = mapped_column(Float)
    hi_80: Mapped[float | None] = mapped_column(Float)
    lo_95: Mapped[float | None] = mapped_column(Float)
    hi_95: Mapped[float | None] = mapped_column(Float)
    from_alerts: Mapped[float] = mapped_column(
        Float, server_default="0", comment="Demand the fleet's open predictions add"
    )


class ChurnScore(Base):
    """A customer's probability of not coming back to a store within 12 months, and why."""

    __tablename__ = "churn_scores"

    store_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("forecast_runs.id", ondelete="CASCADE"), index=True
    )
    probability: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
