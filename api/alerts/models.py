"""The diagnostics-owned alert tables, described for reading only.

They are created by the diagnostics migration (2026_11_26_diagnostics), not from
Base.metadata, so they live on a MetaData of their own that migrations never compare against.
The alert service (diagnostics.alerts) reads and writes them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

ALERT_METADATA = MetaData()

alerts = Table(
    "alerts",
    ALERT_METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("vin", Text),
    Column("failure_mode", Text),
    Column("severity", Text),
    Column("state", Text),
    Column("acknowledged", Boolean),
    Column("source", Text),
    Column("explanation", JSONB),
    Column("count", Integer),
    Column("first_seen", DateTime(timezone=True)),
    Column("last_seen", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True)),
)
