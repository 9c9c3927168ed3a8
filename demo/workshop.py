"""Demo workshop: the labour-operation catalogue, technicians with skills, bays and opening
hours.

Idempotent: operations by code, technicians by username, bays by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.parts.models import Warehouse
from api.workshop.models import Bay, ClosedDay, LabourOperation, OpeningHours, Technician
from demo.parts import STORE_WAREHOUSES
from demo.people import demo_password_hash

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


@dataclass
class WorkshopSeedReport:
    """What the workshop seed added."""

    operations: int = 0
    technicians: int = 0
    bays: int = 0


def seed_workshop(
    session: Session, group: DealerGroup, stores: dict[str, Store]
) -> WorkshopSeedReport:
    """Add the demo workshop of the group (idempotent); the caller commits."""
    report = WorkshopSeedReport()
    _operations(session, group, report)
    _technicians(session, group, stores, report)
    for store in stores.values():
        _workshop(session, store, report)
    session.flush()
    return report


def _operations(session: Session, group: DealerGroup, report: WorkshopSeedReport) -> None:
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
    session: Session, group: DealerGroup, stores: dict[str, Store], report: WorkshopSeedReport
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


def _workshop(session: Session, store: Store, report: WorkshopSeedReport) -> None:
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


class Desk(NamedTuple):
    """A store's service desk as the seeded history and the live day book with it."""

    advisor_id: int | None
    technicians: list[Technician]
    bays: list[Bay]
    operations: dict[str, LabourOperation]
    warehouse: Warehouse | None


def desk_of(session: Session, group: DealerGroup, code: str, store: Store) -> Desk:
    """The store's first advisor, its technicians and bays, the group's labour operations by
    code, and the store's parts warehouse."""
    advisor = session.scalar(
        select(User.id)
        .join(User.stores)
        .where(Store.id == store.id, User.role == Role.service_advisor.value)
        .order_by(User.id)
    )
    technicians = session.scalars(
        select(Technician).where(Technician.store_id == store.id).order_by(Technician.id)
    ).all()
    bays = session.scalars(select(Bay).where(Bay.store_id == store.id).order_by(Bay.id)).all()
    operations = {
        op.code: op
        for op in session.scalars(
            select(LabourOperation).where(LabourOperation.dealer_group_id == group.id)
        )
    }
    warehouse = session.scalar(
        select(Warehouse).where(
            Warehouse.dealer_group_id == group.id, Warehouse.code == STORE_WAREHOUSES[code][0]
        )
    )
    return Desk(advisor, list(technicians), list(bays), operations, warehouse)
