"""Factories for the proactive-loop tests: a small dealer that can fix batteries, cars with
owners, and alerts raised through the diagnostics alert service (the real path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.crm.models import Customer, Vehicle
from api.parts.models import Part, Warehouse
from api.proactive.models import TriagePolicy
from api.workshop.models import Bay, Technician
from core.db import connect
from core.wire import now_ms
from diagnostics import alerts
from diagnostics.scoring import Clear, Raise
from tests.factories import make_customer, make_group, make_store, make_user, make_vehicle
from tests.factories.parts import make_part, make_supplier, make_warehouse, stock_in
from tests.factories.workshop import make_bay, make_operation, make_technician, open_every_day

BATTERY = "VARTA-C22-60AH"  # the kit's part number (as in the parts seed)


@dataclass
class Dealer:
    group: DealerGroup
    store: Store
    part: Part
    warehouse: Warehouse
    advisor: User
    manager: User
    technicians: list[Technician] = field(default_factory=list)
    bays: list[Bay] = field(default_factory=list)


def make_dealer(
    session: Session,
    *,
    stock: int = 5,
    technicians: int = 2,
    bays: int = 2,
    mode: str = "auto",
    within_days: int = 10,
) -> Dealer:
    """A store open every day that can test and replace batteries, with `stock` batteries."""
    group = make_group(session)
    store = make_store(session, group)
    open_every_day(session, store)
    make_operation(session, group, code="BAT-TEST", hours="0.3", skill="electrical", bay_kind=None)
    make_operation(
        session, group, code="BAT-REPL", hours="0.5", skill="electrical", bay_kind="quick"
    )
    supplier = make_supplier(session, group)
    part = make_part(session, group, kind="battery", cost="520", supplier=supplier)
    part.part_number = BATTERY
    warehouse = make_warehouse(session, group, store=store)
    if stock:
        stock_in(session, warehouse, part, stock, expires_on=date.today() + timedelta(days=400))
    session.add(
        TriagePolicy(
            store_id=store.id,
            mode=mode,
            rules=[{"failure_mode": "battery", "action": "schedule", "within_days": within_days}],
        )
    )
    dealer = Dealer(
        group=group,
        store=store,
        part=part,
        warehouse=warehouse,
        advisor=make_user(session, group, Role.service_advisor, stores=[store]),
        manager=make_user(session, group, Role.manager, stores=[store]),
    )
    for _ in range(technicians):
        dealer.technicians.append(make_technician(session, group, store, skills=("electrical",)))
    for _ in range(bays):
        dealer.bays.append(make_bay(session, store, kind="quick"))
    session.flush()
    return dealer


def make_car(
    session: Session, dealer: Dealer, *, email: str | None = None, consents: dict | None = None
) -> tuple[Customer, Vehicle]:
    """A customer of the store with a car; consents as given (none by default)."""
    customer = make_customer(session, dealer.store)
    customer.email = email
    customer.consents = consents or {}
    vehicle = make_vehicle(session, dealer.store, owner=customer)
    vehicle.plate = f"沪A{vehicle.id % 100000:05d}"
    session.flush()
    return customer, vehicle


def battery_reasons(volts: float = 9.1) -> dict[str, dict[str, Any]]:
    """What the crank-dip rule writes."""
    return {"rule:battery_crank_dip": {"kind": "rule", "rule": "battery_crank_dip", "value": volts}}


def raise_alerts(db_url: str, vins: list[str], *, severity: str = "major") -> dict[str, int]:
    """Open (or repeat) battery alerts for the cars in one diagnostics transaction."""
    ts = now_ms()
    changes = [Raise(v, "battery", severity, 0.9, "rule", battery_reasons(), ts) for v in vins]
    with connect(db_url) as conn:
        counts = alerts.apply(conn, changes)
        conn.commit()
    return counts


def clear_alerts(db_url: str, vins: list[str]) -> None:
    """Clear the cars' battery alerts as diagnostics does when the signal recovers."""
    with connect(db_url) as conn:
        alerts.apply(conn, [Clear(v, "battery", "voltage recovered", now_ms()) for v in vins])
        conn.commit()
