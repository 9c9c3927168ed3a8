"""`pitstop bench events` measures what it says: every event committed wakes the reader once,
on LISTEN/NOTIFY and through the relay and a real 3-node NATS cluster."""

from __future__ import annotations

import time

import pytest

from bench import events
from core.cluster import NatsCluster
from core.db import connect


@pytest.fixture(scope="module")
def store_id(db_url) -> int:
    return events._a_store(db_url)


def _measured_once_each(db_url, store_id, reader) -> events.PathFigures:
    figures = events.measure("path", db_url, store_id, reader, rounds=5, events=120)
    time.sleep(events.SETTLE_S)
    assert len(figures.latencies_ms) == 5
    assert all(0 < ms < events.WAKE_TIMEOUT_S * 1000 for ms in figures.latencies_ms)
    assert figures.events_per_s > 0 and figures.p99_ms >= figures.median_ms
    return figures


def test_listen_notify_wakes_the_reader_once_per_event(db_url, store_id):
    reader = events.Reader()
    with events.listening(db_url, reader):
        _measured_once_each(db_url, store_id, reader)
        assert reader.count == 5 + 120


def test_the_relay_carries_each_event_once_through_a_nats_cluster(db_url, store_id, tmp_path):
    with connect(db_url) as conn:  # a relay that starts re-sends its last two minutes' rows
        conn.execute("DELETE FROM feed_events")
    with NatsCluster(tmp_path / "nats") as cluster:
        settings = events.Settings(
            database_url=db_url, events_source="jetstream", nats_urls=cluster.nats_urls
        )
        reader = events.Reader()
        with events.through_broker(settings, reader):
            connected = reader.count
            _measured_once_each(db_url, store_id, reader)
            assert reader.count == connected + 5 + 120
