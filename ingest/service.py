"""The ingest loop: receive on the MQTT thread, write batches on this one, ack after commit."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
import psycopg

from core.settings import Settings
from core.wire import UPLINK_KINDS
from ingest.batch import Batch, Message, reason_class
from ingest.metrics import Metrics
from ingest.mqtt import Session, open_session
from ingest.store import Store, Written

log = logging.getLogger(__name__)

PARTITION_DAYS_AHEAD = 14  # partitions exist two weeks ahead, so a normal day never waits
STOP_POLL_S = 0.2  # how often an idle loop notices a stop request
RETRY_MIN_S, RETRY_MAX_S = 0.5, 30.0  # backoff while the database is unreachable


@dataclass(frozen=True)
class IngestConfig:
    """What one ingest process needs to know."""

    database_url: str
    mqtt_url: str
    client_id: str
    group: str
    max_batch_rows: int
    max_batch_age_ms: int
    metrics_port: int = 0

    @classmethod
    def from_settings(cls, settings: Settings, *, database_url: str, mqtt_url: str) -> IngestConfig:
        """The config from settings and resolved URLs."""
        return cls(
            database_url=database_url,
            mqtt_url=mqtt_url,
            client_id=settings.ingest_client_id,
            group=settings.ingest_group,
            max_batch_rows=settings.ingest_max_batch_rows,
            max_batch_age_ms=settings.ingest_max_batch_age_ms,
            metrics_port=settings.ingest_metrics_port,
        )


class Ingest:
    """One ingest process: call run() until stop() (or a signal handler) ends it."""

    def __init__(self, config: IngestConfig, metrics: Metrics | None = None):
        self.config = config
        self.metrics = metrics or Metrics()
        self.store = Store(config.database_url)
        self.stopping = threading.Event()
        self.session: Session | None = None
        self._cond = threading.Condition()
        self._batch = Batch()
        self._writing: Batch | None = None
        self._epoch = 0
        self._partition_day: dt.date | None = None
        self.metrics.watch_oldest(self._oldest_uncommitted_s)

    def stop(self) -> None:
        """Ask run() to flush, acknowledge, disconnect and return."""
        self.stopping.set()

    def run(self) -> None:
        """Connect, then write batches until stopped; the last batch is flushed on the way out."""
        self.metrics.serve(self.config.metrics_port)
        self._daily_partitions()
        self.session = open_session(
            self.config.mqtt_url,
            client_id=self.config.client_id,
            group=self.config.group,
            max_batch_rows=self.config.max_batch_rows,
            on_message=self._on_message,
            on_connect=self._on_connect,
            stop=self.stopping,
        )
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    break
                if batch.messages:
                    self._commit(batch)
                if self.stopping.is_set():
                    break  # later messages stay unacknowledged; the broker redelivers them
                self._daily_partitions()
        finally:
            self.session.client.disconnect()
            self.session.client.loop_stop()
            self.store.close()
            log.info("ingest stopped")

    # -- MQTT thread ---------------------------------------------------------------------

    def _on_connect(self) -> None:
        with self._cond:
            # Messages of an older connection are redelivered on this one; never ack them here.
            self._epoch += 1

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        kind = msg.topic.rsplit("/", 1)[-1]
        self.metrics.messages.labels(kind if kind in UPLINK_KINDS else "other").inc()
        with self._cond:
            # A full batch waits for the writer: reading no further lets the broker hold the
            # backlog, and keeps each batch near its size instead of growing while one commits.
            while self._batch.size >= self.config.max_batch_rows and not self.stopping.is_set():
                self._cond.wait(STOP_POLL_S)
            try:
                self._batch.add(Message(msg.topic, msg.payload, msg.mid, msg.qos, self._epoch))
            except Exception as exc:  # one message must never stop the loop
                log.exception("could not parse a message on %s", msg.topic)
                self._batch.dead_letter(msg.topic, msg.payload, f"ingest failed to parse: {exc}")
            if self._batch.size >= self.config.max_batch_rows:
                self._cond.notify()

    # -- writer thread -------------------------------------------------------------------

    def _next_batch(self) -> Batch | None:
        """Wait until the batch is full, old enough or we are stopping; None when done."""
        limit_rows, limit_ms = self.config.max_batch_rows, self.config.max_batch_age_ms
        with self._cond:
            while not self.stopping.is_set():
                batch = self._batch
                if batch.size >= limit_rows or (batch.messages and batch.age_ms() >= limit_ms):
                    break
                wait_ms = limit_ms - batch.age_ms() if batch.messages else STOP_POLL_S * 1000
                self._cond.wait(min(wait_ms, STOP_POLL_S * 1000) / 1000)
            batch, self._batch = self._batch, Batch()
            self._writing = batch
            self._cond.notify_all()
        if self.stopping.is_set() and not batch.messages:
            return None
        return batch

    def _commit(self, batch: Batch) -> None:
        """Write the batch until it commits, then acknowledge its messages."""
        delay = RETRY_MIN_S
        while True:
            started = time.perf_counter()
            try:
                written = self._write(batch)
                break
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self.metrics.db_errors.inc()
                self.store.close()
                if self.stopping.is_set():
                    log.warning(
                        "database unavailable at shutdown (%s); the broker keeps the "
                        "%d unacknowledged messages",
                        exc,
                        len(batch.messages),
                    )
                    return
                log.warning("database write failed (%s); retrying in %.1f s", exc, delay)
                self.stopping.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        elapsed = time.perf_counter() - started
        self._ack(batch)
        self._observe(batch, written, elapsed)
        with self._cond:
            self._writing = None

    def _write(self, batch: Batch) -> Written:
        try:
            return self.store.write(batch)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            raise
        except psycopg.Error as exc:
            log.warning("database refused a batch (%s); writing its messages one by one", exc)
            return self._write_one_by_one(batch)

    def _write_one_by_one(self, batch: Batch) -> Written:
        """Find the message(s) the database refuses and dead-letter them; write the rest."""
        total = Written()
        for message in batch.messages:
            single = Batch()
            single.add(message)
            try:
                written = self.store.write(single)
            except (psycopg.OperationalError, psycopg.InterfaceError):
                raise
            except psycopg.Error as exc:
                single = Batch()
                single.dead_letter(message.topic, message.payload, f"database refused it: {exc}")
                written = self.store.write(single)
            for name in (*UPLINK_KINDS, "dead_letters"):
                setattr(total, name, getattr(total, name) + getattr(written, name))
        return total

    def _ack(self, batch: Batch) -> None:
        assert self.session is not None  # batches are only written once run() has connected
        client = self.session.client
        epoch = self._epoch
        for m in batch.messages:
            if m.qos and m.epoch == epoch:
                client.ack(m.mid, m.qos)

    def _observe(self, batch: Batch, written: Written, elapsed: float) -> None:
        m = self.metrics
        m.rows.labels("telemetry").inc(written.telemetry)
        m.rows.labels("dtc_events").inc(written.dtc)
        m.rows.labels("vehicle_status_events").inc(written.status)
        m.rows.labels("dead_letters").inc(written.dead_letters)
        for _topic, _payload, _size, reason in batch.dead_letters:
            m.dead_letters.labels(reason_class(reason)).inc()
        m.batch_size.observe(batch.size)
        m.commit_seconds.observe(elapsed)
        now = time.time()
        m.last_commit.set(now)
        for ts in batch.newest_ts:
            m.latency.observe(max(0.0, now - ts / 1000))

    def _oldest_uncommitted_s(self) -> float:
        oldest = [b.oldest_ts for b in (self._batch, self._writing) if b and b.oldest_ts]
        return max(0.0, time.time() - min(oldest) / 1000) if oldest else 0.0

    def _daily_partitions(self) -> None:
        today = dt.datetime.now(dt.UTC).date()
        if self._partition_day == today:
            return
        try:
            self.store.ensure_partitions(today, today + dt.timedelta(days=PARTITION_DAYS_AHEAD))
            self._partition_day = today
        except psycopg.Error as exc:
            self.store.close()
            log.warning("could not create partitions ahead (%s); will retry", exc)
