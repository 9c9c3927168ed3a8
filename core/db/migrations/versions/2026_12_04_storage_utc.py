"""Telemetry days are UTC days whatever the server's TimeZone: the partition functions run in UTC.

On a server whose TimeZone was not UTC, pitstop_ensure_partitions cast a date to the session's
midnight, so a day's partition did not hold that UTC day and samples were refused. The
functions now run in UTC, and empty partitions with such bounds are made again; one that
already holds rows is kept and named in a notice.

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

REMAKE_MISALIGNED = """
DO $$
DECLARE
    part record;
    day date;
    has_rows boolean;
    remade date[] := '{}';
BEGIN
    SET LOCAL timezone = 'UTC';
    FOR part IN
        SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'telemetry'::regclass AND c.relname ~ '^telemetry_p[0-9]{8}$'
    LOOP
        day := to_date(substr(part.relname, 12), 'YYYYMMDD');
        CONTINUE WHEN part.bound = format('FOR VALUES FROM (%L) TO (%L)',
                                          day::timestamptz, (day + 1)::timestamptz);
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', part.relname) INTO has_rows;
        IF has_rows THEN
            RAISE NOTICE 'partition % (%) holds rows and is kept', part.relname, part.bound;
        ELSE
            EXECUTE format('DROP TABLE %I', part.relname);
            remade := remade || day;
        END IF;
    END LOOP;
    FOREACH day IN ARRAY remade LOOP
        PERFORM pitstop_ensure_partitions(day, day);
    END LOOP;
END $$"""


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET timezone = 'UTC'")
    op.execute(REMAKE_MISALIGNED)


def downgrade() -> None:
    """Nothing to undo: the functions of the revision before run in UTC too."""
