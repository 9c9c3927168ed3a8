"""Satisfaction follow-up (信息反馈): a survey after delivery, answered through its token link;
a low score opens a complaint ticket for the advisor. No HTTP.

The work-order flow calls `create_survey` when a job is delivered; this module imports the
work-order models and state machine, never the work-order services.

The survey is stored with its token now; sending the link (push, email) is the notification
module's job, which reads pending surveys.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.audit.service import history
from api.auth.actor import Actor, ensure_store, ensure_visible, visible
from api.errors import Conflict, NotFound
from api.feedback import messages as _messages  # noqa: F401  (registers the feedback text)
from api.feedback.constants import (
    LOW_SCORE,
    SURVEY_QUESTIONS,
    SURVEY_TOKEN_BYTES,
    SURVEY_VALID_DAYS,
)
from api.feedback.models import Complaint, Survey
from api.feedback.schemas import SurveyQuestions
from api.feedback.states import COMPLAINT
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, where_given
from api.work_orders.models import WorkOrder
from api.work_orders.states import WORK_ORDER

SURVEY_PATH = "/service/surveys/answer/{token}"  # the link sent to the customer


def survey_link(survey: Survey) -> str:
    """The path of the survey's public answer page (append it to the public base URL)."""
    return SURVEY_PATH.format(token=survey.token)


def create_survey(session: Session, *, work_order: WorkOrder) -> Survey:
    """The survey of a delivered job (once per work order)."""
    existing = session.scalar(select(Survey).where(Survey.work_order_id == work_order.id))
    if existing is not None:
        return existing
    survey = Survey(
        store_id=work_order.store_id,
        work_order_id=work_order.id,
        customer_id=work_order.customer_id,
        advisor_id=work_order.advisor_id,
        token=secrets.token_urlsafe(SURVEY_TOKEN_BYTES),
        status="pending",
        expires_at=datetime.now(UTC) + timedelta(days=SURVEY_VALID_DAYS),
    )
    session.add(survey)
    session.flush()
    return survey


def survey_by_token(session: Session, *, token: str) -> Survey:
    """The survey behind a link (NotFound for an unknown token)."""
    survey = session.scalar(select(Survey).where(Survey.token == token))
    if survey is None:
        raise NotFound(entity="survey", id="(token)")
    return survey


def survey_questions(session: Session, *, token: str) -> SurveyQuestions:
    """What the customer sees behind a survey link: the questions and the job's number."""
    survey = survey_by_token(session, token=token)
    wo = session.get(WorkOrder, survey.work_order_id)
    if wo is None:
        raise NotFound(entity="work_order", id=survey.work_order_id)
    return SurveyQuestions(
        status=survey.status,
        work_order_number=wo.number,
        questions=SURVEY_QUESTIONS,
        expires_at=survey.expires_at,
    )


def is_low(csi: int, nps: int) -> bool:
    """True when either answer is at or below the complaint threshold."""
    return csi <= LOW_SCORE or nps <= LOW_SCORE


def answer_survey(
    session: Session, *, token: str, csi: int, nps: int, comment: str | None = None
) -> tuple[Survey, Complaint | None]:
    """Record the customer's answer, move the job to follow-up, and open a complaint if low."""
    survey = survey_by_token(session, token=token)
    session.refresh(survey, with_for_update=True)  # one answer, even when submitted twice
    if survey.status == "answered":
        raise Conflict(why=Text("service.survey_answered"))
    now = datetime.now(UTC)
    if survey.expires_at < now:
        survey.status = "expired"
        session.flush()
        raise Conflict(why=Text("service.survey_expired"))
    survey.csi, survey.nps, survey.comment = csi, nps, comment
    survey.status, survey.answered_at = "answered", now
    wo = session.get(WorkOrder, survey.work_order_id)
    assert wo is not None  # a survey's work order is never deleted (RESTRICT)
    if wo.status == "delivered":
        WORK_ORDER.apply(
            session, entity=wo, to="follow_up", reason="survey answered", actor_id=None
        )
    complaint = None
    if is_low(csi, nps):
        summary = Text(
            "service.low_score_summary",
            {"number": wo.number, "csi": csi, "nps": nps, "comment": comment or ""},
        ).render()
        complaint = open_complaint(
            session, work_order=wo, summary=summary, survey_id=survey.id, actor_id=None
        )
    session.flush()
    return survey, complaint


def open_complaint(
    session: Session,
    *,
    work_order: WorkOrder,
    summary: str,
    survey_id: int | None = None,
    actor_id: int | None = None,
) -> Complaint:
    """A complaint ticket on a work order, assigned to its advisor."""
    complaint = Complaint(
        store_id=work_order.store_id,
        work_order_id=work_order.id,
        survey_id=survey_id,
        customer_id=work_order.customer_id,
        advisor_id=work_order.advisor_id,
        summary=summary,
    )
    COMPLAINT.start(session, entity=complaint, actor_id=actor_id)
    return complaint


def list_surveys(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    store_id: int | None = None,
    status: str | None = None,
    customer_id: int | None = None,
) -> Paged[Survey]:
    """Surveys of the actor's stores (a customer: their own), newest first."""
    stmt = select(Survey).where(
        visible(actor, store_column=Survey.store_id, customer_column=Survey.customer_id)
    )
    stmt = where_given(
        stmt,
        (Survey.store_id, store_id),
        (Survey.status, status),
        (Survey.customer_id, customer_id),
    )
    return paginate(session, stmt.order_by(Survey.id.desc()), page)


def get_complaint(session: Session, *, actor: Actor, complaint_id: int) -> Complaint:
    """A complaint the actor may see."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(entity="complaint", id=complaint_id)
    ensure_visible(
        actor,
        entity="complaint",
        store_id=complaint.store_id,
        customer_id=complaint.customer_id,
        record_id=complaint_id,
    )
    return complaint


def list_complaints(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    store_id: int | None = None,
    status: str | None = None,
    advisor_id: int | None = None,
    customer_id: int | None = None,
) -> Paged[Complaint]:
    """Complaints of the actor's stores, newest first."""
    stmt = select(Complaint).where(
        visible(actor, store_column=Complaint.store_id, customer_column=Complaint.customer_id)
    )
    stmt = where_given(
        stmt,
        (Complaint.store_id, store_id),
        (Complaint.status, status),
        (Complaint.advisor_id, advisor_id),
        (Complaint.customer_id, customer_id),
    )
    return paginate(session, stmt.order_by(Complaint.id.desc()), page)


def change_complaint_status(
    session: Session,
    *,
    actor: Actor,
    complaint_id: int,
    to: str,
    reason: str | None = None,
    actor_id: int | None = None,
) -> Complaint:
    """Work a complaint: in progress, resolved (with the resolution), closed; audited."""
    complaint = get_complaint(session, actor=actor, complaint_id=complaint_id)
    ensure_store(actor, complaint.store_id, entity="complaint")
    COMPLAINT.apply(session, entity=complaint, to=to, reason=reason, actor_id=actor_id)
    if to == "resolved":
        complaint.resolution = reason
    session.flush()
    return complaint


def complaint_history(
    session: Session, *, actor: Actor, complaint_id: int
) -> list[StateTransition]:
    """Every state change of a complaint, oldest first."""
    get_complaint(session, actor=actor, complaint_id=complaint_id)
    return history(session, entity_type=COMPLAINT.entity_type, entity_id=complaint_id)
