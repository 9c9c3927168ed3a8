"""Storage that maintains itself: which storage path runs, its jobs, their health, running them.

The telemetry migration chose a path and recorded it in pitstop_meta. On plain PostgreSQL
Pitstop owns the maintenance (partitions ahead, retention, the hourly view) and records each
run in storage_jobs. On TimescaleDB the extension's background jobs own it; their catalog says
when each last succeeded, and Pitstop runs the same work itself only when a job falls behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import psycopg

from core.db import connect

log = logging.getLogger(__name__)

TIMESCALEDB, PARTITIONS = "timescaledb", "partitions"
PITSTOP = "pitstop"  # the owner of a job that no TimescaleDB policy runs
PARTITIONS_AHEAD_DAYS = 14  # a normal day's samples never wait for CREATE TABLE
RETENTION_DAYS = 400  # the TimescaleDB retention policy of the telemetry migration
MIN_GRACE = dt.timedelta(minutes=5)  # a job is overdue after its interval plus a grace:
GRACE_SHARE = 0.5  # half its interval, and never less than MIN_GRACE
LOCK_TIMEOUT = "60s"  # a job stuck behind a lock fails and says so, rather than hang
ADVISORY_LOCK_CLASS = 70_213  # pg_try_advisory_lock(class, hashtext(job)): one runner per job
MAX_ERROR = 2000
METRICS_CACHE_S = 15.0  # /metrics reads the database at most this often, however often scraped

_TODAY = "(now() AT TIME ZONE 'UTC')::date"


@dataclass(frozen=True)
class Job:
    """One kind of storage maintenance: what it does, how often, and the SQL that does it."""

    name: str
    interval: dt.timedelta
    does: str
    sql: str
    policy: str | None = None  # the TimescaleDB policy procedure whose job normally runs it


JOBS: Mapping[str, tuple[Job, ...]] = {
    PARTITIONS: (
        Job(
            "partitions_ahead",
            dt.timedelta(days=1),
            f"create the daily telemetry partitions {PARTITIONS_AHEAD_DAYS} days ahead",
            f"SELECT pitstop_ensure_partitions({_TODAY}, {_TODAY} + {PARTITIONS_AHEAD_DAYS})",
        ),
        Job(
            "retention",
            dt.timedelta(days=1),
            f"drop telemetry partitions older than {RETENTION_DAYS} days",
            f"SELECT pitstop_drop_partitions_before({_TODAY} - {RETENTION_DAYS})",
        ),
        Job(
            "hourly_refresh",
            dt.timedelta(minutes=15),
            "refresh the materialised view telemetry_hourly",
            # CONCURRENTLY keeps the view readable, but refuses a view never populated.
            """DO $$ BEGIN
    IF (SELECT relispopulated FROM pg_class WHERE oid = 'telemetry_hourly'::regclass) THEN
        REFRESH MATERIALIZED VIEW CONCURRENTLY telemetry_hourly;
    ELSE
        REFRESH MATERIALIZED VIEW telemetry_hourly;
    END IF;
END $$""",
        ),
    ),
    TIMESCALEDB: (
        Job(
            "compression",
            dt.timedelta(hours=12),
            "compress telemetry chunks older than 7 days",
            "SELECT count(compress_chunk(c, if_not_compressed => true)) "
            "FROM show_chunks('telemetry', older_than => INTERVAL '7 days') c",
            policy="policy_compression",
        ),
        Job(
            "retention",
            dt.timedelta(days=1),
            f"drop telemetry chunks older than {RETENTION_DAYS} days",
            "SELECT count(*) FROM drop_chunks('telemetry', "
            f"older_than => INTERVAL '{RETENTION_DAYS} days')",
            policy="policy_retention",
        ),
        Job(
            "hourly_refresh",
            dt.timedelta(minutes=15),
            "refresh the continuous aggregate telemetry_hourly (the last 3 days)",
            "CALL refresh_continuous_aggregate('telemetry_hourly', "
            "now() - INTERVAL '3 days', now() - INTERVAL '1 hour')",
            policy="policy_refresh_continuous_aggregate",
        ),
    ),
}

_CATALOG = """
SELECT j.job_id, j.proc_name, j.schedule_interval, j.scheduled, s.last_run_started_at,
    s.last_successful_finish, s.last_run_status, s.next_start
