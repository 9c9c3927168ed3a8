"""Demo CRM data: about 200 customers with vehicles (the simulated fleet's VINs first), their
lifecycle and interactions.

Idempotent: customers are found by phone number and vehicles by VIN; only missing ones are
added, and a customer's interactions are logged once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import Store, User
from api.crm.models import Customer, Interaction, Vehicle
from api.crm.states import CUSTOMER_LIFECYCLE
from core.vin import validate_vin, with_check_digit
from demo.group import STORES
from demo.history import walk
from demo.people import GIVEN, SURNAMES

SEED = 4  # fixed, so every run builds the same people and cars
# What the owners of the demo's faulty cars agreed to: the channels the demo delivers on (it
# runs no mail server, and a Web Push subscription exists only once made in a browser).
WATCHED_CONSENTS = {"in_app": True, "sms": True}

MODELS = (  # make, model, share of the fleet
    ("Volkswagen", "Lavida", 14),
    ("Volkswagen", "Passat", 10),
    ("Volkswagen", "Tiguan L", 8),
    ("Toyota", "Camry", 9),
    ("Toyota", "Corolla", 7),
    ("Honda", "Accord", 8),
    ("Honda", "CR-V", 7),
    ("Buick", "GL8", 6),
    ("Nissan", "Sylphy", 9),
    ("BYD", "Qin PLUS", 6),
    ("Audi", "A4L", 5),
    ("Mercedes-Benz", "C 260 L", 4),
)
COLOURS = ("白色", "黑色", "银色", "灰色", "蓝色", "红色")
INTERACTIONS = (
    ("call", "outbound", "提醒客户 {km} 公里保养"),
    ("visit", "inbound", "到店咨询保养套餐"),
    ("message", "outbound", "发送首保预约链接"),
    ("call", "inbound", "询问轮胎更换价格"),
    ("visit", "inbound", "洗车并检查胎压"),
    ("message", "inbound", "反馈空调异味"),
)
LOST_REASON = "车辆已转卖 / sold the car"
TAGS = ("VIP", "车友会", "新能源意向", "延保客户", "老客户转介绍", "企业客户")


@dataclass
class CrmSeedReport:
    """What the CRM seed added (zero everywhere on a second run), and the first customer."""

    customers: int = 0
    vehicles: int = 0
    interactions: int = 0
    first_customer: Customer | None = None


def demo_vin(serial: int) -> str:
    """A valid SAIC-Volkswagen-style VIN for seeded cars beyond the simulated fleet."""
    return with_check_digit(f"LSVAU2180PD{serial:06d}")


def seed_crm(
    session: Session,
    stores: dict[str, Store],
    admin: User,
    vins: list[str],
    *,
    customers: int,
    consenting: frozenset[str],
) -> CrmSeedReport:
    """Add `customers` customers to the stores (idempotent), the `vins` going to the first ones
    in order; new owners of `consenting` VINs agree to the channels the demo delivers on."""
    report = CrmSeedReport()
    fleet = [validate_vin(v) for v in vins]
    fleet += [demo_vin(i) for i in range(max(0, customers + customers // 6 - len(fleet)))]
    staff_ids = {code: _staff_of(session, code) for code in stores}
    rng = random.Random(SEED)
    report.first_customer = _customers(
        session, rng, fleet, customers, stores, staff_ids, admin, report, consenting
    )
    return report


def _staff_of(session: Session, code: str) -> list[int]:
    stmt = select(User.id).join(User.stores).where(Store.code == code, User.role != "customer")
    return list(session.scalars(stmt))


@dataclass
class _Planned:
    """A seeded customer and what the seed decided for them before anything is written."""

    customer: Customer
    new: bool
    path: tuple[str, ...] = ()
    interactions: list[Interaction] = field(default_factory=list)


def _customers(
    session: Session,
    rng: random.Random,
    fleet: list[str],
    count: int,
    stores: dict[str, Store],
    staff_ids: dict[str, list[int]],
    admin: User,
    report: CrmSeedReport,
    consenting: frozenset[str],
) -> Customer | None:
    """The demo customers with their cars, lifecycle and interactions, written in bulk.

    Existing records (by phone, VIN, or an interaction already logged) are kept, so a second
    run adds nothing; a new customer's lifecycle path is checked against CUSTOMER_LIFECYCLE.
    """
    phones = [_phone(index) for index in range(count)]
    known = {
        c.phone: c for c in session.scalars(select(Customer).where(Customer.phone.in_(phones)))
    }
    taken = set(session.scalars(select(Vehicle.vin).where(Vehicle.vin.in_(fleet))))
    talked = set(
        session.scalars(
            select(Interaction.customer_id).where(
                Interaction.customer_id.in_([c.id for c in known.values()])
            )
        )
    )
    next_vin = iter(fleet)
    planned: list[_Planned] = []
    for index in range(count):
        code = STORES[index % len(STORES)][0]
        plan = _customer(rng, index, stores[code], known, report)
        for _ in range(2 if index % 6 == 5 else 1):
            vin = next(next_vin, None)
            if vin is not None and vin not in taken:
                _vehicle(rng, vin, stores[code], plan.customer, report)
        if plan.new and any(v.vin in consenting for v in plan.customer.vehicles):
            plan.customer.consents = dict(plan.customer.consents, **WATCHED_CONSENTS)
        if plan.customer.status in (None, "prospect"):
            plan.path = _lifecycle(rng, owns_a_car=bool(plan.customer.vehicles))
        if plan.new or plan.customer.id not in talked:
            plan.interactions = _interactions(rng, plan.customer, staff_ids[code], report)
        planned.append(plan)
    for plan in planned:
        if plan.new:  # written straight in its final state; walk() logs the whole path
            plan.customer.status = plan.path[-1]
            session.add(plan.customer)
    session.flush()
    for plan in planned:
        if plan.new:
            session.add_all(
                walk(
                    CUSTOMER_LIFECYCLE,
                    plan.customer,
                    plan.path,
                    actor_id=admin.id,
                    reasons={"lost": LOST_REASON},
                )
            )
        else:  # an existing prospect who may now own a car goes through the service
            for to in plan.path[1:]:
                reason = LOST_REASON if to == "lost" else None
                CUSTOMER_LIFECYCLE.apply(
                    session, entity=plan.customer, to=to, actor_id=admin.id, reason=reason
                )
        for interaction in plan.interactions:
            interaction.customer_id = plan.customer.id
            session.add(interaction)
    session.flush()
    return planned[0].customer if planned else None


def _phone(index: int) -> str:
    return f"13{index % 10}{52000000 + index * 7919 % 10**7:08d}"


def _customer(
    rng: random.Random,
    index: int,
    store: Store,
    known: dict[str, Customer],
    report: CrmSeedReport,
) -> _Planned:
    phone = _phone(index)
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    weekday, time_of_day, tags = (
        rng.choice(("sat", "sun", "wed", None)),
        rng.choice(("morning", "afternoon", "evening")),
        rng.sample(TAGS, k=rng.choice((0, 0, 1, 2))),
    )
    consents = {
        "sms": rng.random() < 0.8,
        "in_app": True,
        "web_push": rng.random() < 0.4,
        "email": rng.random() < 0.3,
    }
    source = rng.choices(("walk_in", "web", "referral", "phone", "event"), (40, 25, 15, 12, 8))[0]
    if phone in known:
        return _Planned(known[phone], new=False)
    customer = Customer(
        store_id=store.id,
        name=name,
        phone=phone,
        source=source,
        status=CUSTOMER_LIFECYCLE.initial,
        consents=consents,
        consents_updated_at=datetime.now(UTC),
        tags=tags,
        preferred_store_id=store.id,
        preferred_weekday=weekday,
        preferred_time_of_day=time_of_day,
    )
    report.customers += 1
    return _Planned(customer, new=True)


def _vehicle(
    rng: random.Random,
    vin: str,
    store: Store,
    owner: Customer,
    report: CrmSeedReport,
) -> None:
    make, model = rng.choices([m[:2] for m in MODELS], [m[2] for m in MODELS])[0]
    year = rng.randint(2016, 2024)
    plate = f"{next(p for c, _, _, p in STORES if c == store.code)}·{rng.randint(10000, 99999)}"
    odometer = round((2025 - year) * rng.uniform(8000, 18000), 1)
    owner.vehicles.append(
        Vehicle(
            store_id=store.id,
            vin=vin,
            plate=plate,
            make=make,
            model=model,
            year=year,
            colour=rng.choice(COLOURS),
            odometer_km=odometer,
            odometer_read_at=datetime.now(UTC) - timedelta(days=rng.randint(1, 120)),
            warranty_end=date(year + 3, rng.randint(1, 12), 1),
        )
    )
    report.vehicles += 1


def _lifecycle(rng: random.Random, owns_a_car: bool) -> tuple[str, ...]:
    """The path of a prospect: active once they own a car, then a few go dormant or are lost."""
    if not owns_a_car:
        return ("prospect",)
    roll = rng.random()
    if roll < 0.12:
        return ("prospect", "active", "dormant")
    if roll < 0.17:
        return ("prospect", "active", "lost")
    return ("prospect", "active")


def _interactions(
    rng: random.Random, customer: Customer, staff: list[int], report: CrmSeedReport
) -> list[Interaction]:
    now = datetime.now(UTC)
    made = []
    for _ in range(rng.randint(1, 3)):
        kind, direction, summary = rng.choice(INTERACTIONS)
        made.append(
            Interaction(
                store_id=customer.store_id,
                kind=kind,
                direction=direction,
                summary=summary.format(km=rng.choice((5000, 10000, 20000))),
                user_id=rng.choice(staff) if staff else None,
                occurred_at=now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 600)),
            )
        )
        report.interactions += 1
    return made
