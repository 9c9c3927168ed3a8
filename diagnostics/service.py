"""The scoring service: read new telemetry and DTC states, update features, judge, write alerts.

Cars are split into shards by a hash of the VIN; each shard is one process running a plain,
synchronous Scorer loop, so CPU work never waits on (or blocks) anything else. A Scorer keeps
each car's CarFeatures in memory and reads only rows that arrived after its cursor
(telemetry.received_at, vehicle_latest.last_seen). It rereads a short overlap, because an
ingest transaction that began earlier may commit later; rows reread there are skipped.
Features and cursors are saved together every few seconds, so a restart resumes, not rescans.

Every detector judges a car's data in the car's own time order, however it arrives (live, late
or as a backlog): the rules at the end of every stretch of it, just before the first sample
past it is folded in, and at the newest sample; each DTC report at its own time, read from
dtc_events so that a backlog's reports are all seen. Alerts carry that data time. Gated
detectors (the models) are scored once per hour of the car's time, on the snapshot at the hour
boundary, as the training rows are; their hourly statuses go through the gate
(diagnostics.persistence), whose short history is saved with the car's features.

Delivery order is not guaranteed (docs/wire-protocol.md). A sample older than the car's newest
is late: the car's features and gates are rewound to a checkpoint before it (two are kept per
car, up to 2 * REWIND_MS apart) and its telemetry from there is folded in again, in order. A
sample older than the oldest checkpoint is counted in StepStats.late and logged, not folded.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import multiprocessing as mp
import os
import threading
import time
from dataclasses import dataclass, field

import psycopg

from core.db import connect
from core.signals import COLUMNS, SIGNAL_NAMES
from diagnostics import alerts
from diagnostics.detection import Detection, DtcReport
from diagnostics.detectors import load_detectors
from diagnostics.features import CarFeatures

log = logging.getLogger(__name__)

POLL_S = 0.5  # pause between reads when nothing new arrived
OVERLAP_S = 5.0  # reread this much before the cursor: ingest commits can land out of order
PERSIST_S = 30.0  # save features and cursors this often
SWEEP_S = 30.0  # look for stale cars this often
STOP_POLL_S = 0.5  # how soon the service notices a stop request
ORPHAN_CHECK_S = 1.0  # how soon a shard notices that its service was killed
FETCH_ROWS = 20_000  # rows per round trip while streaming new telemetry
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
REWIND_MS = 2 * 3_600_000  # a car's checkpoints are taken this far apart in its time

_TELEMETRY = f"""
SELECT vin, (extract(epoch FROM ts) * 1000)::bigint, received_at, {", ".join(COLUMNS)}
FROM telemetry WHERE received_at > %s AND {{shard}} ORDER BY vin, ts"""
_CAR_TELEMETRY = f"""
SELECT vin, (extract(epoch FROM ts) * 1000)::bigint, received_at, {", ".join(COLUMNS)}
FROM telemetry WHERE vin = %s AND ts > %s ORDER BY ts"""
_LATEST = """
SELECT vin, last_seen, stored_dtcs, pending_dtcs, (extract(epoch FROM dtc_ts) * 1000)::bigint
FROM vehicle_latest WHERE last_seen > %s AND {shard}"""
_DTC_REPORTS = """
SELECT vin, (extract(epoch FROM ts) * 1000)::bigint, max(received_at),
    coalesce(array_agg(code) FILTER (WHERE kind = 'stored'), '{{}}'),
    coalesce(array_agg(code) FILTER (WHERE kind = 'pending'), '{{}}'),
    coalesce(jsonb_object_agg(code, freeze_frame) FILTER (WHERE freeze_frame IS NOT NULL), '{{}}')