FROM timescaledb_information.jobs j
LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
WHERE (j.proc_name IN ('policy_compression', 'policy_retention')
       AND j.hypertable_name = 'telemetry')
   OR (j.proc_name = 'policy_refresh_continuous_aggregate'
       AND j.hypertable_name IN (SELECT materialization_hypertable_name
           FROM timescaledb_information.continuous_aggregates
           WHERE view_name = 'telemetry_hourly'))"""
_RECORDED = "SELECT job, last_success_at, last_failure_at, last_error FROM storage_jobs"
_RECORD_SUCCESS = """
INSERT INTO storage_jobs AS j (job, last_success_at, last_runner, successes)
VALUES (%(job)s, now(), %(runner)s, 1)
ON CONFLICT (job) DO UPDATE SET last_success_at = now(), last_runner = excluded.last_runner,
    successes = j.successes + 1"""
_RECORD_FAILURE = """
INSERT INTO storage_jobs AS j (job, last_failure_at, last_error, last_runner, failures)
VALUES (%(job)s, now(), %(error)s, %(runner)s, 1)
ON CONFLICT (job) DO UPDATE SET last_failure_at = now(), last_error = excluded.last_error,
    last_runner = excluded.last_runner, failures = j.failures + 1"""


class StorageNotMigrated(RuntimeError):
    """The database has no recorded storage path: its migrations have not run."""


@dataclass(frozen=True)
class JobStatus:
    """One job's health at a moment, judged from what ran it."""

    job: str
    owner: str  # "pitstop" or "timescaledb"
    interval: dt.timedelta
    last_success: dt.datetime | None
    last_attempt: dt.datetime | None
    last_error: str | None  # the last attempt's error; None when it succeeded
    due: bool  # no success within its interval: its owner should run it now
    overdue: bool  # no success within its interval plus a grace: something is wrong
    note: str = ""
    job_id: int | None = None  # the TimescaleDB job id

    @property
    def failing(self) -> bool:
        """The last attempt failed."""
        return self.last_error is not None

    @property
    def healthy(self) -> bool:
        """Succeeded recently and its last attempt did not fail."""
        return not self.overdue and not self.failing

    @property
    def needs_fallback(self) -> bool:
        """Pitstop should run it: due for a job Pitstop owns, overdue for a TimescaleDB one."""
        return self.due if self.owner == PITSTOP else self.overdue

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: times in ISO 8601, the interval in seconds."""
        data = asdict(self)
        data["interval"] = self.interval.total_seconds()
        for key in ("last_success", "last_attempt"):
            data[key] = data[key].isoformat() if data[key] else None
        return data | {"failing": self.failing, "healthy": self.healthy}


@dataclass(frozen=True)
class RunResult:
    """What one run of a job did."""

    job: str
    ok: bool
    detail: str  # the count the SQL returned, the error, or why it did not run
    ran: bool = True


def grace(interval: dt.timedelta) -> dt.timedelta:
    """How long past its interval a job may go before it counts as overdue."""
    return max(MIN_GRACE, interval * GRACE_SHARE)


def storage_path(conn: psycopg.Connection) -> str:
    """'timescaledb' or 'partitions': the path the telemetry migration chose."""
    try:
        row = conn.execute(
            "SELECT value FROM pitstop_meta WHERE key = 'telemetry_storage'"
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        row = None
    if row is None or row[0] not in JOBS:
        raise StorageNotMigrated(
            f"this database records no storage path ({row[0] if row else 'nothing'} in "
            "pitstop_meta.telemetry_storage); run `pitstop db upgrade` first"
        )
    path: str = row[0]
    return path


def judge(
    job: Job,
    *,
    now: dt.datetime,
    recorded: Mapping[str, Any] | None,
    catalog: Mapping[str, Any] | None = None,
) -> JobStatus:
    """A job's status from Pitstop's record of it and, for a TimescaleDB policy, its catalog row."""
    recorded = recorded or {}
    interval, note, job_id = job.interval, "", None
    attempts: list[tuple[dt.datetime, str | None]] = []
    if recorded.get("last_success_at"):
        attempts.append((recorded["last_success_at"], None))
    if recorded.get("last_failure_at"):
        attempts.append((recorded["last_failure_at"], recorded.get("last_error") or "failed"))
    successes = [recorded.get("last_success_at")]
    if job.policy is not None:
        if catalog is None:
            note = f"TimescaleDB has no {job.policy} job for telemetry: was the policy removed?"
        else:
            job_id = catalog["job_id"]
            interval = catalog["schedule_interval"] or interval
            successes.append(catalog["last_successful_finish"])
            if catalog["last_run_status"] == "Failed" and catalog["last_run_started_at"]:
                error = f"TimescaleDB job {job_id} failed at its last run; see the server log"
                attempts.append((catalog["last_run_started_at"], error))
            elif catalog["last_successful_finish"]:
                attempts.append((catalog["last_successful_finish"], None))
            if catalog["scheduled"] is False:
                note = f"TimescaleDB job {job_id} is paused (scheduled = false)"
    last_success = max((s for s in successes if s is not None), default=None)
    last_attempt, last_error = max(attempts, key=lambda a: a[0], default=(None, None))
    age = now - last_success if last_success else None
    first_run = catalog["next_start"] if catalog and not attempts else None
    if first_run is not None and now <= first_run + grace(interval):
        age = dt.timedelta(0)  # a new policy is not late before its first turn has come
        note = note or f"first run at {first_run:%Y-%m-%d %H:%M:%S%z}"
    return JobStatus(
        job=job.name,
        owner=PITSTOP if job.policy is None else TIMESCALEDB,
        interval=interval,
        last_success=last_success,
        last_attempt=last_attempt,
        last_error=last_error,
        due=age is None or age >= interval,
        overdue=age is None or age > interval + grace(interval),
        note=note,
        job_id=job_id,
    )


def check(conn: psycopg.Connection) -> list[JobStatus]:
    """Every storage job of this database's path, judged now (the database's clock)."""
    path = storage_path(conn)
    now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    try:
        recorded = {row["job"]: row for row in cur.execute(_RECORDED)}
    except psycopg.errors.UndefinedTable:
        raise StorageNotMigrated(
            "this database has no storage_jobs table; run `pitstop db upgrade` first"
        ) from None
    catalog: dict[str, dict[str, Any]] = {}
    if path == TIMESCALEDB:
        catalog = {row["proc_name"]: row for row in cur.execute(_CATALOG)}
    return [
        judge(
            job,
            now=now,
            recorded=recorded.get(job.name),
            catalog=catalog.get(job.policy) if job.policy else None,
        )
        for job in JOBS[path]
    ]


def run_job(url: str, name: str, *, runner: str) -> RunResult:
    """Run one job of this database's path now, and record its success or its error."""
    with connect(url, autocommit=True) as conn:
        jobs = {job.name: job for job in JOBS[storage_path(conn)]}
        if name not in jobs:
            raise ValueError(
                f"no storage job {name!r} on this path; the jobs are: {', '.join(jobs)}"
            )
        return _run(conn, jobs[name], runner=runner)


