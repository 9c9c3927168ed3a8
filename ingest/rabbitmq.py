"""The ingest's source on a RabbitMQ cluster: one quorum queue, consumed over AMQP by workers.

Cars publish MQTT to any node; RabbitMQ's MQTT plugin routes the topic a/b/c to the exchange
amq.topic with the routing key a.b.c. The group's quorum queue, bound to the cars' uplink
keys, keeps every message on three nodes. Workers consume it as competing consumers and
acknowledge a message only after its batch committed. A worker that dies or loses its node
leaves its messages unacknowledged: RabbitMQ hands them to the others as soon as its
connection closes. Telemetry is keyed by (vin, ts), so a redelivered sample is stored once.

RabbitMQ 3.10's MQTT has no shared subscriptions, which is why ingest reads over AMQP.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic, BasicProperties

from core import amqp
from core.amqp import CONNECT_TIMEOUT_S, CONNECTION_ERRORS, parse_urls
from core.wire import TOPIC_ROOT, UPLINK_KINDS
from ingest.batch import Message

log = logging.getLogger(__name__)

EXCHANGE = "amq.topic"  # where the MQTT plugin publishes (its mqtt.exchange default)
QUEUE_PREFIX = "pitstop.uplink."  # + the ingest group
# Messages out to one worker at once: about two batches, so one fills while the other commits.
ROWS_PER_MESSAGE = 20
PREFETCH_MIN, PREFETCH_MAX = 20, 1000
POLL_S = 0.2  # how long the consumer thread waits for network events before looking around
RETRY_S = 1.0  # pause before trying the next node
LEAVE_TIMEOUT_S = 10.0
SETUP_WAIT_S = 60.0  # how long a starting worker tries the nodes before it gives up


def routing_keys() -> list[str]:
    """The routing keys of the cars' uplink MQTT topics (TOPIC_ROOT/<vin>/<kind>)."""
    root = TOPIC_ROOT.replace("/", ".")
    return [f"{root}.*.{kind}" for kind in UPLINK_KINDS]


def topic_of(routing_key: str) -> str:
    """The MQTT topic a routing key came from (a.b.c → a/b/c)."""
    return routing_key.replace(".", "/")


def declare_queue(channel: BlockingChannel, group: str) -> str:
    """The group's quorum queue, bound to the uplink keys; every worker may declare it."""
    name = QUEUE_PREFIX + group
    try:
        channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 406:  # PRECONDITION_FAILED: the queue exists with other settings
            raise RuntimeError(
                f"the queue {name} exists but is not a durable quorum queue ({exc.reply_text}); "
                f"delete it (rabbitmqctl delete_queue {name}) or choose another "
                f"PITSTOP_INGEST_GROUP"
            ) from exc
        raise
    for key in routing_keys():
        channel.queue_bind(name, EXCHANGE, routing_key=key)
    return name


