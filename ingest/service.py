"""The ingest loop: a source delivers messages, this thread writes batches, then acks them.

The source is MQTT (a persistent session with shared subscriptions), a JetStream durable
consumer or a RabbitMQ quorum queue; all feed the same batch, store and dead-letter path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import psycopg

from core.settings import Settings
from core.storage import StorageCollector
from core.wire import UPLINK_KINDS
from ingest.batch import Batch, Message, reason_class
from ingest.metrics import Metrics
from ingest.mqtt import MqttSource, Session
from ingest.store import Store, Written

log = logging.getLogger(__name__)

STOP_POLL_S = 0.2  # how often an idle loop notices a stop request
RETRY_MIN_S, RETRY_MAX_S = 0.5, 30.0  # backoff while the database is unreachable
# After a clean stop leaves the group, messages already sent to this process still arrive;
# they are committed until none came for DRAIN_QUIET_S, giving up (and keeping the session)
# after DRAIN_MAX_S.
DRAIN_QUIET_S, DRAIN_MAX_S = 1.0, 30.0
SourceName = Literal["mqtt", "jetstream", "rabbitmq"]


class Source(Protocol):
    """Where messages come from, and where their acknowledgements go."""

    def open(self, deliver: Callable[[Message], None], stop: threading.Event) -> None:
        """Connect and start calling deliver(message) from the source's own thread."""

    def is_connected(self) -> bool:
        """Whether the source is connected right now."""

    def ack(self, messages: list[Message]) -> None:
        """Acknowledge messages whose batch has committed."""

    def leave(self) -> bool:
        """Stop taking new messages from the group; True if the rest should be drained."""

    def close(self, *, drained: bool) -> None:
        """Disconnect; drained says every message this process was sent is committed."""


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
    source: SourceName = "mqtt"
    nats_urls: str = ""  # comma-separated nats:// URLs of the cluster (source "jetstream")
    amqp_urls: str = ""  # comma-separated amqp:// URLs of the cluster (source "rabbitmq")
    leave_on_stop: bool = False  # MQTT: a clean stop leaves the shared group (scale-down)

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
            source=settings.ingest_source,
            nats_urls=settings.nats_urls,
            amqp_urls=settings.amqp_urls,
        )


def make_source(config: IngestConfig) -> Source:
    """The configured source: MQTT shared subscriptions, a JetStream consumer or a quorum queue."""
    if config.source == "rabbitmq":
        from ingest.rabbitmq import RabbitMQSource

        return RabbitMQSource(
            config.amqp_urls, group=config.group, client_id=config.client_id,
            max_batch_rows=config.max_batch_rows,
        )  # fmt: skip
    if config.source == "jetstream":
        from ingest.jetstream import JetStreamSource

        return JetStreamSource(
            config.nats_urls, group=config.group, client_id=config.client_id,
            max_batch_rows=config.max_batch_rows,
        )  # fmt: skip
    return MqttSource(
        config.mqtt_url, client_id=config.client_id, group=config.group,
        max_batch_rows=config.max_batch_rows, leave_on_stop=config.leave_on_stop,
    )  # fmt: skip


class Ingest:
    """One ingest process: call run() until stop() (or a signal handler) ends it."""

    def __init__(
        self, config: IngestConfig, metrics: Metrics | None = None, source: Source | None = None
    ):
        self.config = config
        self.metrics = metrics or Metrics()
        self.store = Store(config.database_url)
        self.source = source or make_source(config)
        self.stopping = threading.Event()
        self.opened = threading.Event()
        self.committed_batches = 0
        self._cond = threading.Condition()
        self._batch = Batch()
        self._writing: Batch | None = None
        self.metrics.watch_oldest(self._oldest_uncommitted_s)

    @property
    def session(self) -> Session | None:
        """The MQTT session, when the source is MQTT and connected."""
        return self.source.session if isinstance(self.source, MqttSource) else None

    def stop(self) -> None:
        """Ask run() to flush, acknowledge, leave the group, disconnect and return."""
        self.stopping.set()

    def run(self) -> None:
        """Connect, then write batches until stopped; the last batch is flushed on the way out."""
        self.metrics.registry.register(StorageCollector(self.config.database_url))
        self.metrics.serve(self.config.metrics_port)
        self.source.open(self._receive, self.stopping)
        self.opened.set()
        drained = committed = False
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    committed = True
                    break
                if batch.messages and not self._commit(batch):
                    break
                if self.stopping.is_set():
                    committed = True
                    break
            if committed:
                drained = self.source.leave() and self._drain()
        finally:
            # Without a drain, later messages stay unacknowledged and are redelivered.
            self.source.close(drained=drained)
            self.store.close()
            log.info("ingest stopped")

    # -- source thread -------------------------------------------------------------------

    def _receive(self, message: Message) -> None:
        kind = message.topic.rsplit("/", 1)[-1]
        self.metrics.messages.labels(kind if kind in UPLINK_KINDS else "other").inc()
        if message.redelivered:
            self.metrics.redelivered.inc()
        with self._cond:
            # A full batch waits for the writer: reading no further lets the broker hold the
            # backlog, and keeps each batch near its size instead of growing while one commits.
            while self._batch.size >= self.config.max_batch_rows and not self.stopping.is_set():
                self._cond.wait(STOP_POLL_S)
            try:
                self._batch.add(message)
            except Exception as exc:  # one message must never stop the loop
                log.exception("could not parse a message on %s", message.topic)
                self._batch.dead_letter(
                    message.topic, message.payload, f"ingest failed to parse: {exc}"
                )
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

    def _drain(self) -> bool:
        """Commit what the source still delivers after leaving; True once it went quiet."""
        deadline = time.monotonic() + DRAIN_MAX_S
        while time.monotonic() < deadline:
            time.sleep(DRAIN_QUIET_S)
            with self._cond:
                batch, self._batch = self._batch, Batch()
                self._writing = batch
            if not batch.messages:
                return True
            if not self._commit(batch):
                return False
        log.warning("messages kept arriving for %.0f s after leaving the group", DRAIN_MAX_S)
        return False

    def _commit(self, batch: Batch) -> bool:
        """Write the batch until it commits, then acknowledge its messages; False if given up."""
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
                    return False
                log.warning("database write failed (%s); retrying in %.1f s", exc, delay)
                self.stopping.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        elapsed = time.perf_counter() - started
        self.source.ack(batch.messages)
        self.committed_batches += 1
        self._observe(batch, written, elapsed)
        with self._cond:
            self._writing = None
        return True

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