FROM dtc_events WHERE received_at > %s AND {shard} GROUP BY vin, ts"""
_SAVE_STATE = """
INSERT INTO diagnostics_car_state (vin, state, baseline_days, updated_at)
SELECT r.vin, r.state, r.days, now()
FROM jsonb_to_recordset(%s::jsonb) AS r(vin text, state jsonb, days integer)
ON CONFLICT (vin) DO UPDATE SET state = excluded.state, baseline_days = excluded.baseline_days,
    updated_at = now()"""
_SAVE_CURSOR = """
INSERT INTO diagnostics_cursors (shards, shard, telemetry_at, latest_at) VALUES (%s, %s, %s, %s)
ON CONFLICT (shards, shard) DO UPDATE SET telemetry_at = excluded.telemetry_at,
    latest_at = excluded.latest_at, updated_at = now()"""


@dataclass
class ServiceConfig:
    database_url: str
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    poll_s: float = POLL_S
    persist_s: float = PERSIST_S
    sweep_s: float = SWEEP_S
    stale_after_s: float = alerts.STALE_AFTER_S


@dataclass
class StepStats:
    rows: int = 0
    cars_scored: int = 0
    events: dict[str, int] = field(default_factory=dict)
    replayed: int = 0  # cars rewound to fold in late samples
    late: int = 0  # samples older than the car's oldest checkpoint: counted, not folded


@dataclass
class Checkpoint:
    ts_ms: int  # the car's newest sample when it was taken (-1: before its first)
    state: dict | None  # CarFeatures.to_dict(), None for a car with no data yet
    gates: dict[str, str]


def shard_sql(shard: int, shards: int, column: str = "vin") -> str:
    """SQL predicate selecting one shard's cars."""
    if shards <= 1:
        return "true"
    return f"mod(abs(hashtext({column})::bigint), {int(shards)}) = {int(shard)}"


