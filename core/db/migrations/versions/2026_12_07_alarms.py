"""Business alarms (经营预警) on each store's daily figures, the managers told of each, and
the feed card kind that announces them.

Revision ID: 2026_12_07_alarms
Revises: 2026_11_26_proactive (it alters feed_events); depends on 2026_12_07_kpis. The other
way round (down_revision the KPIs, depending on proactive, or a merge of both) makes Alembic
1.20 fail with KeyError '2026_11_26_dms_foundation' when it upgrades an empty database.
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_07_alarms"
down_revision = "2026_11_26_proactive"
branch_labels = None
depends_on = "2026_12_07_kpis"

FEED_KINDS = (
    "alert_opened", "alert_updated", "alert_cleared", "appointment_booked", "proposal_created",
    "proposal_accepted", "proposal_withdrawn", "notification_failed",
)  # fmt: skip


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _times() -> list[sa.Column]:
    now = sa.text("now()")
    return [
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
    ]


def _feed_kinds(kinds: tuple[str, ...]) -> None:
    op.drop_constraint("ck_feed_events_kind", "feed_events", type_="check")
    op.create_check_constraint("ck_feed_events_kind", "feed_events", _in("kind", kinds))


def upgrade() -> None:
    t = "business_alarms"
    op.create_table(
        t,
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False, comment="The estimated change point"),
        sa.Column("detected_on", sa.Date(), nullable=False,
                  comment="The day the detector was sure"),
        sa.Column("expected", sa.Float(), nullable=False,
                  comment="Median expected, start to detection"),
        sa.Column("observed", sa.Float(), nullable=False,
                  comment="Median observed, start to detection"),
        sa.Column("size", sa.Float(), nullable=False, comment="observed / expected - 1"),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        *_times(),
        sa.CheckConstraint(
            _in("metric", ("service_volume", "complaints", "margin", "response_time")),
            name=f"ck_{t}_metric",
        ),
        sa.CheckConstraint(_in("direction", ("drop", "rise")), name=f"ck_{t}_direction"),
        sa.CheckConstraint(
            _in("state", ("open", "acknowledged", "closed")), name=f"ck_{t}_state"
        ),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["users.id"],
                                name=f"fk_{t}_acknowledged_by_users", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=f"fk_{t}_store_id_stores",
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("store_id", "metric", "started_on",
                            name=f"uq_{t}_store_id_metric_started_on"),
    )  # fmt: skip
    op.create_index(f"ix_{t}_store_id", t, ["store_id"])
    n = "business_alarm_notices"
    op.create_table(
        n,
        sa.Column("alarm_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(["alarm_id"], ["business_alarms.id"],
                                name=f"fk_{n}_alarm_id_business_alarms", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=f"fk_{n}_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{n}"),
        sa.UniqueConstraint("alarm_id", "user_id", name=f"uq_{n}_alarm_id_user_id"),
    )  # fmt: skip
    op.create_index(f"ix_{n}_alarm_id", n, ["alarm_id"])
    op.create_index(f"ix_{n}_user_id", n, ["user_id"])
    _feed_kinds((*FEED_KINDS, "business_alarm"))


def downgrade() -> None:
    op.execute("DELETE FROM feed_events WHERE kind = 'business_alarm'")
    _feed_kinds(FEED_KINDS)
    op.drop_table("business_alarm_notices")
    op.drop_table("business_alarms")
