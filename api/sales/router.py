"""Sales routes: catalogue, stock, leads and their flow, quotes, orders, the board. Thin."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.audit.schemas import StatusChange, TransitionRead
from api.deps import CurrentUser, SessionDep, StaffUser
from api.pagination import PageParamsDep
from api.sales import board, checklists, service, stock
from api.sales.constants import (
    ChecklistKind,
    LeadSource,
    LeadStatus,
    Period,
    Powertrain,
    StockStatus,
)
from api.sales.dependencies import PdiChecker, Seller, StockManager
from api.sales.schemas import (
    Allocation,
    Board,
    ChecklistRead,
    ChecklistTick,
    LeadCreate,
    LeadPage,
    LeadRead,
    LeadUpdate,
    OrderCreate,
    OrderPage,
    OrderRead,
    QuoteCreate,
    QuoteRead,
    SalesModelCreate,
    SalesModelPage,
    SalesModelRead,
    StockArrival,
    StockCreate,
    StockPage,
    StockRead,
    StockUpdate,
)
from api.types import Day, IdPath, IdQuery, Search
from core.clock import local_today

router = APIRouter(prefix="/sales", tags=["sales"])

Code = Annotated[str, Path(max_length=40)]
DEFAULT_BOARD_DAYS = 90


# Catalogue ---------------------------------------------------------------------------------


@router.get("/models", response_model=SalesModelPage)
def list_models(
    session: SessionDep,
    user: CurrentUser,
    page: PageParamsDep,
    q: Search = None,
    powertrain: Powertrain | None = None,
    active: bool | None = None,
) -> SalesModelPage:
    """The models and trims your group sells, with list prices."""
    paged = stock.list_models(
        session, actor=user.scope, page=page, q=q, powertrain=powertrain, active=active
    )
    return SalesModelPage.model_validate(paged, from_attributes=True)


@router.post("/models", response_model=SalesModelRead, status_code=status.HTTP_201_CREATED)
def create_model(session: SessionDep, user: StockManager, body: SalesModelCreate) -> SalesModelRead:
    """Add a model and trim to the catalogue (managers)."""
    return SalesModelRead.model_validate(stock.create_model(session, actor=user.scope, data=body))


# Stock -------------------------------------------------------------------------------------


@router.get("/stock", response_model=StockPage)
def list_stock(
    session: SessionDep,
    user: StaffUser,
    page: PageParamsDep,
    q: Search = None,
    status: StockStatus | None = None,
    model_id: IdQuery = None,
    store_id: IdQuery = None,
) -> StockPage:
    """Cars in your stores' stock, by status, model or store."""
    paged = stock.list_stock(
        session,
        actor=user.scope,
        page=page,
        q=q,
        status=status,
        model_id=model_id,
        store_id=store_id,
    )
    return StockPage.model_validate(paged, from_attributes=True)


@router.post("/stock", response_model=StockRead, status_code=status.HTTP_201_CREATED)
def add_stock(session: SessionDep, user: StockManager, body: StockCreate) -> StockRead:
    """Add a car to a store's stock; a bad VIN is refused with 422 saying what is wrong."""
    vehicle = stock.add_stock(session, actor=user.scope, actor_id=user.id, data=body)
    return StockRead.model_validate(vehicle)


@router.get("/stock/{stock_id}", response_model=StockRead)
def get_stock(session: SessionDep, user: StaffUser, stock_id: IdPath) -> StockRead:
    """One stock car."""
    return StockRead.model_validate(stock.get_stock(session, actor=user.scope, stock_id=stock_id))


@router.patch("/stock/{stock_id}", response_model=StockRead)
def update_stock(
    session: SessionDep, user: StockManager, stock_id: IdPath, body: StockUpdate
) -> StockRead:
    """Change a stock car's colour, location or cost."""
    vehicle = stock.update_stock(session, actor=user.scope, stock_id=stock_id, data=body)
    return StockRead.model_validate(vehicle)


@router.post("/stock/{stock_id}/arrival", response_model=StockRead)
def record_arrival(
    session: SessionDep, user: StockManager, stock_id: IdPath, body: StockArrival
) -> StockRead:
    """The car arrived at the store (it may already be reserved for an order)."""
    vehicle = stock.record_arrival(
        session, actor=user.scope, actor_id=user.id, stock_id=stock_id, data=body
    )
    return StockRead.model_validate(vehicle)


