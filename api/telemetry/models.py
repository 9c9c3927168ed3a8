"""The ingest-owned telemetry tables, and what diagnostics keeps per car, for reading only.

They are created by raw migrations (2026_11_26_telemetry, 2026_11_26_diagnostics), not from
Base.metadata, so they live on a MetaData of their own that migrations never compare against.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from core.signals import COLUMNS

INGEST_METADATA = MetaData()

vehicle_latest = Table(
    "vehicle_latest",
    INGEST_METADATA,
    Column("vin", Text, primary_key=True),
    Column("last_seen", DateTime(timezone=True)),
    Column("sample_ts", DateTime(timezone=True)),
    Column("seq", BigInteger),
    Column("values", JSONB),
    Column("online", Boolean),
    Column("status_ts", DateTime(timezone=True)),
    Column("status_reason", Text),
    Column("stored_dtcs", ARRAY(Text)),
    Column("pending_dtcs", ARRAY(Text)),
    Column("dtc_ts", DateTime(timezone=True)),
)

telemetry = Table(
    "telemetry",
    INGEST_METADATA,
    Column("vin", Text, primary_key=True),
    Column("ts", DateTime(timezone=True), primary_key=True),
    Column("seq", BigInteger),
    *(Column(name, Float) for name in COLUMNS),
)

dtc_events = Table(
    "dtc_events",
    INGEST_METADATA,
    Column("vin", Text, primary_key=True),
    Column("ts", DateTime(timezone=True), primary_key=True),
    Column("code", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("mil", Boolean),
    Column("freeze_frame", JSONB),
)

diagnostics_car_state = Table(
    "diagnostics_car_state",
    INGEST_METADATA,
    Column("vin", Text, primary_key=True),
    Column("baseline_days", Integer),
)

model_registry = Table(
    "model_registry",
    INGEST_METADATA,
    Column("name", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("active", Boolean),
)
