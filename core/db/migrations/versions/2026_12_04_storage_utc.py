"""Telemetry days are UTC days whatever the server's TimeZone: the partition functions run in UTC.

On a server whose TimeZone was not UTC, pitstop_ensure_partitions cast a date to the session's
midnight, so a day's partition did not hold that UTC day and samples were refused.

Revision ID: 2026_12_04_storage_utc
Revises: 2026_11_26_telemetry
Create Date: 2026-12-04
"""

from alembic import op

revision = "2026_12_04_storage_utc"
down_revision = "2026_11_26_telemetry"
branch_labels = None
depends_on = None

FUNCTIONS = ("pitstop_ensure_partitions(date, date)", "pitstop_drop_partitions_before(date)")


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET timezone = 'UTC'")


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} RESET timezone")
