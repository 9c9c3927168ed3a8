"""Model catalogue and vehicle stock: adding cars, moving them, reserving one for an order."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.crm.models import Customer, Vehicle
from api.crm.states import CUSTOMER_LIFECYCLE
from api.errors import Conflict, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause
from api.sales import messages as _messages  # noqa: F401  (registers sales text)
from api.sales.constants import ALLOCATABLE_STATES, NEW_CAR_WARRANTY_YEARS
from api.sales.models import SalesModel, SalesOrder, StockVehicle
from api.sales.schemas import SalesModelCreate, StockArrival, StockCreate, StockUpdate
from api.sales.states import STOCK_FLOW

# Catalogue ---------------------------------------------------------------------------------


def get_model(session: Session, *, actor: Scope, model_id: int) -> SalesModel:
    """A catalogue entry of the caller's dealer group."""
    model = session.get(SalesModel, model_id)
    if model is None or model.dealer_group_id != actor.dealer_group_id:
        raise NotFound(entity="sales_model", id=model_id)
    return model


def list_models(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    q: str | None = None,
    powertrain: str | None = None,
    active: bool | None = None,
) -> Paged[SalesModel]:
    """The group's catalogue; q searches code, make, model and trim."""
    stmt = select(SalesModel).where(SalesModel.dealer_group_id == actor.dealer_group_id)
    if q:
        stmt = stmt.where(
            search_clause(q, SalesModel.code, SalesModel.make, SalesModel.model, SalesModel.trim)
        )
    if powertrain:
        stmt = stmt.where(SalesModel.powertrain == powertrain)
    if active is not None:
        stmt = stmt.where(SalesModel.is_active.is_(active))
    return paginate(
        session, stmt.order_by(SalesModel.make, SalesModel.model, SalesModel.msrp), page
    )


def create_model(session: Session, *, actor: Scope, data: SalesModelCreate) -> SalesModel:
    """Add a model and trim to the group's catalogue."""
    taken = session.scalar(
        select(SalesModel.id).where(
            SalesModel.dealer_group_id == actor.dealer_group_id, SalesModel.code == data.code
        )
    )
    if taken is not None:
        raise Conflict(why=Text("sales.model_code_taken", {"code": data.code}))
    model = SalesModel(**data.model_dump(), dealer_group_id=actor.dealer_group_id)
    session.add(model)
    session.flush()
    return model


# Stock -------------------------------------------------------------------------------------


def get_stock(session: Session, *, actor: Scope, stock_id: int) -> StockVehicle:
    """A stock car of the caller's stores."""
    vehicle = session.get(StockVehicle, stock_id)
    if vehicle is None:
        raise NotFound(entity="stock_vehicle", id=stock_id)
    actor.ensure(entity="stock_vehicle", store_id=vehicle.store_id, record_id=stock_id)
    return vehicle


def list_stock(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    q: str | None = None,
    status: str | None = None,
    model_id: int | None = None,
    store_id: int | None = None,
) -> Paged[StockVehicle]:
    """Stock of the caller's stores; q searches VIN, colour and location."""
    stmt = select(StockVehicle).where(actor.visible(store_column=StockVehicle.store_id))
    if q:
        stmt = stmt.where(
            search_clause(q, StockVehicle.vin, StockVehicle.colour, StockVehicle.location)
        )
    if status:
        stmt = stmt.where(StockVehicle.status == status)
    if model_id is not None:
        stmt = stmt.where(StockVehicle.model_id == model_id)
    if store_id is not None:
        stmt = stmt.where(StockVehicle.store_id == store_id)
    return paginate(session, stmt.order_by(StockVehicle.id), page)


def add_stock(
    session: Session, *, actor: Scope, actor_id: int | None, data: StockCreate
) -> StockVehicle:
    """A new car in a store's stock (in transit, or in the warehouse if it has arrived)."""
    actor.ensure_store(data.store_id, entity="stock_vehicle")
    get_model(session, actor=actor, model_id=data.model_id)
    taken = session.scalar(select(StockVehicle.id).where(StockVehicle.vin == data.vin))
    if taken is not None:
        raise Conflict(why=Text("sales.vin_in_stock", {"vin": data.vin, "id": taken}))
    values = data.model_dump(exclude={"arrived"})
    vehicle = StockVehicle(**values)
    STOCK_FLOW.start(session, entity=vehicle, actor_id=actor_id)
    if data.arrived:
        vehicle.arrived_at = datetime.now(UTC)
        session.flush()  # apply() re-reads the row; unflushed changes would be lost
        STOCK_FLOW.apply(session, entity=vehicle, to="in_warehouse", actor_id=actor_id)
    return vehicle


def update_stock(
    session: Session, *, actor: Scope, stock_id: int, data: StockUpdate
) -> StockVehicle:
    """Change a stock car's colour, location or cost."""
    vehicle = get_stock(session, actor=actor, stock_id=stock_id)
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(vehicle, name, value)
    session.flush()
    return vehicle


