"""The ingest's source on a NATS JetStream cluster: a durable pull consumer shared by workers.

Cars publish MQTT to any node; NATS maps the MQTT topic a/b/c to the subject a.b.c, and the
stream UPLINK_STREAM keeps every uplink message on three nodes. Each worker fetches from the
same durable consumer and acknowledges a message only after its batch committed. A worker
that dies leaves its messages unacknowledged: JetStream hands them to the others after
ACK_WAIT_S. Telemetry is keyed by (vin, ts), so a redelivered sample is stored once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig

from core import jetstream
from core.wire import TOPIC_ROOT, UPLINK_KINDS
from ingest.batch import Message

log = logging.getLogger(__name__)

UPLINK_STREAM = "PITSTOP_UPLINK"
STREAM_REPLICAS = 3  # survives the loss of one node of three; 1 on a single server
# A work queue: a message is deleted once acknowledged, so the disk holds only the backlog,
# kept through a week of ingest downtime (as the MQTT session expiry).
MAX_AGE_S = 7 * 24 * 3600
ACK_WAIT_S = 10.0  # a batch commits in well under a second; after this it goes to another worker
MAX_ACK_PENDING = 20_000  # messages out for the whole group at once; bounds each worker's memory
MAX_DELIVER = 1000  # a message is never dropped for being slow; bad ones are dead-lettered
# A fetch asks for about one batch of messages, guessing ROWS_PER_MESSAGE samples in each:
# what a worker holds unacknowledged must commit well within ACK_WAIT_S.
ROWS_PER_MESSAGE = 20
FETCH_MIN, FETCH_MAX = 10, 500
FETCH_TIMEOUT_S = 1.0  # how long an idle fetch waits; also how soon a stop is noticed
CALL_TIMEOUT_S = 10.0  # connect, stream and consumer set-up, and acks
RECONNECT_WAIT_S = 1.0
RETRY_S = 1.0  # pause after a failed fetch (a node going away)
# A cluster that just started, or just lost a node, may take a while to answer JetStream
# requests or to place replicas; set-up retries for this long.
SETUP_WAIT_S = 60.0
NOT_UNIQUE_ON_WORK_QUEUE = 10099  # a second consumer on a work-queue stream's subjects


def subjects() -> list[str]:
    """The NATS subjects of the cars' uplink MQTT topics (TOPIC_ROOT/<vin>/<kind>)."""
    root = TOPIC_ROOT.replace("/", ".")
    return [f"{root}.*.{kind}" for kind in UPLINK_KINDS]


def topic_of(subject: str) -> str:
    """The MQTT topic a subject came from (a.b.c → a/b/c)."""
    return subject.replace(".", "/")


def uplink_stream() -> StreamConfig:
    """The uplink stream: every car's uplink topics, a work queue on STREAM_REPLICAS nodes."""
    return StreamConfig(
        name=UPLINK_STREAM,
        subjects=subjects(),
        storage=StorageType.FILE,
        retention=RetentionPolicy.WORK_QUEUE,
        num_replicas=STREAM_REPLICAS,
        max_age=MAX_AGE_S,
    )


async def ensure_stream(js: JetStreamContext) -> None:
    """Create the uplink stream unless it exists (several workers may race; all agree)."""
    await jetstream.ensure_stream(js, uplink_stream(), wait_s=SETUP_WAIT_S)


async def ensure_consumer(js: JetStreamContext, durable: str) -> None:
    """Create the group's durable pull consumer unless it exists."""
    try:
        await js.consumer_info(UPLINK_STREAM, durable)
        return
    except nats.js.errors.NotFoundError:
        pass
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ACK_WAIT_S,
        max_ack_pending=MAX_ACK_PENDING,
        max_deliver=MAX_DELIVER,
    )
    try:
        await js.add_consumer(UPLINK_STREAM, config)
    except nats.js.errors.BadRequestError as exc:
        if exc.err_code == NOT_UNIQUE_ON_WORK_QUEUE:
            raise RuntimeError(
                f"the stream {UPLINK_STREAM} already serves another ingest group, and a work "
                f"queue serves one: set PITSTOP_INGEST_GROUP to that group's name, or remove "
                f"its consumer (nats consumer rm {UPLINK_STREAM} <name>) ({exc})"
            ) from exc
        raise


