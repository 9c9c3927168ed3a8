"""Demo data: a believable dealer group with two Shanghai stores, staff in every role,
about 200 customers with vehicles (the simulated fleet's VINs first) and interactions.

Idempotent: records are found by natural keys (group and store codes, usernames, customer
phone numbers, VINs) and only missing ones are added.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.crm.models import Customer, Interaction, Vehicle
from api.crm.states import CUSTOMER_LIFECYCLE
from api.notifications.seed import seed_notifications
from api.parts.seed import seed_parts
from api.proactive.seed import seed_proactive
from api.sales.seed import seed_sales
from api.seeding import DEMO_PASSWORD, GIVEN, SURNAMES, demo_password_hash, walk
from api.service.seed import seed_service
from core.vin import validate_vin, with_check_digit

DEMO_CUSTOMERS = 200
SEED = 4  # fixed, so every run builds the same people and cars

GROUP = ("SHAUTO", "申城汽车服务集团")
STORES = (  # code, Chinese name, English name, plate prefix
    ("SH-PD", "上海浦东店", "Shanghai Pudong", "沪A"),
    ("SH-MH", "上海闵行店", "Shanghai Minhang", "沪B"),
)
# username, full name, role, store codes (admins see every store of the group anyway)
DEMO_STAFF = (
    ("admin", "周海峰", Role.admin, ()),
    ("manager", "吴丽华", Role.manager, ("SH-PD", "SH-MH")),
    ("sales", "李强", Role.sales_consultant, ("SH-PD",)),
    ("advisor", "王敏", Role.service_advisor, ("SH-PD",)),
    ("technician", "张师傅", Role.technician, ("SH-PD",)),
    ("parts", "赵磊", Role.parts_clerk, ("SH-PD",)),
    ("advisor.mh", "孙婷", Role.service_advisor, ("SH-MH",)),
)
DEMO_CUSTOMER_USER = "customer"  # linked to the owner of the first VIN
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
COLORS = ("白色", "黑色", "银色", "灰色", "蓝色", "红色")
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
class SeedReport:
    """What a seed run added (zero everywhere on a second run)."""

    stores: int = 0
    users: int = 0
    customers: int = 0
    vehicles: int = 0
    interactions: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def demo_vin(serial: int) -> str:
    """A valid SAIC-Volkswagen-style VIN for seeded cars beyond the simulated fleet."""
    return with_check_digit(f"LSVAU2180PD{serial:06d}")


def seed_demo(
    session: Session,
    vins: list[str],
    *,
    customers: int = DEMO_CUSTOMERS,
    consenting: frozenset[str] = frozenset(),
) -> SeedReport:
    """Add the demo dealer group to the database (idempotent); the caller commits.

    The VINs go to the first customers in order; new owners of `consenting` VINs agree to
    the channels the demo delivers on, so that its messages about those cars reach them.
    """
    rng = random.Random(SEED)
    report = SeedReport()
    group = _group(session)
    stores = _stores(session, group, report)
    admin = _staff(session, group, stores, report)
    fleet = [validate_vin(v) for v in vins]
    fleet += [demo_vin(i) for i in range(max(0, customers + customers // 6 - len(fleet)))]
    staff_ids = {code: _staff_of(session, code) for code in stores}
    first_owner = _customers(
        session, rng, fleet, customers, stores, staff_ids, admin, report, consenting
    )
    if first_owner is not None:
        _customer_user(session, group, first_owner, report)
    seed_sales(session, group, stores)
    seed_parts(session, group, stores)
    seed_service(session, group, stores)
    seed_notifications(session, group, stores)
    seed_proactive(session, group, stores)
    session.flush()
    report.logins = [(u, DEMO_PASSWORD, r.value) for u, _, r, _ in DEMO_STAFF]
    report.logins.append((DEMO_CUSTOMER_USER, DEMO_PASSWORD, Role.customer.value))
    return report


def _group(session: Session) -> DealerGroup:
    group = session.scalar(select(DealerGroup).where(DealerGroup.code == GROUP[0]))
    if group is None:
        group = DealerGroup(code=GROUP[0], name=GROUP[1])
        session.add(group)
        session.flush()
    return group


def _stores(session: Session, group: DealerGroup, report: SeedReport) -> dict[str, Store]:
    stores = {}
    for code, zh, en, _ in STORES:
        store = session.scalar(select(Store).where(Store.code == code))
        if store is None:
            store = Store(
                dealer_group_id=group.id,
                code=code,
                name_zh=zh,
                name_en=en,
                city="上海",
                timezone="Asia/Shanghai",
            )
            session.add(store)
            report.stores += 1
        stores[code] = store
    session.flush()
    return stores


def _staff(
    session: Session, group: DealerGroup, stores: dict[str, Store], report: SeedReport
) -> User:
    hashed = demo_password_hash()
    for username, name, role, codes in DEMO_STAFF:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            session.add(
                User(
                    dealer_group_id=group.id,
                    username=username,
                    full_name=name,
                    role=role.value,
                    hashed_password=hashed,
                    is_active=True,
                    token_version=0,
                    stores=[stores[c] for c in codes],
                )
            )
            report.users += 1
    session.flush()
    return session.scalar(select(User).where(User.username == "admin"))


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
    report: SeedReport,
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
    report: SeedReport,
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
    report: SeedReport,
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
            color=rng.choice(COLORS),
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
    rng: random.Random, customer: Customer, staff: list[int], report: SeedReport
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


def _customer_user(
    session: Session, group: DealerGroup, customer: Customer, report: SeedReport
) -> None:
    if session.scalar(select(User.id).where(User.username == DEMO_CUSTOMER_USER)) is not None:
        return
    session.add(
        User(
            dealer_group_id=group.id,
            username=DEMO_CUSTOMER_USER,
            full_name=customer.name,
            role=Role.customer.value,
            hashed_password=demo_password_hash(),
            is_active=True,
            token_version=0,
            customer_id=customer.id,
        )
    )
    report.users += 1


def fleet_vins(session: Session) -> list[str]:
    """Valid VINs of the cars that have reported telemetry, in VIN order."""
    from api.telemetry.models import vehicle_latest
    from core.vin import is_valid_vin

    vins = session.scalars(select(vehicle_latest.c.vin).order_by(vehicle_latest.c.vin))
    return [vin for vin in vins if is_valid_vin(vin)]


def seed_demo_database(
    database_url: str, vins: list[str], *, consenting: frozenset[str] = frozenset()
) -> SeedReport:
    """seed_demo in a transaction of its own on the database."""
    from api.db import make_engine, make_session_factory
    from api.models_base import load_all_models

    load_all_models()
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            return seed_demo(session, vins, consenting=consenting)
    finally:
        engine.dispose()
