"""Factories for sales tests: a catalogue entry and a stock car. Each returns its ORM object."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store
from api.sales.models import SalesModel, StockVehicle
from api.sales.states import STOCK_FLOW
from tests.factories import make_vin


def make_sales_model(
    session: Session,
    group: DealerGroup,
    *,
    model: str = "Passat",
    trim: str = "330TSI 精英版",
    msrp: Decimal = Decimal("209900.00"),
) -> SalesModel:
    """A catalogue entry of the group with a unique code."""
    entry = SalesModel(
        dealer_group_id=group.id,
        code=f"M-{uuid.uuid4().hex[:8]}",
        make="Volkswagen",
        model=model,
        trim=trim,
        model_year=2025,
        powertrain="ice",
        msrp=msrp,
    )
    session.add(entry)
    session.flush()
    return entry


def make_stock(
    session: Session,
    store: Store,
    model: SalesModel,
    *,
    cost: Decimal = Decimal("185000.00"),
    status: str = "in_showroom",
) -> StockVehicle:
    """A car of the store's stock that has arrived, in the status given (free states only)."""
    vehicle = StockVehicle(
        store_id=store.id,
        vin=make_vin(),
        model_id=model.id,
        colour="极地白",
        location="展厅",
        cost=cost,
    )
    STOCK_FLOW.start(session, entity=vehicle, actor_id=None)
    if status != "in_transit":
        vehicle.arrived_at = datetime.now(UTC)
        session.flush()
        STOCK_FLOW.apply(session, entity=vehicle, to=status, actor_id=None)
    return vehicle
