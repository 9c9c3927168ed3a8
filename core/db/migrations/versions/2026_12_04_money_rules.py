"""Money rules and the audit of privileged actions: each store's labour rate and discount
limits, the versions of a work order's estimate, and the audit events (who, when, what, before
and after).

Revision ID: 2026_12_04_money_rules
Revises: 2026_11_26_service
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2026_12_04_money_rules"
down_revision = "2026_11_26_service"
branch_labels = None
depends_on = None


def _times() -> list[sa.Column]:
    return [
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
    ]


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "store_pricing",
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "labour_rate",
            sa.Numeric(precision=12, scale=2),
            nullable=False,
            comment="CNY per flat-rate hour",
        ),
        sa.Column(
            "advisor_discount_max",
            sa.Numeric(precision=5, scale=2),
            nullable=False,
            comment="An advisor's discount limit, percent",
        ),
        sa.Column(
            "manager_discount_max",
            sa.Numeric(precision=5, scale=2),
            nullable=False,
            comment="A manager's discount limit, percent",
        ),
        *_times(),
        sa.CheckConstraint("labour_rate > 0", name=op.f("ck_store_pricing_labour_rate")),
        sa.CheckConstraint(
            "advisor_discount_max BETWEEN 0 AND manager_discount_max "
            "AND manager_discount_max <= 100",
            name=op.f("ck_store_pricing_discount_limits"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_store_pricing_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_pricing")),
        sa.UniqueConstraint("store_id", name=op.f("uq_store_pricing_store_id")),
    )
    op.create_table(
        "work_order_estimates",
        sa.Column("work_order_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "lines",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The priced lines",
        ),
        sa.Column("grand_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True, comment="Why this version was made"),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        *_times(),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'superseded')",
            name=op.f("ck_work_order_estimates_status"),
        ),
        sa.CheckConstraint("version > 0", name=op.f("ck_work_order_estimates_version")),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_estimates_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        _user_fk("work_order_estimates", "created_by"),
        _user_fk("work_order_estimates", "approved_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_estimates")),
        sa.UniqueConstraint(
            "work_order_id", "version", name=op.f("uq_work_order_estimates_work_order_id_version")
        ),
    )
    op.create_index(
        op.f("ix_work_order_estimates_work_order_id"), "work_order_estimates", ["work_order_id"]
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "action",
            sa.String(length=40),
            nullable=False,
            comment="e.g. price_override, settlement",
        ),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "store_id",
            sa.BigInteger(),
            nullable=True,
            comment="NULL for group-wide records (HQ stock, users without a store)",
        ),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True, comment="NULL for the system"),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_audit_events_dealer_group_id_dealer_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_audit_events_store_id_stores"),
            ondelete="SET NULL",
        ),
        _user_fk("audit_events", "actor_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_dealer_group_id"), "audit_events", ["dealer_group_id"])
    op.create_index("ix_audit_events_entity", "audit_events", ["entity_type", "entity_id", "at"])
    op.create_index("ix_audit_events_store_at", "audit_events", ["store_id", "at"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("work_order_estimates")
    op.drop_table("store_pricing")
