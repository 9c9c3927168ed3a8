"""Service routes: work orders, their lines and clocks, invoices, surveys and complaints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.audit.schemas import StatusChange, TransitionRead
from api.deps import SessionDep
from api.errors import InvalidInput
from api.pagination import PageParamsDep
from api.service import feedback, lines, settlement, work_orders
from api.service.catalogue import operations_by_code, technician_of_user
from api.service.constants import ComplaintStatus, SurveyStatus, WorkOrderSource
from api.service.dependencies import InvoiceReader, PartsDesk, Reader, ServiceDesk, Workshop
from api.service.work_schemas import (
    CheckIn,
    ClockIn,
    ClockRead,
    ComplaintPage,
    ComplaintRead,
    Estimate,
    InvoicePage,
    InvoiceRead,
    LabourIn,
    LabourLineRead,
    OutcomeIn,
    PartIn,
    PartLineRead,
    SurveyAnswer,
    SurveyPage,
    SurveyQuestions,
    SurveyRead,
    SurveyResult,
    WaitIn,
    WorkOrderCreate,
    WorkOrderPage,
    WorkOrderRead,
)
from api.types import IdPath, IdQuery

router = APIRouter()

Token = Annotated[str, Path(min_length=16, max_length=64, description="The survey link's token")]

SURVEY_QUESTIONS = {
    "csi": "您对本次服务的满意程度(1-10)? How satisfied are you with this service (1-10)?",
    "nps": "您向亲友推荐本店的可能性(0-10)? How likely are you to recommend us (0-10)?",
}


def _read(wo) -> WorkOrderRead:
    return WorkOrderRead.model_validate(wo)


@router.get("/work-orders", response_model=WorkOrderPage)
def list_work_orders(
    session: SessionDep,
    user: Reader,
    page: PageParamsDep,
    store_id: IdQuery = None,
    status: str | None = None,
    customer_id: IdQuery = None,
    vehicle_id: IdQuery = None,
    technician_id: IdQuery = None,
    source: WorkOrderSource | None = None,
) -> WorkOrderPage:
    """Work orders you may see (technician: assigned ones; customer: own), newest first."""
    paged = work_orders.list_work_orders(
        session,
        actor=user.scope,
        page=page,
        store_id=store_id,
        status=status,
        customer_id=customer_id,
        vehicle_id=vehicle_id,
        technician_id=technician_id,
        source=source,
    )
    return WorkOrderPage.model_validate(paged, from_attributes=True)


@router.post("/work-orders", response_model=WorkOrderRead, status_code=status.HTTP_201_CREATED)
def create_work_order(
    session: SessionDep, user: ServiceDesk, body: WorkOrderCreate
) -> WorkOrderRead:
    """Open a work order with labour and parts (parts are reserved at once when in stock)."""
    wo = work_orders.draft_work_order(
        session,
        actor=user.scope,
        store_id=body.store_id,
        customer_id=body.customer_id,
        vehicle_id=body.vehicle_id,
        appointment_id=body.appointment_id,
        operations=body.operations,
        parts=[(p.part_id, p.quantity) for p in body.parts],
        complaint=body.complaint,
        technician_id=body.technician_id,
        advisor_id=user.id,
        actor_id=user.id,
    )
    return _read(wo)


@router.get("/work-orders/{work_order_id}", response_model=WorkOrderRead)
def get_work_order(session: SessionDep, user: Reader, work_order_id: IdPath) -> WorkOrderRead:
    """One work order with its lines."""
    return _read(work_orders.get_work_order(session, actor=user.scope, work_order_id=work_order_id))


@router.post("/work-orders/{work_order_id}/status", response_model=WorkOrderRead)
def advance_work_order(
    session: SessionDep, user: Reader, work_order_id: IdPath, body: StatusChange
) -> WorkOrderRead:
    """Take one step of the 4S flow; 409 says why a step is refused. Settling invoices."""
    wo = work_orders.advance(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        to=body.to,
        reason=body.reason,
        actor_id=user.id,
    )
    return _read(wo)


@router.post("/work-orders/{work_order_id}/check-in", response_model=WorkOrderRead)
def check_in(
    session: SessionDep, user: ServiceDesk, work_order_id: IdPath, body: CheckIn
) -> WorkOrderRead:
    """Receive the car (接车): odometer and the multi-point inspection."""
    wo = work_orders.check_in(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        odometer_km=body.odometer_km,
        inspection={k: v.model_dump() for k, v in body.inspection.items()},
        complaint=body.complaint,
        actor_id=user.id,
    )
    return _read(wo)


@router.post("/work-orders/{work_order_id}/wait", response_model=WorkOrderRead)
def enter_wait(
    session: SessionDep, user: Workshop, work_order_id: IdPath, body: WaitIn
) -> WorkOrderRead:
    """Park the job waiting for parts, approval or sublet work, with a reason code."""
    wo = work_orders.enter_wait(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        wait=body.wait,
        reason_code=body.reason_code,
        note=body.note,
        actor_id=user.id,
    )
    return _read(wo)


@router.post("/work-orders/{work_order_id}/resume", response_model=WorkOrderRead)
def resume(session: SessionDep, user: Workshop, work_order_id: IdPath) -> WorkOrderRead:
    """End the wait: the job returns to the state it left."""
    wo = work_orders.resume(
        session, actor=user.scope, work_order_id=work_order_id, actor_id=user.id
    )
    return _read(wo)


@router.post("/work-orders/{work_order_id}/outcome", response_model=WorkOrderRead)
def record_outcome(
    session: SessionDep, user: Workshop, work_order_id: IdPath, body: OutcomeIn
) -> WorkOrderRead:
    """Record the confirmed cause, no fault found, or maintenance."""
    wo = work_orders.record_outcome(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        outcome=body.outcome,
        cause_code=body.cause_code,
        notes=body.notes,
    )
    return _read(wo)


@router.post(
    "/work-orders/{work_order_id}/labour",
    response_model=LabourLineRead,
    status_code=status.HTTP_201_CREATED,
)
def add_labour(
    session: SessionDep, user: Workshop, work_order_id: IdPath, body: LabourIn
) -> LabourLineRead:
    """Add a labour operation to the job."""
    wo = work_orders.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    (operation,) = operations_by_code(
        session, group_id=user.scope.dealer_group_id, codes=[body.operation]
    )
    line = lines.add_labour_line(
        session,
        actor=user.scope,
        work_order=wo,
        operation=operation,
        hours=body.hours,
        rate=body.rate,
        discount_pct=body.discount_pct,
        technician_id=body.technician_id,
        actor_id=user.id,
    )
    return LabourLineRead.model_validate(line)


@router.post(
    "/work-orders/{work_order_id}/parts",
    response_model=PartLineRead,
    status_code=status.HTTP_201_CREATED,
)
def add_part(
    session: SessionDep, user: PartsDesk, work_order_id: IdPath, body: PartIn
) -> PartLineRead:
    """Add a part; it is reserved at once, or marked short when stock is."""
    wo = work_orders.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    line = lines.add_part_line(
        session,
        actor=user.scope,
        work_order=wo,
        part_id=body.part_id,
        quantity=body.quantity,
        unit_price=body.unit_price,
        discount_pct=body.discount_pct,
        actor_id=user.id,
    )
    return PartLineRead.model_validate(line)


@router.post("/work-orders/{work_order_id}/issue-parts", response_model=list[PartLineRead])
def issue_parts(session: SessionDep, user: PartsDesk, work_order_id: IdPath) -> list[PartLineRead]:
    """Issue every reserved part for the repair (FEFO lots)."""
    wo = work_orders.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    issued = lines.issue_parts(session, actor=user.scope, work_order=wo, actor_id=user.id)
    return [PartLineRead.model_validate(line) for line in issued]


def _technician_id(session, user, body: ClockIn) -> int:
    if body.technician_id is not None:
        return body.technician_id
    own = technician_of_user(session, user_id=user.id)
    if own is None:
        raise InvalidInput(field="technician_id", problem="you have no technician profile")
    return own.id


@router.post("/work-orders/{work_order_id}/labour/{line_id}/clock-on", response_model=ClockRead)
def clock_on(
    session: SessionDep, user: Workshop, work_order_id: IdPath, line_id: IdPath, body: ClockIn
) -> ClockRead:
    """Start clocked time on a labour line; one open clock per technician."""
    wo = work_orders.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    clock = lines.clock_on(
        session,
        work_order=wo,
        labour_line_id=line_id,
        technician_id=_technician_id(session, user, body),
    )
    return ClockRead.model_validate(clock)


@router.post("/work-orders/{work_order_id}/labour/{line_id}/clock-off", response_model=ClockRead)
def clock_off(
    session: SessionDep, user: Workshop, work_order_id: IdPath, line_id: IdPath, body: ClockIn
) -> ClockRead:
    """Stop clocked time on a labour line."""
    wo = work_orders.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    clock = lines.clock_off(
        session,
        work_order=wo,
        labour_line_id=line_id,
        technician_id=_technician_id(session, user, body),
    )
    return ClockRead.model_validate(clock)


@router.get("/work-orders/{work_order_id}/estimate", response_model=Estimate)
def estimate(session: SessionDep, user: Reader, work_order_id: IdPath) -> Estimate:
    """What the job costs so far: lines, discounts, 13 % VAT and the total."""
    wo = work_orders.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    priced, sums = settlement.estimate(session, work_order=wo)
    return Estimate.model_validate({"lines": priced, **sums.__dict__}, from_attributes=True)


@router.get("/work-orders/{work_order_id}/history", response_model=list[TransitionRead])
def work_order_history(
    session: SessionDep, user: Reader, work_order_id: IdPath
) -> list[TransitionRead]:
    """The job's state changes: who, when, from, to, why."""
    rows = work_orders.work_order_history(session, actor=user.scope, work_order_id=work_order_id)
    return [TransitionRead.model_validate(r) for r in rows]


