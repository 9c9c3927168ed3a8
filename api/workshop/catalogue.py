"""Workshop resources: labour operations, technicians, bays, opening hours. No HTTP."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.auth.actor import Actor, ensure_store, ensure_visible, group_of, visible
from api.auth.models import User
from api.auth.roles import Role
from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause
from api.workshop import messages as _messages  # noqa: F401  (registers workshop text)
from api.workshop.models import Bay, ClosedDay, LabourOperation, OpeningHours, Technician
from api.workshop.schemas import (
    BayCreate,
    OperationCreate,
    StoreHours,
    TechnicianCreate,
    TechnicianUpdate,
)

# Labour operations ---------------------------------------------------------------------------


def list_operations(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    q: str | None = None,
    skill: str | None = None,
    active: bool | None = True,
) -> Paged[LabourOperation]:
    """The group's labour-operation catalogue; q searches code and names."""
    stmt = select(LabourOperation).where(
        LabourOperation.dealer_group_id == group_of(session, actor)
    )
    if q:
        stmt = stmt.where(
            search_clause(q, LabourOperation.code, LabourOperation.name_zh, LabourOperation.name_en)
        )
    if skill:
        stmt = stmt.where(LabourOperation.required_skill == skill)
    if active is not None:
        stmt = stmt.where(LabourOperation.active.is_(active))
    return paginate(session, stmt.order_by(LabourOperation.code), page)


def create_operation(session: Session, *, actor: Actor, data: OperationCreate) -> LabourOperation:
    """Add a labour operation to the group's catalogue; codes are unique in the group."""
    group_id = group_of(session, actor)
    taken = session.scalar(
        select(LabourOperation.id).where(
            LabourOperation.dealer_group_id == group_id, LabourOperation.code == data.code
        )
    )
    if taken is not None:
        raise Conflict(why=f"labour operation {data.code} already exists (id {taken})")
    operation = LabourOperation(**data.model_dump(), dealer_group_id=group_id)
    session.add(operation)
    session.flush()
    return operation


def operations_by_code(
    session: Session, *, group_id: int, codes: Iterable[str]
) -> list[LabourOperation]:
    """The active operations for the codes, in the order given (InvalidInput on an unknown)."""
    wanted = list(dict.fromkeys(codes))
    found = {
        op.code: op
        for op in session.scalars(
            select(LabourOperation).where(
                LabourOperation.dealer_group_id == group_id,
                LabourOperation.code.in_(wanted),
                LabourOperation.active.is_(True),
            )
        )
    }
    for code in wanted:
        if code not in found:
            raise InvalidInput(
                field="operations", problem=Text("service.unknown_operation", {"code": code})
            )
    return [found[code] for code in wanted]


# Technicians ---------------------------------------------------------------------------------


def list_technicians(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    store_id: int | None = None,
    skill: str | None = None,
) -> Paged[tuple[Technician, str]]:
    """Technicians of the actor's stores, with their names."""
    stmt = (
        select(Technician, User.full_name)
        .join(User, User.id == Technician.user_id)
        .where(visible(actor, store_column=Technician.store_id))
    )
    if store_id is not None:
        stmt = stmt.where(Technician.store_id == store_id)
    if skill:
        stmt = stmt.where(Technician.skills.contains([skill]))
    return paginate(session, stmt.order_by(Technician.id), page, scalars=False)


def create_technician(session: Session, *, actor: Actor, data: TechnicianCreate) -> Technician:
    """Give a technician user a workshop profile in one of the actor's stores."""
    ensure_store(actor, data.store_id, entity="technician")
    user = session.get(User, data.user_id)
    if user is None:
        raise NotFound(entity="user", id=data.user_id)
    if user.role != Role.technician.value or data.store_id not in user.store_ids:
        raise InvalidInput(
            field="user_id",
            problem=f"user {user.id} must have the technician role and work at store "
            f"{data.store_id}",
        )
    if session.scalar(select(Technician.id).where(Technician.user_id == user.id)):
        raise Conflict(why=f"user {user.id} already has a technician profile")
    technician = Technician(**data.model_dump())
    session.add(technician)
    session.flush()
    return technician


