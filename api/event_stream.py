"""Internal events at cluster scale: the relay that copies alert_events and feed_events rows
into a broker, and the watch that wakes a process on them.

The database stays the record; the broker carries the signal. On NATS (JetStreamSink) each
row becomes one message of the stream EVENTS_STREAM on pitstop.events.<kind>.<store id> with
Nats-Msg-Id "<kind>-<id>", so a restarted relay, or two relays racing, store it once, and the
relay's cursor is the Pitstop-Cursor header of the stream's last message of the kind. On
RabbitMQ (api.event_rabbitmq) the rows go to a topic exchange. A transaction that commits late
holds an id below the cursor: the relay re-reads such gaps for OVERLAP_S, and after a restart
the rows of the last OVERLAP_S.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import nats
import nats.errors
import nats.js.errors
import psycopg
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from psycopg.rows import dict_row

from api.proactive.constants import FEED_CHANNEL
from core import jetstream
from core.db import psycopg_url
from core.settings import Settings
from diagnostics.alerts import CHANNEL as ALERT_CHANNEL

log = logging.getLogger(__name__)

EVENTS_STREAM = "PITSTOP_EVENTS"
SUBJECT_ROOT = "pitstop.events"
CURSOR_HEADER = "Pitstop-Cursor"  # the relay's highest id of the kind when it sent the message
NO_STORE = "none"  # subject token of an alert for a car no store knows
MAX_REPLICAS = 3  # survives the loss of one node; fewer on a smaller cluster
MAX_AGE_S = 7 * 86_400  # the database is the record; the stream keeps a week for late readers
OVERLAP_S = 120.0  # a transaction committing this late still has its row relayed
DUPLICATE_WINDOW_S = 300.0  # must exceed OVERLAP_S: a re-publish inside it is dropped
OVERLAP_IDS = 10_000  # at most this many ids below the cursor are watched as gaps
RELAY_POLL_S = 0.5  # the relay re-reads the tables this often without a NOTIFY
RELAY_BATCH = 500
CALL_TIMEOUT_S = 5.0
RETRY_S = 1.0
PLACEMENT_WAIT_S = 30.0  # a cluster that just formed needs a moment to know its peers


@dataclass(frozen=True)
class EventTable:
    """One table of events: its subject token, its trigger's NOTIFY channel, how to read it."""

    kind: str
    channel: str
    table: str
    rows: str  # rows with id > %(after)s or id = ANY(%(ids)s): id, store, and the message


TABLES = (
    EventTable(
        "alert",
        ALERT_CHANNEL,
        "alert_events",
        """SELECT e.id, v.store_id AS store, e.alert_id, e.vin, e.failure_mode, e.kind,
        e.severity, e.created_at FROM alert_events e LEFT JOIN vehicles v ON v.vin = e.vin
        WHERE e.id > %(after)s OR e.id = ANY(%(ids)s) ORDER BY e.id LIMIT %(limit)s""",
    ),
    EventTable(
        "feed",
        FEED_CHANNEL,
        "feed_events",
        """SELECT id, store_id AS store, kind, vin, created_at FROM feed_events
        WHERE id > %(after)s OR id = ANY(%(ids)s) ORDER BY id LIMIT %(limit)s""",
    ),
)
KIND_OF_CHANNEL = {t.channel: t.kind for t in TABLES}


def subject_filter(kind: str) -> str:
    """The subjects of every store's events of a kind."""
    return f"{SUBJECT_ROOT}.{kind}.>"


def nats_servers(settings: Settings) -> list[str]:
    """The cluster's nats:// URLs from settings; ValueError says what is missing."""
    return jetstream.parse_urls(settings.nats_urls)


class Sink(Protocol):
    """Where the relay sends events: opened for each run of the relay, closed after it."""

    errors: tuple[type[BaseException], ...]  # what means the broker is gone: start again

    async def open(self) -> None: ...

    async def last_cursor(self, kind: str) -> int | None:
        """The relay's cursor of the kind as the broker last stored it; None if it keeps none."""

    async def publish(self, kind: str, store: str, row: dict[str, Any], high: int) -> bool:
        """Send one event row; False if the broker knew it already."""

    async def keep_alive(self) -> None:
        """Called at every turn of the relay, events or not (heartbeats of a blocking client)."""

    async def close(self) -> None: ...


