"""Demo sales data: the SAIC-Volkswagen line-up, stock in both stores, extra consultants, and
six months of leads walked through the real services (every state, delivered cars with margins).

Idempotent: catalogue entries are found by code, stock by VIN, consultants by username, and
the history is written only when the stores have no leads yet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.auth.scope import Scope
from api.crm.models import Vehicle
from api.sales import service, stock
from api.sales.constants import NEW_CAR_WARRANTY_YEARS
from api.sales.models import ChecklistItem, Lead, Quote, SalesModel, SalesOrder, StockVehicle
from api.sales.schemas import (
    FinancingIn,
    LeadCreate,
    OptionLine,
    OrderCreate,
    QuoteCreate,
    StockArrival,
)
from api.sales.states import STOCK_FLOW
from core.vin import with_check_digit
from demo.people import GIVEN, SURNAMES, demo_password_hash
from demo.sales_data import (
    CANCEL_REASONS,
    CATALOGUE,
    CONSULTANTS,
    LOST_REASONS,
    OLD_OUTCOMES,
    OPTIONS,
    PAINT_COLOURS,
    PATH,
    RECENT_OUTCOMES,
    SOURCES,
)

SEED = 11  # fixed, so every run tells the same sales story
HISTORY_MONTHS = 6
LEADS_PER_STORE_MONTH = 14
FREE_STOCK_PER_STORE = 22


@dataclass
class SalesSeedReport:
    """What the sales seed added (zero everywhere on a second run)."""

    models: int = 0
    stock: int = 0
    consultants: int = 0
    leads: int = 0
    delivered: int = 0


def seed_sales(session: Session, group: DealerGroup, stores: dict[str, Store]) -> SalesSeedReport:
    """Add the sales demo data for the group's stores (idempotent); the caller commits."""
    rng = random.Random(SEED)
    report = SalesSeedReport()
    admin = session.scalar(select(User).where(User.username == "admin"))
    manager = Scope(admin.id, Role.admin, group.id, frozenset(s.id for s in stores.values()))
    models = _catalogue(session, group, report)
    _consultants(session, group, stores, report)
    for index, store in enumerate(stores.values()):
        for serial in range(FREE_STOCK_PER_STORE):
            _stock_car(
                session, rng, manager, store, rng.choice(models), 10_000 * index + serial, report
            )
    if session.scalar(select(Lead.id).where(Lead.store_id.in_(manager.store_ids)).limit(1)):
        return report
    now = datetime.now(UTC)
    for index, (code, store) in enumerate(stores.items()):
        sellers = _sellers(session, code)
        for month in range(HISTORY_MONTHS):
            for n in range(LEADS_PER_STORE_MONTH):
                created = now - timedelta(
                    days=1 + 30 * month + rng.uniform(0, 29), hours=rng.randint(0, 8)
                )
                serial = 100_000 * (index + 1) + 1000 * month + n
                seller = rng.choice(sellers)
                age = (now - created).days
                outcomes = OLD_OUTCOMES if age > 45 else RECENT_OUTCOMES
                target = rng.choices([o for o, _ in outcomes], [w for _, w in outcomes])[0]
                _story(
                    session,
                    rng,
                    manager,
                    store,
                    seller,
                    rng.choice(models),
                    serial,
                    created,
                    target,
                    report,
                )
    return report


def _catalogue(session: Session, group: DealerGroup, report: SalesSeedReport) -> list[SalesModel]:
    models = []
    for code, model, trim, powertrain, msrp in CATALOGUE:
        entry = session.scalar(
            select(SalesModel).where(
                SalesModel.dealer_group_id == group.id, SalesModel.code == code
            )
        )
        if entry is None:
            entry = SalesModel(
                dealer_group_id=group.id,
                code=code,
                make="Volkswagen",
                model=model,
                trim=trim,
                model_year=2025,
                powertrain=powertrain,
                msrp=Decimal(msrp),
            )
            session.add(entry)
            report.models += 1
        models.append(entry)
    session.flush()
    return models