class Scorer:
    """One shard's scoring loop; step() does one round and commits it."""

    def __init__(self, config: ServiceConfig, shard: int = 0, shards: int = 1):
        self.config = config
        self.shard, self.shards = shard, shards
        self.where = shard_sql(shard, shards)
        self.conn: psycopg.Connection = connect(config.database_url)
        self.detection = Detection(load_detectors(self.conn))
        self.cars = self.detection.cars
        self.checkpoints: dict[str, list[Checkpoint]] = {}
        self.seen: dict[tuple[str, int], dt.datetime] | None = None  # rows in the overlap
        self.late_total = 0
        self.dirty: set[str] = set()
        self.telemetry_at, self.latest_at = self._load_cursor()
        self.detection.judge.load_open(alerts.open_alerts(self.conn, where=self.where))
        self.conn.commit()
        self._persisted = self._swept = time.monotonic()

    def _load_cursor(self) -> tuple[dt.datetime, dt.datetime]:
        row = self.conn.execute(
            "SELECT min(telemetry_at), min(latest_at) FROM diagnostics_cursors WHERE shards = %s"
            " AND (shard = %s OR %s = 1)",
            (self.shards, self.shard, self.shards),
        ).fetchone()
        if row[0] is None:  # a new shard count: resume from the oldest of any previous layout
            row = self.conn.execute(
                "SELECT min(telemetry_at), min(latest_at) FROM diagnostics_cursors"
            ).fetchone()
        return (row[0] or EPOCH, row[1] or EPOCH)

    def close(self) -> None:
        """Save state and close the connection."""
        if not self.conn.closed:
            self.persist()
            self.conn.close()

    # ---- one round -------------------------------------------------------------------------

    def step(self) -> StepStats:
        """Read what arrived, judge the cars it touched in their time order, write, commit."""
        stats = StepStats()
        changed: dict[str, dt.datetime] = {}  # vin -> newest arrival among its new rows
        self._read_dtc_reports(changed)
        stats.rows = self._read_telemetry(changed, stats)
        for vin in changed:
            self.detection.catch_up(vin, self._car(vin))
            self.dirty.add(vin)
            stats.cars_scored += 1
        changes = self.detection.take_changes()
        now = time.monotonic()
        if now - self._swept >= self.config.sweep_s:
            self._swept = now
            changes += alerts.stale_changes(
                self.conn, stale_after_s=self.config.stale_after_s, shard=self.where
            )
        if changes:
            stats.events = alerts.apply(self.conn, changes, changed)
        self.conn.commit()
        if stats.late:
            log.warning(
                "%d late sample(s) older than their car's oldest checkpoint were not scored"
                " (%d since start)",
                stats.late,
                self.late_total,
            )
        if now - self._persisted >= self.config.persist_s:
            self.persist()
        return stats

    def _car(self, vin: str) -> CarFeatures:
        car = self.cars.get(vin)
        if car is None:
            row = self.conn.execute(
                "SELECT state FROM diagnostics_car_state WHERE vin = %s", (vin,)
            ).fetchone()
            car = CarFeatures.from_dict(row[0]) if row else CarFeatures()
            self.detection.restore(vin, car, row[0].get("gates", {}) if row else {})
        return car

    def _checkpoint(self, vin: str, car: CarFeatures) -> None:
        """Keep the car's state to rewind to, if its newest checkpoint is REWIND_MS old."""
        kept = self.checkpoints.setdefault(vin, [])
        last_ts = -1 if car.last_ts is None else car.last_ts
        if kept and last_ts - kept[-1].ts_ms < REWIND_MS:
            return
        state = copy.deepcopy(car.to_dict()) if car.last_ts is not None else None
        kept.append(Checkpoint(last_ts, state, dict(self.detection.gates.get(vin, {}))))
        del kept[:-2]

    def _read_telemetry(self, changed: dict[str, dt.datetime], stats: StepStats) -> int:
        overlap = dt.timedelta(seconds=OVERLAP_S)
        since = self.telemetry_at - overlap
        rows = 0
        newest = self.telemetry_at
        seen = self.seen or {}
        read: dict[tuple[str, int], dt.datetime] = {}
        late: dict[str, list[int]] = {}
        with self.conn.cursor(name=f"diag_telemetry_{self.shard}") as cur:
            cur.itersize = FETCH_ROWS
            cur.execute(_TELEMETRY.format(shard=self.where), (since,))
            vin_now, car = None, CarFeatures()
            for row in cur:
                vin, ts_ms, received = row[0], row[1], row[2]
                if vin != vin_now:
                    vin_now, car = vin, self._car(vin)
                    self._checkpoint(vin, car)
                newest = max(newest, received)
                if (vin, ts_ms) in seen:
                    continue  # reread in the overlap
                if received > newest - overlap:  # only these can be reread next round
                    read[(vin, ts_ms)] = received
                if car.last_ts is not None and ts_ms <= car.last_ts:
                    if self.seen is None and received <= self.telemetry_at:
                        continue  # the overlap just after a restart: scored before it
                    late.setdefault(vin, []).append(ts_ms)
                    continue
                self.detection.fold(vin, car, ts_ms, _values(row))
                rows += 1
                if received > changed.get(vin, EPOCH):
                    changed[vin] = received
                self.dirty.add(vin)
        for vin, stamps in late.items():
            rows += self._replay(vin, stamps, read, stats)
            changed.setdefault(vin, newest)
        self.telemetry_at = newest
        self.seen = {k: r for k, r in (seen | read).items() if r > newest - overlap}
        return rows

    def _replay(
        self,
        vin: str,
        stamps: list[int],
        read: dict[tuple[str, int], dt.datetime],
        stats: StepStats,
    ) -> int:
        """Rewind the car to a checkpoint before its late samples (stamps) and fold in order."""
        kept = self.checkpoints.get(vin, [])
        first = min(stamps)
        point = next((c for c in reversed(kept) if c.ts_ms < first), kept[0] if kept else None)
        lost = sum(1 for ts in stamps if point is None or ts <= point.ts_ms)
        stats.late += lost
        self.late_total += lost
        if point is None or lost == len(stamps):
            return 0
        del kept[kept.index(point) + 1 :]  # the later ones lack the late samples
        car = CarFeatures.from_dict(point.state) if point.state else CarFeatures()
        self.detection.restore(vin, car, point.gates)
        rows = 0
        after = EPOCH + dt.timedelta(milliseconds=point.ts_ms) if point.state else EPOCH
        with self.conn.cursor(name=f"diag_replay_{self.shard}") as cur:
            cur.itersize = FETCH_ROWS
            cur.execute(_CAR_TELEMETRY, (vin, after))
            for row in cur:
                read[(vin, row[1])] = row[2]
                self.detection.fold(vin, car, row[1], _values(row))
                rows += 1
        stats.replayed += 1
        self.dirty.add(vin)
        return rows

    def _read_dtc_reports(self, changed: dict[str, dt.datetime]) -> None:
        """Queue the DTC reports that arrived, each car's in time order, for _apply_reports."""
        since = self.latest_at - dt.timedelta(seconds=OVERLAP_S)
        found: dict[str, dict[int, DtcReport]] = {}
        arrived: dict[str, dt.datetime] = {}
        rows = self.conn.execute(_DTC_REPORTS.format(shard=self.where), (since,)).fetchall()
        for vin, ts_ms, received, stored, pending, frames in rows:
            found.setdefault(vin, {})[ts_ms] = DtcReport(ts_ms, stored, pending, frames)
            arrived[vin] = max(arrived.get(vin, EPOCH), received)
            self.latest_at = max(self.latest_at, received)
        # vehicle_latest adds the newest report when it carried no codes (no dtc_events rows)
        latest = self.conn.execute(_LATEST.format(shard=self.where), (since,)).fetchall()
        for vin, seen, stored, pending, dtc_ms in latest:
            self.latest_at = max(self.latest_at, seen)
            if dtc_ms is not None:
                report = DtcReport(dtc_ms, list(stored), list(pending), {})
                found.setdefault(vin, {}).setdefault(dtc_ms, report)
                arrived[vin] = max(arrived.get(vin, EPOCH), seen)
        for vin, by_ts in found.items():
            applied = self.detection.dtcs.get(vin)
            queued = self.detection.reports.get(vin, [])
            known = {r.ts_ms for r in queued}
            fresh = [
                r for ts, r in by_ts.items()
                if ts not in known and (applied is None or ts > applied.ts_ms)
            ]  # fmt: skip
            if not fresh:
                continue
            self.detection.queue(vin, fresh)
            self._car(vin)
            changed.setdefault(vin, arrived[vin])

    def persist(self) -> None:
        """Save the features of cars that changed, and the cursors, in one transaction."""
        states = [
            {
                "vin": v,
                "state": self.cars[v].to_dict() | {"gates": self.detection.gates.get(v, {})},
                "days": self.cars[v].baseline_days(),
            }
            for v in self.dirty
            if v in self.cars
        ]
        if states:
            self.conn.execute(_SAVE_STATE, (json.dumps(states),))
        self.conn.execute(
            _SAVE_CURSOR, (self.shards, self.shard, self.telemetry_at, self.latest_at)
        )
        self.conn.commit()
        self.dirty.clear()
        self._persisted = time.monotonic()

    def run(self, stop) -> None:
        """Step until stop (a threading or multiprocessing Event) is set; then save."""
        try:
            while not stop.is_set():
                try:
                    stats = self.step()
                except psycopg.OperationalError as exc:
                    log.warning("database unavailable (%s); retrying in 5 s", exc)
                    self.conn.close()
                    stop.wait(5)
                    self.conn = connect(self.config.database_url)
                    continue
                if not stats.rows:
                    stop.wait(self.config.poll_s)
        finally:
            self.close()