def relay_for(settings: Settings) -> EventRelay:
    """The relay of the configured events_source (jetstream or rabbitmq)."""
    if settings.events_source == "rabbitmq":
        from api.event_rabbitmq import RabbitSink

        return EventRelay(settings.database_url or "", RabbitSink(settings.amqp_urls))
    return EventRelay(settings.database_url or "", JetStreamSink(nats_servers(settings)))


def watcher_for(settings: Settings, kind: str) -> Callable[[Callable[[], None]], Awaitable[None]]:
    """watch(wake): calls wake on every event of the kind, and on every (re)connect, until
    cancelled, through the configured events_source (jetstream or rabbitmq)."""
    if settings.events_source == "rabbitmq":
        from api.event_rabbitmq import watch as watch_rabbitmq

        nodes = settings.amqp_urls
        return lambda wake: watch_rabbitmq(nodes, kind, wake)
    servers = nats_servers(settings)
    return lambda wake: watch(servers, subject_filter(kind), wake)


async def connect(servers: list[str], name: str, on_reconnect: Callable[[], None]) -> NatsClient:
    """A client that reconnects to any node for ever, calling on_reconnect each time."""

    async def reconnected() -> None:
        on_reconnect()

    async def error(exc: Exception) -> None:
        log.warning("NATS (%s): %s", name, exc)

    return await nats.connect(
        servers=servers,
        name=name,
        connect_timeout=CALL_TIMEOUT_S,
        reconnect_time_wait=RETRY_S,
        max_reconnect_attempts=-1,
        reconnected_cb=reconnected,
        error_cb=error,
    )


async def watch(servers: list[str], subject: str, wake: Callable[[], None]) -> None:
    """Call wake on every message on subject, and on every (re)connect, until cancelled."""
    while True:
        try:
            nc = await connect(servers, f"watch {subject}", wake)
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            log.warning("cannot reach NATS for %s (%s); retrying", subject, exc)
            await asyncio.sleep(RETRY_S)
            continue
        try:

            async def on_message(_: Msg) -> None:
                wake()

            await nc.subscribe(subject, cb=on_message)
            wake()  # catch up on what arrived while not subscribed
            await asyncio.Future()  # until cancelled
        finally:
            await nc.close()


async def ensure_stream(js: JetStreamContext, replicas: int) -> None:
    """Create the events stream unless it exists (relays racing agree on its config)."""
    config = StreamConfig(
        name=EVENTS_STREAM,
        subjects=[f"{SUBJECT_ROOT}.>"],
        storage=StorageType.FILE,
        num_replicas=replicas,
        max_age=MAX_AGE_S,
        duplicate_window=DUPLICATE_WINDOW_S,
    )
    await jetstream.ensure_stream(js, config, wait_s=PLACEMENT_WAIT_S)


@dataclass
class Cursor:
    """Where the relay is in one table: its highest id sent and the ids below it not seen yet."""

    high: int
    gaps: dict[int, float] = field(default_factory=dict)  # id -> when it was first missed

    def sent(self, event_id: int) -> None:
        """Record an id as published; the ids it skipped become gaps to re-read."""
        if event_id > self.high:
            now = time.monotonic()
            for missing in range(max(self.high + 1, event_id - OVERLAP_IDS), event_id):
                self.gaps[missing] = now
            self.high = event_id
        else:
            self.gaps.pop(event_id, None)

    def open_gaps(self) -> list[int]:
        """The gaps still worth re-reading (a rolled-back id never commits: it expires)."""
        too_old = time.monotonic() - OVERLAP_S
        self.gaps = {i: t for i, t in self.gaps.items() if t > too_old}
        return list(self.gaps)