class JetStreamSource:
    """Fetches from the durable consumer on a thread of its own, with its own asyncio loop."""

    def __init__(self, urls: str, *, group: str, client_id: str, max_batch_rows: int):
        self.servers = jetstream.parse_urls(urls)
        self.group, self.client_id = group, client_id
        self.fetch_messages = max(FETCH_MIN, min(max_batch_rows // ROWS_PER_MESSAGE, FETCH_MAX))
        self.loop = asyncio.new_event_loop()
        self.nc: NatsClient | None = None
        self._leaving = threading.Event()
        self._deliver: Callable[[Message], None] | None = None
        self._fetcher: concurrent.futures.Future[None] | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, name="jetstream", daemon=True)

    def open(self, deliver: Callable[[Message], None], stop: threading.Event) -> None:
        """Connect to the cluster, set up the stream and consumer, start fetching."""
        self._deliver = deliver
        self._thread.start()
        self._call(self._connect(), 2 * SETUP_WAIT_S + 2 * CALL_TIMEOUT_S)
        self._fetcher = asyncio.run_coroutine_threadsafe(self._fetch_loop(), self.loop)
        log.info("consuming %s as %s (group %s)", UPLINK_STREAM, self.client_id, self.group)

    def _call(self, coroutine: Coroutine[Any, Any, Any], timeout: float) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _connect(self) -> None:
        self.nc = await nats.connect(
            servers=self.servers,
            name=self.client_id,
            connect_timeout=CALL_TIMEOUT_S,
            reconnect_time_wait=RECONNECT_WAIT_S,
            max_reconnect_attempts=-1,
            error_cb=self._on_error,
        )
        js = self.nc.jetstream(timeout=CALL_TIMEOUT_S)
        deadline = asyncio.get_running_loop().time() + SETUP_WAIT_S
        while True:
            try:
                await ensure_stream(js)
                await ensure_consumer(js, self.group)
                break
            except (nats.errors.TimeoutError, nats.js.errors.ServiceUnavailableError) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                log.warning("JetStream did not answer the set-up (%r); retrying", exc)
                await asyncio.sleep(RETRY_S)
        self._subscription = await js.pull_subscribe_bind(durable=self.group, stream=UPLINK_STREAM)

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS: %s", exc)

    async def _fetch_loop(self) -> None:
        while not self._leaving.is_set():
            try:
                batch = await self._subscription.fetch(self.fetch_messages, FETCH_TIMEOUT_S)
            except nats.errors.TimeoutError:
                continue
            except (nats.errors.Error, OSError) as exc:
                log.warning("fetch from %s failed (%r); retrying", UPLINK_STREAM, exc)
                await asyncio.sleep(RETRY_S)
                continue
            # The writer may hold delivery while a batch is full; the loop must keep running.
            await asyncio.to_thread(self._deliver_all, batch)

    def _deliver_all(self, batch: list[Msg]) -> None:
        assert self._deliver is not None  # set in open()
        for msg in batch:
            redelivered = msg.metadata.num_delivered > 1
            self._deliver(
                Message(
                    topic_of(msg.subject), msg.data, 0, 1, 0, handle=msg, redelivered=redelivered
                )
            )

    def is_connected(self) -> bool:
        """Whether the client is connected to some node right now."""
        return self.nc is not None and self.nc.is_connected

    def ack(self, messages: list[Message]) -> None:
        """Acknowledge committed messages; a lost ack only means a redelivery, stored once."""
        handles = [m.handle for m in messages if isinstance(m.handle, Msg)]
        try:
            self._call(self._ack_all(handles), CALL_TIMEOUT_S)
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            log.warning("could not acknowledge %d messages (%s)", len(handles), exc)

    async def _ack_all(self, handles: list[Msg]) -> None:
        for msg in handles:
            await msg.ack()
        assert self.nc is not None  # acks follow open()
        await self.nc.flush(timeout=int(CALL_TIMEOUT_S))

    def leave(self) -> bool:
        """Stop fetching; what was fetched is still delivered, so the caller drains it."""
        self._leaving.set()
        if self._fetcher is not None:
            try:
                self._fetcher.result(FETCH_TIMEOUT_S + CALL_TIMEOUT_S)
            except Exception as exc:  # the drain below still commits what arrived
                log.warning("the fetch loop ended with %s", exc)
        return True

    def close(self, *, drained: bool) -> None:
        """Close the connection; unacknowledged messages go to other workers after ACK_WAIT_S."""
        self._leaving.set()
        if self.nc is not None:
            try:
                self._call(self.nc.close(), CALL_TIMEOUT_S)
            except (TimeoutError, nats.errors.Error, OSError) as exc:
                log.warning("closing the NATS connection failed (%s)", exc)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(CALL_TIMEOUT_S)
