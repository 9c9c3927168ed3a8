"""Feedback tables: the satisfaction survey after a job and the complaint ticket. Their names
(service_surveys, service_complaints) are those of the migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.feedback.constants import COMPLAINT_STATES, SURVEY_STATES
from api.models_base import StoreEntity, sql_in


def _fk(table: str, ondelete: str = "RESTRICT") -> Any:
    return ForeignKey(f"{table}.id", ondelete=ondelete)


class Survey(StoreEntity):
    """The satisfaction survey (满意度回访) sent after delivery; answered by its token link."""

    __tablename__ = "service_surveys"
    __table_args__ = (
        CheckConstraint(sql_in("status", SURVEY_STATES), name="status"),
        CheckConstraint("csi IS NULL OR csi BETWEEN 1 AND 10", name="csi"),
        CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps"),
    )

    work_order_id: Mapped[int] = mapped_column(BigInteger, _fk("work_orders"), unique=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, _fk("customers"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(BigInteger, _fk("users", "SET NULL"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    csi: Mapped[int | None] = mapped_column(SmallInteger, comment="Satisfaction, 1 to 10")
    nps: Mapped[int | None] = mapped_column(SmallInteger, comment="Would recommend, 0 to 10")
    comment: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Complaint(StoreEntity):
    """A complaint ticket (客户投诉), opened by a low survey score or by staff."""

    __tablename__ = "service_complaints"
    __table_args__ = (CheckConstraint(sql_in("status", COMPLAINT_STATES), name="status"),)

    work_order_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("work_orders", "SET NULL"), index=True
    )
    survey_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("service_surveys", "SET NULL"), unique=True
    )
    customer_id: Mapped[int] = mapped_column(BigInteger, _fk("customers"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(BigInteger, _fk("users", "SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    summary: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