def get_technician(session: Session, *, actor: Actor, technician_id: int) -> Technician:
    """A technician of the actor's stores."""
    technician = session.get(Technician, technician_id)
    if technician is None:
        raise NotFound(entity="technician", id=technician_id)
    ensure_visible(
        actor, entity="technician", store_id=technician.store_id, record_id=technician_id
    )
    return technician


def update_technician(
    session: Session, *, actor: Actor, technician_id: int, data: TechnicianUpdate
) -> Technician:
    """Change a technician's level, skills or availability."""
    technician = get_technician(session, actor=actor, technician_id=technician_id)
    ensure_store(actor, technician.store_id, entity="technician")
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(technician, name, value)
    session.flush()
    return technician


def technician_of_user(session: Session, *, user_id: int) -> Technician | None:
    """The workshop profile of a user, if they have one."""
    return session.scalar(select(Technician).where(Technician.user_id == user_id))


# Bays ----------------------------------------------------------------------------------------


def list_bays(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    store_id: int | None = None,
    kind: str | None = None,
) -> Paged[Bay]:
    """Bays of the actor's stores."""
    stmt = select(Bay).where(visible(actor, store_column=Bay.store_id))
    if store_id is not None:
        stmt = stmt.where(Bay.store_id == store_id)
    if kind:
        stmt = stmt.where(Bay.kind == kind)
    return paginate(session, stmt.order_by(Bay.store_id, Bay.code), page)


def create_bay(session: Session, *, actor: Actor, data: BayCreate) -> Bay:
    """Add a bay to one of the actor's stores."""
    ensure_store(actor, data.store_id, entity="bay")
    taken = session.scalar(
        select(Bay.id).where(Bay.store_id == data.store_id, Bay.code == data.code)
    )
    if taken is not None:
        raise Conflict(why=f"bay {data.code} already exists in store {data.store_id}")
    bay = Bay(**data.model_dump())
    session.add(bay)
    session.flush()
    return bay


# Opening hours -------------------------------------------------------------------------------


def get_hours(session: Session, *, actor: Actor, store_id: int) -> StoreHours:
    """A store's weekly hours and closed days."""
    ensure_visible(actor, entity="store", store_id=store_id)
    week = session.scalars(
        select(OpeningHours).where(OpeningHours.store_id == store_id).order_by(OpeningHours.weekday)
    ).all()
    closed = session.scalars(
        select(ClosedDay).where(ClosedDay.store_id == store_id).order_by(ClosedDay.day)
    ).all()
    return StoreHours.model_validate({"week": week, "closed_days": closed}, from_attributes=True)


def set_hours(session: Session, *, actor: Actor, store_id: int, hours: StoreHours) -> StoreHours:
    """Replace a store's weekly hours and closed days."""
    ensure_store(actor, store_id)
    days = [h.weekday for h in hours.week]
    if len(days) != len(set(days)):
        raise InvalidInput(field="week", problem="each weekday may appear once")
    for h in hours.week:
        if h.opens >= h.closes:
            raise InvalidInput(
                field="week", problem=f"weekday {h.weekday}: opens must be before closes"
            )
    if len({c.day for c in hours.closed_days}) != len(hours.closed_days):
        raise InvalidInput(field="closed_days", problem="each day may appear once")
    session.execute(delete(OpeningHours).where(OpeningHours.store_id == store_id))
    session.execute(delete(ClosedDay).where(ClosedDay.store_id == store_id))
    session.add_all(OpeningHours(store_id=store_id, **h.model_dump()) for h in hours.week)
    session.add_all(ClosedDay(store_id=store_id, **c.model_dump()) for c in hours.closed_days)
    session.flush()
    return get_hours(session, actor=actor, store_id=store_id)