def record_arrival(
    session: Session, *, actor: Scope, actor_id: int | None, stock_id: int, data: StockArrival
) -> StockVehicle:
    """The car reached the store: set its location; a free car goes into the warehouse."""
    vehicle = get_stock(session, actor=actor, stock_id=stock_id)
    vehicle.arrived_at = vehicle.arrived_at or datetime.now(UTC)
    vehicle.location = data.location
    session.flush()  # apply() re-reads the row; unflushed changes would be lost
    if vehicle.status == "in_transit":
        STOCK_FLOW.apply(session, entity=vehicle, to="in_warehouse", actor_id=actor_id)
    session.flush()
    return vehicle


def change_stock_status(
    session: Session,
    *,
    actor: Scope,
    actor_id: int | None,
    stock_id: int,
    to: str,
    reason: str | None,
) -> StockVehicle:
    """Move a stock car (warehouse, showroom); reserved and sold follow orders, not this."""
    vehicle = get_stock(session, actor=actor, stock_id=stock_id)
    STOCK_FLOW.apply(
        session, entity=vehicle, to=to, reason=reason, actor_id=actor_id, role=actor.role
    )
    return vehicle


# Allocation, release and sale: called by the lead flow -------------------------------------


def reserve_for_order(
    session: Session, *, order: SalesOrder, vin: str, actor_id: int | None
) -> StockVehicle:
    """Reserve the car for the order, or Conflict saying why it cannot be.

    The stock row is locked first: of two requests for the same car, the second waits for
    the first to commit and then sees the car reserved. The unique key on
    sales_orders.stock_vehicle_id backs this up if anything bypasses the lock.
    """
    vehicle = session.scalar(
        select(StockVehicle)
        .where(StockVehicle.vin == vin)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if vehicle is None:
        raise NotFound(entity="stock_vehicle", id=vin)
    if vehicle.store_id != order.store_id:  # another store's stock reads as missing
        raise NotFound(entity="stock_vehicle", id=vin)
    if vehicle.status not in ALLOCATABLE_STATES:
        holder = session.scalar(
            select(SalesOrder.id).where(SalesOrder.stock_vehicle_id == vehicle.id)
        )
        held = Text("sales.held_by_order", {"order_id": holder}) if holder else ""
        raise Conflict(
            why=Text("sales.vehicle_taken", {"vin": vin, "status": vehicle.status, "held": held}),
            vin=vin,
            status=vehicle.status,
            order_id=holder,
        )
    if vehicle.model_id != order.model_id:
        ordered = session.get(SalesModel, order.model_id)
        raise Conflict(
            why=Text(
                "sales.vehicle_wrong_model",
                {"vin": vin, "actual": _label(vehicle.sales_model), "ordered": _label(ordered)},
            )
        )
    order.stock_vehicle_id = vehicle.id
    session.flush()
    STOCK_FLOW.apply(session, entity=vehicle, to="reserved", actor_id=actor_id)
    return vehicle


def release(session: Session, *, order: SalesOrder, actor_id: int | None, reason: str) -> None:
    """Give the order's car back to stock (the order was cancelled)."""
    if order.stock_vehicle_id is None:
        return
    vehicle = session.get(StockVehicle, order.stock_vehicle_id)
    order.stock_vehicle_id = None
    session.flush()
    back = "in_warehouse" if vehicle.arrived_at is not None else "in_transit"
    STOCK_FLOW.apply(session, entity=vehicle, to=back, actor_id=actor_id, reason=reason)


def sell(
    session: Session, *, order: SalesOrder, actor_id: int | None, delivered_on: date
) -> Vehicle:
    """Mark the order's car sold and register it in CRM as the customer's, for after-sales."""
    vehicle = session.get(StockVehicle, order.stock_vehicle_id)
    STOCK_FLOW.apply(session, entity=vehicle, to="sold", actor_id=actor_id)
    model = vehicle.sales_model
    warranty_end = years_later(delivered_on, NEW_CAR_WARRANTY_YEARS)
    car = session.scalar(select(Vehicle).where(Vehicle.vin == vehicle.vin))
    if car is None:
        car = Vehicle(vin=vehicle.vin)
        session.add(car)
    car.store_id = order.store_id
    car.owner_id = order.customer_id
    car.make, car.model, car.year = model.make, model.model, model.model_year
    car.colour = vehicle.colour
    car.odometer_km = car.odometer_km or 0.0
    car.odometer_read_at = car.odometer_read_at or datetime.now(UTC)
    car.warranty_end = warranty_end
    session.flush()
    _activate_customer(session, customer_id=order.customer_id, vin=vehicle.vin, actor_id=actor_id)
    return car


def _activate_customer(
    session: Session, *, customer_id: int, vin: str, actor_id: int | None
) -> None:
    customer = session.get(Customer, customer_id)
    if customer.status == "active":
        return
    reason = f"purchased {vin}" if customer.status == "lost" else None
    CUSTOMER_LIFECYCLE.apply(
        session, entity=customer, to="active", actor_id=actor_id, reason=reason
    )


def years_later(day: date, years: int) -> date:
    """The same calendar day `years` later (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _label(model: SalesModel | None) -> str:
    return f"{model.model} {model.trim}" if model else "?"
