"""Auth limits: single-use refresh tokens in families, login throttles with lockouts, and spent
event-stream tickets.

Revision ID: 2026_12_04_auth_limits
Revises: 2026_11_26_dms_foundation
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_04_auth_limits"
down_revision = "2026_11_26_dms_foundation"
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


def upgrade() -> None:
    op.create_table(
        "refresh_tokens",
        sa.Column("jti", sa.String(length=32), nullable=False),
        sa.Column(
            "family_id",
            sa.String(length=32),
            nullable=False,
            comment="Shared by the tokens one login rotated into",
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("jti", name=op.f("uq_refresh_tokens_jti")),
    )
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"])
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"])
    op.create_table(
        "login_throttles",
        sa.Column(
            "subject",
            sa.String(length=120),
            nullable=False,
            comment="account:<username> or address:<client IP>",
        ),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("subject", name=op.f("uq_login_throttles_subject")),
    )
    op.create_table(
        "stream_tickets",
        sa.Column("jti", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_stream_tickets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_tickets")),
        sa.UniqueConstraint("jti", name=op.f("uq_stream_tickets_jti")),
    )
    op.create_index(op.f("ix_stream_tickets_user_id"), "stream_tickets", ["user_id"])


def downgrade() -> None:
    op.drop_table("stream_tickets")
    op.drop_table("login_throttles")
    op.drop_table("refresh_tokens")
