"""Feedback routes: satisfaction surveys (staff list, the customer's token link) and complaint
tickets. Thin: the service does the work. They keep the "/service" prefix and tag they always
had, beside the work orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.audit.schemas import StatusChange, TransitionRead
from api.deps import SessionDep
from api.feedback import service
from api.feedback.constants import ComplaintStatus, SurveyStatus
from api.feedback.schemas import (
    ComplaintPage,
    ComplaintRead,
    SurveyAnswer,
    SurveyPage,
    SurveyQuestions,
    SurveyRead,
    SurveyResult,
)
from api.pagination import PageParamsDep
from api.types import IdPath, IdQuery
from api.workshop.dependencies import ServiceDesk

router = APIRouter(prefix="/service", tags=["service"])

Token = Annotated[str, Path(min_length=16, max_length=64, description="The survey link's token")]


def _survey(survey) -> SurveyRead:
    read = SurveyRead.model_validate(survey)
    read.link = service.survey_link(survey)
    return read


@router.get("/surveys", response_model=SurveyPage)
def list_surveys(
    session: SessionDep,
    user: ServiceDesk,
    page: PageParamsDep,
    store_id: IdQuery = None,
    status: SurveyStatus | None = None,
    customer_id: IdQuery = None,
) -> SurveyPage:
    """Satisfaction surveys of your stores, with their links, newest first."""
    paged = service.list_surveys(
        session,
        actor=user.scope,
        page=page,
        store_id=store_id,
        status=status,
        customer_id=customer_id,
    )
    return SurveyPage(
        items=[_survey(s) for s in paged.items],
        total=paged.total,
        limit=paged.limit,
        offset=paged.offset,
    )


@router.get("/surveys/answer/{token}", response_model=SurveyQuestions)
def survey_questions(session: SessionDep, token: Token) -> SurveyQuestions:
    """The survey behind a link (no sign-in: the token is the key)."""
    return service.survey_questions(session, token=token)


@router.post("/surveys/answer/{token}", response_model=SurveyResult)
def answer_survey(session: SessionDep, token: Token, body: SurveyAnswer) -> SurveyResult:
    """Answer the survey; a low score opens a complaint for the advisor."""
    survey, complaint = service.answer_survey(
        session, token=token, csi=body.csi, nps=body.nps, comment=body.comment
    )
    return SurveyResult(status=survey.status, complaint_id=complaint.id if complaint else None)


@router.get("/complaints", response_model=ComplaintPage)
def list_complaints(
    session: SessionDep,
    user: ServiceDesk,
    page: PageParamsDep,
    store_id: IdQuery = None,
    status: ComplaintStatus | None = None,
    advisor_id: IdQuery = None,
    customer_id: IdQuery = None,
) -> ComplaintPage:
    """Complaint tickets of your stores, newest first."""
    paged = service.list_complaints(
        session,
        actor=user.scope,
        page=page,
        store_id=store_id,
        status=status,
        advisor_id=advisor_id,
        customer_id=customer_id,
    )
    return ComplaintPage.model_validate(paged, from_attributes=True)


@router.post("/complaints/{complaint_id}/status", response_model=ComplaintRead)
def change_complaint_status(
    session: SessionDep, user: ServiceDesk, complaint_id: IdPath, body: StatusChange
) -> ComplaintRead:
    """Work a complaint: in progress, resolved (reason = resolution), closed."""
    complaint = service.change_complaint_status(
        session,
        actor=user.scope,
        complaint_id=complaint_id,
        to=body.to,
        reason=body.reason,
        actor_id=user.id,
    )
    return ComplaintRead.model_validate(complaint)


@router.get("/complaints/{complaint_id}/history", response_model=list[TransitionRead])
def complaint_history(
    session: SessionDep, user: ServiceDesk, complaint_id: IdPath
) -> list[TransitionRead]:
    """The complaint's state changes."""
    rows = service.complaint_history(session, actor=user.scope, complaint_id=complaint_id)
    return [TransitionRead.model_validate(r) for r in rows]
