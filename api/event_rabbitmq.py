"""Internal events on a RabbitMQ cluster: the relay's sink, and the watch that wakes a process.

RabbitMQ carries only the signal. Each alert_events or feed_events row becomes a persistent
message on the topic exchange EXCHANGE, routing key <kind>.<store id>, confirmed by the
broker before the relay moves on. Each watching process binds an exclusive queue of its own
to <kind>.#. RabbitMQ keeps no cursor for the relay, so a restarted relay starts from the
table's newest id and re-sends the rows of the last OVERLAP_S; a relay beside another sends
the same rows too. A watcher only wakes and reads the database from its own cursor, so an
event sent twice costs one read, and the pollers behind every watch pick up the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel

from core import amqp
from core.amqp import CONNECTION_ERRORS, parse_urls

EXCHANGE = "pitstop.events"
POLL_S = 0.2  # how often a watch looks at its stop flag
RETRY_S = 1.0  # pause before trying the next node
PERSISTENT = 2
NAME = "pitstop event relay"


def declare_exchange(channel: BlockingChannel) -> None:
    channel.exchange_declare(EXCHANGE, "topic", durable=True)


class RabbitSink:
    """The exchange EXCHANGE on a RabbitMQ cluster, one node after another as they fail."""

    errors: tuple[type[BaseException], ...] = CONNECTION_ERRORS

    def __init__(self, urls: str):
        self.nodes = parse_urls(urls)
        self.node = 0
        self.connection: pika.BlockingConnection | None = None
        self.channel: BlockingChannel | None = None
        self.connections = 0  # opened so far: one, unless a node or the network failed

    async def open(self) -> None:
        """Connect to the node that served last, or the next that answers."""
        for tried in range(1, len(self.nodes) + 1):
            try:
                self.connection = amqp.connect(self.nodes[self.node % len(self.nodes)], NAME)
                break
            except CONNECTION_ERRORS:
                self.node += 1
                if tried == len(self.nodes):
                    raise
        assert self.connection is not None
        self.connections += 1
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()  # publish returns once the broker has the message
        declare_exchange(self.channel)

    async def last_cursor(self, kind: str) -> int | None:
        return None

    async def publish(self, kind: str, store: str, row: dict[str, Any], high: int) -> bool:
        assert self.channel is not None  # opened
        properties = pika.BasicProperties(
            delivery_mode=PERSISTENT,
            message_id=f"{kind}-{row['id']}",
            content_type="application/json",
        )
        body = json.dumps(row, default=str).encode()
        self.channel.basic_publish(EXCHANGE, f"{kind}.{store}", body, properties)
        return True

    async def keep_alive(self) -> None:
        """Let pika send and read heartbeats: it does so only inside its own calls."""
        assert self.connection is not None  # opened
        self.connection.process_data_events(time_limit=0)

    async def close(self) -> None:
        if self.connection is not None and self.connection.is_open:
            with contextlib.suppress(CONNECTION_ERRORS):
                self.connection.close()


async def watch(urls: str, kind: str, wake: Callable[[], None]) -> None:
    """Call wake on every event of the kind, and on every (re)connect, until cancelled."""
    loop = asyncio.get_running_loop()
    stop = threading.Event()
    try:
        await asyncio.to_thread(
            watch_blocking, urls, kind, lambda: loop.call_soon_threadsafe(wake), stop
        )
    finally:
        stop.set()


def watch_blocking(urls: str, kind: str, wake: Callable[[], None], stop: threading.Event) -> None:
    """watch() on the calling thread, until stop is set."""
    nodes = parse_urls(urls)
    node = 0
    while not stop.is_set():
        try:
            connection = amqp.connect(nodes[node % len(nodes)], f"pitstop watch {kind}")
        except CONNECTION_ERRORS:
            node += 1
            stop.wait(RETRY_S)
            continue
        try:
            channel = connection.channel()
            declare_exchange(channel)
            queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(queue, EXCHANGE, routing_key=f"{kind}.#")
            channel.basic_consume(queue, lambda *_: wake(), auto_ack=True)
            wake()  # catch up on what arrived while not bound
            while not stop.is_set():
                connection.process_data_events(time_limit=POLL_S)
        except CONNECTION_ERRORS:
            node += 1
            stop.wait(RETRY_S)
        finally:
            if connection.is_open:
                with contextlib.suppress(CONNECTION_ERRORS):
                    connection.close()
