"""The ingest's MQTT session: persistent, manually acknowledged, MQTT 5 with a 3.1.1 fallback.

Scaling down: the broker keeps routing a share of the group's messages to a member's
persistent session while it is offline, so a stopped member would strand them for up to
SESSION_EXPIRY_S. A member started with leave_on_stop (`pitstop ingest --leave-on-stop`)
therefore leaves the group when it stops cleanly: it unsubscribes, commits what the broker
had already sent it, then disconnects with a session expiry of 0, and the others get
everything after. Without it (the default, and the group's first member) a clean stop keeps
the session, so that a restart loses nothing even when it is the only member: with no member
left, nothing would hold the messages. A member that crashes always keeps its session; what
was sent to it is redelivered when it restarts under the same client id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from core.broker import MqttUrl
from core.wire import TOPIC_ROOT, UPLINK_KINDS
from ingest.batch import Message

log = logging.getLogger(__name__)

# A crashed process's messages wait a week for it; a clean stop ends its session at once.
SESSION_EXPIRY_S = 7 * 24 * 3600
LEFT_SESSION_EXPIRY_S = 0
UNSUBACK_TIMEOUT_S = 10.0
KEEPALIVE_S = 30
CONNACK_TIMEOUT_S = 5.0  # amqtt never answers an MQTT 5 CONNECT; give up on v5 after this
RECEIVE_MAXIMUM_CAP = 65535  # the largest value MQTT 5 allows
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 30
CONNECT_RETRY_MAX_S = 30  # backoff ceiling while the broker does not accept TCP connections


class BrokerRefused(ConnectionError):
    """The broker answered CONNECT with a refusal that retrying will not fix."""


def receive_maximum(max_batch_rows: int) -> int:
    """Unacknowledged messages the broker may send us: a full batch, plus one filling behind it.

    A message carries at least one row, so twice the batch size in messages always lets a
    batch fill while the previous one commits.
    """
    return max(100, min(RECEIVE_MAXIMUM_CAP, 2 * max_batch_rows))


def topic_filters(group: str, shared: bool) -> list[str]:
    """The subscriptions: shared across the group's processes when the broker can share."""
    prefix = f"$share/{group}/" if shared else ""
    return [f"{prefix}{TOPIC_ROOT}/+/{kind}" for kind in UPLINK_KINDS]


class _ConnectState(TypedDict):
    ready: threading.Event
    ok: bool
    reason: str | None


@dataclass
class Session:
    """A connected client and the protocol it ended up speaking."""

    client: mqtt.Client
    mqtt5: bool


def open_session(
    url: str,
    *,
    client_id: str,
    group: str,
    max_batch_rows: int,
    on_message: mqtt.CallbackOnMessage,
    on_connect: Callable[[], None],
    stop: threading.Event,
    left: threading.Event | None = None,
) -> Session:
    """Connect (MQTT 5, else 3.1.1), subscribe on every (re)connect until left, run the
    network thread."""
    target = MqttUrl.parse(url)
    for mqtt5 in (True, False):
        client = _client(target, client_id, mqtt5)
        state = _attach(client, mqtt5, group, on_message, on_connect, left or threading.Event())
        _tcp_connect(client, target, mqtt5, max_batch_rows, stop)
        client.loop_start()
        state["ready"].wait(CONNACK_TIMEOUT_S)
        if state["ok"]:
            if not mqtt5:
                log.warning(
                    "the broker at %s refused MQTT 5; using MQTT 3.1.1 with plain subscriptions."
                    " Only one ingest process can run: load sharing needs an MQTT 5 broker"
                    " with shared subscriptions (e.g. Mosquitto)",
                    target,
                )
            log.info(
                "connected to %s as %s (MQTT %s)", target, client_id, "5" if mqtt5 else "3.1.1"
            )
            return Session(client, mqtt5)
        client.loop_stop()
        client.disconnect()
        reason = state["reason"] or "no CONNACK"
        if "not authorized" in reason.lower() or "bad user" in reason.lower():
            raise BrokerRefused(
                f"broker {target} refused {client_id}: {reason}; check the URL's user and password"
            )
        log.info("MQTT %s connect to %s failed (%s)", "5" if mqtt5 else "3.1.1", target, reason)
    raise BrokerRefused(f"broker {target} accepted neither MQTT 5 nor 3.1.1 from {client_id}")


def _client(target: MqttUrl, client_id: str, mqtt5: bool) -> mqtt.Client:
    if mqtt5:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
    else:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=False,
            manual_ack=True,
        )
    target.configure(client)
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    return client