@router.get("/invoices", response_model=InvoicePage)
def list_invoices(
    session: SessionDep,
    user: InvoiceReader,
    page: PageParamsDep,
    store_id: IdQuery = None,
    customer_id: IdQuery = None,
) -> InvoicePage:
    """Invoices you may see (a customer: their own), newest first."""
    paged = settlement.list_invoices(
        session, actor=user.scope, page=page, store_id=store_id, customer_id=customer_id
    )
    return InvoicePage.model_validate(paged, from_attributes=True)


@router.get("/invoices/{invoice_id}", response_model=InvoiceRead)
def get_invoice(session: SessionDep, user: InvoiceReader, invoice_id: IdPath) -> InvoiceRead:
    """One invoice with its lines."""
    invoice = settlement.get_invoice(session, actor=user.scope, invoice_id=invoice_id)
    return InvoiceRead.model_validate(invoice)


def _survey(survey) -> SurveyRead:
    read = SurveyRead.model_validate(survey)
    read.link = feedback.survey_link(survey)
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
    paged = feedback.list_surveys(
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
    survey = feedback.survey_by_token(session, token=token)
    number = work_orders.work_order_number(session, work_order_id=survey.work_order_id)
    return SurveyQuestions(
        status=survey.status,
        work_order_number=number,
        questions=SURVEY_QUESTIONS,
        expires_at=survey.expires_at,
    )


@router.post("/surveys/answer/{token}", response_model=SurveyResult)
def answer_survey(session: SessionDep, token: Token, body: SurveyAnswer) -> SurveyResult:
    """Answer the survey; a low score opens a complaint for the advisor."""
    survey, complaint = feedback.answer_survey(
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
    paged = feedback.list_complaints(
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
    complaint = feedback.change_complaint_status(
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
    rows = feedback.complaint_history(session, actor=user.scope, complaint_id=complaint_id)
    return [TransitionRead.model_validate(r) for r in rows]
