"""The scoring service: read new telemetry and DTC states, update features, judge, write alerts.

Cars are split into shards by a hash of the VIN; each shard is one process running a plain,
synchronous Scorer loop, so CPU work never waits on (or blocks) anything else. A Scorer keeps
each car's CarFeatures in memory and reads only rows that arrived after its cursor
(telemetry.received_at, vehicle_latest.last_seen). It rereads a short overlap, because an
ingest transaction that began earlier may commit later; features skip samples they have seen.
Features and cursors are saved together every few seconds, so a restart resumes, not rescans.

Detectors without a persistence gate (rules, trouble codes) judge the newest snapshot of every
car each round. Gated detectors (the models) are scored once per hour of the car's own time,
on the snapshot at the hour boundary, just before the first sample past it is folded in, as
the training rows are; their hourly statuses go through the gate (diagnostics.persistence),
whose short history is saved with the car's features.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field, replace

import psycopg

from core.db import connect
from core.signals import COLUMNS, SIGNAL_NAMES
from diagnostics import alerts, dtc
from diagnostics.detectors import load_detectors
from diagnostics.features import CarFeatures
from diagnostics.persistence import hours_crossed
from diagnostics.scoring import Clear, Finding, Judge, Raise, run_detectors

log = logging.getLogger(__name__)

POLL_S = 0.5  # pause between reads when nothing new arrived
OVERLAP_S = 5.0  # reread this much before the cursor: ingest commits can land out of order
PERSIST_S = 30.0  # save features and cursors this often
SWEEP_S = 30.0  # look for stale cars this often
STOP_POLL_S = 0.5  # how soon the service notices a stop request
FETCH_ROWS = 20_000  # rows per round trip while streaming new telemetry
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_TELEMETRY = f"""
SELECT vin, (extract(epoch FROM ts) * 1000)::bigint, received_at, {", ".join(COLUMNS)}
FROM telemetry WHERE received_at > %s AND {{shard}} ORDER BY vin, ts"""
_LATEST = """
SELECT vin, last_seen, stored_dtcs, pending_dtcs, dtc_ts FROM vehicle_latest
WHERE last_seen > %s AND {shard}"""
_FRAMES = """
SELECT DISTINCT ON (vin, code) vin, code, freeze_frame FROM dtc_events
WHERE vin = ANY(%s) AND freeze_frame IS NOT NULL ORDER BY vin, code, ts DESC"""
_SAVE_STATE = """
INSERT INTO diagnostics_car_state (vin, state, updated_at)
SELECT r.vin, r.state, now() FROM jsonb_to_recordset(%s::jsonb) AS r(vin text, state jsonb)
ON CONFLICT (vin) DO UPDATE SET state = excluded.state, updated_at = now()"""
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
        detectors = load_detectors(self.conn)
        self.detectors = [d for d in detectors if getattr(d, "gate", None) is None]
        self.hourly = [d for d in detectors if getattr(d, "gate", None) is not None]
        self.keep_hours = max((d.gate.n for d in self.hourly), default=0)
        self.judge = Judge()
        self.cars: dict[str, CarFeatures] = {}
        self.gates: dict[str, dict[str, str]] = {}  # vin -> finding key -> hourly marks
        self.hourly_changes: list[Raise | Clear] = []  # judged at hour boundaries this round
        self.dtcs: dict[str, tuple] = {}  # vin -> (dtc_ts, stored, pending)
        self.dirty: set[str] = set()
        self.telemetry_at, self.latest_at = self._load_cursor()
        self.judge.load_open(alerts.open_alerts(self.conn, where=self.where))
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
        """Read what arrived, score the cars it touched, write alert changes, commit."""
        stats = StepStats()
        changed: dict[str, dt.datetime] = {}  # vin -> newest arrival among its new rows
        stats.rows = self._read_telemetry(changed)
        self._read_latest(changed)
        changes, self.hourly_changes = self.hourly_changes, []
        open_keys: dict[str, set[str]] = {}
        for (v, _), keys in self.judge.open.items():
            open_keys.setdefault(v, set()).update(keys)
        for vin in changed:
            car = self.cars[vin]
            if car.last_ts is None:
                continue
            findings = run_detectors(self.detectors, vin, car.snapshot(car.last_ts), _base(car))
            state = self.dtcs.get(vin)
            if state is not None:
                findings += dtc.findings(state[1], state[2], state[3], open_keys.get(vin, set()))
            changes += self.judge.judge(vin, car.last_ts, findings)
            stats.cars_scored += 1
        now = time.monotonic()
        if now - self._swept >= self.config.sweep_s:
            self._swept = now
            changes += alerts.stale_changes(
                self.conn, stale_after_s=self.config.stale_after_s, shard=self.where
            )
        if changes:
            stats.events = alerts.apply(self.conn, changes, changed)
        self.conn.commit()
        if now - self._persisted >= self.config.persist_s:
            self.persist()
        return stats

    def _car(self, vin: str) -> CarFeatures:
        car = self.cars.get(vin)
        if car is None:
            row = self.conn.execute(
                "SELECT state FROM diagnostics_car_state WHERE vin = %s", (vin,)
            ).fetchone()
            car = self.cars[vin] = CarFeatures.from_dict(row[0]) if row else CarFeatures()
            self.gates[vin] = dict(row[0].get("gates", {})) if row else {}
        return car

    def _score_hours(self, vin: str, car: CarFeatures, ts_ms: int) -> None:
        """Score the gated detectors at each hour boundary the next sample (ts_ms) crosses."""
        for hour_ms in hours_crossed(car.last_ts, ts_ms, self.keep_hours):
            snapshot, baseline = car.snapshot(hour_ms), _base(car)
            marks = self.gates.setdefault(vin, {})
            gated: list[Finding] = []
            for detector in self.hourly:
                for f in run_detectors([detector], vin, snapshot, baseline):
                    marks[f.key] = history = detector.gate.push(marks.get(f.key, ""), f.status)
                    gated.append(replace(f, status=detector.gate.status(history)))
            self.hourly_changes += self.judge.judge(vin, hour_ms, gated)

    def _read_telemetry(self, changed: dict[str, dt.datetime]) -> int:
        since = self.telemetry_at - dt.timedelta(seconds=OVERLAP_S)
        rows = 0
        newest = self.telemetry_at
        with self.conn.cursor(name=f"diag_telemetry_{self.shard}") as cur:
            cur.itersize = FETCH_ROWS
            cur.execute(_TELEMETRY.format(shard=self.where), (since,))
            vin_now, car = None, None
            for row in cur:
                vin, ts_ms, received = row[0], row[1], row[2]
                if vin != vin_now:
                    vin_now, car = vin, self._car(vin)
                newest = max(newest, received)
                if car.last_ts is not None and ts_ms <= car.last_ts:
                    continue
                if self.hourly:
                    self._score_hours(vin, car, ts_ms)
                values = {n: v for n, v in zip(SIGNAL_NAMES, row[3:], strict=True) if v is not None}
                car.update(ts_ms, values)
                rows += 1
                if received > changed.get(vin, EPOCH):
                    changed[vin] = received
                self.dirty.add(vin)
        self.telemetry_at = newest
        return rows

    def _read_latest(self, changed: dict[str, dt.datetime]) -> None:
        since = self.latest_at - dt.timedelta(seconds=OVERLAP_S)
        fresh = []
        for vin, seen, stored, pending, dtc_ts in self.conn.execute(
            _LATEST.format(shard=self.where), (since,)
        ).fetchall():
            self.latest_at = max(self.latest_at, seen)
            if dtc_ts is None or (vin in self.dtcs and self.dtcs[vin][0] == dtc_ts):
                continue
            fresh.append((vin, seen, dtc_ts, list(stored), list(pending)))
        if not fresh:
            return
        frames: dict[str, dict[str, dict]] = {}
        with_stored = [vin for vin, _, _, stored, _ in fresh if stored]
        if with_stored:
            for vin, code, frame in self.conn.execute(_FRAMES, (with_stored,)).fetchall():
                frames.setdefault(vin, {})[code] = frame
        for vin, seen, dtc_ts, stored, pending in fresh:
            self.dtcs[vin] = (dtc_ts, stored, pending, frames.get(vin, {}))
            car = self._car(vin)
            car.update_dtcs(int(dtc_ts.timestamp() * 1000), stored, pending)
            if car.last_ts is None:
                car.last_ts = int(dtc_ts.timestamp() * 1000)
            changed.setdefault(vin, seen)
            self.dirty.add(vin)

    def persist(self) -> None:
        """Save the features of cars that changed, and the cursors, in one transaction."""
        states = [
            {"vin": v, "state": self.cars[v].to_dict() | {"gates": self.gates.get(v, {})}}
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


def _base(car: CarFeatures) -> dict[str, tuple[float, float]]:
    return {name: b for name in car.baseline if (b := car.baseline_of(name)) is not None}


def _worker(config: ServiceConfig, shard: int, shards: int, stop) -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    Scorer(config, shard, shards).run(stop)


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
