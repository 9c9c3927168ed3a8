"""The customer 360 view: sections read from the other domains' own schemas."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.alerts.schemas import AlertRead
from api.crm.schemas import CustomerRead, InteractionRead, VehicleRead
from api.feedback.schemas import ComplaintRead, SurveyRead
from api.sales.schemas import OrderRead
from api.work_orders.schemas import InvoiceRead, WorkOrderRead


class ServiceVisit(BaseModel):
    """A work order, with its invoice once it is settled."""

    work_order: WorkOrderRead
    invoice: InvoiceRead | None = Field(
        description="Null before settlement, or when your role may not read invoices"
    )


class Satisfaction(BaseModel):
    """How the customer rated the store after service (信息反馈), and their complaints."""

    surveys_answered: int = Field(ge=0, examples=[3])
    latest_csi: int | None = Field(ge=1, le=10, description="1 to 10", examples=[9])
    latest_nps: int | None = Field(ge=0, le=10, description="0 to 10", examples=[10])
    average_csi: float | None = Field(description="Over the answered surveys listed")
    surveys: list[SurveyRead] = Field(description="Newest first, at most 20")
    open_complaints: int = Field(ge=0, description="Complaints not yet resolved or closed")
    complaints: list[ComplaintRead] = Field(description="Newest first, at most 20")


class Customer360(BaseModel):
    """Everything the store knows about one customer, on one screen.

    Each section holds what the caller could read through that domain's own endpoints; a
    section the caller's role may not read is empty (or null).
    """

    customer: CustomerRead
    vehicles: list[VehicleRead]
    recent_interactions: list[InteractionRead] = Field(
        description="Calls, visits and messages, newest first, at most 20 (staff only)"
    )
    purchases: list[OrderRead] = Field(
        description="Vehicle orders and deliveries (整车销售), newest first, at most 20"
    )
    service_history: list[ServiceVisit] = Field(
        description="Work orders with their invoices, newest first, at most 20"
    )
    open_alerts: list[AlertRead] = Field(
        description="Active predictive-maintenance alerts on the customer's vehicles (staff only)"
    )
    satisfaction: Satisfaction | None = Field(
        description="Surveys and complaints (service desk roles only, otherwise null)"
    )
