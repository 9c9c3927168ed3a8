"""Telemetry storage: samples, DTC events, status events, latest state, dead letters.

Detects TimescaleDB. With it: a hypertable with compression, retention and a continuous
aggregate. Without it: native daily range partitions (created ahead of time and on demand by
pitstop_ensure_partitions) and a materialised view. Both paths expose the same names.

Revision ID: 2026_11_26_telemetry
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "2026_11_26_telemetry"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copy of the signal catalogue at this revision: later signals get their own migration.
SIGNAL_COLUMNS = (
    "rpm",
    "speed",
    "engine_load",
    "coolant_temp",
    "short_fuel_trim_1",
    "long_fuel_trim_1",
    "intake_temp",
    "maf",
    "throttle_pos",
    "o2_b1s1",
    "o2_b1s2",
    "run_time",
    "fuel_level",
    "distance_since_dtc_clear",
    "control_module_voltage",
    "ambiant_air_temp",
    "odometer",
    "elm_voltage",
)
HOURLY = """
    count(*) AS samples,
    avg(rpm) AS rpm_avg, max(rpm) AS rpm_max, stddev_samp(rpm) AS rpm_stddev,
    avg(speed) AS speed_avg, max(speed) AS speed_max,
    avg(engine_load) AS engine_load_avg,
    avg(coolant_temp) AS coolant_temp_avg, max(coolant_temp) AS coolant_temp_max,
    avg(long_fuel_trim_1) AS long_fuel_trim_1_avg,
    avg(control_module_voltage) AS control_module_voltage_avg,
    min(control_module_voltage) AS control_module_voltage_min,
    min(elm_voltage) AS elm_voltage_min, max(odometer) AS odometer_max
"""


def _timescale_available() -> bool:
    row = (
        op.get_bind()
        .exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
        .first()
    )
    return row is not None


def upgrade() -> None:
    timescale = _timescale_available()
    columns = ",\n".join(f"    {c} double precision" for c in SIGNAL_COLUMNS)
    partitioning = "" if timescale else "PARTITION BY RANGE (ts)"
    op.execute(f"""
CREATE TABLE telemetry (
    vin text NOT NULL,
    ts timestamptz NOT NULL,
    seq bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
{columns},
    CONSTRAINT telemetry_pkey PRIMARY KEY (vin, ts)
) {partitioning}""")
    op.execute("""
CREATE TABLE pitstop_meta (key text PRIMARY KEY, value text NOT NULL)""")
    op.execute(
        "INSERT INTO pitstop_meta VALUES ('telemetry_storage', %s)"
        % ("'timescaledb'" if timescale else "'partitions'")
    )
    if timescale:
        _upgrade_timescale()
    else:
        _upgrade_partitions()

    op.execute("""
CREATE TABLE dtc_events (
    vin text NOT NULL,
    ts timestamptz NOT NULL,
    code text NOT NULL,
    kind text NOT NULL CONSTRAINT dtc_events_kind_check CHECK (kind IN ('stored', 'pending')),
    mil boolean,
    freeze_frame jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dtc_events_pkey PRIMARY KEY (vin, ts, code, kind)
)""")
    op.execute("CREATE INDEX dtc_events_code_idx ON dtc_events (code, ts)")
    op.execute("""
CREATE TABLE vehicle_status_events (
    vin text NOT NULL,
    ts timestamptz NOT NULL,
    state text NOT NULL CONSTRAINT vehicle_status_events_state_check
        CHECK (state IN ('online', 'offline')),
    reason text,
    agent jsonb,
    buffer jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT vehicle_status_events_pkey PRIMARY KEY (vin, ts, state)
)""")
    op.execute("""
CREATE TABLE vehicle_latest (
    vin text PRIMARY KEY,
    last_seen timestamptz NOT NULL,
    sample_ts timestamptz,
    seq bigint,
    "values" jsonb NOT NULL DEFAULT '{}',
    online boolean NOT NULL DEFAULT false,
    status_ts timestamptz,
    status_reason text,
    agent jsonb,
    buffer jsonb,
    stored_dtcs text[] NOT NULL DEFAULT '{}',
    pending_dtcs text[] NOT NULL DEFAULT '{}',
    dtc_ts timestamptz
)""")
    op.execute("""
