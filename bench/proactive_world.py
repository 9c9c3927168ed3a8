"""The proactive benchmark's scratch dealer group: stores that fix batteries, and their cars.

Built straight from the tables, at benchmark scale; its users never sign in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.crm.models import Customer, Vehicle
from api.crm.states import CUSTOMER_LIFECYCLE
from api.parts.ledger import receive_lot
from api.parts.models import Part, Warehouse
from api.proactive.models import TriagePolicy
from api.purchasing.models import Supplier
from api.workshop.models import Bay, LabourOperation, OpeningHours, Technician
from core.vin import with_check_digit

CARS_PER_STORE = 100
TECHNICIANS = 8  # per store, each with a quick bay: 8 jobs at once
IN_STOCK_SHARE = 0.8  # batteries on the shelf for this share of a store's cars
WITHIN_DAYS = 21  # the benchmark policy's deadline for a battery visit
OPERATIONS = (("BAT-TEST", "0.3", None), ("BAT-REPL", "0.5", "quick"))
OPERATION_CODES = tuple(code for code, _, _ in OPERATIONS)
BATTERY = "VARTA-C22-60AH"
NO_LOGIN = "!"  # not a password hash: these users cannot sign in
SERIALS = itertools.count(1)  # unique codes and VIN serials (random ones collide among thousands)


@dataclass
class BenchStore:
    store_id: int
    cars: list[tuple[int, int, str]]  # (customer_id, vehicle_id, vin)


def build_group(session: Session, cars: int) -> tuple[list[BenchStore], list[BenchStore]]:
    """Two like sets of stores for `cars` cars each: one for the ceiling, one for the loop."""
    group = DealerGroup(code=f"BENCH{next(SERIALS):06d}", name="基准测试集团")
    session.add(group)
    session.flush()
    for code, hours, bay_kind in OPERATIONS:
        session.add(
            LabourOperation(
                dealer_group_id=group.id,
                code=code,
                name_zh=code,
                name_en=code,
                flat_rate_hours=Decimal(hours),
                required_skill="electrical",
                min_level=1,
                bay_kind=bay_kind,
            )  # fmt: skip
        )
    supplier = Supplier(dealer_group_id=group.id, code="BENCH-SUP", name="瓦尔塔", kind="oem")
    session.add(supplier)
    session.flush()
    battery = Part(
        dealer_group_id=group.id, part_number=BATTERY, name_zh="蓄电池", name_en="Battery",
        category="battery", kind="battery", unit="piece", list_price=Decimal("1040"),
        standard_cost=Decimal("520"), preferred_supplier_id=supplier.id,
    )  # fmt: skip
    session.add(battery)
    session.flush()
    count = -(-cars // CARS_PER_STORE)
    return tuple(  # type: ignore[return-value]
        [_store(session, group, battery, s, min(cars - s * CARS_PER_STORE, CARS_PER_STORE))
         for s in range(count)]
        for _ in range(2)
    )  # fmt: skip


def _store(session: Session, group: DealerGroup, battery: Part, index: int, cars: int):
    serial = next(SERIALS)
    store = Store(
        dealer_group_id=group.id, code=f"B{serial:06d}", name_zh=f"门店{index}",
        name_en=f"Store {index}", city="上海", timezone="Asia/Shanghai",
    )  # fmt: skip
    session.add(store)
    session.flush()
    session.add_all(
        OpeningHours(store_id=store.id, weekday=d, opens=time(8, 30), closes=time(18))
        for d in range(7)
    )
    for t in range(TECHNICIANS):
        user = _user(session, group, store, Role.technician, f"tech.{serial}.{t}")
        session.add(Technician(store_id=store.id, user_id=user.id, level=2, skills=["electrical"]))
        session.add(Bay(store_id=store.id, code=f"Q{t}", name=f"快修工位{t}", kind="quick"))
    _user(session, group, store, Role.service_advisor, f"advisor.{serial}")
    warehouse = Warehouse(
        dealer_group_id=group.id, store_id=store.id, code=f"W{serial:06d}", name_zh="门店仓",
        name_en="Store warehouse", level="store",
    )  # fmt: skip
    session.add(warehouse)
    session.flush()
    receive_lot(
        session, warehouse_id=warehouse.id, part=battery,
        quantity=Decimal(int(IN_STOCK_SHARE * cars)), unit_cost=battery.standard_cost,
        lot_number=f"L{serial:06d}", expires_on=date.today() + timedelta(days=400),
    )  # fmt: skip
    rule = {"failure_mode": "battery", "action": "schedule", "within_days": WITHIN_DAYS}
    session.add(TriagePolicy(store_id=store.id, mode="auto", rules=[rule]))
    fleet = []
    for c in range(cars):
        customer = Customer(
            store_id=store.id, name=f"车主{c}", phone=f"199{next(SERIALS):08d}",
            source="walk_in", consents={"in_app": True}, tags=[],
        )  # fmt: skip
        CUSTOMER_LIFECYCLE.start(session, entity=customer, actor_id=None)
        vehicle = Vehicle(
            store_id=store.id, vin=with_check_digit(f"LBNCH0180NT{next(SERIALS):06d}"),
            make="Volkswagen", model="Passat", year=2021, owner_id=customer.id,
        )  # fmt: skip
        session.add(vehicle)
        session.flush()
        fleet.append((customer.id, vehicle.id, vehicle.vin))
    return BenchStore(store.id, fleet)


def _user(session: Session, group: DealerGroup, store: Store, role: Role, username: str) -> User:
    user = User(
        dealer_group_id=group.id, username=username, full_name=username, role=role.value,
        hashed_password=NO_LOGIN, is_active=True, token_version=0, stores=[store],
    )  # fmt: skip
    session.add(user)
    session.flush()
    return user