def _consultants(
    session: Session, group: DealerGroup, stores: dict[str, Store], report: SalesSeedReport
) -> None:
    for username, name, code in CONSULTANTS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            session.add(
                User(
                    dealer_group_id=group.id,
                    username=username,
                    full_name=name,
                    role=Role.sales_consultant.value,
                    hashed_password=demo_password_hash(),
                    is_active=True,
                    token_version=0,
                    stores=[stores[code]],
                )
            )
            report.consultants += 1
    session.flush()


def _sellers(session: Session, code: str) -> list[Scope]:
    users = session.scalars(
        select(User)
        .join(User.stores)
        .where(Store.code == code, User.role == Role.sales_consultant.value)
        .order_by(User.id)
    )
    return [
        Scope(u.id, Role.sales_consultant, u.dealer_group_id, frozenset(u.store_ids)) for u in users
    ]


def _vin(serial: int) -> str:
    return with_check_digit(f"LSVAB2C80SA{serial:06d}")


def _stock_car(
    session: Session,
    rng: random.Random,
    actor: Scope,
    store: Store,
    model: SalesModel,
    serial: int,
    report: SalesSeedReport,
) -> StockVehicle:
    vin = _vin(serial)
    found = session.scalar(select(StockVehicle).where(StockVehicle.vin == vin))
    if found is not None:
        return found
    cost = (model.msrp * Decimal(str(round(rng.uniform(0.86, 0.93), 3)))).quantize(Decimal("1E2"))
    roll = rng.random()
    status = "in_transit" if roll < 0.18 else "in_showroom" if roll < 0.5 else "in_warehouse"
    location = {
        "in_transit": "在途:上汽大众安亭工厂",
        "in_showroom": f"展厅 {rng.choice('ABC')} 区",
        "in_warehouse": f"{rng.choice('一二')}号库 {rng.choice('ABCD')}-{rng.randint(1, 30):02d}",
    }[status]
    car = StockVehicle(
        store_id=store.id,
        vin=vin,
        model_id=model.id,
        colour=rng.choice(PAINT_COLOURS),
        location=location,
        cost=cost,
    )
    STOCK_FLOW.start(session, entity=car, actor_id=actor.user_id)
    if status != "in_transit":
        car.arrived_at = datetime.now(UTC) - timedelta(days=rng.randint(3, 90))
        session.flush()
        STOCK_FLOW.apply(session, entity=car, to="in_warehouse", actor_id=actor.user_id)
        if status == "in_showroom":
            STOCK_FLOW.apply(session, entity=car, to="in_showroom", actor_id=actor.user_id)
    report.stock += 1
    return car


def _story(
    session: Session,
    rng: random.Random,
    manager: Scope,
    store: Store,
    seller: Scope,
    model: SalesModel,
    serial: int,
    created: datetime,
    target: str,
    report: SalesSeedReport,
) -> None:
    """One lead, walked through the services to its final state, then dated in the past."""

    source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
    lead = service.create_lead(
        session,
        actor=seller,
        actor_id=seller.user_id,
        data=LeadCreate(
            store_id=store.id,
            source=source,
            interested_model_id=model.id,
            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            phone=f"136{serial:08d}",
        ),
    )
    report.leads += 1
    last = "lead"
    reached = PATH.index(target) if target in PATH else rng.randint(0, 2)
    if target == "cancelled":
        reached = rng.randint(3, 4)
    for step in PATH[1 : reached + 1]:
        _advance(session, rng, seller, lead, step, model, store, serial)
        last = step
    if target == "lost":
        service.change_lead_status(
            session,
            actor=seller,
            actor_id=seller.user_id,
            lead_id=lead.id,
            to="lost",
            reason=rng.choice(LOST_REASONS),
        )
    elif target == "cancelled":
        service.change_lead_status(
            session,
            actor=manager,
            actor_id=manager.user_id,
            lead_id=lead.id,
            to="cancelled",
            reason=rng.choice(CANCEL_REASONS),
        )
    elif last == "delivered":
        report.delivered += 1
    _date_in_the_past(session, rng, lead, created)