def _attach(
    client: mqtt.Client,
    mqtt5: bool,
    group: str,
    on_message: mqtt.CallbackOnMessage,
    on_connect: Callable[[], None],
    left: threading.Event,
) -> _ConnectState:
    state: _ConnectState = {"ready": threading.Event(), "ok": False, "reason": None}

    def connected(
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            state["reason"] = str(reason_code)
            state["ready"].set()
            return
        on_connect()
        if not left.is_set():
            client.subscribe([(f, 1) for f in topic_filters(group, shared=mqtt5)])
        state["ok"] = True
        state["ready"].set()

    def disconnected(
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if not state["ok"]:
            state["reason"] = f"disconnected before CONNACK ({reason_code})"
            state["ready"].set()
        elif reason_code.is_failure:
            log.warning("disconnected from the broker (%s); reconnecting", reason_code)

    client.on_connect = connected
    client.on_disconnect = disconnected
    client.on_message = on_message
    return state


def _tcp_connect(
    client: mqtt.Client,
    target: MqttUrl,
    mqtt5: bool,
    max_batch_rows: int,
    stop: threading.Event,
) -> None:
    delay = RECONNECT_MIN_S
    while True:
        try:
            if mqtt5:
                # paho-mqtt leaves Properties unannotated
                props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = SESSION_EXPIRY_S
                props.ReceiveMaximum = receive_maximum(max_batch_rows)
                client.connect(
                    target.host, target.port, KEEPALIVE_S, clean_start=False, properties=props
                )
            else:
                client.connect(target.host, target.port, KEEPALIVE_S)
            return
        except OSError as exc:
            if stop.is_set():
                raise ConnectionError(f"stopped while waiting for the broker {target}") from exc
            log.warning("broker %s not reachable (%s); retrying in %s s", target, exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, CONNECT_RETRY_MAX_S)


class MqttSource:
    """The ingest's source on MQTT: shared subscriptions of the group, acks after commit."""

    def __init__(
        self, url: str, *, client_id: str, group: str, max_batch_rows: int, leave_on_stop: bool
    ):
        self.url, self.client_id, self.group = url, client_id, group
        self.max_batch_rows, self.leave_on_stop = max_batch_rows, leave_on_stop
        self.session: Session | None = None
        self.left = threading.Event()
        self._epoch = 0
        self._deliver: Callable[[Message], None] | None = None

    def open(self, deliver: Callable[[Message], None], stop: threading.Event) -> None:
        """Connect and subscribe; deliver is called on paho's network thread."""
        self._deliver = deliver
        self.session = open_session(
            self.url,
            client_id=self.client_id,
            group=self.group,
            max_batch_rows=self.max_batch_rows,
            on_message=self._on_message,
            on_connect=self._on_connect,
            stop=stop,
            left=self.left,
        )

    def is_connected(self) -> bool:
        """Whether the session is connected right now."""
        return self.session is not None and self.session.client.is_connected()

    def _on_connect(self) -> None:
        # Messages of an older connection are redelivered on this one; never ack them here.
        self._epoch += 1

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        assert self._deliver is not None  # set before the client connects
        self._deliver(
            Message(
                msg.topic, msg.payload, msg.mid, msg.qos, self._epoch, redelivered=bool(msg.dup)
            )
        )

    def ack(self, messages: list[Message]) -> None:
        """PUBACK each QoS 1 message received on the current connection."""
        assert self.session is not None  # batches are only written once open() has connected
        client, epoch = self.session.client, self._epoch
        for m in messages:
            if m.qos and m.epoch == epoch:
                client.ack(m.mid, m.qos)

    def leave(self) -> bool:
        """With leave_on_stop, unsubscribe from the shared group (MQTT 5); True once the broker
        confirmed it."""
        if not self.leave_on_stop or self.session is None or not self.session.mqtt5:
            return False
        if not self.is_connected():
            return False
        done = threading.Event()
        self.session.client.on_unsubscribe = lambda *args: done.set()
        self.left.set()
        self.session.client.unsubscribe(topic_filters(self.group, shared=True))
        if not done.wait(UNSUBACK_TIMEOUT_S):
            log.warning("no UNSUBACK within %.0f s; keeping the session", UNSUBACK_TIMEOUT_S)
            return False
        return True

    def close(self, *, drained: bool) -> None:
        """Disconnect; after a drain, end the session so the broker queues nothing for it."""
        if self.session is None:
            return
        client = self.session.client
        if drained and self.session.mqtt5:
            props = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = LEFT_SESSION_EXPIRY_S
            client.disconnect(properties=props)
            log.info("left the group %s and ended the session %s", self.group, self.client_id)
        else:
            client.disconnect()
        client.loop_stop()