def run_needed(url: str, *, runner: str) -> list[RunResult]:
    """The fallback: run every job that needs Pitstop now (see JobStatus.needs_fallback)."""
    results = []
    with connect(url, autocommit=True) as conn:
        jobs = {job.name: job for job in JOBS[storage_path(conn)]}
        for status in check(conn):
            if not status.needs_fallback:
                continue
            if status.owner == TIMESCALEDB:
                log.warning(
                    "TimescaleDB job %s (%s) has not succeeded since %s; running it here",
                    status.job_id,
                    status.job,
                    status.last_success or "ever",
                )
            results.append(_run(conn, jobs[status.job], runner=runner))
    return results


def _run(conn: psycopg.Connection, job: Job, *, runner: str) -> RunResult:
    """Run a job on an autocommit connection (CALL refresh_continuous_aggregate needs one)."""
    locked = conn.execute(
        "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (ADVISORY_LOCK_CLASS, job.name)
    ).fetchone()
    if not (locked and locked[0]):
        return RunResult(job.name, ok=True, detail="running elsewhere", ran=False)
    try:
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        try:
            cur = conn.execute(job.sql)
            row = cur.fetchone() if cur.description else None
        except psycopg.Error as exc:
            error = f"{type(exc).__name__}: {exc}".strip()[:MAX_ERROR]
            log.error("storage job %s failed: %s", job.name, error)
            conn.execute(_RECORD_FAILURE, {"job": job.name, "error": error, "runner": runner})
            return RunResult(job.name, ok=False, detail=error)
        conn.execute(_RECORD_SUCCESS, {"job": job.name, "runner": runner})
        detail = "done" if row is None else f"done ({row[0]})"
        log.info("storage job %s: %s %s", job.name, job.does, detail)
        return RunResult(job.name, ok=True, detail=detail)
    finally:
        conn.execute("RESET lock_timeout")
        conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (ADVISORY_LOCK_CLASS, job.name))


class StorageCollector:
    """Prometheus gauges of the storage jobs, read from the database at each scrape."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._read_at = -math.inf
        self._statuses: list[JobStatus] | None = None

    def describe(self) -> list[Any]:
        """Nothing up front: the registry must not scrape the database when this is added."""
        return []

    def collect(self) -> Iterator[Any]:
        """The gauges; pitstop_storage_check_up is 0 when the database could not be read."""
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily(
            "pitstop_storage_check_up", "1 when the storage jobs could be read, else 0"
        )
        success = GaugeMetricFamily(
            "pitstop_storage_job_last_success_timestamp_seconds",
            "When the storage job last succeeded (Unix time; 0 when never)",
            labels=["job", "owner"],
        )
        overdue = GaugeMetricFamily(
            "pitstop_storage_job_overdue",
            "1 when the job has not succeeded within its interval plus a grace",
            labels=["job", "owner"],
        )
        failing = GaugeMetricFamily(
            "pitstop_storage_job_failing",
            "1 when the job's last attempt failed",
            labels=["job", "owner"],
        )
        statuses = self._read()
        up.add_metric([], 0 if statuses is None else 1)
        for s in statuses or []:
            labels = [s.job, s.owner]
            success.add_metric(labels, s.last_success.timestamp() if s.last_success else 0)
            overdue.add_metric(labels, int(s.overdue))
            failing.add_metric(labels, int(s.failing))
        yield from (up, success, overdue, failing)

    def _read(self) -> list[JobStatus] | None:
        """The jobs' statuses, read again when the last read is older than METRICS_CACHE_S."""
        if time.monotonic() - self._read_at >= METRICS_CACHE_S:
            self._read_at = time.monotonic()
            try:
                with connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    self._statuses = check(conn)
            except (psycopg.Error, StorageNotMigrated) as exc:
                log.warning("could not read the storage jobs for /metrics: %s", exc)
                self._statuses = None
        return self._statuses