class RabbitMQSource:
    """Consumes the group's queue on a thread of its own, moving to the next node on loss."""

    def __init__(self, urls: str, *, group: str, client_id: str, max_batch_rows: int):
        self.nodes = parse_urls(urls)
        self.group, self.client_id = group, client_id
        self.prefetch = max(PREFETCH_MIN, min(2 * max_batch_rows // ROWS_PER_MESSAGE, PREFETCH_MAX))
        self.node = 0
        self.epoch = 0  # one per connection: delivery tags mean nothing on another
        self.connection: pika.BlockingConnection | None = None
        self.channel: BlockingChannel | None = None
        self._consumer_tag: str | None = None
        self._deliver: Callable[[Message], None] | None = None
        self._connected = threading.Event()
        self._leaving = threading.Event()
        self._left = threading.Event()
        self._closing = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rabbitmq", daemon=True)

    def open(self, deliver: Callable[[Message], None], stop: threading.Event) -> None:
        """Connect to a node, declare the queue and start consuming."""
        self._deliver = deliver
        self._thread.start()
        deadline = time.monotonic() + SETUP_WAIT_S
        while not self._connected.wait(POLL_S):
            if self._error is None and time.monotonic() > deadline:
                self._error = RuntimeError(
                    f"no RabbitMQ node answered in {SETUP_WAIT_S:.0f} s: check PITSTOP_AMQP_URLS "
                    f"({', '.join(f'{n.host}:{n.port}' for n in self.nodes)}) and that the "
                    f"nodes run"
                )
            if self._error is not None:
                self.close(drained=False)
                raise self._error
            if stop.is_set():
                return
        log.info("consuming %s as %s", QUEUE_PREFIX + self.group, self.client_id)

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                self._connect()
                self._consume()
            except RuntimeError as exc:  # a misconfiguration: retrying cannot help
                log.error("%s", exc)
                self._error = exc
                break
            except CONNECTION_ERRORS as exc:
                self._connected.clear()
                node = self.nodes[self.node % len(self.nodes)]
                log.warning("RabbitMQ node %s:%s lost (%r)", node.host, node.port, exc)
                self.node += 1
                self._closing.wait(RETRY_S)
        self._disconnect()

    def _connect(self) -> None:
        params = self.nodes[self.node % len(self.nodes)]
        self.connection = amqp.connect(params, self.client_id)
        self.epoch += 1
        self.channel = self.connection.channel()
        queue = declare_queue(self.channel, self.group)
        self.channel.basic_qos(prefetch_count=self.prefetch)
        if not self._leaving.is_set():
            self._consumer_tag = self.channel.basic_consume(queue, self._on_message)
        self._connected.set()
        log.info("connected to RabbitMQ at %s:%s", params.host, params.port)

    def _consume(self) -> None:
        assert self.connection is not None  # set by _connect
        while not self._closing.is_set():
            if self._leaving.is_set() and not self._left.is_set():
                self._cancel()
            self.connection.process_data_events(time_limit=POLL_S)

    def _cancel(self) -> None:
        # Deliveries that arrive after this are nacked by pika and go back to the queue.
        if self.channel is not None and self._consumer_tag is not None:
            self.channel.basic_cancel(self._consumer_tag)
        self._consumer_tag = None
        self._left.set()

    def _on_message(
        self, _channel: BlockingChannel, method: Basic.Deliver, _props: BasicProperties, body: bytes
    ) -> None:
        assert self._deliver is not None  # set in open()
        topic = topic_of(method.routing_key or "")
        tag, redelivered = method.delivery_tag or 0, bool(method.redelivered)
        self._deliver(Message(topic, body, tag, 1, self.epoch, redelivered=redelivered))

    def is_connected(self) -> bool:
        """Whether the worker is connected to some node right now."""
        return self._connected.is_set()

    def ack(self, messages: list[Message]) -> None:
        """Acknowledge committed messages (one multiple-ack per batch, on the consumer thread).

        Batches hold consecutive deliveries, so acknowledging up to the batch's last tag
        acknowledges exactly them. Messages of an older connection were already given back
        to the queue; they come again and are stored once.
        """
        epoch, connection, channel = self.epoch, self.connection, self.channel
        tags = [m.mid for m in messages if m.epoch == epoch]
        if not tags or connection is None or channel is None:
            return
        ack = functools.partial(self._ack_upto, channel, epoch, max(tags))
        try:
            connection.add_callback_threadsafe(ack)
        except CONNECTION_ERRORS as exc:
            log.warning("could not acknowledge %d messages (%r)", len(tags), exc)

    def _ack_upto(self, channel: BlockingChannel, epoch: int, tag: int) -> None:
        if epoch != self.epoch or not channel.is_open:
            return
        try:
            channel.basic_ack(tag, multiple=True)
        except CONNECTION_ERRORS as exc:
            log.warning("acknowledging up to %d failed (%r)", tag, exc)

    def leave(self) -> bool:
        """Cancel the consumer; what was delivered is still committed, so the caller drains."""
        self._leaving.set()
        if not self._left.wait(LEAVE_TIMEOUT_S):
            log.warning("the consumer was not cancelled in %.0f s", LEAVE_TIMEOUT_S)
        return True

    def close(self, *, drained: bool) -> None:
        """Close the connection; unacknowledged messages go back to the queue at once."""
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join(LEAVE_TIMEOUT_S + CONNECT_TIMEOUT_S)

    def _disconnect(self) -> None:
        self._connected.clear()
        if self.connection is not None and self.connection.is_open:
            try:
                self.connection.process_data_events(time_limit=0)  # acks queued by the writer
                self.connection.close()
            except CONNECTION_ERRORS as exc:
                log.warning("closing the RabbitMQ connection failed (%r)", exc)
