"""kill -9 of a `pitstop ingest` process mid-stream, then a restart: every sample, exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from core.wire import now_ms
from tests.ingest_support import Publisher, good_samples, make_vin, scalar, wait_for

VEHICLES = 4
MESSAGES_PER_VEHICLE = 150
SAMPLES_PER_MESSAGE = 10
PUBLISH_PAUSE_S = 0.003  # paces the stream so that the kill lands in its middle


def start_ingest(db_url: str, mqtt_url: str, client_id: str, group: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PITSTOP_DATABASE_URL": db_url,
        "PITSTOP_MQTT_URL": mqtt_url,
        "PITSTOP_INGEST_METRICS_PORT": "0",
        "PITSTOP_INGEST_CLIENT_ID": client_id,
        "PITSTOP_INGEST_GROUP": group,
        "PITSTOP_INGEST_MAX_BATCH_ROWS": "200",
        "PITSTOP_CONFIG": os.devnull,
    }
    code = "from cli.main import app; app(['ingest'])"
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def total(db_url: str, vins: list[str]) -> int:
    return scalar(db_url, "SELECT count(*) FROM telemetry WHERE vin = ANY(%s)", vins)


def test_kill_9_mid_stream_loses_and_duplicates_nothing(db_url, own_broker):
    tag = uuid.uuid4().hex[:8]
    client_id, group = f"ingest-{tag}", f"g{tag}"
    vins = [make_vin() for _ in range(VEHICLES)]
    publisher = Publisher(own_broker.url)
    ingest = start_ingest(db_url, own_broker.url, client_id, group)
    try:
        # The first row proves the persistent session and its subscriptions exist.
        probe = make_vin()
        wait_for(
            lambda: (
                publisher.send(probe, "telemetry", good_samples(1))
                or scalar(db_url, "SELECT count(*) FROM telemetry WHERE vin = %s", probe)
            ),
            timeout=30,
            what="ingest to subscribe",
        )
        start = now_ms() - 3_600_000

        def stream() -> None:
            for i in range(MESSAGES_PER_VEHICLE):
                for vin in vins:
                    first = start + i * SAMPLES_PER_MESSAGE * 1000
                    payload = good_samples(SAMPLES_PER_MESSAGE, first, i * SAMPLES_PER_MESSAGE)
                    publisher.send(vin, "telemetry", payload)
                    time.sleep(PUBLISH_PAUSE_S)

        streamer = threading.Thread(target=stream)
        streamer.start()
        expected = VEHICLES * MESSAGES_PER_VEHICLE * SAMPLES_PER_MESSAGE
        wait_for(lambda: total(db_url, vins) > expected // 5, what="a fifth of the stream")
        ingest.send_signal(signal.SIGKILL)
        ingest.wait(10)
        written_at_kill = total(db_url, vins)
        streamer.join(60)
        assert written_at_kill < expected, "the kill came too late to test anything"

        ingest = start_ingest(db_url, own_broker.url, client_id, group)
        wait_for(lambda: total(db_url, vins) >= expected, timeout=60, what="all samples")
        # Let any late redelivery land before checking that nothing was duplicated.
        marker = make_vin()
        publisher.send(marker, "telemetry", good_samples(1))
        wait_for(lambda: scalar(db_url, "SELECT count(*) FROM telemetry WHERE vin=%s", marker))
        assert total(db_url, vins) == expected
        for vin in vins:
            seqs = scalar(
                db_url, "SELECT array_agg(seq ORDER BY seq) FROM telemetry WHERE vin = %s", vin
            )
            assert seqs == list(range(MESSAGES_PER_VEHICLE * SAMPLES_PER_MESSAGE))
    finally:
        publisher.close()
        if ingest.poll() is None:
            ingest.send_signal(signal.SIGTERM)
            ingest.wait(20)
    assert ingest.returncode == 0, "ingest did not stop cleanly on SIGTERM"