class EventRelay:
    """Copies new rows of TABLES into the sink; run() until stop is set."""

    def __init__(self, database_url: str, sink: Sink, *, poll_s: float = RELAY_POLL_S):
        self.database_url = psycopg_url(database_url)
        self.sink = sink
        self.poll_s = poll_s
        self.published = 0  # messages the broker stored from this relay (not duplicates)

    def run(self, stop: threading.Event) -> None:
        """Relay until stop is set, reconnecting after any failure (a thread's target)."""
        while not stop.is_set():
            try:
                asyncio.run(self._relay(stop))
            except (psycopg.Error, OSError, TimeoutError, *self.sink.errors):
                log.warning("event relay lost PostgreSQL or its broker; again", exc_info=True)
                stop.wait(RETRY_S)
            except Exception:  # a bug must not end the relay thread silently
                log.exception("event relay failed; starting again")
                stop.wait(RETRY_S)

    async def _relay(self, stop: threading.Event) -> None:
        await self.sink.open()
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.database_url, autocommit=True, row_factory=dict_row
            )
            async with conn:
                for table in TABLES:
                    await conn.execute(f"LISTEN {table.channel}")
                cursors = {t.kind: await self._start(conn, t) for t in TABLES}
                while not stop.is_set():
                    await self.sink.keep_alive()
                    for table in TABLES:
                        await self._publish_new(conn, table, cursors[table.kind])
                    async for _ in conn.notifies(timeout=self.poll_s, stop_after=1):
                        pass
        finally:
            await self.sink.close()

    async def _start(self, conn: psycopg.AsyncConnection[Any], table: EventTable) -> Cursor:
        """The cursor the broker kept for the kind (or the table's newest id: history is not
        news), with the ids of the last OVERLAP_S below it to re-read."""
        high = await self.sink.last_cursor(table.kind)
        if high is None:
            found = await conn.execute(f"SELECT max(id) AS id FROM {table.table}")
            high = int((await found.fetchone() or {}).get("id") or 0)
        old = await conn.execute(
            f"SELECT id FROM {table.table} WHERE id <= %s "
            "AND created_at <= now() - make_interval(secs => %s) ORDER BY id DESC LIMIT 1",
            (high, OVERLAP_S),
        )
        floor = int((await old.fetchone() or {}).get("id") or 0)
        # Every id since then may be unsent or still uncommitted: re-read them all as gaps.
        cursor = Cursor(high)
        now = time.monotonic()
        cursor.gaps = {i: now for i in range(max(floor, high - OVERLAP_IDS) + 1, high + 1)}
        return cursor

    async def _publish_new(
        self, conn: psycopg.AsyncConnection[Any], table: EventTable, cursor: Cursor
    ) -> None:
        while True:
            found = await conn.execute(
                table.rows, {"after": cursor.high, "ids": cursor.open_gaps(), "limit": RELAY_BATCH}
            )
            rows = await found.fetchall()
            for row in rows:
                store = NO_STORE if row["store"] is None else str(row["store"])
                high = max(cursor.high, row["id"])
                if await self.sink.publish(table.kind, store, row, high):
                    self.published += 1
                cursor.sent(row["id"])
            if len(rows) < RELAY_BATCH:
                return


class JetStreamSink:
    """The stream EVENTS_STREAM on a NATS cluster: each event stored once (Nats-Msg-Id)."""

    errors: tuple[type[BaseException], ...] = (nats.errors.Error,)

    def __init__(self, servers: list[str]):
        self.servers = servers
        self.nc: NatsClient | None = None
        self.js: JetStreamContext | None = None

    async def open(self) -> None:
        self.nc = await connect(self.servers, "pitstop event relay", lambda: None)
        self.js = self.nc.jetstream(timeout=CALL_TIMEOUT_S)
        await ensure_stream(self.js, min(MAX_REPLICAS, len(self.nc.servers)))

    async def last_cursor(self, kind: str) -> int | None:
        assert self.js is not None  # opened
        try:
            last = await self.js.get_last_msg(EVENTS_STREAM, subject_filter(kind))
        except nats.js.errors.NotFoundError:
            return None
        return int((last.headers or {}).get(CURSOR_HEADER, "0"))

    async def publish(self, kind: str, store: str, row: dict[str, Any], high: int) -> bool:
        assert self.js is not None  # opened
        body = json.dumps(row, default=str).encode()
        headers = {"Nats-Msg-Id": f"{kind}-{row['id']}", CURSOR_HEADER: str(high)}
        ack = await self.js.publish(f"{SUBJECT_ROOT}.{kind}.{store}", body, headers=headers)
        return not ack.duplicate

    async def keep_alive(self) -> None:
        pass  # nats-py answers pings on its own

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()
