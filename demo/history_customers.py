"""The customers of the long history: the stores' demo customers (the simulated fleet's owners
first) plus service customers added for the history, each car with a visiting habit: regulars
come back about twice a year, occasional ones once a year, and churners stop at some point.

Planned in memory (ids taken ahead), written by `write_customers` once the history decided
each new customer's lifecycle from their last visit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.crm.models import Customer, Vehicle
from api.crm.states import CUSTOMER_LIFECYCLE
from core.clock import zone
from core.vin import with_check_digit
from demo.bulk import Audit, insert_rows, take_ids
from demo.crm import COLOURS, MODELS
from demo.group import STORES
from demo.people import GIVEN, SURNAMES

CARS_PER_DAILY_VISIT = 150  # a store seeing N cars a day looks after about 150 N cars
HABITS = (("regular", 50), ("occasional", 25), ("churner", 25))
INTERVAL_DAYS = {"regular": (110, 200), "occasional": (250, 420), "churner": (110, 200)}
LOST_AFTER_DAYS = 540  # no visit for this long: the customer is lost
DORMANT_AFTER_DAYS = 300
LOST_REASON = "长期未回厂 / has not been back for a long time"
SERIAL_BASE = 400_000  # history VINs and phones stay clear of the other seeds'


@dataclass
class Car:
    """A car of the history's pool and its owner's habit."""

    vehicle_id: int
    customer_id: int
    store_id: int
    vin: str
    make: str
    model: str
    odometer: float
    habit: str
    next_due: date
    churn_on: date | None = None
    fleet: bool = False
    last_visit: date | None = None
    visits: int = 0


@dataclass
class Pool:
    """Every store's cars for the history, and the new customers to write."""

    cars: dict[int, list[Car]] = field(default_factory=dict)
    new_customers: list[dict[str, Any]] = field(default_factory=list)
    new_vehicles: list[dict[str, Any]] = field(default_factory=list)


def local_moment(day: date, hour: float) -> datetime:
    """A moment of a store day (Asia/Shanghai), in UTC."""
    whole = int(hour)
    at = datetime.combine(day, time(whole, int(round((hour - whole) * 60)) % 60), zone())
    return at.astimezone(UTC)


def plan_pool(
    session: Session,
    rng: random.Random,
    stores: dict[str, Store],
    daily: dict[str, float],
    first_day: date,
    last_day: date,
    fleet_vins: list[str],
) -> Pool:
    """The cars of every store: the demo customers' own, and new ones up to the store's size."""
    pool = Pool()
    span = (last_day - first_day).days
    serial = SERIAL_BASE
    for code, store in stores.items():
        cars = []
        for vehicle in session.scalars(
            select(Vehicle)
            .where(Vehicle.store_id == store.id, Vehicle.owner_id.is_not(None))
            .order_by(Vehicle.id)
        ):
            fleet = vehicle.vin in fleet_vins
            habit = "regular" if fleet else _habit(rng)
            cars.append(
                _car(
                    rng,
                    vehicle.id,
                    vehicle.owner_id,
                    store.id,
                    vehicle.vin,
                    vehicle.make,
                    vehicle.model,
                    vehicle.odometer_km or 30_000,
                    habit,
                    first_day,
                    span,
                    fleet=fleet,
                )
            )
        wanted = int(daily[code] * CARS_PER_DAILY_VISIT) - len(cars)
        customer_ids = take_ids(session, "customers", wanted)
        vehicle_ids = take_ids(session, "vehicles", wanted)
        plate = next(p for c, _, _, p in STORES if c == code)
        for customer_id, vehicle_id in zip(customer_ids, vehicle_ids, strict=True):
            serial += 1
            make, model = rng.choices([m[:2] for m in MODELS], [m[2] for m in MODELS])[0]
            year = rng.randint(2015, 2024)
            odometer = round((2026 - year) * rng.uniform(8000, 18000), 1)
            pool.new_customers.append(
                {
                    "id": customer_id,
                    "store_id": store.id,
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "phone": f"158{serial:08d}",
                    "source": rng.choices(
                        ("walk_in", "web", "referral", "phone"), (50, 20, 20, 10)
                    )[0],
                    "status": "active",
                    "consents": {"sms": rng.random() < 0.8, "in_app": True},
                    "preferred_store_id": store.id,
                    "created_at": local_moment(
                        first_day - timedelta(days=rng.randint(30, 900)), 10
                    ),
                }
            )
            pool.new_vehicles.append(
                {
                    "id": vehicle_id,
                    "store_id": store.id,
                    "vin": with_check_digit(f"LFVHS2180RD{serial:06d}"),
                    "plate": f"{plate}·{rng.randint(10000, 99999)}",
                    "make": make,
                    "model": model,
                    "year": year,
                    "colour": rng.choice(COLOURS),
                    "owner_id": customer_id,
                    "odometer_km": odometer,
                    "warranty_end": date(year + 3, rng.randint(1, 12), 1),
                }
            )
            cars.append(
                _car(
                    rng,
                    vehicle_id,
                    customer_id,
                    store.id,
                    pool.new_vehicles[-1]["vin"],
                    make,
                    model,
                    odometer,
                    _habit(rng),
                    first_day,
                    span,
                )
            )
        pool.cars[store.id] = cars
    return pool