def _values(row: tuple) -> dict[str, float]:
    return {n: v for n, v in zip(SIGNAL_NAMES, row[3:], strict=True) if v is not None}


def _worker(config: ServiceConfig, shard: int, shards: int, stop) -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    parent = os.getppid()
    threading.Thread(target=_stop_when_orphaned, args=(parent, stop), daemon=True).start()
    Scorer(config, shard, shards).run(stop)


def _stop_when_orphaned(parent: int, stop) -> None:
    """Stop the shard once the service that started it is gone (killed with SIGKILL): else it
    would score on beside the shard a restarted service starts."""
    while not stop.wait(ORPHAN_CHECK_S):
        if os.getppid() != parent:
            log.warning("the diagnostics service (pid %d) is gone; this shard stops", parent)
            stop.set()
            return


class DiagnosticsService:
    """Runs one Scorer process per shard until stop()."""

    def __init__(self, config: ServiceConfig):
        self.config = config
        self.ctx = mp.get_context("spawn")
        self.stop_event = self.ctx.Event()
        self.stopping = False

    def stop(self) -> None:
        """Ask every shard to save and stop; safe to call from a signal handler."""
        # Only a flag: setting the multiprocessing Event here would deadlock when the signal
        # lands while this very thread waits on that Event.
        self.stopping = True

    def run(self) -> None:
        """Start the shards and wait for them; a shard that dies is restarted."""
        n = self.config.workers
        procs = {k: self._start(k, n) for k in range(n)}
        log.info("diagnostics: scoring with %d shard(s)", n)
        while not self.stopping:
            time.sleep(STOP_POLL_S)
            for k, proc in procs.items():
                if not proc.is_alive() and not self.stopping:
                    log.warning("shard %d exited with %s; restarting it", k, proc.exitcode)
                    procs[k] = self._start(k, n)
        self.stop_event.set()
        for proc in procs.values():
            proc.join(timeout=30)

    def _start(self, shard: int, shards: int):
        proc = self.ctx.Process(
            target=_worker, args=(self.config, shard, shards, self.stop_event), daemon=True
        )
        proc.start()
        return proc
