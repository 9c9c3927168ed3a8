"""Business alarms by email: staff get an address, and each manager's notice its delivery.

Revision ID: 2026_12_07_alarm_email
Revises: 2026_12_07_alarms
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_07_alarm_email"
down_revision = "2026_12_07_alarms"
branch_labels = None
depends_on = None

EMAIL_STATES = ("pending", "sent", "failed", "no_address")


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "email",
            sa.String(200),
            comment="Staff only: where business alarms and other staff mail go",
        ),
    )
    op.create_check_constraint(
        "ck_users_staff_email", "users", "role <> 'customer' OR email IS NULL"
    )
    notices = "business_alarm_notices"
    # Notices raised before this revision were told in the console only: nothing to send.
    op.add_column(
        notices,
        sa.Column("email_state", sa.String(10), nullable=False, server_default="no_address"),
    )
    op.alter_column(notices, "email_state", server_default=None)
    op.add_column(notices, sa.Column("email_to", sa.String(200), comment="The address it went to"))
    op.add_column(
        notices,
        sa.Column("email_attempts", sa.SmallInteger, nullable=False, server_default=sa.text("0")),
    )
    op.add_column(
        notices,
        sa.Column(
            "email_next_at",
            sa.DateTime(timezone=True),
            comment="No attempt before this (backoff after a failure)",
        ),
    )
    op.add_column(notices, sa.Column("email_sent_at", sa.DateTime(timezone=True)))
    op.add_column(notices, sa.Column("email_error", sa.Text))
    states = ", ".join(f"'{s}'" for s in EMAIL_STATES)
    op.create_check_constraint(
        "ck_business_alarm_notices_email_state", notices, f"email_state IN ({states})"
    )


def downgrade() -> None:
    notices = "business_alarm_notices"
    op.drop_constraint("ck_business_alarm_notices_email_state", notices, type_="check")
    for column in ("email_error", "email_sent_at", "email_next_at", "email_attempts", "email_to",
                   "email_state"):  # fmt: skip
        op.drop_column(notices, column)
    op.drop_constraint("ck_users_staff_email", "users", type_="check")
    op.drop_column("users", "email")
