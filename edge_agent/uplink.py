"""The agent's MQTT session: connect in the background, MQTT 5 first, and report what happens.

Given a cluster's nodes, a lost or refused connection moves the session to the next node,
after a backoff that doubles while no node answers; the on-disk outbox resends what was in
flight, and ingest stores a resent sample once.

paho's network thread only queues what it hears (acknowledgements, connects, disconnects,
config messages); events() hands them to the agent's driving thread, which alone touches the
outbox. A broker that refuses MQTT 5, or stays silent CONNACK_TIMEOUT_S after an MQTT 5
CONNECT, is asked again in 3.1.1; that happens inside events(), out of the agent's sight.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from core.broker import MqttUrl

log = logging.getLogger(__name__)

# Broker reconnects back off between these (paho's reconnect_delay_set).
MQTT_BACKOFF_MIN_S = 1
MQTT_BACKOFF_MAX_S = 30
MQTT_KEEPALIVE_S = 30
# Messages published but not yet acknowledged; more would only queue inside paho.
MAX_INFLIGHT = 20
# A broker that neither accepts nor refuses an MQTT 5 CONNECT this long is asked in 3.1.1
# (amqtt, for one, stays silent when the CONNECT carries a will).
CONNACK_TIMEOUT_S = 10.0

# What events() yields: ("connected", None), ("disconnected", reason), ("ack", (mid, code)),
# ("message", payload) for the subscribed topic.
Event = tuple[str, object]


class Uplink:
    """One MQTT session toward the broker (or one of a cluster's nodes), with a will, and one
    subscription."""

    def __init__(
        self,
        urls: MqttUrl | list[MqttUrl],
        *,
        client_id: str,
        will_topic: str,
        will: Callable[[], bytes],
        subscribe: str,
    ):
        self.urls = urls if isinstance(urls, list) else [urls]
        self.url = self.urls[0]
        self._switch_at: float | None = None  # monotonic; when to try the next node
        self._switch_backoff = float(MQTT_BACKOFF_MIN_S)
        self.client_id = client_id
        self.will_topic = will_topic
        self.will = will  # asked at each (re)creation of the client, so it is current
        self.subscribe = subscribe
        self.protocol = mqtt.MQTTv5  # 3.1.1 when the broker refuses 5
        self.client: mqtt.Client | None = None
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._connecting_since: float | None = None  # monotonic; a CONNECT awaiting its CONNACK

    def connect(self) -> None:
        """Start connecting in the background; paho reconnects on its own after a loss."""
        self.client = self._make_client()
        self.client.connect_async(self.url.host, self.url.port, MQTT_KEEPALIVE_S)
        self.client.loop_start()

    def events(self) -> Iterator[Event]:
        """What happened since the last call, in order (the driving thread calls this)."""
        while True:
            try:
                kind, value = self._events.get_nowait()
            except queue.Empty:
                break
            if kind == "connecting":
                self._connecting_since = cast(float, value)
                continue
            self._connecting_since = None
            if kind == "mqtt3":
                if self.protocol == mqtt.MQTTv5:
                    self._fall_back_to_mqtt3()
                continue
            if kind == "connected":
                self._switch_at, self._switch_backoff = None, float(MQTT_BACKOFF_MIN_S)
            elif kind == "disconnected" and len(self.urls) > 1 and self._switch_at is None:
                self._switch_at = time.monotonic() + self._switch_backoff
                self._switch_backoff = min(2 * self._switch_backoff, MQTT_BACKOFF_MAX_S)
            yield kind, value
        if self._switch_at is not None and time.monotonic() >= self._switch_at:
            self._next_node()
        since = self._connecting_since
        if self.protocol == mqtt.MQTTv5 and since and time.monotonic() - since > CONNACK_TIMEOUT_S:
            self._fall_back_to_mqtt3()

    def publish(self, topic: str, payload: bytes, *, retain: bool) -> int | None:
        """Hand a QoS 1 message to paho; its message id, or None when it was not sent."""
        assert self.client is not None  # connect() comes first
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return info.mid if info.rc == mqtt.MQTT_ERR_SUCCESS else None

    def close(self, last_words: bytes | None, timeout: float) -> None:
        """Publish last_words (retained, on the will's topic) if given, then disconnect."""
        if self.client is None:
            return
        if last_words is not None:
            info = self.client.publish(self.will_topic, last_words, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:
                log.warning("last status not sent: %s", exc)
        self.client.disconnect()
        self.client.loop_stop()
        self.client = None

    def _next_node(self) -> None:
        """Move the session to the cluster's next node (MQTT 5 first again)."""
        self._switch_at = None
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()
        self.url = self.urls[(self.urls.index(self.url) + 1) % len(self.urls)]
        log.warning("broker node lost; trying %s", self.url)
        self.protocol = mqtt.MQTTv5
        self._connecting_since = None
        self.connect()

    def _fall_back_to_mqtt3(self) -> None:
        log.warning("the broker at %s does not take MQTT 5; using MQTT 3.1.1, which cannot "
                    "say that nobody reads a message", self.url)  # fmt: skip
        assert self.client is not None  # the refusal came through it
        self.client.disconnect()
        self.client.loop_stop()
        self.protocol = mqtt.MQTTv311
        self._connecting_since = None
        self.connect()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=self.protocol
        )
        self.url.configure(client)
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.reconnect_delay_set(MQTT_BACKOFF_MIN_S, MQTT_BACKOFF_MAX_S)
        client.will_set(self.will_topic, self.will(), qos=1, retain=True)
        client.on_pre_connect = lambda _c, _u: self._events.put(("connecting", time.monotonic()))
        client.on_connect_fail = lambda _c, _u: self._events.put(("disconnected", None))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = lambda _c, _u, mid, rc, _p: self._events.put(("ack", (mid, rc.value)))
        client.on_message = lambda _c, _u, msg: self._events.put(("message", msg.payload))
        return client

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: Any,
        _flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            if reason_code == "Unsupported protocol version":
                self._events.put(("mqtt3", None))
            else:
                log.warning("broker refused the connection: %s", reason_code)
                self._events.put(("disconnected", reason_code))
            return
        client.subscribe(self.subscribe, qos=1)
        self._events.put(("connected", None))

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        _flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self._events.put(("disconnected", reason_code))
