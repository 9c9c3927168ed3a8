"""Small factories for workshop tests: operations, technicians, bays and a week of hours."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store
from api.auth.roles import Role
from api.workshop.models import Bay, LabourOperation, OpeningHours, Technician
from tests.factories import make_user


def make_operation(
    session: Session,
    group: DealerGroup,
    *,
    code: str | None = None,
    hours: str = "1.0",
    skill: str = "maintenance",
    min_level: int = 1,
    bay_kind: str | None = "lift",
) -> LabourOperation:
    """A labour operation of the group."""
    operation = LabourOperation(
        dealer_group_id=group.id,
        code=code or f"OP{uuid.uuid4().hex[:6].upper()}",
        name_zh="测试工时",
        name_en="Test operation",
        flat_rate_hours=Decimal(hours),
        required_skill=skill,
        min_level=min_level,
        bay_kind=bay_kind,
    )
    session.add(operation)
    session.flush()
    return operation


def make_technician(
    session: Session,
    group: DealerGroup,
    store: Store,
    *,
    skills: tuple[str, ...] = ("maintenance",),
    level: int = 2,
) -> Technician:
    """A technician user of the store with a workshop profile."""
    user = make_user(session, group, Role.technician, stores=[store])
    technician = Technician(store_id=store.id, user_id=user.id, level=level, skills=list(skills))
    session.add(technician)
    session.flush()
    return technician


def make_bay(session: Session, store: Store, *, kind: str = "lift") -> Bay:
    """A bay of the store."""
    bay = Bay(store_id=store.id, code=f"B{uuid.uuid4().hex[:5]}", name="测试工位", kind=kind)
    session.add(bay)
    session.flush()
    return bay


def open_every_day(
    session: Session, store: Store, *, opens: time = time(8, 30), closes: time = time(18)
) -> None:
    """Give the store the same hours on all seven weekdays."""
    session.add_all(
        OpeningHours(store_id=store.id, weekday=d, opens=opens, closes=closes) for d in range(7)
    )
    session.flush()


def next_weekday(weekday: int, *, weeks_ahead: int = 1, zone: str = "Asia/Shanghai") -> date:
    """The date of the weekday (0 = Monday) at least a week from today, in the zone."""
    today = datetime.now(ZoneInfo(zone)).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def local(day: date, hour: int, minute: int = 0, zone: str = "Asia/Shanghai") -> datetime:
    """A local wall-clock time as an aware datetime."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone))
