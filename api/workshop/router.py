"""Workshop routes: catalogue, technicians, bays, hours, slots and appointments. Thin: the
services do the work. They share the "/service" prefix and tag with `api.work_orders.router`."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.audit.schemas import StatusChange, TransitionRead
from api.auth.actor import ensure_visible
from api.deps import CurrentUser, ManagerUser, SessionDep, StaffUser
from api.pagination import PageParamsDep
from api.types import IdPath, IdQuery, Moment, Search
from api.workshop import appointments, booking, catalogue
from api.workshop.constants import AppointmentStatus, BayKind, Skill
from api.workshop.dependencies import Booker, Reader
from api.workshop.schemas import (
    AppointmentCreate,
    AppointmentPage,
    AppointmentRead,
    BayCreate,
    BayPage,
    BayRead,
    OperationCreate,
    OperationPage,
    OperationRead,
    Reschedule,
    SlotAnswer,
    SlotSearch,
    StoreHours,
    TechnicianCreate,
    TechnicianPage,
    TechnicianRead,
    TechnicianUpdate,
)
from api.workshop.slots import Preferences, find_slots
from api.workshop.window import clip_search

router = APIRouter(prefix="/service", tags=["service"])


@router.get("/operations", response_model=OperationPage)
def list_operations(
    session: SessionDep,
    user: CurrentUser,
    page: PageParamsDep,
    q: Search = None,
    skill: Skill | None = None,
    active: bool | None = True,
) -> OperationPage:
    """The labour-operation catalogue (工时目录) of your dealer group."""
    paged = catalogue.list_operations(
        session, actor=user.scope, page=page, q=q, skill=skill, active=active
    )
    return OperationPage.model_validate(paged, from_attributes=True)


@router.post("/operations", response_model=OperationRead, status_code=status.HTTP_201_CREATED)
def create_operation(
    session: SessionDep, user: ManagerUser, body: OperationCreate
) -> OperationRead:
    """Add a labour operation to the catalogue."""
    operation = catalogue.create_operation(session, actor=user.scope, data=body)
    return OperationRead.model_validate(operation)


def _technician(row: tuple) -> TechnicianRead:
    technician, full_name = row
    read = TechnicianRead.model_validate(technician)
    read.full_name = full_name
    return read


@router.get("/technicians", response_model=TechnicianPage)
def list_technicians(
    session: SessionDep,
    user: StaffUser,
    page: PageParamsDep,
    store_id: IdQuery = None,
    skill: Skill | None = None,
) -> TechnicianPage:
    """Technicians of your stores, with skills and levels."""
    paged = catalogue.list_technicians(
        session, actor=user.scope, page=page, store_id=store_id, skill=skill
    )
    return TechnicianPage(
        items=[_technician(row) for row in paged.items],
        total=paged.total,
        limit=paged.limit,
        offset=paged.offset,
    )


@router.post("/technicians", response_model=TechnicianRead, status_code=status.HTTP_201_CREATED)
def create_technician(
    session: SessionDep, user: ManagerUser, body: TechnicianCreate
) -> TechnicianRead:
    """Give a technician user a workshop profile (skills, level)."""
    technician = catalogue.create_technician(session, actor=user.scope, data=body)
    return TechnicianRead.model_validate(technician)


@router.patch("/technicians/{technician_id}", response_model=TechnicianRead)
def update_technician(
    session: SessionDep, user: ManagerUser, technician_id: IdPath, body: TechnicianUpdate
) -> TechnicianRead:
    """Change a technician's skills, level or availability."""
    technician = catalogue.update_technician(
        session, actor=user.scope, technician_id=technician_id, data=body
    )
    return TechnicianRead.model_validate(technician)


@router.get("/bays", response_model=BayPage)
def list_bays(
    session: SessionDep,
    user: StaffUser,
    page: PageParamsDep,
    store_id: IdQuery = None,
    kind: BayKind | None = None,
) -> BayPage:
    """Workshop bays (工位) of your stores."""
    paged = catalogue.list_bays(session, actor=user.scope, page=page, store_id=store_id, kind=kind)
    return BayPage.model_validate(paged, from_attributes=True)


@router.post("/bays", response_model=BayRead, status_code=status.HTTP_201_CREATED)
def create_bay(session: SessionDep, user: ManagerUser, body: BayCreate) -> BayRead:
    """Add a bay to one of your stores."""
    return BayRead.model_validate(catalogue.create_bay(session, actor=user.scope, data=body))


@router.get("/stores/{store_id}/hours", response_model=StoreHours)
def get_hours(session: SessionDep, user: StaffUser, store_id: IdPath) -> StoreHours:
    """A store's workshop hours per weekday (0 = Monday) and its closed days."""
    return catalogue.get_hours(session, actor=user.scope, store_id=store_id)