CREATE TABLE dead_letters (
    id bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    topic text NOT NULL,
    payload bytea NOT NULL,
    payload_size integer NOT NULL,
    reason text NOT NULL
)""")
    op.execute("CREATE INDEX dead_letters_received_at_idx ON dead_letters (received_at)")


def _upgrade_partitions() -> None:
    op.execute("""
CREATE FUNCTION pitstop_ensure_partitions(first_day date, last_day date)
RETURNS integer LANGUAGE plpgsql SET timezone = 'UTC' AS $$
DECLARE
    day date := first_day;
    created integer := 0;
    name text;
BEGIN
    WHILE day <= last_day LOOP
        name := 'telemetry_p' || to_char(day, 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE IF NOT EXISTS %I PARTITION OF telemetry '
                'FOR VALUES FROM (%L) TO (%L)',
                name, day::timestamptz AT TIME ZONE 'UTC',
                (day + 1)::timestamptz AT TIME ZONE 'UTC');
            created := created + 1;
        END IF;
        day := day + 1;
    END LOOP;
    RETURN created;
END $$""")
    op.execute("""
CREATE FUNCTION pitstop_drop_partitions_before(cutoff date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'telemetry'::regclass
          AND c.relname ~ '^telemetry_p[0-9]{8}$'
          AND to_date(substr(c.relname, 12), 'YYYYMMDD') < cutoff
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$""")
    op.execute(
        "SELECT pitstop_ensure_partitions("
        "(now() AT TIME ZONE 'UTC')::date - 7, (now() AT TIME ZONE 'UTC')::date + 14)"
    )
    op.execute(f"""
CREATE MATERIALIZED VIEW telemetry_hourly AS
SELECT vin, date_bin('1 hour', ts, TIMESTAMPTZ '2000-01-01') AS bucket, {HOURLY}
FROM telemetry GROUP BY 1, 2 WITH NO DATA""")
    op.execute("CREATE UNIQUE INDEX telemetry_hourly_key ON telemetry_hourly (vin, bucket)")


def _upgrade_timescale() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    op.execute("SELECT create_hypertable('telemetry', by_range('ts', INTERVAL '1 day'))")
    op.execute("""
ALTER TABLE telemetry SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'vin',
    timescaledb.compress_orderby = 'ts DESC')""")
    op.execute("SELECT add_compression_policy('telemetry', INTERVAL '7 days')")
    op.execute("SELECT add_retention_policy('telemetry', INTERVAL '400 days')")
    # Same signatures as the plain path, so callers need not know which storage runs.
    op.execute("""
CREATE FUNCTION pitstop_ensure_partitions(first_day date, last_day date)
RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$""")
    op.execute("""
CREATE FUNCTION pitstop_drop_partitions_before(cutoff date)
RETURNS integer LANGUAGE sql AS $$
    SELECT count(*)::integer FROM drop_chunks('telemetry', older_than => cutoff::timestamptz)
$$""")
    op.execute(f"""
CREATE MATERIALIZED VIEW telemetry_hourly WITH (timescaledb.continuous) AS
SELECT vin, time_bucket(INTERVAL '1 hour', ts) AS bucket, {HOURLY}
FROM telemetry GROUP BY 1, 2 WITH NO DATA""")
    op.execute("""
SELECT add_continuous_aggregate_policy('telemetry_hourly',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '15 minutes')""")


def downgrade() -> None:
    op.execute("DROP MATERIALIZED VIEW IF EXISTS telemetry_hourly")
    for table in (
        "dead_letters",
        "vehicle_latest",
        "vehicle_status_events",
        "dtc_events",
        "telemetry",
        "pitstop_meta",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS pitstop_ensure_partitions(date, date)")
    op.execute("DROP FUNCTION IF EXISTS pitstop_drop_partitions_before(date)")