def _advance(
    session: Session,
    rng: random.Random,
    seller: Scope,
    lead: Lead,
    step: str,
    model: SalesModel,
    store: Store,
    serial: int,
) -> None:
    actor = seller.user_id
    if step == "quote":
        options = [
            OptionLine(code=c, name=n, price=Decimal(p))
            for c, n, p in rng.sample(OPTIONS, k=rng.randint(0, 2))
        ]
        discount = (model.msrp * Decimal(str(round(rng.uniform(0.02, 0.09), 3)))).quantize(
            Decimal(100)
        )
        financing = None
        if rng.random() < 0.4:
            financing = FinancingIn(
                provider="上汽大众金融",
                down_payment=model.msrp * Decimal("0.3"),
                term_months=rng.choice((24, 36, 60)),
                apr_percent=rng.choice((Decimal(0), Decimal("3.99"))),
            )
        data = QuoteCreate(
            model_id=model.id,
            colour=rng.choice(PAINT_COLOURS),
            options=options,
            discount=discount,
            financing=financing,
        )
        service.create_quote(session, actor=seller, actor_id=actor, lead_id=lead.id, data=data)
    elif step == "order":
        quote = session.scalar(select(Quote).where(Quote.lead_id == lead.id).order_by(Quote.id))
        deposit = Decimal(rng.choice((2000, 5000, 10000)))
        service.place_order(
            session,
            actor=seller,
            actor_id=actor,
            lead_id=lead.id,
            data=OrderCreate(quote_id=quote.id, deposit=deposit),
        )
    elif step == "allocated":
        car = _stock_car(session, rng, seller, store, model, serial, SalesSeedReport())
        if car.status == "in_transit" and rng.random() < 0.8:
            stock.record_arrival(
                session, actor=seller, actor_id=actor, stock_id=car.id, data=_arrival()
            )
        service.allocate(session, actor=seller, actor_id=actor, lead_id=lead.id, vin=car.vin)
        if car.arrived_at is None:
            stock.record_arrival(
                session, actor=seller, actor_id=actor, stock_id=car.id, data=_arrival()
            )
    elif step == "pdi":
        service.change_lead_status(session, actor=seller, actor_id=actor, lead_id=lead.id, to="pdi")
    elif step == "delivered":
        order = session.scalar(select(SalesOrder).where(SalesOrder.lead_id == lead.id))
        session.execute(
            update(ChecklistItem)
            .where(ChecklistItem.order_id == order.id)
            .values(result="ok", checked_by_id=actor, checked_at=datetime.now(UTC))
        )
        service.change_lead_status(
            session, actor=seller, actor_id=actor, lead_id=lead.id, to="delivered"
        )
    else:
        service.change_lead_status(session, actor=seller, actor_id=actor, lead_id=lead.id, to=step)


def _arrival() -> StockArrival:
    return StockArrival(location="一号库 新到车位")


def _date_in_the_past(session: Session, rng: random.Random, lead: Lead, created: datetime) -> None:
    """Spread the lead's steps over the days after `created`, and date its records to match."""
    lead.created_at = created
    rows = session.scalars(
        select(StateTransition)
        .where(StateTransition.entity_type == "sales_lead", StateTransition.entity_id == lead.id)
        .order_by(StateTransition.id)
    ).all()
    gaps = [timedelta(days=rng.uniform(0.5, 6), hours=rng.uniform(0, 5)) for _ in rows[1:]]
    room = datetime.now(UTC) - timedelta(hours=1) - created
    spread = sum(gaps, timedelta())
    if spread > room:  # a recent lead: squeeze its steps in before now
        gaps = [gap * (room / spread) for gap in gaps]
    at = created
    when: dict[str, datetime] = {}
    for row, gap in zip(rows, [timedelta()] + gaps, strict=True):
        at += gap
        row.at = at
        when[row.to_state] = at
    order = session.scalar(select(SalesOrder).where(SalesOrder.lead_id == lead.id))
    if order is not None:
        order.ordered_at = when["order"]
        session.execute(
            update(Quote).where(Quote.lead_id == lead.id).values(created_at=when["quote"])
        )
        if order.delivered_at is not None:
            order.delivered_at = when["delivered"]
            delivered_on = order.delivered_at.date()
            car = session.get(StockVehicle, order.stock_vehicle_id)
            session.execute(
                update(Vehicle)
                .where(Vehicle.vin == car.vin)
                .values(
                    warranty_end=stock.years_later(delivered_on, NEW_CAR_WARRANTY_YEARS),
                    odometer_read_at=order.delivered_at,
                )
            )
    session.flush()
