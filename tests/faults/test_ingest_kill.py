"""SIGKILL `pitstop ingest` in the middle of its batches, twice, then restart it: every sample
is stored exactly once (moved here from tests/test_ingest_crash.py, and made to count)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from core.wire import now_ms
from tests.faults.processes import (
    assert_exactly_once,
    kill_9,
    scalar,
    start_ingest,
    stop_gently,
    wait_for,
)
from tests.ingest_support import Publisher, good_samples, make_vin

VEHICLES = 4
MESSAGES_PER_VEHICLE = 150
SAMPLES_PER_MESSAGE = 10
BATCH_ROWS = 200  # the kill lands while batches of this size fill and commit
PUBLISH_PAUSE_S = 0.003  # paces the stream so that the kills land in its middle
KILLS_AT = (0.2, 0.5)  # shares of the stream stored when ingest is killed


def _total(db_url: str, vins: list[str]) -> int:
    return scalar(db_url, "SELECT count(*) FROM telemetry WHERE vin = ANY(%s)", vins) or 0


@pytest.mark.timeout(180)
def test_kill_9_mid_batch_loses_and_duplicates_nothing(db_url, own_broker, tmp_path):
    tag = uuid.uuid4().hex[:8]
    log = tmp_path / "ingest.log"
    vins = [make_vin() for _ in range(VEHICLES)]
    expected = VEHICLES * MESSAGES_PER_VEHICLE * SAMPLES_PER_MESSAGE
    publisher = Publisher(own_broker.url)
    ingest = start_ingest(db_url, own_broker.url, tag, log, BATCH_ROWS)
    try:
        probe = make_vin()  # its row proves the persistent session and subscriptions exist
        wait_for(
            lambda: publisher.send(probe, "telemetry", good_samples(1))
            or scalar(db_url, "SELECT count(*) FROM telemetry WHERE vin = %s", probe),
            30, "ingest to subscribe", every=0.5,
        )  # fmt: skip
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
        at_kill = []
        for share in KILLS_AT:
            wait_for(lambda s=share: _total(db_url, vins) > s * expected, 60, f"{share:.0%}")
            kill_9(ingest)
            at_kill.append(_total(db_url, vins))
            ingest = start_ingest(db_url, own_broker.url, tag, log, BATCH_ROWS)
        streamer.join(60)
        assert at_kill[-1] < expected, f"the kills came too late to test anything: {at_kill}"
        assert_exactly_once(db_url, dict.fromkeys(vins, MESSAGES_PER_VEHICLE * SAMPLES_PER_MESSAGE))
        # A late redelivery would land before this marker; nothing may have doubled since.
        marker = make_vin()
        publisher.send(marker, "telemetry", good_samples(1))
        wait_for(lambda: scalar(db_url, "SELECT 1 FROM telemetry WHERE vin = %s", marker), 30,
                   "the marker")  # fmt: skip
        assert _total(db_url, vins) == expected
        for vin in vins:
            seqs = scalar(
                db_url, "SELECT array_agg(seq ORDER BY seq) FROM telemetry WHERE vin = %s", vin
            )
            assert seqs == list(range(MESSAGES_PER_VEHICLE * SAMPLES_PER_MESSAGE))
    finally:
        publisher.close()
        code = stop_gently(ingest)
    assert code == 0, "ingest did not stop cleanly on SIGTERM"
