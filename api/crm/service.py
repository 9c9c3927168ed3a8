"""CRM services: plain functions, keyword-only, session passed in, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, Select, cast, select, update
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.audit.service import history
from api.auth.scope import Scope
from api.crm import messages as _messages  # noqa: F401  (registers CRM text)
from api.crm.models import Customer, Interaction, Vehicle
from api.crm.schemas import (
    CustomerCreate,
    CustomerUpdate,
    InteractionCreate,
    VehicleCreate,
    VehicleUpdate,
)
from api.crm.states import CUSTOMER_LIFECYCLE
from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause
from api.telemetry.models import vehicle_latest

# Customers ---------------------------------------------------------------------------------


def get_customer(session: Session, *, actor: Scope, customer_id: int) -> Customer:
    """A customer visible to the caller (NotFound / Forbidden otherwise)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(entity="customer", id=customer_id)
    actor.ensure(
        entity="customer",
        store_id=customer.store_id,
        customer_id=customer.id,
        record_id=customer_id,
    )
    return customer


def list_customers(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    q: str | None = None,
    status: str | None = None,
    source: str | None = None,
    tag: str | None = None,
    store_id: int | None = None,
) -> Paged[Customer]:
    """Customers the caller may see, filtered; q searches name, phone and email."""
    stmt = select(Customer).where(
        actor.visible(store_column=Customer.store_id, customer_column=Customer.id)
    )
    if q:
        stmt = stmt.where(search_clause(q, Customer.name, Customer.phone, Customer.email))
    if status:
        stmt = stmt.where(Customer.status == status)
    if source:
        stmt = stmt.where(Customer.source == source)
    if tag:
        stmt = stmt.where(Customer.tags.contains([tag]))  # @> uses the GIN index
    if store_id is not None:
        stmt = stmt.where(Customer.store_id == store_id)
    return paginate(session, stmt.order_by(Customer.id), page)


def create_customer(
    session: Session, *, actor: Scope, actor_id: int | None, data: CustomerCreate
) -> Customer:
    """A new customer, a prospect until a vehicle is registered and they are activated."""
    actor.ensure_store(data.store_id, entity="customer")
    values = data.model_dump()
    customer = Customer(**values, consents_updated_at=datetime.now(UTC))
    CUSTOMER_LIFECYCLE.start(session, entity=customer, actor_id=actor_id)
    return customer


def update_customer(
    session: Session, *, actor: Scope, customer_id: int, data: CustomerUpdate
) -> Customer:
    """Apply the given changes to a customer."""
    customer = get_customer(session, actor=actor, customer_id=customer_id)
    changes = data.model_dump(exclude_unset=True)
    if "consents" in changes and changes["consents"] != customer.consents:
        customer.consents_updated_at = datetime.now(UTC)
    for name, value in changes.items():
        setattr(customer, name, value)
    session.flush()
    return customer


def change_customer_status(
    session: Session,
    *,
    actor: Scope,
    customer_id: int,
    to: str,
    reason: str | None,
    actor_id: int | None,
) -> Customer:
    """Move a customer along the lifecycle (prospect, active, dormant, lost); audited."""
    customer = get_customer(session, actor=actor, customer_id=customer_id)
    CUSTOMER_LIFECYCLE.apply(
        session, entity=customer, to=to, reason=reason, actor_id=actor_id, role=actor.role
    )
    return customer


def customer_history(session: Session, *, actor: Scope, customer_id: int) -> list[StateTransition]:
    """The customer's lifecycle changes, oldest first."""
    get_customer(session, actor=actor, customer_id=customer_id)
    return history(session, entity_type=CUSTOMER_LIFECYCLE.entity_type, entity_id=customer_id)


# Vehicles ----------------------------------------------------------------------------------


class VehicleView:
    """A vehicle as read: its columns, with the odometer and link state from telemetry."""

    def __init__(
        self,
        vehicle: Vehicle,
        telemetry_km: float | None,
        last_seen: datetime | None,
        online: bool | None,
    ) -> None:
        self.vehicle = vehicle
        self.last_seen = last_seen
        self.online = online
        manual = vehicle.odometer_km
        if telemetry_km is not None and (manual is None or telemetry_km >= manual):
            self.odometer_km, self.odometer_source = telemetry_km, "telemetry"
        elif manual is not None:
            self.odometer_km, self.odometer_source = manual, "manual"
        else:
            self.odometer_km, self.odometer_source = None, None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.vehicle, name)


def _vehicle_select() -> Select[Any]:
    odometer = cast(vehicle_latest.c["values"]["ODOMETER"].astext, Float)
    return select(Vehicle, odometer, vehicle_latest.c.last_seen, vehicle_latest.c.online).outerjoin(
        vehicle_latest, vehicle_latest.c.vin == Vehicle.vin
    )


def _visible_vehicles(actor: Scope) -> Any:
    return actor.visible(store_column=Vehicle.store_id, customer_column=Vehicle.owner_id)


