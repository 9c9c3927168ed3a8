"""Work-order routes: work orders, their lines and clocks, invoices, pricing. Thin: the
services do the work. They keep the "/service" prefix and tag they always had (the surveys and
complaints, under the same prefix and tag, are in `api.feedback.router`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.audit.schemas import StatusChange, TransitionRead
from api.deps import ManagerUser, SessionDep
from api.pagination import PageParamsDep
from api.types import IdPath, IdQuery
from api.work_orders import lines, money_rules, service, settlement
from api.work_orders.constants import WorkOrderSource
from api.work_orders.schemas import (
    CheckIn,
    ClockIn,
    ClockRead,
    Estimate,
    EstimateVersionRead,
    InvoicePage,
    InvoiceRead,
    LabourIn,
    LabourLineRead,
    OutcomeIn,
    PartDrop,
    PartIn,
    PartLineRead,
    PricingIn,
    PricingRead,
    WaitIn,
    WorkOrderCreate,
    WorkOrderPage,
    WorkOrderRead,
)
from api.workshop.catalogue import operations_by_code
from api.workshop.dependencies import InvoiceReader, PartsDesk, Reader, ServiceDesk, Workshop

router = APIRouter(prefix="/service", tags=["service"])


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
    paged = service.list_work_orders(
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
    wo = service.draft_work_order(
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
    return WorkOrderRead.model_validate(wo)


@router.get("/work-orders/{work_order_id}", response_model=WorkOrderRead)
def get_work_order(session: SessionDep, user: Reader, work_order_id: IdPath) -> WorkOrderRead:
    """One work order with its lines."""
    wo = service.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    return WorkOrderRead.model_validate(wo)


@router.post("/work-orders/{work_order_id}/status", response_model=WorkOrderRead)
def advance_work_order(
    session: SessionDep, user: Reader, work_order_id: IdPath, body: StatusChange
) -> WorkOrderRead:
    """Take one step of the 4S flow; 409 says why a step is refused. Settling invoices."""
    wo = service.advance(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        to=body.to,
        reason=body.reason,
        actor_id=user.id,
    )
    return WorkOrderRead.model_validate(wo)


@router.post("/work-orders/{work_order_id}/check-in", response_model=WorkOrderRead)
def check_in(
    session: SessionDep, user: ServiceDesk, work_order_id: IdPath, body: CheckIn
) -> WorkOrderRead:
    """Receive the car (接车): odometer and the multi-point inspection."""
    wo = service.check_in(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        odometer_km=body.odometer_km,
        inspection={k: v.model_dump() for k, v in body.inspection.items()},
        complaint=body.complaint,
        actor_id=user.id,
    )
    return WorkOrderRead.model_validate(wo)


@router.post("/work-orders/{work_order_id}/wait", response_model=WorkOrderRead)
def enter_wait(
    session: SessionDep, user: Workshop, work_order_id: IdPath, body: WaitIn
) -> WorkOrderRead:
    """Park the job waiting for parts, approval or sublet work, with a reason code."""
    wo = service.enter_wait(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        wait=body.wait,
        reason_code=body.reason_code,
        note=body.note,
        actor_id=user.id,
    )
    return WorkOrderRead.model_validate(wo)


@router.post("/work-orders/{work_order_id}/resume", response_model=WorkOrderRead)
def resume(session: SessionDep, user: Workshop, work_order_id: IdPath) -> WorkOrderRead:
    """End the wait: the job returns to the state it left."""
    wo = service.resume(session, actor=user.scope, work_order_id=work_order_id, actor_id=user.id)
    return WorkOrderRead.model_validate(wo)


@router.post("/work-orders/{work_order_id}/outcome", response_model=WorkOrderRead)
def record_outcome(
    session: SessionDep, user: Workshop, work_order_id: IdPath, body: OutcomeIn
) -> WorkOrderRead:
    """Record the confirmed cause, no fault found, or maintenance."""
    wo = service.record_outcome(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        outcome=body.outcome,
        cause_code=body.cause_code,
        notes=body.notes,
    )
    return WorkOrderRead.model_validate(wo)


@router.post(
    "/work-orders/{work_order_id}/labour",
    response_model=LabourLineRead,
    status_code=status.HTTP_201_CREATED,
)
def add_labour(
    session: SessionDep, user: Workshop, work_order_id: IdPath, body: LabourIn
) -> LabourLineRead:
    """Add a labour operation to the job."""
    wo = service.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
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
        reason=body.reason,
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
    wo = service.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    line = lines.add_part_line(
        session,
        actor=user.scope,
        work_order=wo,
        part_id=body.part_id,
        quantity=body.quantity,
        unit_price=body.unit_price,
        discount_pct=body.discount_pct,
        reason=body.reason,
        actor_id=user.id,
    )
    return PartLineRead.model_validate(line)


@router.post("/work-orders/{work_order_id}/parts/{line_id}/drop", response_model=PartLineRead)
def drop_part(
    session: SessionDep, user: PartsDesk, work_order_id: IdPath, line_id: IdPath, body: PartDrop
) -> PartLineRead:
    """Take a part that was not issued off the job (one that can never be supplied, say)."""
    wo = service.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    line = lines.drop_part_line(
        session,
        actor=user.scope,
        work_order=wo,
        line_id=line_id,
        reason=body.reason,
        actor_id=user.id,
    )
    return PartLineRead.model_validate(line)


@router.post("/work-orders/{work_order_id}/issue-parts", response_model=list[PartLineRead])
def issue_parts(session: SessionDep, user: PartsDesk, work_order_id: IdPath) -> list[PartLineRead]:
    """Issue every reserved part for the repair (FEFO lots)."""
    wo = service.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    issued = lines.issue_parts(session, actor=user.scope, work_order=wo, actor_id=user.id)
    return [PartLineRead.model_validate(line) for line in issued]


@router.post("/work-orders/{work_order_id}/labour/{line_id}/clock-on", response_model=ClockRead)
def clock_on(
    session: SessionDep, user: Workshop, work_order_id: IdPath, line_id: IdPath, body: ClockIn
) -> ClockRead:
    """Start clocked time on a labour line; one open clock per technician."""
    wo = service.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    technician_id = lines.technician_to_clock(session, user_id=user.id, chosen=body.technician_id)
    clock = lines.clock_on(
        session, work_order=wo, labour_line_id=line_id, technician_id=technician_id
    )
    return ClockRead.model_validate(clock)


@router.post("/work-orders/{work_order_id}/labour/{line_id}/clock-off", response_model=ClockRead)
def clock_off(
    session: SessionDep, user: Workshop, work_order_id: IdPath, line_id: IdPath, body: ClockIn
) -> ClockRead:
    """Stop clocked time on a labour line."""
    wo = service.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    technician_id = lines.technician_to_clock(session, user_id=user.id, chosen=body.technician_id)
    clock = lines.clock_off(
        session, work_order=wo, labour_line_id=line_id, technician_id=technician_id
    )
    return ClockRead.model_validate(clock)


@router.get("/work-orders/{work_order_id}/estimate", response_model=Estimate)
def estimate(session: SessionDep, user: Reader, work_order_id: IdPath) -> Estimate:
    """What the job costs so far: lines, discounts, 13 % VAT and the total."""
    wo = service.get_work_order(session, actor=user.scope, work_order_id=work_order_id)
    priced, sums = settlement.estimate(session, work_order=wo)
    return Estimate.model_validate({"lines": priced, **sums.__dict__}, from_attributes=True)


@router.get("/work-orders/{work_order_id}/estimates", response_model=list[EstimateVersionRead])
def estimate_versions(
    session: SessionDep, user: Reader, work_order_id: IdPath
) -> list[EstimateVersionRead]:
    """Every version of the job's estimate, oldest first; the latest one counts."""
    rows = service.estimate_versions(session, actor=user.scope, work_order_id=work_order_id)
    return [EstimateVersionRead.model_validate(r) for r in rows]