@router.post("/stock/{stock_id}/status", response_model=StockRead)
def change_stock_status(
    session: SessionDep, user: StockManager, stock_id: IdPath, body: StatusChange
) -> StockRead:
    """Move a car between warehouse and showroom; reserved and sold follow its order (409)."""
    vehicle = stock.change_stock_status(
        session,
        actor=user.scope,
        actor_id=user.id,
        stock_id=stock_id,
        to=body.to,
        reason=body.reason,
    )
    return StockRead.model_validate(vehicle)


# Leads -------------------------------------------------------------------------------------


@router.get("/leads", response_model=LeadPage)
def list_leads(
    session: SessionDep,
    user: Seller,
    page: PageParamsDep,
    q: Search = None,
    status: LeadStatus | None = None,
    source: LeadSource | None = None,
    consultant_id: IdQuery = None,
    customer_id: IdQuery = None,
    model_id: IdQuery = None,
    store_id: IdQuery = None,
    created_from: Day | None = None,
    created_to: Day | None = None,
) -> LeadPage:
    """Leads of your stores, newest first; q searches the customer's name and phone."""
    paged = service.list_leads(
        session,
        actor=user.scope,
        page=page,
        q=q,
        status=status,
        source=source,
        consultant_id=consultant_id,
        customer_id=customer_id,
        model_id=model_id,
        store_id=store_id,
        created_from=created_from,
        created_to=created_to,
    )
    return LeadPage.model_validate(paged, from_attributes=True)


@router.post("/leads", response_model=LeadRead, status_code=status.HTTP_201_CREATED)
def create_lead(session: SessionDep, user: Seller, body: LeadCreate) -> LeadRead:
    """Open a lead for a customer, or for a new prospect given by name and phone."""
    lead = service.create_lead(session, actor=user.scope, actor_id=user.id, data=body)
    return LeadRead.model_validate(lead)


@router.get("/leads/{lead_id}", response_model=LeadRead)
def get_lead(session: SessionDep, user: Seller, lead_id: IdPath) -> LeadRead:
    """One lead."""
    return LeadRead.model_validate(service.get_lead(session, actor=user.scope, lead_id=lead_id))


@router.patch("/leads/{lead_id}", response_model=LeadRead)
def update_lead(session: SessionDep, user: Seller, lead_id: IdPath, body: LeadUpdate) -> LeadRead:
    """Change the model of interest or notes; managers may reassign the consultant."""
    lead = service.update_lead(session, actor=user.scope, lead_id=lead_id, data=body)
    return LeadRead.model_validate(lead)


@router.post("/leads/{lead_id}/status", response_model=LeadRead)
def change_lead_status(
    session: SessionDep, user: Seller, lead_id: IdPath, body: StatusChange
) -> LeadRead:
    """Move a lead one step (opportunity, pdi, delivered, lost, cancelled…); 409 says why not."""
    lead = service.change_lead_status(
        session,
        actor=user.scope,
        actor_id=user.id,
        lead_id=lead_id,
        to=body.to,
        reason=body.reason,
    )
    return LeadRead.model_validate(lead)


@router.get("/leads/{lead_id}/history", response_model=list[TransitionRead])
def lead_history(session: SessionDep, user: Seller, lead_id: IdPath) -> list[TransitionRead]:
    """The lead's steps: who, when, from, to, why."""
    rows = service.lead_history(session, actor=user.scope, lead_id=lead_id)
    return [TransitionRead.model_validate(r) for r in rows]


@router.get("/leads/{lead_id}/quotes", response_model=list[QuoteRead])
def list_quotes(session: SessionDep, user: Seller, lead_id: IdPath) -> list[QuoteRead]:
    """The lead's quotes, newest first."""
    quotes = service.list_quotes(session, actor=user.scope, lead_id=lead_id)
    return [QuoteRead.model_validate(q) for q in quotes]


@router.post(
    "/leads/{lead_id}/quotes", response_model=QuoteRead, status_code=status.HTTP_201_CREATED
)
def create_quote(
    session: SessionDep, user: Seller, lead_id: IdPath, body: QuoteCreate
) -> QuoteRead:
    """Quote a model with options, discount, trade-in and financing; the lead moves to quote."""
    quote = service.create_quote(
        session, actor=user.scope, actor_id=user.id, lead_id=lead_id, data=body
    )
    return QuoteRead.model_validate(quote)


