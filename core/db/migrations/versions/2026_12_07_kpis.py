"""The KPI rollups: daily sums per measure and dimension member, customers' visit months, the
refresh state, and each store's targets. Also the inputs two KPIs lacked: what a clocked hour
costs a store (labour margin), whether stock could fill a part line when asked (fill rate), and
when each stock move was written (the rollup reads the ledger from there).

Revision ID: 2026_12_07_kpis
Revises: 2026_12_04_money_rules
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_07_kpis"
down_revision = "2026_12_04_money_rules"
branch_labels = None
depends_on = None


def _store_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["store_id"], ["stores.id"], name=f"fk_{table}_store_id_stores", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column(
        "store_pricing",
        sa.Column("labour_cost_rate", sa.Numeric(12, 2), server_default=sa.text("90.00"),
                  nullable=False,
                  comment="What a clocked hour costs the store (wage and overhead), CNY"),
    )  # fmt: skip
    op.create_check_constraint(
        "ck_store_pricing_labour_cost_rate", "store_pricing", "labour_cost_rate >= 0"
    )
    op.add_column(
        "work_order_parts",
        sa.Column("short_at_request", sa.Boolean(), server_default=sa.text("false"),
                  nullable=False, comment="Stock could not fill it when asked for"),
    )  # fmt: skip
    op.add_column(
        "stock_moves",
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False,
                  comment="When the line was written; occurred_at may be earlier "
                  "(rollups read from here)"),
    )  # fmt: skip
    op.create_index("ix_stock_moves_recorded_at", "stock_moves", ["recorded_at"])
    op.create_table(
        "kpi_facts",
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("member", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        _store_fk("kpi_facts"),
        sa.PrimaryKeyConstraint(
            "store_id", "measure", "dimension", "day", "member", name="pk_kpi_facts"
        ),
    )
    op.create_table(
        "kpi_customer_months",
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False, comment="Its first day"),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        _store_fk("kpi_customer_months"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_kpi_customer_months_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", "month", "customer_id", name="pk_kpi_customer_months"),
    )  # fmt: skip
    op.create_table(
        "kpi_rollup_state",
        sa.Column("rollup", sa.String(length=40), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False,
                  comment="Rows changed after this are refreshed next"),
        sa.Column("built_from", sa.Date(), nullable=False,
                  comment="The first day the rollup holds"),
        sa.PrimaryKeyConstraint("rollup", name="pk_kpi_rollup_state"),
    )  # fmt: skip
    now = sa.text("now()")
    op.create_table(
        "kpi_targets",
        sa.Column("kpi", sa.String(length=40), nullable=False),
        sa.Column("target", sa.Numeric(14, 4), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.CheckConstraint("target >= 0", name="ck_kpi_targets_target"),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name="fk_kpi_targets_set_by_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name="fk_kpi_targets_store_id_stores",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_kpi_targets"),
        sa.UniqueConstraint("store_id", "kpi", name="uq_kpi_targets_store_id_kpi"),
    )  # fmt: skip
    op.create_index("ix_kpi_targets_store_id", "kpi_targets", ["store_id"])


def downgrade() -> None:
    op.drop_table("kpi_targets")
    op.drop_table("kpi_rollup_state")
    op.drop_table("kpi_customer_months")
    op.drop_table("kpi_facts")
    op.drop_column("work_order_parts", "short_at_request")
    op.drop_index("ix_stock_moves_recorded_at", "stock_moves")
    op.drop_column("stock_moves", "recorded_at")
    op.drop_constraint("ck_store_pricing_labour_cost_rate", "store_pricing")
    op.drop_column("store_pricing", "labour_cost_rate")
