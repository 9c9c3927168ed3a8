"""Storage jobs: each maintenance job's last success and last failure, as Pitstop ran it.

On plain PostgreSQL Pitstop runs all storage maintenance itself (partitions ahead, retention,
the hourly view) and records every run here. On TimescaleDB the extension's background jobs
run it, and a row here records only the fallback runs Pitstop made when a job fell behind.

Revision ID: 2026_12_07_storage_jobs
Revises: 2026_12_04_storage_utc (it takes that head's place). A merge of every head makes
Alembic 1.20 fail with KeyError on an empty database, as 2026_12_07_alarms explains.
Create Date: 2026-12-07
"""

from alembic import op

revision = "2026_12_07_storage_jobs"
down_revision = "2026_12_04_storage_utc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE storage_jobs (
    job text PRIMARY KEY CONSTRAINT ck_storage_jobs_job CHECK (job ~ '^[a-z_]+$'),
    last_success_at timestamptz,
    last_failure_at timestamptz,
    last_error text,
    last_runner text NOT NULL,
    successes bigint NOT NULL DEFAULT 0,
    failures bigint NOT NULL DEFAULT 0
)""")
    op.execute(
        "COMMENT ON TABLE storage_jobs IS "
        "'Storage maintenance as Pitstop ran it: one row per job, updated on every run'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS storage_jobs")
