"""Forecast runs with their back-test and points (sales by model and month, parts by week),
and each customer's churn risk with its reasons.

Revision ID: 2026_12_07_forecasts
Revises: 2026_12_07_kpis
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2026_12_07_forecasts"
down_revision = "2026_12_07_kpis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    now = sa.text("now()")
    op.create_table(
        "forecast_runs",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False,
                  comment="The method the back-test chose"),
        sa.Column("made_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("backtest", jsonb, nullable=False,
                  comment="Errors per method, the chosen one's ratio to the baseline, its size"),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.CheckConstraint("kind IN ('sales', 'parts', 'churn')", name="ck_forecast_runs_kind"),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"],
                                name="fk_forecast_runs_warehouse_id_warehouses",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name="fk_forecast_runs_store_id_stores", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_forecast_runs"),
    )  # fmt: skip
    op.create_index("ix_forecast_runs_store_id", "forecast_runs", ["store_id"])
    op.create_index("ix_forecast_runs_warehouse_id", "forecast_runs", ["warehouse_id"])
    op.create_table(
        "forecast_points",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("member", sa.String(length=40), nullable=False, comment="model or part id"),
        sa.Column("period", sa.Date(), nullable=False, comment="Its first day"),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("lo_80", sa.Float(), nullable=True),
        sa.Column("hi_80", sa.Float(), nullable=True),
        sa.Column("lo_95", sa.Float(), nullable=True),
        sa.Column("hi_95", sa.Float(), nullable=True),
        sa.Column("from_alerts", sa.Float(), server_default="0", nullable=False,
                  comment="Demand the fleet's open predictions add"),
        sa.ForeignKeyConstraint(["run_id"], ["forecast_runs.id"],
                                name="fk_forecast_points_run_id_forecast_runs",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "member", "period", name="pk_forecast_points"),
    )  # fmt: skip
    op.create_table(
        "churn_scores",
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("reasons", jsonb, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name="fk_churn_scores_store_id_stores", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_churn_scores_customer_id_customers",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["forecast_runs.id"],
                                name="fk_churn_scores_run_id_forecast_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("store_id", "customer_id", name="pk_churn_scores"),
    )  # fmt: skip
    op.create_index("ix_churn_scores_run_id", "churn_scores", ["run_id"])


def downgrade() -> None:
    op.drop_table("churn_scores")
    op.drop_table("forecast_points")
    op.drop_table("forecast_runs")
