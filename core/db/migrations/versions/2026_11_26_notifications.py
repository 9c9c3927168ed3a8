"""Notifications: messages to customers, their deliveries per channel (with attempts and
backoff), Web Push subscriptions, customers' notification language, stores' quiet hours.

Revision ID: 2026_11_26_notifications
Revises: 2026_11_26_dms_foundation
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2026_11_26_notifications"
down_revision = "2026_11_26_dms_foundation"
branch_labels = None
depends_on = None

# Children before parents, for the downgrade (indexes go with their tables).
TABLES = (
    "notification_deliveries",
    "push_subscriptions",
    "notifications",
    "notification_preferences",
    "notification_quiet_hours",
)


def upgrade() -> None:
    op.create_table(
        "notification_quiet_hours",
        sa.Column("quiet_start", sa.Time(), nullable=False),
        sa.Column(
            "quiet_end", sa.Time(), nullable=False, comment="Before start means the next morning"
        ),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "quiet_start <> quiet_end", name=op.f("ck_notification_quiet_hours_window")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_notification_quiet_hours_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_quiet_hours")),
        sa.UniqueConstraint("store_id", name=op.f("uq_notification_quiet_hours_store_id")),
    )
    op.create_index(
        op.f("ix_notification_quiet_hours_store_id"),
        "notification_quiet_hours",
        ["store_id"],
        unique=False,
    )
    op.create_table(
        "notification_preferences",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "language IN ('zh-CN', 'en')", name=op.f("ck_notification_preferences_language")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_notification_preferences_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_notification_preferences_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_notification_preferences_customer_id")),
    )
    op.create_index(
        op.f("ix_notification_preferences_store_id"),
        "notification_preferences",
        ["store_id"],
        unique=False,
    )
    op.create_table(
        "notifications",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("urgent", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column(
            "url",
            sa.String(length=2000),
            nullable=True,
            comment="Where a click on the message leads (confirm link, else the app)",
        ),
        sa.Column(
            "context",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "links",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('booking_created', 'booking_proposed', 'stop_driving', 'alert_cleared', "
            "'service_reminder', 'survey')",
            name=op.f("ck_notifications_kind"),
        ),
        sa.CheckConstraint("language IN ('zh-CN', 'en')", name=op.f("ck_notifications_language")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_notifications_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_notifications_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "customer_id", "dedupe_key", name=op.f("uq_notifications_customer_id_dedupe_key")
        ),
    )
    op.create_index(
        "ix_notifications_customer_created",
        "notifications",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_notifications_store_id"), "notifications", ["store_id"], unique=False)
    op.create_table(
        "push_subscriptions",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column(
            "p256dh",
            sa.String(length=200),
            nullable=False,
            comment="The browser's P-256 key, base64url",
        ),
        sa.Column(
            "auth",
            sa.String(length=100),
            nullable=False,
            comment="The 16-byte auth secret, base64url",
        ),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_push_subscriptions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_push_subscriptions_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    op.create_index(
        op.f("ix_push_subscriptions_customer_id"),
        "push_subscriptions",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_push_subscriptions_store_id"), "push_subscriptions", ["store_id"], unique=False
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column(
            "status", sa.String(length=10), server_default=sa.text("'queued'"), nullable=False
        ),
        sa.Column(
            "target",
            sa.String(length=1000),
            nullable=True,
            comment="Email address or push endpoint, for the log",
        ),
        sa.Column("subscription_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When dispatch tries next; NULL once sent or given up",
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'web_push', 'in_app')",
            name=op.f("ck_notification_deliveries_channel"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'gave_up')",
            name=op.f("ck_notification_deliveries_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notification_deliveries_attempts")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_notification_deliveries_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_notification_deliveries_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["push_subscriptions.id"],
            name=op.f("fk_notification_deliveries_subscription_id_push_subscriptions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
    )
    op.create_index(
        op.f("ix_notification_deliveries_customer_id"),
        "notification_deliveries",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_notification_deliveries_due",
        "notification_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('queued', 'failed')"),
    )
    op.create_index(
        op.f("ix_notification_deliveries_notification_id"),
        "notification_deliveries",
        ["notification_id"],
        unique=False,
    )
    op.create_index(
        "ix_notification_deliveries_store_created",
        "notification_deliveries",
        ["store_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_deliveries_store_id"),
        "notification_deliveries",
        ["store_id"],
        unique=False,
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