def get_vehicle(session: Session, *, actor: Scope, vehicle_id: int) -> VehicleView:
    """A vehicle visible to the caller (staff of its store, or its owner)."""
    row = session.execute(_vehicle_select().where(Vehicle.id == vehicle_id)).first()
    if row is None:
        raise NotFound(entity="vehicle", id=vehicle_id)
    vehicle = row[0]
    actor.ensure(
        entity="vehicle",
        store_id=vehicle.store_id,
        customer_id=vehicle.owner_id,
        record_id=vehicle_id,
    )
    return VehicleView(*row)


def list_vehicles(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    q: str | None = None,
    owner_id: int | None = None,
    store_id: int | None = None,
) -> Paged[VehicleView]:
    """Vehicles the caller may see; q searches VIN, plate, make and model."""
    stmt = _vehicle_select().where(_visible_vehicles(actor))
    if q:
        stmt = stmt.where(search_clause(q, Vehicle.vin, Vehicle.plate, Vehicle.make, Vehicle.model))
    if owner_id is not None:
        stmt = stmt.where(Vehicle.owner_id == owner_id)
    if store_id is not None:
        stmt = stmt.where(Vehicle.store_id == store_id)
    paged = paginate(session, stmt.order_by(Vehicle.id), page, scalars=False)
    paged.items = [VehicleView(*row) for row in paged.items]
    return paged


def _check_owner(session: Session, *, actor: Scope, owner_id: int | None, store_id: int) -> None:
    if owner_id is None:
        return
    owner = get_customer(session, actor=actor, customer_id=owner_id)
    if owner.store_id != store_id:
        raise InvalidInput(
            field="owner_id", problem=Text("crm.owner_other_store", {"owner_id": owner_id})
        )


def create_vehicle(session: Session, *, actor: Scope, data: VehicleCreate) -> VehicleView:
    """Register a vehicle; a VIN is registered once in the whole group."""
    actor.ensure_store(data.store_id, entity="vehicle")
    _check_owner(session, actor=actor, owner_id=data.owner_id, store_id=data.store_id)
    taken = session.scalar(select(Vehicle.id).where(Vehicle.vin == data.vin))
    if taken is not None:
        raise Conflict(why=Text("crm.vin_taken", {"vin": data.vin, "id": taken}))
    vehicle = Vehicle(**data.model_dump())
    if data.odometer_km is not None:
        vehicle.odometer_read_at = datetime.now(UTC)
    session.add(vehicle)
    session.flush()
    return get_vehicle(session, actor=actor, vehicle_id=vehicle.id)


def update_vehicle(
    session: Session, *, actor: Scope, vehicle_id: int, data: VehicleUpdate
) -> VehicleView:
    """Apply the given changes to a vehicle."""
    view = get_vehicle(session, actor=actor, vehicle_id=vehicle_id)
    actor.ensure_store(view.vehicle.store_id, entity="vehicle")
    changes = data.model_dump(exclude_unset=True)
    if "owner_id" in changes:
        _check_owner(
            session, actor=actor, owner_id=changes["owner_id"], store_id=view.vehicle.store_id
        )
    if "odometer_km" in changes:
        view.vehicle.odometer_read_at = datetime.now(UTC)
    for name, value in changes.items():
        setattr(view.vehicle, name, value)
    session.flush()
    return get_vehicle(session, actor=actor, vehicle_id=vehicle_id)


def refresh_odometers(session: Session) -> int:
    """Store telemetry odometers that exceed the stored reading; returns vehicles updated."""
    odometer = cast(vehicle_latest.c["values"]["ODOMETER"].astext, Float)
    stmt = (
        update(Vehicle)
        .where(Vehicle.vin == vehicle_latest.c.vin, odometer.is_not(None))
        .where((Vehicle.odometer_km.is_(None)) | (odometer > Vehicle.odometer_km))
        .values(odometer_km=odometer, odometer_read_at=vehicle_latest.c.sample_ts)
    )
    return session.execute(stmt).rowcount or 0


# Interactions ------------------------------------------------------------------------------


def log_interaction(
    session: Session, *, actor: Scope, actor_id: int | None, data: InteractionCreate
) -> Interaction:
    """Record a call, visit or message with a customer of the caller's stores."""
    customer = get_customer(session, actor=actor, customer_id=data.customer_id)
    actor.ensure_store(customer.store_id, entity="customer")
    if data.vehicle_id is not None:
        vehicle = session.get(Vehicle, data.vehicle_id)
        if vehicle is None or vehicle.owner_id != customer.id:
            raise InvalidInput(
                field="vehicle_id", problem=f"vehicle {data.vehicle_id} is not this customer's"
            )
    values = data.model_dump(exclude_none=True)
    interaction = Interaction(**values, store_id=customer.store_id, user_id=actor_id)
    session.add(interaction)
    session.flush()
    return interaction


def list_interactions(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    customer_id: int | None = None,
    kind: str | None = None,
) -> Paged[Interaction]:
    """Interactions the caller may see, newest first."""
    stmt = select(Interaction).where(
        actor.visible(store_column=Interaction.store_id, customer_column=Interaction.customer_id)
    )
    if customer_id is not None:
        stmt = stmt.where(Interaction.customer_id == customer_id)
    if kind:
        stmt = stmt.where(Interaction.kind == kind)
    return paginate(
        session, stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()), page
    )
