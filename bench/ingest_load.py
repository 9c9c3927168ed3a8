"""Load for the ingest benchmark: a synthetic fleet, publisher processes, a bare subscriber."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import uuid
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core.broker import MqttUrl
from core.signals import SIGNALS
from core.vin import with_check_digit
from core.wire import Sample, Telemetry, encode, now_ms, topic

PUBLISH_INFLIGHT = 1000  # unacknowledged QoS 1 publishes per publisher; paho's default is 20
SUBSCRIBER_RECEIVE_MAXIMUM = 65535
SUBSCRIBE_TIMEOUT_S = 30.0


@dataclass
class Fleet:
    """The benchmark data: the same samples as COPY rows and as encoded MQTT messages."""

    vins: list[str]
    rows: list[tuple]  # (vin, ts datetime, seq, *values), for the raw COPY ceiling
    messages: list[tuple[str, bytes]]  # (topic, payload), interleaved across cars
    samples: int
    datapoints: int


def make_fleet(
    vehicles: int, seconds: float, hz: float, per_message: int, signals: int, seed: int = 7
) -> Fleet:
    """Cars sampling the first `signals` signals at hz for seconds, batched per_message."""
    chosen = SIGNALS[:signals]
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:4].upper()
    vins = [with_check_digit(f"LBNCH0000{tag}{i:04X}") for i in range(vehicles)]
    step_ms = max(1, round(1000 / hz))
    count = max(1, int(seconds * hz))
    start = now_ms() - count * step_ms - 60_000
    rows: list[tuple] = []
    per_car: list[list[tuple[str, bytes]]] = []
    for vin in vins:
        samples = []
        for k in range(count):
            values = {s.name: round(rng.uniform(s.minimum, s.maximum), 2) for s in chosen}
            samples.append(Sample(start + k * step_ms, k, values))
            ts = dt.datetime.fromtimestamp((start + k * step_ms) / 1000, dt.UTC)
            rows.append((vin, ts, k, *[values.get(s.name) for s in SIGNALS]))
        chunks = [samples[i : i + per_message] for i in range(0, count, per_message)]
        per_car.append([(topic(vin, "telemetry"), encode(Telemetry(c))) for c in chunks])
    messages = [m for group in zip(*per_car, strict=True) for m in group]
    total = vehicles * count
    return Fleet(vins, rows, messages, total, total * len(chosen))


def _publisher(url: str) -> mqtt.Client:
    target = MqttUrl.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex}")
    client.max_inflight_messages_set(PUBLISH_INFLIGHT)
    client.connect(target.host, target.port)
    client.loop_start()
    return client


def publish_all(url: str, messages: list[tuple[str, bytes]], ready, go) -> None:
    """Publish pre-encoded messages at QoS 1 as fast as the broker takes them (a child process)."""
    client = _publisher(url)
    ready.set()
    go.wait()
    infos = [client.publish(name, payload, qos=1) for name, payload in messages]
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


def publish_paced(
    url: str,
    vins: list[str],
    rate_dp: float,
    seconds: float,
    per_message: int,
    signals: int,
    ready,
    go,
) -> None:
    """Publish fresh messages (newest sample = publish time) at rate_dp datapoints per second."""
    rng = random.Random(11)
    client = _publisher(url)
    last_ts = dict.fromkeys(vins, 0)
    seq = dict.fromkeys(vins, 0)
    chosen = SIGNALS[:signals]
    interval = per_message * signals / rate_dp  # seconds between messages
    ready.set()
    go.wait()
    t0 = time.monotonic()
    infos = []
    for n in range(int(seconds / interval)):
        delay = t0 + n * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        vin = vins[n % len(vins)]
        first = max(last_ts[vin] + 1, now_ms() - per_message + 1)
        samples = []
        for i in range(per_message):
            values = {s.name: round(rng.uniform(s.minimum, s.maximum), 2) for s in chosen}
            samples.append(Sample(first + i, seq[vin] + i, values))
        last_ts[vin], seq[vin] = first + per_message - 1, seq[vin] + per_message
        infos.append(client.publish(topic(vin, "telemetry"), encode(Telemetry(samples)), qos=1))
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


class BareSubscriber:
    """A paho subscriber that only counts: the broker ceiling. persistent: an MQTT 3.1.1
    session the broker keeps (RabbitMQ 3.10 speaks no MQTT 5), whose queue holds its
    messages; otherwise MQTT 5 with the largest receive maximum."""

    def __init__(self, url: str, filter_: str, *, persistent: bool = False):
        target = MqttUrl.parse(url)
        self.count = 0
        self.last = 0.0
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"bench-{'session' if persistent else 'sub'}-{uuid.uuid4().hex[:12]}",
            clean_session=False if persistent else None,
            protocol=mqtt.MQTTv311 if persistent else mqtt.MQTTv5,
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        if persistent:
            self.client.connect(target.host, target.port)
        else:
            props = Properties(PacketTypes.CONNECT)
            props.ReceiveMaximum = SUBSCRIBER_RECEIVE_MAXIMUM
            self.client.connect(target.host, target.port, properties=props)
        self.client.loop_start()
        self.client.subscribe(filter_, qos=1)
        if not self.subscribed.wait(SUBSCRIBE_TIMEOUT_S):
            self.close()
            raise RuntimeError(f"no SUBACK from {url} within {SUBSCRIBE_TIMEOUT_S:.0f} s")

    def _on_message(self, client, userdata, msg) -> None:
        self.count += 1
        self.last = time.time()

    def close(self) -> None:
        """Disconnect (a persistent session and its queue stay until the broker goes)."""
        self.client.disconnect()
        self.client.loop_stop()
