"""Diagnostics: alerts with their lifecycle, alert events (NOTIFY), scoring cursors, car state.

One open (active) alert per car and failure mode, enforced by a partial unique index. Every
alert event is written in the transaction that changed the alert; a trigger sends it on
NOTIFY channel 'pitstop_alerts' (delivered at commit) and audits state changes in
state_transitions.

Revision ID: 2026_11_26_diagnostics
Revises: 2026_11_26_dms_foundation
Create Date: 2026-11-26
"""

from alembic import op

revision = "2026_11_26_diagnostics"
down_revision = "2026_11_26_dms_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE alerts (
    id bigserial CONSTRAINT alerts_pkey PRIMARY KEY,
    vin text NOT NULL,
    failure_mode text NOT NULL,
    severity text NOT NULL CONSTRAINT alerts_severity_check
        CHECK (severity IN ('critical', 'major', 'minor', 'warning')),
    state text NOT NULL DEFAULT 'active' CONSTRAINT alerts_state_check
        CHECK (state IN ('active', 'cleared')),
    acknowledged boolean NOT NULL DEFAULT false,
    source text NOT NULL,
    explanation jsonb NOT NULL DEFAULT '{}',
    probability double precision,
    count integer NOT NULL DEFAULT 1,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    received_at timestamptz,
    last_change text NOT NULL DEFAULT 'created',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by bigint,
    cleared_at timestamptz,
    cleared_by bigint,
    clear_reason text
)""")
    op.execute(
        "CREATE UNIQUE INDEX alerts_open_key ON alerts (vin, failure_mode) WHERE state = 'active'"
    )
    op.execute("CREATE INDEX alerts_vin_idx ON alerts (vin, created_at)")
    op.execute("CREATE INDEX alerts_state_idx ON alerts (state, severity, created_at)")
    op.execute("""
CREATE TABLE alert_events (
    id bigserial CONSTRAINT alert_events_pkey PRIMARY KEY,
    alert_id bigint NOT NULL CONSTRAINT alert_events_alert_fkey REFERENCES alerts (id)
        ON DELETE CASCADE,
    vin text NOT NULL,
    failure_mode text NOT NULL,
    kind text NOT NULL CONSTRAINT alert_events_kind_check
        CHECK (kind IN ('created', 'severity_raised', 'acknowledged', 'cleared')),
    severity text NOT NULL,
    actor_user_id bigint,
    detail jsonb,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
)""")
    op.execute("CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, id)")
    op.execute("""
CREATE FUNCTION pitstop_alert_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pitstop_alerts', json_build_object(
        'event_id', NEW.id, 'alert_id', NEW.alert_id, 'vin', NEW.vin,
        'failure_mode', NEW.failure_mode, 'kind', NEW.kind, 'severity', NEW.severity)::text);
    IF NEW.kind IN ('created', 'acknowledged', 'cleared') THEN
        INSERT INTO state_transitions (entity_type, entity_id, store_id, from_state, to_state,
            reason, actor_user_id)
        SELECT 'alert', NEW.alert_id, (SELECT v.store_id FROM vehicles v WHERE v.vin = NEW.vin),
            CASE NEW.kind WHEN 'created' THEN NULL
                WHEN 'acknowledged' THEN 'active' ELSE 'active' END,
            CASE NEW.kind WHEN 'created' THEN 'active'
                WHEN 'acknowledged' THEN 'acknowledged' ELSE 'cleared' END,
            NEW.detail->>'reason', NEW.actor_user_id;
    END IF;
    RETURN NULL;
END $$""")
    op.execute("""
CREATE TRIGGER alert_events_notify AFTER INSERT ON alert_events
FOR EACH ROW EXECUTE FUNCTION pitstop_alert_event()""")
    op.execute("""
CREATE TABLE diagnostics_cursors (
    shards integer NOT NULL,
    shard integer NOT NULL,
    telemetry_at timestamptz NOT NULL,
    latest_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT diagnostics_cursors_pkey PRIMARY KEY (shards, shard)
)""")
    op.execute("""
CREATE TABLE diagnostics_car_state (
    vin text CONSTRAINT diagnostics_car_state_pkey PRIMARY KEY,
    state jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)""")
    # The scoring cursor reads telemetry by arrival; on the partitioned parent this cascades.
    op.execute("CREATE INDEX telemetry_received_at_idx ON telemetry (received_at)")
    op.execute("CREATE INDEX vehicle_latest_last_seen_idx ON vehicle_latest (last_seen)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS vehicle_latest_last_seen_idx")
    op.execute("DROP INDEX IF EXISTS telemetry_received_at_idx")
    for table in ("diagnostics_car_state", "diagnostics_cursors", "alert_events", "alerts"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS pitstop_alert_event()")
