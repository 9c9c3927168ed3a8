"""Record live traffic as a capture (diagnostics.lab.capture) for a later replay.

The recorder subscribes beside ingest, without a shared group, so it sees every car's
telemetry, DTC and status messages and takes nothing away from ingest. Each line is written
and flushed as its message arrives, so a stopped recording keeps everything it received.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, TextIO

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core.broker import MqttUrl
from core.wire import TOPIC_ROOT, UPLINK_KINDS, now_ms
from diagnostics.lab.capture import capture_line

CONNECT_TIMEOUT_S = 10.0


class Recorder:
    """Writes every uplink message to `out` until stop() or the time is up."""

    def __init__(self, mqtt_url: str, out: TextIO):
        self.out = out
        self.messages = 0
        self.stopped = threading.Event()
        self.subscribed = threading.Event()
        self._lock = threading.Lock()
        client_id = f"pitstop-recorder-{uuid.uuid4().hex[:8]}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        MqttUrl.parse(mqtt_url).configure(self.client)
        self.target = mqtt_url
        self.client.on_connect = self._connected
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = self._received

    def _connected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any):
        if not reason.is_failure:
            client.subscribe([(f"{TOPIC_ROOT}/+/{kind}", 1) for kind in UPLINK_KINDS])

    def _received(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        line = capture_line(now_ms(), message.topic, bytes(message.payload))
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()
            self.messages += 1

    def run(self, seconds: float | None, on_ready: Callable[[], None] = lambda: None) -> int:
        """Record until stop() or `seconds` have passed; the number of messages written."""
        host = MqttUrl.parse(self.target)
        self.client.connect(host.host, host.port, keepalive=30)
        self.client.loop_start()
        try:
            if not self.subscribed.wait(CONNECT_TIMEOUT_S):
                raise ConnectionError(
                    f"the broker at {host.host}:{host.port} did not accept the recorder's "
                    f"subscription within {CONNECT_TIMEOUT_S:.0f} s; check PITSTOP_MQTT_URL"
                )
            on_ready()
            self.stopped.wait(seconds)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
        return self.messages

    def stop(self) -> None:
        self.stopped.set()
