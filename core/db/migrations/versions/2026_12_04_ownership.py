"""Telemetry by ownership period: when a car changes owner, record since when it is theirs.

Revision ID: 2026_12_04_ownership
Revises: 2026_11_26_dms_foundation
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_04_ownership"
down_revision = "2026_11_26_dms_foundation"
branch_labels = None
depends_on = None

COMMENT = (
    "When the current owner took the car over (a transfer); the owner reads telemetry and "
    "trouble codes from then on. NULL: the car was theirs from the start"
)


def upgrade() -> None:
    op.add_column(
        "vehicles",
        sa.Column("owner_since", sa.DateTime(timezone=True), nullable=True, comment=COMMENT),
    )


def downgrade() -> None:
    op.drop_column("vehicles", "owner_since")
