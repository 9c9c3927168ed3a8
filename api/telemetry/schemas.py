"""API models of telemetry reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from api.pagination import Page
from diagnostics.features import BASELINE_READY_DAYS

Diagnosis = Literal["rules_only", "learning", "full"]


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
    baseline_days: int = Field(0, description="Days of its own normal the car has shown so far")
    baseline_days_needed: int = Field(
        BASELINE_READY_DAYS, description="Days after which the learned models judge the car"
    )
    models_active: bool = Field(False, exclude=True)

    @computed_field(  # type: ignore[prop-decorator]
        description="Who judges the car: rules_only (rules and trouble codes; no model is "
        "trained), learning (rules and trouble codes while the models learn this car's normal) "
        "or full (rules, trouble codes and the learned models)"
    )
    @property
    def diagnosis(self) -> Diagnosis:
        if not self.models_active:
            return "rules_only"
        return "full" if self.baseline_days >= self.baseline_days_needed else "learning"


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
