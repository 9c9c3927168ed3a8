"""Demo service data: the labour-operation catalogue, technicians with skills, bays, opening
hours, and some service history (delivered work orders with invoices and surveys).

Idempotent: operations by code, technicians by username, bays by code, history by the
work orders' source_ref ("seed:<n>").
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.crm.models import Vehicle
from api.parts.models import Part
from api.seeding import demo_password_hash, walk
from api.service import feedback, settlement, work_orders
from api.service.constants import SURVEY_VALID_DAYS
from api.service.models import Bay, ClosedDay, LabourOperation, OpeningHours, Technician
from api.service.states import WORK_ORDER
from api.service.work_models import Complaint, Invoice, PartLine, Survey, WorkOrder

SEED = 7
HISTORY_PER_STORE = 30  # delivered jobs per store; the demo wants a few months of history
HISTORY_DAYS = 180

# code, Chinese, English, flat-rate hours, skill, minimum level, bay kind (None: any bay)
OPERATIONS = (
    ("OIL-SVC", "机油机滤更换保养", "Oil and filter service", "0.8", "maintenance", 1, "lift"),
    ("BAT-TEST", "蓄电池及充电系统检测", "Battery and charging test", "0.3", "electrical", 1, None),
    ("BAT-REPL", "蓄电池更换", "Battery replacement", "0.5", "electrical", 1, "quick"),
    ("COOL-PT", "冷却系统压力测试", "Coolant system pressure test", "0.6", "cooling", 2, None),
    ("THERMO-R", "节温器更换", "Thermostat replacement", "1.5", "cooling", 2, "lift"),
    ("PLUG-R", "火花塞更换", "Spark plug replacement", "0.8", "engine", 1, None),
    ("COIL-R", "点火线圈更换", "Ignition coil replacement", "0.5", "engine", 2, None),
    (
        "SMOKE-T",
        "进气系统烟雾检漏",
        "Smoke test for vacuum leaks",
        "0.8",
        "diagnostics",
        3,
        "diagnosis",
    ),
    (
        "O2-DIAG",
        "氧传感器及三元催化诊断",
        "O2 sensor and catalyst diagnosis",
        "1.0",
        "diagnostics",
        3,
        "lift",
    ),
    ("O2-REPL", "氧传感器更换", "O2 sensor replacement", "0.6", "engine", 2, "lift"),
    (
        "DTC-SCAN",
        "故障码读取与诊断",
        "Fault code scan and diagnosis",
        "0.5",
        "diagnostics",
        2,
        "diagnosis",
    ),
    ("BRK-PAD-F", "前刹车片更换", "Front brake pads replacement", "1.0", "brakes", 1, "lift"),
    ("BRK-PAD-R", "后刹车片更换", "Rear brake pads replacement", "1.1", "brakes", 1, "lift"),
    ("BRK-FLUID", "制动液更换", "Brake fluid change", "0.6", "brakes", 1, "lift"),
    ("TYRE-ROT", "轮胎换位", "Tyre rotation", "0.4", "tyres", 1, "lift"),
    ("ALIGN", "四轮定位", "Wheel alignment", "1.0", "tyres", 2, "alignment"),
    ("AC-SVC", "空调系统检测及冷媒加注", "AC check and refrigerant recharge", "0.8", "ac", 2, None),
)
# username, name, store code, level, skills ("technician" is the demo login of SH-PD)
TECHNICIANS = (
    ("technician", "张师傅", "SH-PD", 3, ("maintenance", "electrical", "engine", "brakes")),
    ("tech.pd2", "陈建国", "SH-PD", 4, ("diagnostics", "engine", "electrical", "cooling", "ac")),
    ("tech.pd3", "刘洋", "SH-PD", 1, ("maintenance", "tyres", "brakes")),
    ("tech.mh1", "黄志强", "SH-MH", 4, ("diagnostics", "engine", "electrical", "cooling")),
    ("tech.mh2", "徐磊", "SH-MH", 2, ("maintenance", "tyres", "brakes", "electrical", "ac")),
)
BAYS = (  # code, name, kind
    ("L1", "1号举升工位", "lift"),
    ("L2", "2号举升工位", "lift"),
    ("L3", "3号举升工位", "lift"),
    ("A1", "四轮定位工位", "alignment"),
    ("Q1", "快修工位", "quick"),
    ("D1", "诊断工位", "diagnosis"),
)
OPENS, CLOSES = time(8, 30), time(18, 0)
CLOSED_DAYS = (
    (date(2027, 2, 6), "春节"),
    (date(2027, 2, 7), "春节"),
    (date(2026, 10, 1), "国庆节"),
)
# Typical jobs of the history: operations, parts categories, outcome and cause code.
JOBS = (
    (("OIL-SVC", "TYRE-ROT"), ("fluid", "filter"), "maintenance", None),
    (("OIL-SVC",), ("fluid", "filter"), "maintenance", None),
    (("BAT-TEST", "BAT-REPL"), ("battery",), "confirmed_cause", "battery_aging"),
    (("COOL-PT", "THERMO-R"), ("cooling",), "confirmed_cause", "thermostat_stuck_open"),
    (("DTC-SCAN", "PLUG-R", "COIL-R"), ("ignition",), "confirmed_cause", "P0301"),
    (("DTC-SCAN", "SMOKE-T"), (), "no_fault_found", None),
    (("O2-DIAG", "O2-REPL"), ("exhaust",), "confirmed_cause", "P0420"),
    (("BRK-PAD-F", "BRK-FLUID"), ("brake",), "maintenance", None),
)
PATH = (  # a delivered job's way through WORK_ORDER
    "booked", "checked_in", "diagnosis", "estimate_sent", "customer_approved", "in_repair",
    "quality_check", "settled", "delivered",
)  # fmt: skip


@dataclass
class ServiceSeedReport:
    """What the service seed added."""

    operations: int = 0
    technicians: int = 0
    bays: int = 0
    work_orders: int = 0


def seed_service(
    session: Session, group: DealerGroup, stores: dict[str, Store]
) -> ServiceSeedReport:
    """Add the demo service data for the group (idempotent); the caller commits."""
    report = ServiceSeedReport()
    _operations(session, group, report)
    _technicians(session, group, stores, report)
    for store in stores.values():
        _workshop(session, store, report)
    rng = random.Random(SEED)
    for store in stores.values():
        _history(session, rng, store, report)
    session.flush()
    return report


def _operations(session: Session, group: DealerGroup, report: ServiceSeedReport) -> None:
    known = set(
        session.scalars(
            select(LabourOperation.code).where(LabourOperation.dealer_group_id == group.id)
        )
    )
    for code, zh, en, hours, skill, level, bay_kind in OPERATIONS:
        if code not in known:
            session.add(
                LabourOperation(
                    dealer_group_id=group.id,
                    code=code,
                    name_zh=zh,
                    name_en=en,
                    flat_rate_hours=Decimal(hours),
                    required_skill=skill,
                    min_level=level,
                    bay_kind=bay_kind,
                )
            )
            report.operations += 1
    session.flush()


def _technicians(
    session: Session, group: DealerGroup, stores: dict[str, Store], report: ServiceSeedReport
) -> None:
    for username, name, code, level, skills in TECHNICIANS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                dealer_group_id=group.id,
                username=username,
                full_name=name,
                role=Role.technician.value,
                hashed_password=demo_password_hash(),
                is_active=True,
                token_version=0,
                stores=[stores[code]],
            )
            session.add(user)
            session.flush()
        if session.scalar(select(Technician.id).where(Technician.user_id == user.id)) is None:
            session.add(
                Technician(
                    store_id=stores[code].id, user_id=user.id, level=level, skills=list(skills)
                )
            )
            report.technicians += 1
    session.flush()


def _workshop(session: Session, store: Store, report: ServiceSeedReport) -> None:
    codes = set(session.scalars(select(Bay.code).where(Bay.store_id == store.id)))
    for code, name, kind in BAYS:
        if code not in codes:
            session.add(Bay(store_id=store.id, code=code, name=name, kind=kind))
            report.bays += 1
    if session.scalar(select(OpeningHours.id).where(OpeningHours.store_id == store.id)) is None:
        session.add_all(
            OpeningHours(store_id=store.id, weekday=d, opens=OPENS, closes=CLOSES) for d in range(7)
        )
        session.add_all(
            ClosedDay(store_id=store.id, day=day, reason=reason) for day, reason in CLOSED_DAYS
        )
    session.flush()


def _history(session: Session, rng: random.Random, store: Store, report: ServiceSeedReport) -> None:
    cars = session.scalars(
        select(Vehicle)
        .where(Vehicle.store_id == store.id, Vehicle.owner_id.is_not(None))
        .order_by(Vehicle.id)
    ).all()
    if not cars:
        return
    advisor = session.scalar(
        select(User.id)
        .join(User.stores)
        .where(Store.id == store.id, User.role == Role.service_advisor.value)
    )
    technicians = session.scalars(
        select(Technician).where(Technician.store_id == store.id).order_by(Technician.id)
    ).all()
    parts_by_category: dict[str, list[Part]] = {}
    for part in session.scalars(
        select(Part).where(Part.dealer_group_id == store.dealer_group_id).order_by(Part.id)
    ):
        parts_by_category.setdefault(part.category, []).append(part)
    now = datetime.now(UTC)
    for n in range(min(HISTORY_PER_STORE, len(cars))):
        ref = f"seed:{store.code}:{n}"
        exists = session.scalar(
            select(WorkOrder.id).where(WorkOrder.store_id == store.id, WorkOrder.source_ref == ref)
        )
        if exists is not None:
            continue
        car = cars[rng.randrange(len(cars))]
        operations, categories, outcome, cause = JOBS[rng.randrange(len(JOBS))]
        when = now - timedelta(days=rng.randint(3, HISTORY_DAYS), hours=rng.randint(0, 6))
        _job(
            session,
            rng,
            store,
            car,
            operations,
            categories,
            outcome,
            cause,
            when,
            ref,
            advisor,
            technicians,
            parts_by_category,
        )
        report.work_orders += 1


def _job(session, rng, store, car, operations, categories, outcome, cause, when, ref, advisor,
         technicians, parts_by_category) -> None:  # fmt: skip
    fitting = [t for t in technicians if t.level >= 2] or list(technicians)
    wo = work_orders.draft_work_order(
        session,
        actor=store.id,
        store_id=store.id,
        customer_id=car.owner_id,
        vehicle_id=car.id,
        operations=operations,
        source="walk_in",
        source_ref=ref,
        advisor_id=advisor,
        technician_id=rng.choice(fitting).id if fitting else None,
    )
    # History took its parts long ago: issued lines without touching today's stock.
    for category in categories:
        choices = parts_by_category.get(category)
        if choices:
            part = rng.choice(choices)
            quantity = Decimal(4 if part.unit == "litre" else 1)
            session.add(
                PartLine(
                    work_order_id=wo.id,
                    part_id=part.id,
                    quantity=quantity,
                    unit_price=part.list_price,
                    status="issued",
                )
            )
    session.flush()
    session.refresh(wo, attribute_names=["parts"])
    # The visit is history: the job is written in its end state (the invoice and survey by
    # their services), and its audit rows by walk(), which checks the path and the guards.
    wo.odometer_km = float(car.odometer_km or rng.randint(8_000, 90_000))
    wo.inspection = {
        "tyres": {"result": "ok", "note": None},
        "lights": {"result": "ok", "note": None},
    }
    work_orders.record_outcome(
        session, actor=store.id, work_order_id=wo.id, outcome=outcome, cause_code=cause
    )
    wo.status = "settled"
    settlement.issue_invoice(session, work_order=wo)
    delivered = when + timedelta(hours=5)
    wo.status, wo.created_at = "delivered", when
    wo.checked_in_at, wo.delivered_at = when + timedelta(minutes=10), delivered
    survey = feedback.create_survey(session, work_order=wo)
    steps_at = when + timedelta(minutes=20)
    session.add_all(
        walk(WORK_ORDER, wo, PATH, actor_id=None, at=steps_at, session=session, started=True)
    )
    if rng.random() < 0.8:  # most customers answer
        low = rng.random() < 0.12
        csi, nps = (
            (rng.randint(3, 6), rng.randint(2, 6))
            if low
            else (rng.randint(8, 10), rng.randint(7, 10))
        )
        comment = "等待时间太长,未主动告知进度" if low else None
        feedback.answer_survey(session, token=survey.token, csi=csi, nps=nps, comment=comment)
    _backdate(session, wo, delivered, steps_at)


def _backdate(session: Session, wo: WorkOrder, delivered: datetime, steps_at: datetime) -> None:
    """Date what the services wrote today (creation row, invoice, survey, complaint) back."""
    session.execute(
        update(StateTransition)
        .where(StateTransition.entity_type == "work_order", StateTransition.entity_id == wo.id)
        .values(at=steps_at)
    )
    session.execute(
        update(Invoice).where(Invoice.work_order_id == wo.id).values(issued_at=delivered)
    )
    session.execute(
        update(Survey)
        .where(Survey.work_order_id == wo.id)
        .values(created_at=delivered, expires_at=delivered + timedelta(days=SURVEY_VALID_DAYS))
    )
    session.execute(
        update(Survey)
        .where(Survey.work_order_id == wo.id, Survey.answered_at.is_not(None))
        .values(answered_at=delivered + timedelta(days=1))
    )
    session.execute(
        update(Complaint)
        .where(Complaint.work_order_id == wo.id)
        .values(created_at=delivered + timedelta(days=1))
    )
