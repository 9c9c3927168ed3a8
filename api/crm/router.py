"""CRM routes: customers, vehicles, interactions, the 360 view. Thin: services do the work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.audit.schemas import StatusChange, TransitionRead
from api.crm import overview, service
from api.crm.constants import CustomerStatus, InteractionKind, Source
from api.crm.dependencies import CustomerDep
from api.crm.overview_schemas import Customer360
from api.crm.schemas import (
    CustomerCreate,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
    InteractionCreate,
    InteractionPage,
    InteractionRead,
    VehicleCreate,
    VehiclePage,
    VehicleRead,
    VehicleUpdate,
)
from api.deps import CrmEditor, CurrentUser, LanguageDep, SessionDep, StaffUser
from api.pagination import PageParamsDep
from api.types import IdPath, IdQuery, Search

router = APIRouter(prefix="/crm", tags=["crm"])


@router.get("/customers", response_model=CustomerPage)
def list_customers(
    session: SessionDep,
    user: CurrentUser,
    page: PageParamsDep,
    q: Search = None,
    status: CustomerStatus | None = None,
    source: Source | None = None,
    tag: Annotated[str | None, Query(max_length=32)] = None,
    store_id: IdQuery = None,
) -> CustomerPage:
    """Customers of your stores (a customer sees only themself)."""
    paged = service.list_customers(
        session,
        actor=user.scope,
        page=page,
        q=q,
        status=status,
        source=source,
        tag=tag,
        store_id=store_id,
    )
    return CustomerPage.model_validate(paged, from_attributes=True)


@router.post("/customers", response_model=CustomerRead, status_code=status.HTTP_201_CREATED)
def create_customer(session: SessionDep, user: CrmEditor, body: CustomerCreate) -> CustomerRead:
    """Add a customer to one of your stores."""
    customer = service.create_customer(session, actor=user.scope, actor_id=user.id, data=body)
    return CustomerRead.model_validate(customer)


@router.get("/customers/{customer_id}", response_model=CustomerRead)
def get_customer(customer: CustomerDep) -> CustomerRead:
    """One customer."""
    return CustomerRead.model_validate(customer)


@router.patch("/customers/{customer_id}", response_model=CustomerRead)
def update_customer(
    session: SessionDep, user: CrmEditor, customer_id: IdPath, body: CustomerUpdate
) -> CustomerRead:
    """Change a customer's details, preferences, consents or tags."""
    customer = service.update_customer(
        session, actor=user.scope, customer_id=customer_id, data=body
    )
    return CustomerRead.model_validate(customer)


@router.post("/customers/{customer_id}/status", response_model=CustomerRead)
def change_status(
    session: SessionDep, user: CrmEditor, customer_id: IdPath, body: StatusChange
) -> CustomerRead:
    """Move a customer along the lifecycle; 409 says why a step is not allowed."""
    customer = service.change_customer_status(
        session,
        actor=user.scope,
        customer_id=customer_id,
        to=body.to,
        reason=body.reason,
        actor_id=user.id,
    )
    return CustomerRead.model_validate(customer)


@router.get("/customers/{customer_id}/history", response_model=list[TransitionRead])
def customer_history(
    session: SessionDep, user: StaffUser, customer_id: IdPath
) -> list[TransitionRead]:
    """The customer's lifecycle changes: who, when, from, to, why."""
    rows = service.customer_history(session, actor=user.scope, customer_id=customer_id)
    return [TransitionRead.model_validate(r) for r in rows]


@router.get("/customers/{customer_id}/360", response_model=Customer360)
def customer_360(
    session: SessionDep, user: CurrentUser, language: LanguageDep, customer_id: IdPath
) -> Customer360:
    """The customer on one screen: vehicles, purchases, service, alerts, satisfaction."""
    view = overview.customer_360(
        session, actor=user.scope, customer_id=customer_id, language=language
    )
    return Customer360.model_validate(view, from_attributes=True)


@router.get("/vehicles", response_model=VehiclePage)
def list_vehicles(
    session: SessionDep,
    user: CurrentUser,
    page: PageParamsDep,
    q: Search = None,
    owner_id: IdQuery = None,
    store_id: IdQuery = None,
) -> VehiclePage:
    """Vehicles of your stores (a customer: their own)."""
    paged = service.list_vehicles(
        session, actor=user.scope, page=page, q=q, owner_id=owner_id, store_id=store_id
    )
    return VehiclePage.model_validate(paged, from_attributes=True)


@router.post("/vehicles", response_model=VehicleRead, status_code=status.HTTP_201_CREATED)
def create_vehicle(session: SessionDep, user: CrmEditor, body: VehicleCreate) -> VehicleRead:
    """Register a vehicle; a bad VIN is refused with 422 saying what is wrong."""
    return VehicleRead.model_validate(service.create_vehicle(session, actor=user.scope, data=body))


@router.get("/vehicles/{vehicle_id}", response_model=VehicleRead)
def get_vehicle(session: SessionDep, user: CurrentUser, vehicle_id: IdPath) -> VehicleRead:
    """One vehicle, with its odometer from telemetry."""
    view = service.get_vehicle(session, actor=user.scope, vehicle_id=vehicle_id)
    return VehicleRead.model_validate(view)


@router.patch("/vehicles/{vehicle_id}", response_model=VehicleRead)
def update_vehicle(
    session: SessionDep, user: CrmEditor, vehicle_id: IdPath, body: VehicleUpdate
) -> VehicleRead:
    """Change a vehicle's plate, owner, device, warranty or odometer reading."""
    view = service.update_vehicle(session, actor=user.scope, vehicle_id=vehicle_id, data=body)
    return VehicleRead.model_validate(view)


@router.get("/interactions", response_model=InteractionPage)
def list_interactions(
    session: SessionDep,
    user: StaffUser,
    page: PageParamsDep,
    customer_id: IdQuery = None,
    kind: InteractionKind | None = None,
) -> InteractionPage:
    """Calls, visits and messages in your stores, newest first."""
    paged = service.list_interactions(
        session, actor=user.scope, page=page, customer_id=customer_id, kind=kind
    )
    return InteractionPage.model_validate(paged, from_attributes=True)


@router.post("/interactions", response_model=InteractionRead, status_code=status.HTTP_201_CREATED)
def log_interaction(
    session: SessionDep, user: StaffUser, body: InteractionCreate
) -> InteractionRead:
    """Log a call, visit or message with a customer."""
    interaction = service.log_interaction(session, actor=user.scope, actor_id=user.id, data=body)
    return InteractionRead.model_validate(interaction)