@router.post(
    "/leads/{lead_id}/order", response_model=OrderRead, status_code=status.HTTP_201_CREATED
)
def place_order(session: SessionDep, user: Seller, lead_id: IdPath, body: OrderCreate) -> OrderRead:
    """Sign an order from a quote, with the deposit received; the lead moves to order."""
    order = service.place_order(
        session, actor=user.scope, actor_id=user.id, lead_id=lead_id, data=body
    )
    return OrderRead.model_validate(order)


@router.get("/leads/{lead_id}/order", response_model=OrderRead)
def lead_order(session: SessionDep, user: Seller, lead_id: IdPath) -> OrderRead:
    """The lead's signed order."""
    return OrderRead.model_validate(
        service.order_of_lead(session, actor=user.scope, lead_id=lead_id)
    )


@router.post("/leads/{lead_id}/allocation", response_model=OrderRead)
def allocate(session: SessionDep, user: Seller, lead_id: IdPath, body: Allocation) -> OrderRead:
    """Reserve a stock car by VIN for the order; 409 if someone else has it."""
    order = service.allocate(
        session, actor=user.scope, actor_id=user.id, lead_id=lead_id, vin=body.vin
    )
    return OrderRead.model_validate(order)


@router.get("/leads/{lead_id}/checklist", response_model=ChecklistRead)
def get_checklist(session: SessionDep, user: PdiChecker, lead_id: IdPath) -> ChecklistRead:
    """The PDI and delivery checklists of the lead's order."""
    return ChecklistRead.model_validate(
        checklists.checklist(session, actor=user.scope, lead_id=lead_id)
    )


@router.put("/leads/{lead_id}/checklist/{kind}/{code}", response_model=ChecklistRead)
def tick(
    session: SessionDep,
    user: PdiChecker,
    lead_id: IdPath,
    kind: ChecklistKind,
    code: Code,
    body: ChecklistTick,
) -> ChecklistRead:
    """Record one checklist line (ok, failed, pending) while the lead is in PDI."""
    view = checklists.tick(
        session,
        actor=user.scope,
        actor_id=user.id,
        lead_id=lead_id,
        kind=kind,
        code=code,
        result=body.result,
        note=body.note,
    )
    return ChecklistRead.model_validate(view)


# Orders ------------------------------------------------------------------------------------


@router.get("/orders", response_model=OrderPage)
def list_orders(
    session: SessionDep,
    user: CurrentUser,
    page: PageParamsDep,
    status: LeadStatus | None = None,
    customer_id: IdQuery = None,
    consultant_id: IdQuery = None,
    store_id: IdQuery = None,
    delivered_from: Day | None = None,
    delivered_to: Day | None = None,
) -> OrderPage:
    """Orders of your stores (a customer: their own), newest first."""
    paged = service.list_orders(
        session,
        actor=user.scope,
        page=page,
        status=status,
        customer_id=customer_id,
        consultant_id=consultant_id,
        store_id=store_id,
        delivered_from=delivered_from,
        delivered_to=delivered_to,
    )
    return OrderPage.model_validate(paged, from_attributes=True)


@router.get("/orders/{order_id}", response_model=OrderRead)
def get_order(session: SessionDep, user: CurrentUser, order_id: IdPath) -> OrderRead:
    """One order (a customer may read only their own)."""
    return OrderRead.model_validate(service.get_order(session, actor=user.scope, order_id=order_id))


# Performance board -------------------------------------------------------------------------


@router.get("/board", response_model=Board)
def performance_board(
    session: SessionDep,
    user: Seller,
    period: Period = "month",
    date_from: Annotated[Day | None, Query(description="Default: 90 days ago")] = None,
    date_to: Annotated[Day | None, Query(description="Default: today")] = None,
    store_id: IdQuery = None,
    consultant_id: IdQuery = None,
) -> Board:
    """Leads, conversion, units and gross margin per consultant and period (consultants: own)."""
    date_to = date_to or local_today()
    if date_from is None:
        days = min(DEFAULT_BOARD_DAYS, date_to.toordinal() - 1)  # date.min has no 90 days before
        date_from = date_to - timedelta(days=days)
    figures = board.performance(
        session,
        actor=user.scope,
        period=period,
        date_from=date_from,
        date_to=date_to,
        store_id=store_id,
        consultant_id=consultant_id,
    )
    return Board.model_validate(figures)
