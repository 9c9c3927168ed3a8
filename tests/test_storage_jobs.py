"""Storage jobs: `pitstop db check`, the metrics, the worker's fallback, failures on record.

The database tests run Pitstop's own maintenance, which is the whole story on plain PostgreSQL.
The TimescaleDB branch judges rows of the extension's job catalog; those tests feed the judging
function plain rows, as the catalog would return them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from api.proactive.worker import Worker, WorkerConfig
from core import storage
from core.db import connect
from tests.factories import settings_for_tests
from tests.ingest_support import config, running, wait_for

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
VIN = "LSVAU218XN2183294"


def db_check(db_url: str) -> tuple[int, dict]:
    """Run `pitstop db check --json` as its own process; its exit code and its report."""
    env = os.environ | {"PITSTOP_DATABASE_URL": db_url}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "db", "check", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout, f"no report; stderr: {done.stderr[-2000:]}"
    return done.returncode, json.loads(done.stdout)


def jobs(report: dict) -> dict[str, dict]:
    return {job["job"]: job for job in report["jobs"]}


def sql(db_url: str, statement: str, *params):
    """Run one statement (autocommit); the first column of its first row, if any."""
    with connect(db_url, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchone()[0] if cur.description else None


@pytest.fixture
def plain(db_url):
    """This module's database, on the plain path (Pitstop's own maintenance runs there)."""
    with connect(db_url) as conn:
        if storage.storage_path(conn) != storage.PARTITIONS:
            pytest.skip("Pitstop's own maintenance: the plain-PostgreSQL path")
    sql(db_url, "DELETE FROM storage_jobs")
    return db_url


def test_the_check_lists_the_jobs_of_the_active_path(db_url):
    code, report = db_check(db_url)
    with connect(db_url) as conn:
        path = storage.storage_path(conn)
    assert report["path"] == path
    assert list(jobs(report)) == [job.name for job in storage.JOBS[path]]
    if path == storage.TIMESCALEDB:  # every policy of the migration is in the catalog
        assert all(job["job_id"] is not None for job in report["jobs"])
        assert all(job["owner"] == storage.TIMESCALEDB for job in report["jobs"])
    else:
        assert all(job["owner"] == storage.PITSTOP for job in report["jobs"])
    assert code == (0 if report["healthy"] else 1)


def test_jobs_that_never_ran_or_succeeded_long_ago_are_overdue(plain):
    code, report = db_check(plain)
    assert code == 1 and report["healthy"] is False
    assert all(job["overdue"] and job["last_success"] is None for job in report["jobs"])

    for job in storage.JOBS[storage.PARTITIONS]:
        assert storage.run_job(plain, job.name, runner="test").ok
    code, report = db_check(plain)
    assert (code, report["healthy"]) == (0, True)

    sql(plain, "UPDATE storage_jobs SET last_success_at = now() - interval '2 days' "
               "WHERE job = 'retention'")  # fmt: skip
    code, report = db_check(plain)
    assert code == 1
    assert [name for name, job in jobs(report).items() if job["overdue"]] == ["retention"]


def test_the_worker_runs_the_maintenance_that_fell_behind(plain):
    today = dt.datetime.now(dt.UTC).date()
    ahead = f"telemetry_p{today + dt.timedelta(days=storage.PARTITIONS_AHEAD_DAYS):%Y%m%d}"
    expired = today - dt.timedelta(days=storage.RETENTION_DAYS + 1)
    sql(plain, f"DROP TABLE IF EXISTS {ahead}")
    sql(plain, "SELECT pitstop_ensure_partitions(%s, %s)", expired, expired)
    sql(plain, "INSERT INTO telemetry (vin, ts, seq, rpm) VALUES (%s, now(), 1, 900)", VIN)
    for job in storage.JOBS[storage.PARTITIONS]:
        sql(plain, "INSERT INTO storage_jobs (job, last_success_at, last_runner) "
                   "VALUES (%s, now() - interval '30 days', 'test')", job.name)  # fmt: skip
    assert db_check(plain)[0] == 1

    worker = Worker(
        settings_for_tests(plain),
        WorkerConfig(threads=1, forecasts_s=None, storage_s=0.2),
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_for(
            lambda: (
                sql(plain, "SELECT count(*) FROM storage_jobs WHERE last_runner = 'worker'")
                == len(storage.JOBS[storage.PARTITIONS])
            ),
            timeout=60,
            what="the worker to run every storage job",
        )
    finally:
        worker.stop.set()
        thread.join(60)
    assert sql(plain, "SELECT to_regclass(%s)::text", ahead) == ahead
    assert sql(plain, "SELECT to_regclass(%s)::text", f"telemetry_p{expired:%Y%m%d}") is None
    assert sql(plain, "SELECT sum(samples) FROM telemetry_hourly WHERE vin = %s", VIN) == 1
    code, report = db_check(plain)
    assert (code, report["healthy"]) == (0, True)
    assert storage.run_needed(plain, runner="test") == []  # nothing is due any more


def test_a_failing_job_is_recorded_with_its_error(plain):
    sql(plain, "ALTER MATERIALIZED VIEW telemetry_hourly RENAME TO telemetry_hourly_moved")
    try:
        result = storage.run_job(plain, "hourly_refresh", runner="test")
    finally:
        sql(plain, "ALTER MATERIALIZED VIEW telemetry_hourly_moved RENAME TO telemetry_hourly")
    assert not result.ok and "telemetry_hourly" in result.detail
    failures = sql(plain, "SELECT failures FROM storage_jobs WHERE job = 'hourly_refresh'")
    error = sql(plain, "SELECT last_error FROM storage_jobs WHERE job = 'hourly_refresh'")
    assert failures == 1 and "does not exist" in error

    code, report = db_check(plain)
    failed = jobs(report)["hourly_refresh"]
    assert code == 1 and failed["failing"] and "telemetry_hourly" in failed["last_error"]
    registry = CollectorRegistry()
    registry.register(storage.StorageCollector(plain))
    labels = {"job": "hourly_refresh", "owner": storage.PITSTOP}
    assert registry.get_sample_value("pitstop_storage_check_up") == 1
    assert registry.get_sample_value("pitstop_storage_job_failing", labels) == 1
    assert registry.get_sample_value("pitstop_storage_job_overdue", labels) == 1

    assert storage.run_job(plain, "hourly_refresh", runner="test").ok
    assert jobs(db_check(plain)[1])["hourly_refresh"]["failing"] is False


def test_a_job_another_process_is_running_is_left_to_it(plain):
    with connect(plain, autocommit=True) as other:
        other.execute(
            "SELECT pg_advisory_lock(%s, hashtext('retention'))", (storage.ADVISORY_LOCK_CLASS,)
        )
        result = storage.run_job(plain, "retention", runner="test")
    assert (result.ran, result.detail) == (False, "running elsewhere")
    assert sql(plain, "SELECT count(*) FROM storage_jobs") == 0


def test_ingest_serves_the_storage_metrics(plain, mqtt_url):
    storage.run_job(plain, "partitions_ahead", runner="test")
    with running(config(plain, mqtt_url)) as service:
        registry = service.metrics.registry
        labels = {"job": "partitions_ahead", "owner": storage.PITSTOP}
        assert registry.get_sample_value("pitstop_storage_check_up") == 1
        assert registry.get_sample_value("pitstop_storage_job_overdue", labels) == 0
        success = registry.get_sample_value(
            "pitstop_storage_job_last_success_timestamp_seconds", labels
        )
        assert abs(success - dt.datetime.now(dt.UTC).timestamp()) < 600
        retention = {"job": "retention", "owner": storage.PITSTOP}
        assert registry.get_sample_value("pitstop_storage_job_overdue", retention) == 1


def test_the_check_refuses_a_database_without_a_storage_path(db_url):
    recorded = sql(db_url, "SELECT value FROM pitstop_meta WHERE key = 'telemetry_storage'")
    sql(db_url, "DELETE FROM pitstop_meta WHERE key = 'telemetry_storage'")
    try:
        env = os.environ | {"PITSTOP_DATABASE_URL": db_url}
        done = subprocess.run(
            [sys.executable, "-m", "cli", "db", "check"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        sql(db_url, "INSERT INTO pitstop_meta VALUES ('telemetry_storage', %s)", recorded)
    assert done.returncode == 2 and "pitstop db upgrade" in done.stderr


# -- the TimescaleDB branch: judging catalog rows ----------------------------------------------

TS_JOBS = {job.name: job for job in storage.JOBS[storage.TIMESCALEDB]}
HOUR = dt.timedelta(hours=1)


def catalog(**fields):
    """A row of timescaledb_information.jobs joined with job_stats, as check() reads it."""
    row = {
        "job_id": 1001,
        "schedule_interval": dt.timedelta(minutes=15),
        "scheduled": True,
        "last_run_started_at": NOW - dt.timedelta(minutes=5),
        "last_successful_finish": NOW - dt.timedelta(minutes=5),
        "last_run_status": "Success",
        "next_start": NOW + dt.timedelta(minutes=10),
    }
    return row | fields


@pytest.mark.parametrize(
    ("row", "recorded", "overdue", "failing", "fallback"),
    [
        pytest.param(catalog(), None, False, False, False, id="fresh-success"),
        pytest.param(
            catalog(last_run_status="Failed", last_successful_finish=NOW - 6 * HOUR),
            None, True, True, True, id="failing-since-hours",
        ),
        pytest.param(
            catalog(last_run_status="Failed", last_successful_finish=None),
            None, True, True, True, id="never-succeeded",
        ),
        pytest.param(
            catalog(last_run_status="Failed", last_successful_finish=NOW - HOUR / 6),
            None, False, True, False, id="failed-once-still-fresh",
        ),
        pytest.param(
            catalog(last_run_status="Success", last_successful_finish=NOW - 25 * HOUR,
                    last_run_started_at=NOW - 25 * HOUR),
            None, True, False, True, id="silent-stall",
        ),
        pytest.param(
            catalog(last_run_status=None, last_successful_finish=None, last_run_started_at=None),
            None, False, False, False, id="first-run-still-to-come",
        ),
        pytest.param(
            catalog(last_run_status=None, last_successful_finish=None, last_run_started_at=None,
                    next_start=NOW - HOUR),
            None, True, False, True, id="first-run-never-came",
        ),
        pytest.param(
            catalog(last_run_status="Failed", last_successful_finish=NOW - 6 * HOUR),
            {"last_success_at": NOW - dt.timedelta(minutes=1)},
            False, False, False, id="covered-by-fallback",
        ),
    ],
)  # fmt: skip
def test_timescaledb_catalog_rows_are_judged(row, recorded, overdue, failing, fallback):
    status = storage.judge(TS_JOBS["hourly_refresh"], now=NOW, recorded=recorded, catalog=row)
    assert (status.overdue, status.failing, status.needs_fallback) == (overdue, failing, fallback)
    assert status.owner == storage.TIMESCALEDB and status.job_id == 1001
    if failing and status.last_attempt == row["last_run_started_at"]:
        assert "TimescaleDB job 1001" in status.last_error


def test_a_missing_or_paused_timescaledb_job_says_so():
    missing = storage.judge(TS_JOBS["compression"], now=NOW, recorded=None, catalog=None)
    assert missing.overdue and missing.needs_fallback and "removed" in missing.note
    paused = storage.judge(
        TS_JOBS["retention"],
        now=NOW,
        recorded=None,
        catalog=catalog(scheduled=False, schedule_interval=dt.timedelta(days=1)),
    )
    assert not paused.overdue and "paused" in paused.note


def test_the_catalog_interval_wins_and_grace_scales_with_it():
    row = catalog(
        schedule_interval=dt.timedelta(days=1),
        last_successful_finish=NOW - dt.timedelta(hours=30),
    )
    status = storage.judge(TS_JOBS["retention"], now=NOW, recorded=None, catalog=row)
    assert status.interval == dt.timedelta(days=1)
    assert status.due and not status.overdue  # 30 h < 1 day + 12 h of grace
    assert storage.grace(dt.timedelta(minutes=2)) == storage.MIN_GRACE


def test_a_plain_job_is_run_when_due_before_it_is_overdue():
    job = {job.name: job for job in storage.JOBS[storage.PARTITIONS]}["hourly_refresh"]
    recorded = {"last_success_at": NOW - dt.timedelta(minutes=16)}
    status = storage.judge(job, now=NOW, recorded=recorded)
    assert (status.due, status.overdue, status.needs_fallback) == (True, False, True)
    failed = storage.judge(
        job,
        now=NOW,
        recorded=recorded | {"last_failure_at": NOW - HOUR / 60, "last_error": "boom"},
    )
    assert failed.failing and failed.last_error == "boom" and not failed.healthy
