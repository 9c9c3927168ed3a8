"""Small factories for the ingest tests: VINs, messages, a publisher, an ingest in a thread."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core.broker import MqttUrl
from core.db import connect
from core.vin import with_check_digit
from core.wire import Sample, Telemetry, encode, now_ms, topic
from ingest.service import Ingest, IngestConfig


def make_vin() -> str:
    """A fresh valid Chinese VIN (check digit set)."""
    return with_check_digit("LSVAB2BK0" + uuid.uuid4().hex[:8].upper())


def telemetry(samples: list[tuple[int, int, dict[str, float]]]) -> bytes:
    """A telemetry payload from (ts, seq, values) triples."""
    return encode(Telemetry([Sample(ts, seq, values) for ts, seq, values in samples]))


def good_samples(n: int, start_ms: int | None = None, seq0: int = 0) -> bytes:
    """A payload of n plausible samples, 1 s apart."""
    start = now_ms() - n * 1000 if start_ms is None else start_ms
    return telemetry(
        [(start + i * 1000, seq0 + i, {"RPM": 800.0 + i, "SPEED": 10.0}) for i in range(n)]
    )


class Publisher:
    """A QoS 1 publisher that waits for each PUBACK."""

    def __init__(self, url: str):
        target = MqttUrl.parse(url)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex}")
        self.client.connect(target.host, target.port)
        self.client.loop_start()

    def publish(self, name: str, payload: bytes, retain: bool = False) -> None:
        """Publish and wait until the broker has it."""
        self.client.publish(name, payload, qos=1, retain=retain).wait_for_publish(10)

    def send(self, vin: str, kind: str, payload: bytes) -> None:
        """Publish to a car's topic."""
        self.publish(topic(vin, kind), payload)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def config(db_url: str, mqtt_url: str, **overrides) -> IngestConfig:
    """An ingest config with a fresh client id and group, and no metrics server."""
    tag = uuid.uuid4().hex[:8]
    values = dict(
        database_url=db_url,
        mqtt_url=mqtt_url,
        client_id=f"ingest-{tag}",
        group=f"g{tag}",
        max_batch_rows=500,
        max_batch_age_ms=50,
        metrics_port=0,
    )
    values.update(overrides)
    return IngestConfig(**values)


@contextmanager
def running(cfg: IngestConfig) -> Iterator[Ingest]:
    """An ingest running in a thread until the block ends."""
    service = Ingest(cfg)
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while service.session is None or not service.session.client.is_connected():
        assert thread.is_alive(), "ingest thread died while connecting"
        assert time.monotonic() < deadline, "ingest did not connect within 15 s"
        time.sleep(0.05)
    time.sleep(0.2)  # let the SUBACK arrive before the test publishes
    try:
        yield service
    finally:
        service.stop()
        thread.join(20)
        assert not thread.is_alive(), "ingest did not stop within 20 s"


def wait_for(
    check: Callable[[], object],
    timeout: float = 20.0,
    what: str = "condition",
    every: float = 0.05,
):
    """Poll check() every `every` seconds until it returns something truthy; fail the test
    after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def scalar(db_url: str, sql: str, *params):
    """The first column of the first row of a query."""
    with connect(db_url) as conn:
        row = conn.execute(sql, params).fetchone()
        return row[0] if row else None