@router.put("/stores/{store_id}/hours", response_model=StoreHours)
def set_hours(
    session: SessionDep, user: ManagerUser, store_id: IdPath, body: StoreHours
) -> StoreHours:
    """Replace a store's workshop hours and closed days."""
    return catalogue.set_hours(session, actor=user.scope, store_id=store_id, hours=body)


@router.post("/slots/search", response_model=SlotAnswer)
def search_slots(session: SessionDep, user: Booker, body: SlotSearch) -> SlotAnswer:
    """Free slots where a skilled technician, a bay and the parts line up, best first."""
    if not user.scope.is_customer:
        ensure_visible(user.scope, entity="store", store_id=body.store_id)
    prefs = body.preferences
    result = find_slots(
        session,
        store_id=body.store_id,
        operations=body.operations,
        earliest=body.earliest,
        latest=clip_search(user.scope, body.earliest, body.latest),
        parts=[(p.part_id, p.quantity) for p in body.parts],
        preferences=Preferences(
            weekdays=tuple(prefs.weekdays),
            time_of_day=prefs.time_of_day,
            technician_id=prefs.technician_id,
        ),
        limit=body.limit,
    )
    return SlotAnswer.model_validate(result, from_attributes=True)


@router.get("/appointments", response_model=AppointmentPage)
def list_appointments(
    session: SessionDep,
    user: Reader,
    page: PageParamsDep,
    store_id: IdQuery = None,
    status: AppointmentStatus | None = None,
    customer_id: IdQuery = None,
    technician_id: IdQuery = None,
    starts_from: Moment | None = None,
    starts_before: Moment | None = None,
) -> AppointmentPage:
    """Appointments you may see (a customer: their own; a technician: theirs), in time order."""
    paged = appointments.list_appointments(
        session,
        actor=user.scope,
        page=page,
        store_id=store_id,
        status=status,
        customer_id=customer_id,
        technician_id=technician_id,
        starts_from=starts_from,
        starts_before=starts_before,
    )
    return AppointmentPage.model_validate(paged, from_attributes=True)


@router.post("/appointments", response_model=AppointmentRead, status_code=status.HTTP_201_CREATED)
def book_appointment(session: SessionDep, user: Booker, body: AppointmentCreate) -> AppointmentRead:
    """Book a visit; 409 when the technician or bay is already taken."""
    appointment = booking.book(
        session,
        actor=user.scope,
        store_id=body.store_id,
        customer_id=body.customer_id,
        vehicle_id=body.vehicle_id,
        operations=body.operations,
        starts_at=body.starts_at,
        technician_id=body.technician_id,
        bay_id=body.bay_id,
        source="customer" if user.scope.is_customer else "advisor",
        advisor_id=None if user.scope.is_customer else user.id,
        notes=body.notes,
        actor_id=user.id,
    )
    return AppointmentRead.model_validate(appointment)


@router.get("/appointments/{appointment_id}", response_model=AppointmentRead)
def get_appointment(session: SessionDep, user: Reader, appointment_id: IdPath) -> AppointmentRead:
    """One appointment."""
    appointment = appointments.get_appointment(
        session, actor=user.scope, appointment_id=appointment_id
    )
    return AppointmentRead.model_validate(appointment)


@router.post("/appointments/{appointment_id}/status", response_model=AppointmentRead)
def change_appointment_status(
    session: SessionDep, user: Booker, appointment_id: IdPath, body: StatusChange
) -> AppointmentRead:
    """Confirm, cancel (with a reason), mark no-show or arrived; 409 says why not."""
    appointment = appointments.change_status(
        session,
        actor=user.scope,
        appointment_id=appointment_id,
        to=body.to,
        reason=body.reason,
        actor_id=user.id,
    )
    return AppointmentRead.model_validate(appointment)


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentRead)
def reschedule_appointment(
    session: SessionDep, user: Booker, appointment_id: IdPath, body: Reschedule
) -> AppointmentRead:
    """Move an appointment to a new time; 409 when that slot is taken."""
    appointment = booking.reschedule(
        session,
        actor=user.scope,
        appointment_id=appointment_id,
        starts_at=body.starts_at,
        reason=body.reason,
        technician_id=body.technician_id,
        bay_id=body.bay_id,
        actor_id=user.id,
    )
    return AppointmentRead.model_validate(appointment)


@router.get("/appointments/{appointment_id}/history", response_model=list[TransitionRead])
def appointment_history(
    session: SessionDep, user: Reader, appointment_id: IdPath
) -> list[TransitionRead]:
    """The appointment's state changes: who, when, from, to, why."""
    rows = appointments.appointment_history(
        session, actor=user.scope, appointment_id=appointment_id
    )
    return [TransitionRead.model_validate(r) for r in rows]