@router.post(
    "/work-orders/{work_order_id}/estimates",
    response_model=EstimateVersionRead,
    status_code=status.HTTP_201_CREATED,
)
def send_estimate(
    session: SessionDep, user: ServiceDesk, work_order_id: IdPath
) -> EstimateVersionRead:
    """Make the estimate version of the current lines, for the customer to approve."""
    row = service.send_estimate(
        session, actor=user.scope, work_order_id=work_order_id, actor_id=user.id
    )
    return EstimateVersionRead.model_validate(row)


@router.post(
    "/work-orders/{work_order_id}/estimates/{version}/approve", response_model=EstimateVersionRead
)
def approve_estimate(
    session: SessionDep,
    user: Reader,
    work_order_id: IdPath,
    version: Annotated[int, Path(ge=1, le=1000)],
) -> EstimateVersionRead:
    """The customer approves the latest version (an advisor may record it for them)."""
    row = service.approve_estimate(
        session,
        actor=user.scope,
        work_order_id=work_order_id,
        version=version,
        actor_id=user.id,
    )
    return EstimateVersionRead.model_validate(row)


@router.get("/work-orders/{work_order_id}/history", response_model=list[TransitionRead])
def work_order_history(
    session: SessionDep, user: Reader, work_order_id: IdPath
) -> list[TransitionRead]:
    """The job's state changes: who, when, from, to, why."""
    rows = service.work_order_history(session, actor=user.scope, work_order_id=work_order_id)
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


def _pricing(store_id: int, pricing: money_rules.Pricing) -> PricingRead:
    limits = pricing.discount_limits
    return PricingRead(
        store_id=store_id,
        labour_rate=pricing.labour_rate,
        advisor_discount_max=limits["service_advisor"],
        manager_discount_max=limits["manager"],
        labour_cost_rate=pricing.labour_cost_rate,
    )


@router.get("/pricing/{store_id}", response_model=PricingRead)
def store_pricing(session: SessionDep, user: Reader, store_id: IdPath) -> PricingRead:
    """The store's labour rate and the discount limits of advisors and managers."""
    pricing = money_rules.store_pricing(session, actor=user.scope, store_id=store_id)
    return _pricing(store_id, pricing)


@router.put("/pricing/{store_id}", response_model=PricingRead)
def set_store_pricing(
    session: SessionDep, user: ManagerUser, store_id: IdPath, body: PricingIn
) -> PricingRead:
    """Set the store's labour rate and discount limits (managers; audited)."""
    pricing = money_rules.set_store_pricing(
        session, actor=user.scope, store_id=store_id, **body.model_dump()
    )
    return _pricing(store_id, pricing)
