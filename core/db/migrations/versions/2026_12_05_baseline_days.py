"""Each car's baseline days, kept beside its features: the API tells which cars the models judge.

A car is judged by the learned models once its own baseline has held for a few days; before
that, the rules and trouble codes judge it alone. The scorer writes the count with the state.

Revision ID: 2026_12_05_baseline_days
Revises: 2026_11_26_diagnostics
Create Date: 2026-12-05
"""

from alembic import op

revision = "2026_12_05_baseline_days"
down_revision = "2026_11_26_diagnostics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE diagnostics_car_state ADD COLUMN baseline_days integer NOT NULL DEFAULT 0"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE diagnostics_car_state DROP COLUMN baseline_days")
