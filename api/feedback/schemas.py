"""Feedback API models: surveys (staff view, the customer's questions and answer), complaints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.feedback.constants import ComplaintStatus, SurveyStatus
from api.pagination import Page


class SurveyRead(BaseModel):
    """A satisfaction survey (staff view, with its link)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    work_order_id: int
    customer_id: int
    advisor_id: int | None
    status: SurveyStatus
    csi: int | None
    nps: int | None
    comment: str | None
    link: str = Field(default="", description="Path of the public answer page (token link)")
    expires_at: datetime
    answered_at: datetime | None


SurveyPage = Page[SurveyRead]


class SurveyQuestions(BaseModel):
    """What the customer sees behind the survey link."""

    status: SurveyStatus
    work_order_number: str
    questions: dict[str, str]
    expires_at: datetime


class SurveyAnswer(BaseModel):
    """The customer's answer."""

    csi: int = Field(
        ge=1, le=10, description="How satisfied are you with the service?", examples=[9]
    )
    nps: int = Field(ge=0, le=10, description="How likely are you to recommend us?", examples=[10])
    comment: str | None = Field(default=None, max_length=2000, examples=["等待时间太长"])


class SurveyResult(BaseModel):
    """Thank-you, and whether a complaint was opened."""

    status: SurveyStatus
    complaint_id: int | None


class ComplaintRead(BaseModel):
    """A complaint ticket."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    work_order_id: int | None
    survey_id: int | None
    customer_id: int
    advisor_id: int | None
    status: ComplaintStatus
    summary: str
    resolution: str | None
    created_at: datetime


ComplaintPage = Page[ComplaintRead]
