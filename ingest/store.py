"""Writes a batch in one transaction: COPY telemetry, events, dead letters, latest state.

Telemetry is copied straight into its table. A sample that is already there (a message
delivered again after a reconnect) makes that COPY fail: the batch's samples are then copied
into a staging table and inserted with ON CONFLICT DO NOTHING, which skips the repeats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import msgspec
import psycopg

from core.clock import DAY_MS
from core.db import connect
from core.signals import COLUMNS
from ingest.batch import Batch

log = logging.getLogger(__name__)

STAGE = "ingest_stage"
STAGE_COLUMNS = ("vin", "ts_ms", "seq", *COLUMNS)
STAGE_TYPES = ["text", "int8", "int8", *["float8"] * len(COLUMNS)]
TELEMETRY_TYPES = ["text", "timestamptz", "int8", *["float8"] * len(COLUMNS)]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_encoder = msgspec.json.Encoder()


def _ts(expr: str) -> str:
    """SQL turning epoch milliseconds into timestamptz (exact integer arithmetic)."""
    return f"(timestamptz 'epoch' + {expr} * interval '1 millisecond')"


_CREATE_STAGE = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    vin text, ts_ms bigint, seq bigint, {", ".join(f"{c} float8" for c in COLUMNS)}
) ON COMMIT DELETE ROWS"""
_COPY = f"COPY {STAGE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_COPY_TELEMETRY = f"COPY telemetry (vin, ts, seq, {', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_INSERT_TELEMETRY = f"""
INSERT INTO telemetry (vin, ts, seq, {", ".join(COLUMNS)})
SELECT vin, {_ts("ts_ms")}, seq, {", ".join(COLUMNS)} FROM {STAGE}
ON CONFLICT (vin, ts) DO NOTHING"""
_INSERT_DTC = f"""
INSERT INTO dtc_events (vin, ts, code, kind, mil, freeze_frame)
SELECT r.vin, {_ts("r.ts")}, r.code, r.kind, r.mil, r.freeze_frame
FROM jsonb_to_recordset(%s::jsonb)
    AS r(vin text, ts bigint, code text, kind text, mil boolean, freeze_frame jsonb)
ON CONFLICT DO NOTHING"""
_INSERT_STATUS = f"""
INSERT INTO vehicle_status_events (vin, ts, state, reason, agent, buffer)
SELECT r.vin, {_ts("r.ts")}, r.state, r.reason, r.agent, r.buffer
FROM jsonb_to_recordset(%s::jsonb)
    AS r(vin text, ts bigint, state text, reason text, agent jsonb, buffer jsonb)
ON CONFLICT DO NOTHING"""
# A message redelivered after a crash (committed, not yet acknowledged) has the same key.
_INSERT_DEAD = """
INSERT INTO dead_letters (topic, payload, payload_size, reason, message_key)
SELECT * FROM unnest(%s::text[], %s::bytea[], %s::int[], %s::text[], %s::bytea[])
ON CONFLICT (message_key) DO NOTHING"""
# One statement per batch. A late (buffered) sample never moves sample_ts backwards, and its
# values only fill signals the newer state does not have yet. A Last Will "offline" carries no
# agent or buffer details, so the last known ones are kept.
_NEWER = "excluded.{0} IS NOT NULL AND (l.{0} IS NULL OR excluded.{0} > l.{0})"
_UPSERT_LATEST = f"""
INSERT INTO vehicle_latest AS l (vin, last_seen, sample_ts, seq, "values", online, status_ts,
    status_reason, agent, buffer, stored_dtcs, pending_dtcs, dtc_ts)
SELECT r.vin, now(), {_ts("r.sample_ts")}, r.seq, coalesce(r."values", '{{}}'),
    coalesce(r.online, false), {_ts("r.status_ts")}, r.status_reason, r.agent, r.buffer,
    coalesce(r.stored, '{{}}'), coalesce(r.pending, '{{}}'), {_ts("r.dtc_ts")}
FROM jsonb_to_recordset(%s::jsonb) AS r(vin text, sample_ts bigint, seq bigint, "values" jsonb,
    online boolean, status_ts bigint, status_reason text, agent jsonb, buffer jsonb,
    stored text[], pending text[], dtc_ts bigint)
ON CONFLICT (vin) DO UPDATE SET
    last_seen = greatest(l.last_seen, excluded.last_seen),
    sample_ts = CASE WHEN {_NEWER.format("sample_ts")} THEN excluded.sample_ts
        ELSE l.sample_ts END,
    seq = CASE WHEN {_NEWER.format("sample_ts")} THEN excluded.seq ELSE l.seq END,
    "values" = CASE WHEN {_NEWER.format("sample_ts")} THEN l."values" || excluded."values"
        ELSE excluded."values" || l."values" END,
    online = CASE WHEN {_NEWER.format("status_ts")} THEN excluded.online ELSE l.online END,
    status_reason = CASE WHEN {_NEWER.format("status_ts")} THEN excluded.status_reason
        ELSE l.status_reason END,
    agent = CASE WHEN {_NEWER.format("status_ts")} THEN coalesce(excluded.agent, l.agent)
        ELSE l.agent END,
    buffer = CASE WHEN {_NEWER.format("status_ts")} THEN coalesce(excluded.buffer, l.buffer)
        ELSE l.buffer END,
    status_ts = CASE WHEN {_NEWER.format("status_ts")} THEN excluded.status_ts
        ELSE l.status_ts END,
    stored_dtcs = CASE WHEN {_NEWER.format("dtc_ts")} THEN excluded.stored_dtcs
        ELSE l.stored_dtcs END,
    pending_dtcs = CASE WHEN {_NEWER.format("dtc_ts")} THEN excluded.pending_dtcs
        ELSE l.pending_dtcs END,
    dtc_ts = CASE WHEN {_NEWER.format("dtc_ts")} THEN excluded.dtc_ts ELSE l.dtc_ts END"""


@dataclass
class Written:
    """What one committed batch wrote."""

    telemetry: int = 0
    dtc: int = 0
    status: int = 0
    dead_letters: int = 0


class Store:
    """One database connection that writes batches; reconnects when asked to."""

    def __init__(self, url: str):
        self.url = url
        self.conn: psycopg.Connection | None = None
        self._days: set[int] = set()  # epoch days whose partition is known to exist

    def connection(self) -> psycopg.Connection:
        """The open connection, (re)opened with its staging table when needed."""
        if self.conn is None or self.conn.closed:
            self.conn = connect(self.url, autocommit=True)
            self.conn.execute(_CREATE_STAGE)
            self.conn.autocommit = False
        return self.conn

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def ensure_partitions(self, first: dt.date, last: dt.date) -> int:
        """Create the daily telemetry partitions first..last (a no-op on TimescaleDB)."""
        conn = self.connection()
        try:
            row = conn.execute("SELECT pitstop_ensure_partitions(%s, %s)", (first, last)).fetchone()
            assert row is not None  # a SELECT without FROM returns one row
            created: int = row[0]
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        start = (first - dt.date(1970, 1, 1)).days
        self._days.update(range(start, start + (last - first).days + 1))
        if created:
            log.info("created %d telemetry partition(s) for %s..%s", created, first, last)
        return created

    def _ensure_batch_days(self, batch: Batch) -> None:
        days = {row[1] // DAY_MS for row in batch.rows}
        for day in sorted(days - self._days):
            date = dt.date(1970, 1, 1) + dt.timedelta(days=day)
            self.ensure_partitions(date, date)

    def write(self, batch: Batch) -> Written:
        """Write the whole batch in one transaction and commit it."""
        if batch.rows:
            self._ensure_batch_days(batch)
        conn = self.connection()
        written = Written()
        try:
            with conn.cursor() as cur:
                if batch.rows:
                    written.telemetry = _copy_telemetry(cur, batch.rows)
                if batch.dtc_rows:
                    cur.execute(_INSERT_DTC, (_json(batch.dtc_rows),))
                    written.dtc = cur.rowcount
                if batch.status_rows:
                    cur.execute(_INSERT_STATUS, (_json(batch.status_rows),))
                    written.status = cur.rowcount
                if batch.dead_letters:
                    columns = [list(c) for c in zip(*batch.dead_letters, strict=True)]
                    cur.execute(_INSERT_DEAD, [*columns, _dead_letter_keys(batch)])
                    written.dead_letters = cur.rowcount
                if batch.latest:
                    cur.execute(_UPSERT_LATEST, (_json(list(batch.latest.values())),))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return written


def _copy_telemetry(cur: psycopg.Cursor[Any], rows: list[tuple[Any, ...]]) -> int:
    """Copy the samples into telemetry; how many were new."""
    cur.execute("SAVEPOINT direct_copy")
    try:
        with cur.copy(_COPY_TELEMETRY) as copy:
            copy.set_types(TELEMETRY_TYPES)
            for vin, ts_ms, *rest in rows:
                copy.write_row((vin, EPOCH + dt.timedelta(milliseconds=ts_ms), *rest))
    except psycopg.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT direct_copy")
        with cur.copy(_COPY) as copy:
            copy.set_types(STAGE_TYPES)
            for row in rows:
                copy.write_row(row)
        cur.execute(_INSERT_TELEMETRY)
        return cur.rowcount
    cur.execute("RELEASE SAVEPOINT direct_copy")
    return len(rows)


def _dead_letter_keys(batch: Batch) -> list[bytes]:
    """Each dead letter's key: a digest of its topic, (capped) payload and original size."""
    return [
        hashlib.sha256(f"{topic}\0{size}\0".encode() + bytes(payload)).digest()
        for topic, payload, size, _reason in batch.dead_letters
    ]


def _json(value: object) -> str:
    return _encoder.encode(value).decode()