def _habit(rng: random.Random) -> str:
    return rng.choices([h for h, _ in HABITS], [w for _, w in HABITS])[0]


def _car(
    rng,
    vehicle_id,
    customer_id,
    store_id,
    vin,
    make,
    model,
    odometer,
    habit,
    first_day,
    span,
    *,
    fleet=False,
) -> Car:
    low, high = INTERVAL_DAYS[habit]
    # Most cars are due somewhere in their first interval; a fifth join later (new owners).
    start = rng.randint(0, high) if rng.random() < 0.8 else rng.randint(0, span)
    churn = (
        first_day + timedelta(days=rng.randint(min(60, span), span)) if habit == "churner" else None
    )
    if fleet:
        start = rng.randint(0, low)
    return Car(
        vehicle_id,
        customer_id,
        store_id,
        vin,
        make,
        model,
        float(odometer),
        habit,
        first_day + timedelta(days=start),
        churn,
        fleet,
    )


def interval(rng: random.Random, car: Car) -> int:
    """Days until the car is due again."""
    low, high = INTERVAL_DAYS[car.habit]
    return rng.randint(low, high)


def write_customers(session: Session, pool: Pool, audit: Audit, today: date, actor: int) -> int:
    """Insert the new customers and their cars, each customer in the lifecycle state their
    last visit put them in (walked through CUSTOMER_LIFECYCLE); returns how many."""
    last = {car.customer_id: car.last_visit for cars in pool.cars.values() for car in cars}
    for row in pool.new_customers:
        seen = last.get(row["id"])
        idle = (today - seen).days if seen else LOST_AFTER_DAYS + 1
        path = ["prospect", "active"]
        if idle > LOST_AFTER_DAYS:
            path.append("lost")
        elif idle > DORMANT_AFTER_DAYS:
            path.append("dormant")
        row["status"] = path[-1]
        at = row["created_at"]
        steps = [("prospect", at), ("active", at + timedelta(days=1))]
        if len(path) > 2:
            after = LOST_AFTER_DAYS if path[-1] == "lost" else DORMANT_AFTER_DAYS
            moved = (
                local_moment(seen + timedelta(days=after), 9) if seen else at + timedelta(days=2)
            )
            steps.append((path[-1], moved))
        audit.path(
            CUSTOMER_LIFECYCLE,
            row["id"],
            row["store_id"],
            steps,
            actor_id=actor,
            reasons={"lost": LOST_REASON},
        )
    insert_rows(session, Customer, pool.new_customers)
    insert_rows(session, Vehicle, pool.new_vehicles)
    return len(pool.new_customers)
