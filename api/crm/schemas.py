"""CRM API models: Customer*, Vehicle*, Interaction* (the 360 view is in overview_schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.crm.constants import (
    EARLIEST_MODEL_YEAR,
    LATEST_MODEL_YEAR,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    CustomerStatus,
    Direction,
    InteractionKind,
    Source,
    TimeOfDay,
    Weekday,
)
from api.pagination import Page
from api.types import Day, DbId, Email, LocalMoment
from core.vin import InvalidVin, validate_vin


def _vin(value: str) -> str:
    try:
        return validate_vin(value)
    except InvalidVin as error:
        raise ValueError(str(error)) from None


Vin = Annotated[str, StringConstraints(max_length=40), AfterValidator(_vin)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 \-]{4,24}$")
]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG_LENGTH)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Plate = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=12)]
Year = Annotated[int, Field(ge=EARLIEST_MODEL_YEAR, le=LATEST_MODEL_YEAR)]


class Consents(BaseModel):
    """Per-channel notification consent; a channel without consent is never used."""

    email: bool = False
    web_push: bool = False
    sms: bool = False
    in_app: bool = False


class CustomerBase(BaseModel):
    """Fields of a customer that staff edit."""

    name: Name = Field(examples=["张伟"])
    phone: Phone = Field(examples=["138 1234 5678"])
    email: Email | None = Field(default=None, examples=["zhang.wei@example.cn"])
    address: str | None = Field(default=None, max_length=300)
    source: Source = Field(examples=["walk_in"])
    preferred_store_id: DbId | None = None
    preferred_weekday: Weekday | None = Field(default=None, examples=["sat"])
    preferred_time_of_day: TimeOfDay | None = Field(default=None, examples=["morning"])
    consents: Consents = Field(default_factory=Consents)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS, examples=[["VIP"]])
    notes: str | None = Field(default=None, max_length=2000)


class CustomerCreate(CustomerBase):
    """A new customer in one of your stores (starts as a prospect)."""

    store_id: DbId


class CustomerUpdate(BaseModel):
    """Changes to a customer; omitted fields stay as they are."""

    name: Name | None = None
    phone: Phone | None = None
    email: Email | None = None
    address: str | None = Field(default=None, max_length=300)
    source: Source | None = None
    preferred_store_id: DbId | None = None
    preferred_weekday: Weekday | None = None
    preferred_time_of_day: TimeOfDay | None = None
    consents: Consents | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    notes: str | None = Field(default=None, max_length=2000)


class CustomerRead(CustomerBase):
    """A customer."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    status: CustomerStatus
    consents_updated_at: datetime | None
    created_at: datetime
    updated_at: datetime


CustomerPage = Page[CustomerRead]


class VehicleBase(BaseModel):
    """Fields of a vehicle that staff edit."""

    plate: Plate | None = Field(default=None, examples=["沪A·D12345"])
    make: Name = Field(examples=["Volkswagen"])
    model: Name = Field(examples=["Passat"])
    year: Year = Field(examples=[2021])
    colour: str | None = Field(default=None, max_length=30, alias="color")  # the API's spelling
    owner_id: DbId | None = None
    telematics_device_id: str | None = Field(default=None, max_length=64)
    warranty_end: Day | None = None


class VehicleCreate(VehicleBase):
    """A new vehicle; the VIN is checked (length, alphabet, check digit where mandatory)."""

    vin: Vin = Field(examples=["LSVAU2180N2183294"])
    store_id: DbId
    odometer_km: float | None = Field(default=None, ge=0, le=2_000_000)


class VehicleUpdate(BaseModel):
    """Changes to a vehicle; omitted fields stay as they are. The VIN never changes."""

    plate: Plate | None = None
    colour: str | None = Field(default=None, max_length=30, alias="color")
    owner_id: DbId | None = None
    telematics_device_id: str | None = Field(default=None, max_length=64)
    warranty_end: Day | None = None
    odometer_km: float | None = Field(default=None, ge=0, le=2_000_000)


class VehicleRead(VehicleBase):
    """A vehicle, with the odometer from telemetry when the car reports a larger one."""

    model_config = ConfigDict(from_attributes=True, validate_by_name=True)  # reads Vehicle.colour

    id: int
    vin: str
    store_id: int
    odometer_km: float | None = Field(description="The larger of telemetry and the manual reading")
    odometer_source: Literal["telemetry", "manual"] | None
    last_seen: datetime | None = Field(description="Last telemetry from the car, if connected")
    online: bool | None
    created_at: datetime


VehiclePage = Page[VehicleRead]


class InteractionCreate(BaseModel):
    """A call, visit or message to log against a customer."""

    customer_id: DbId
    vehicle_id: DbId | None = None
    kind: InteractionKind = Field(examples=["call"])
    direction: Direction = Field(examples=["outbound"])
    summary: str = Field(min_length=1, max_length=2000, examples=["提醒客户 5000 公里保养"])
    occurred_at: LocalMoment | None = Field(default=None, description="Defaults to now")


class InteractionRead(InteractionCreate):
    """A logged interaction."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    user_id: int | None
    occurred_at: datetime


InteractionPage = Page[InteractionRead]
