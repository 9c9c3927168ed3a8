"""Proactive maintenance: triage policies per store, proposals (one live per car and failure
mode, by a partial unique index), the advisor feed (NOTIFY 'pitstop_feed' by a trigger) and
the alert events the loop has handled.

Revision ID: 2026_11_26_proactive
Revises: 2026_11_26_dms_foundation
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2026_11_26_proactive"
down_revision = "2026_11_26_dms_foundation"
branch_labels = None
depends_on = ("2026_11_26_service", "2026_11_26_diagnostics", "2026_11_26_notifications")


def _common(table: str) -> list:
    now = sa.text("now()")
    return [
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=f"fk_{table}_store_id_stores", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "proactive_handled_events",
        sa.Column("alert_event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("alert_event_id", name="pk_proactive_handled_events"),
    )  # fmt: skip
    kinds = (
        "'alert_opened', 'alert_updated', 'alert_cleared', 'appointment_booked', "
        "'proposal_created', 'proposal_accepted', 'proposal_withdrawn', 'notification_failed'"
    )
    op.create_table(
        "feed_events",
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("data", jsonb, nullable=False),
        *_common("feed_events"),
        sa.CheckConstraint(f"kind IN ({kinds})", name="ck_feed_events_kind"),
    )
    op.create_index("ix_feed_events_store_id", "feed_events", ["store_id"])
    op.create_index("ix_feed_events_store_id_id", "feed_events", ["store_id", "id"])
    op.execute("""
CREATE FUNCTION pitstop_feed_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pitstop_feed', json_build_object(
        'id', NEW.id, 'store_id', NEW.store_id, 'kind', NEW.kind)::text);
    RETURN NULL;
END $$""")
    op.execute("""
CREATE TRIGGER feed_events_notify AFTER INSERT ON feed_events
FOR EACH ROW EXECUTE FUNCTION pitstop_feed_event()""")
    op.create_table(
        "proactive_policies",
        sa.Column("mode", sa.String(length=10), server_default="auto", nullable=False),
        sa.Column("rules", jsonb, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("comeback_days", sa.Integer(), server_default=sa.text("30"), nullable=False),
        sa.Column("comeback_km", sa.Float(), server_default=sa.text("3000"), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        *_common("proactive_policies"),
        sa.CheckConstraint("mode IN ('auto', 'approval')", name="ck_proactive_policies_mode"),
        _fk("proactive_policies", "updated_by", "users", "SET NULL"),
        sa.UniqueConstraint("store_id", name="uq_proactive_policies_store_id"),
    )
    op.create_index("ix_proactive_policies_store_id", "proactive_policies", ["store_id"])
    t = "proactive_proposals"
    op.create_table(
        t,
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source_ref", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("failure_mode", sa.String(length=20), nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("vehicle_id", sa.BigInteger(), nullable=False),
        sa.Column("operations", jsonb, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("parts", jsonb, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("due_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suggested_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appointment_id", sa.BigInteger(), nullable=True),
        sa.Column("work_order_id", sa.BigInteger(), nullable=True),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=True),
        sa.Column("explanation", jsonb, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True, comment="Why it was not booked directly"),
        sa.Column("alert_cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_km", sa.Float(), nullable=True),
        sa.Column("watch_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comeback", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("comeback_alert_id", sa.BigInteger(), nullable=True),
        *_common(t),
        sa.CheckConstraint("kind IN ('alert', 'reminder')", name=f"ck_{t}_kind"),
        sa.CheckConstraint(
            "status IN ('proposed', 'booked', 'withdrawn', 'completed')", name=f"ck_{t}_status"
        ),
        _fk(t, "appointment_id", "service_appointments", "SET NULL"),
        _fk(t, "customer_id", "customers", "SET NULL"),
        _fk(t, "purchase_order_id", "purchase_orders", "SET NULL"),
        _fk(t, "vehicle_id", "vehicles", "CASCADE"),
        _fk(t, "work_order_id", "work_orders", "SET NULL"),
        sa.UniqueConstraint("source_ref", name=f"uq_{t}_source_ref"),
    )
    op.create_index(f"ix_{t}_store_id", t, ["store_id"])
    op.create_index(f"ix_{t}_store_status", t, ["store_id", "status"])
    op.create_index(f"ix_{t}_vehicle_id", t, ["vehicle_id"])
    op.create_index(f"ix_{t}_work_order_id", t, ["work_order_id"])
    op.create_index(
        f"uq_{t}_live",
        t,
        ["vin", "failure_mode"],
        unique=True,
        postgresql_where=sa.text("status IN ('proposed', 'booked')"),
    )


def downgrade() -> None:
    for table in (
        "proactive_proposals", "proactive_policies", "feed_events", "proactive_handled_events",
    ):  # fmt: skip
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS pitstop_feed_event()")
