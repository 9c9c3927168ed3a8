"""API models of telemetry reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.pagination import Page


class LatestRead(BaseModel):
    """The newest known state of one car, as ingest keeps it."""

    model_config = ConfigDict(from_attributes=True)

    vin: str
    vehicle_id: int
    last_seen: datetime | None
    sample_ts: datetime | None
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Latest value per signal (python-OBD names and units)",
        examples=[{"RPM": 812.0, "COOLANT_TEMP": 88.0, "ODOMETER": 42311.5}],
    )
    online: bool | None
    stored_dtcs: list[str] = Field(default_factory=list)
    pending_dtcs: list[str] = Field(default_factory=list)


LatestPage = Page[LatestRead]


class SeriesPoint(BaseModel):
    """One time bucket of one signal."""

    bucket: datetime
    samples: int
    avg: float | None
    min: float | None
    max: float | None


class Series(BaseModel):
    """A signal over time, in buckets of bucket_seconds (date_bin)."""

    vin: str
    signal: str = Field(examples=["COOLANT_TEMP"])
    unit: str = Field(examples=["degree_Celsius"])
    bucket_seconds: int
    points: list[SeriesPoint]


class DtcEventRead(BaseModel):
    """A diagnostic trouble code reported by the car."""

    model_config = ConfigDict(from_attributes=True)

    ts: datetime
    code: str = Field(examples=["P0301"])
    kind: str = Field(examples=["stored"])
    mil: bool | None
    freeze_frame: dict[str, Any] | None


DtcEventPage = Page[DtcEventRead]
