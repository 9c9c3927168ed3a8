"""A message dead-lettered again (the broker redelivers what a crashed ingest had committed but
not acknowledged) is kept once: dead letters get a key, a digest of topic and payload.

Rows written before this revision have no key and stay as they are.

Revision ID: 2026_12_07_dead_letter_once
Revises: 2026_11_26_telemetry
Create Date: 2026-12-07
"""

from alembic import op

revision = "2026_12_07_dead_letter_once"
down_revision = "2026_11_26_telemetry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE dead_letters ADD COLUMN message_key bytea")
    op.execute("CREATE UNIQUE INDEX dead_letters_message_key ON dead_letters (message_key)")


def downgrade() -> None:
    op.execute("DROP INDEX dead_letters_message_key")
    op.execute("ALTER TABLE dead_letters DROP COLUMN message_key")
