"""Workshop API models: catalogue, technicians, bays, opening hours, slots and appointments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.crm.constants import TimeOfDay, Weekday
from api.pagination import Page
from api.types import Day, DbId, Moment, WallClock
from api.workshop.constants import (
    MAX_SLOTS,
    MAX_TECH_LEVEL,
    AppointmentSource,
    AppointmentStatus,
    BayKind,
    Skill,
)

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20, pattern=r"^\S+$")
]
Level = Annotated[int, Field(ge=1, le=MAX_TECH_LEVEL)]


class OperationBase(BaseModel):
    """A labour operation's catalogue fields."""

    code: Code = Field(examples=["BAT-TEST"])
    name_zh: str = Field(min_length=1, max_length=200, examples=["蓄电池检测"])
    name_en: str = Field(min_length=1, max_length=200, examples=["Battery test"])
    flat_rate_hours: Decimal = Field(gt=0, le=100, decimal_places=2, examples=["0.30"])
    required_skill: Skill = Field(examples=["electrical"])
    min_level: Level = 1
    bay_kind: BayKind | None = Field(default=None, description="NULL: any bay will do")
    active: bool = True


class OperationCreate(OperationBase):
    """A new labour operation in your dealer group's catalogue."""


class OperationRead(OperationBase):
    """A labour operation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dealer_group_id: int


OperationPage = Page[OperationRead]


class TechnicianCreate(BaseModel):
    """A technician profile for a user with the technician role."""

    user_id: DbId
    store_id: DbId
    level: Level = Field(examples=[3])
    skills: list[Skill] = Field(min_length=1, max_length=8, examples=[["electrical", "engine"]])
    active: bool = True


class TechnicianUpdate(BaseModel):
    """Changes to a technician; omitted fields stay as they are."""

    level: Level | None = None
    skills: list[Skill] | None = Field(default=None, min_length=1, max_length=8)
    active: bool | None = None


class TechnicianRead(TechnicianCreate):
    """A technician, with the user's name."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str | None = None


TechnicianPage = Page[TechnicianRead]


class BayCreate(BaseModel):
    """A new workshop bay."""

    store_id: DbId
    code: Code = Field(examples=["L3"])
    name: str = Field(min_length=1, max_length=100, examples=["3号举升工位"])
    kind: BayKind = Field(examples=["lift"])
    active: bool = True


class BayRead(BayCreate):
    """A workshop bay."""

    model_config = ConfigDict(from_attributes=True)

    id: int


BayPage = Page[BayRead]


class DayHours(BaseModel):
    """Opening hours on one weekday (0 = Monday) in the store's time zone."""

    model_config = ConfigDict(from_attributes=True)

    weekday: int = Field(ge=0, le=6, examples=[0])
    opens: WallClock = Field(examples=["08:30"])
    closes: WallClock = Field(examples=["18:00"])


class ClosedDayIn(BaseModel):
    """A day the workshop is closed."""

    model_config = ConfigDict(from_attributes=True)

    day: Day = Field(examples=["2026-10-01"])
    reason: str = Field(min_length=1, max_length=200, examples=["国庆节"])


class StoreHours(BaseModel):
    """A store's weekly hours (missing weekdays are closed) and closed days."""

    week: list[DayHours] = Field(max_length=7)
    closed_days: list[ClosedDayIn] = Field(default_factory=list, max_length=366)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "week": [{"weekday": d, "opens": "08:30", "closes": "18:00"} for d in range(6)],
                    "closed_days": [{"day": "2026-10-01", "reason": "国庆节"}],
                }
            ]
        }
    )


class PartNeed(BaseModel):
    """A part and quantity a job needs."""

    part_id: DbId
    quantity: Decimal = Field(gt=0, le=10_000, examples=["1"])


class SlotPreferences(BaseModel):
    """What suits the customer; slots that match rank first."""

    weekdays: list[Weekday] = Field(default_factory=list, max_length=7, examples=[["sat"]])
    time_of_day: TimeOfDay | None = Field(default=None, examples=["morning"])
    technician_id: DbId | None = Field(default=None, description="A technician they trust")


class SlotSearch(BaseModel):
    """Find times when a skilled technician, a bay and the parts line up."""

    store_id: DbId
    operations: list[Code] = Field(min_length=1, max_length=20, examples=[["BAT-TEST"]])
    earliest: Moment = Field(examples=["2026-12-01T08:00:00+08:00"])
    latest: Moment = Field(examples=["2026-12-08T18:00:00+08:00"])
    parts: list[PartNeed] = Field(default_factory=list, max_length=50)
    preferences: SlotPreferences = Field(default_factory=SlotPreferences)
    limit: int = Field(default=10, ge=1, le=MAX_SLOTS)


class SlotFields(BaseModel):
    """The fields of a bookable slot; the API shows them as SlotRead."""

    model_config = ConfigDict(from_attributes=True)

    starts_at: datetime
    ends_at: datetime
    technician_id: int
    bay_id: int
    score: float = Field(description="Higher is better: preferences, then earliness")
    matches: list[str] = Field(description="Which preferences the slot meets")


class SlotRead(SlotFields):
    """A bookable slot, best first."""

    # proactive has a SlotRead too, so the OpenAPI document names both after their modules;
    # this one keeps the name it had before the package became `workshop`.
    __module__ = "api.service.schemas"


class SlotAnswer(BaseModel):
    """Ranked slots, and when the parts are ready."""

    duration_minutes: int
    skills: list[str]
    parts_ready_at: datetime | None = Field(description="NULL when every part is in stock")
    slots: list[SlotRead]


class AppointmentCreate(BaseModel):
    """Book a visit; without technician and bay the best free ones are chosen."""

    store_id: DbId
    customer_id: DbId
    vehicle_id: DbId
    operations: list[Code] = Field(min_length=1, max_length=20, examples=[["OIL-SVC"]])
    starts_at: Moment = Field(examples=["2026-12-05T09:00:00+08:00"])
    technician_id: DbId | None = None
    bay_id: DbId | None = None
    notes: str | None = Field(default=None, max_length=2000, examples=["客户要求洗车"])


class Reschedule(BaseModel):
    """Move an appointment; the reason is audited."""

    starts_at: Moment = Field(examples=["2026-12-06T14:00:00+08:00"])
    technician_id: DbId | None = None
    bay_id: DbId | None = None
    reason: str = Field(min_length=1, max_length=2000, examples=["客户临时出差"])


class AppointmentRead(BaseModel):
    """An appointment."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    customer_id: int
    vehicle_id: int
    technician_id: int
    bay_id: int
    advisor_id: int | None
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    operation_codes: list[str]
    source: AppointmentSource
    source_ref: str | None
    notes: str | None
    created_at: datetime


AppointmentPage = Page[AppointmentRead]
