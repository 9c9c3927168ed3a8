"""Ingest on a real broker and a real PostgreSQL: rows land once, bad input is dead-lettered."""

from __future__ import annotations

import datetime as dt
import time

import msgspec
import pytest

from core.broker import LocalBroker
from core.db import connect
from core.storage import PARTITIONS, storage_path
from core.wire import MAX_PAYLOAD_BYTES, now_ms
from ingest.batch import Batch, Message
from tests.ingest_support import (
    Publisher,
    config,
    good_samples,
    make_vin,
    running,
    scalar,
    telemetry,
    wait_for,
)


@pytest.fixture
def publisher(mqtt_url):
    pub = Publisher(mqtt_url)
    yield pub
    pub.close()


def rows(db_url: str, vin: str) -> int:
    return scalar(db_url, "SELECT count(*) FROM telemetry WHERE vin = %s", vin)


def test_good_messages_land_once_even_when_replayed(db_url, mqtt_url, publisher):
    vin = make_vin()
    payload = good_samples(25)
    with running(config(db_url, mqtt_url)):
        publisher.send(vin, "telemetry", payload)
        publisher.send(vin, "telemetry", payload)  # a replay after a reconnect
        wait_for(lambda: rows(db_url, vin) == 25, what="25 rows")
        # A marker sent afterwards proves the replay was processed before we count again.
        marker = make_vin()
        publisher.send(marker, "telemetry", good_samples(1))
        wait_for(lambda: rows(db_url, marker) == 1, what="the marker row")
    assert rows(db_url, vin) == 25
    seqs = scalar(db_url, "SELECT array_agg(seq ORDER BY seq) FROM telemetry WHERE vin = %s", vin)
    assert seqs == list(range(25))
    rpm = scalar(db_url, "SELECT rpm FROM telemetry WHERE vin = %s AND seq = 3", vin)
    assert rpm == 803.0


BAD_TELEMETRY = {
    "bad_json": (b'{"samples": [', "malformed"),
    "wrong_type": (b'{"samples": "many"}', "malformed"),
    "nan_literal": (b'{"samples": [{"ts": 1, "seq": 1, "values": {"RPM": NaN}}]}', "malformed"),
    "oversized": (b'{"samples": [' + b" " * MAX_PAYLOAD_BYTES + b"]}", "exceeds"),
    "empty": (b'{"samples": []}', "no samples"),
}


def test_bad_input_is_dead_lettered_and_ingest_keeps_going(db_url, mqtt_url, publisher):
    vin = make_vin()
    now = now_ms()
    per_sample = {
        "future": ((now + 3600_000, 1, {"RPM": 900.0}), "in the future"),
        "range": ((now - 5000, 2, {"COOLANT_TEMP": 900.0}), "outside plausible range"),
        "unknown": ((now - 4000, 3, {"WARP_DRIVE": 1.0}), "unknown signal 'WARP_DRIVE'"),
        "infinite": ((now - 3000, 4, {"RPM": 12345.5}), "not a finite number"),  # 1e999 below
    }
    with running(config(db_url, mqtt_url)) as service:
        for payload, _ in BAD_TELEMETRY.values():
            publisher.send(vin, "telemetry", payload)
        publisher.publish("pitstop/v1/NOT-A-VIN/telemetry", good_samples(1))
        publisher.send(vin, "dtc", msgspec.json.encode({"ts": now, "stored": ["X123"]}))
        publisher.send(vin, "status", b'{"ts": 1, "state": "dancing"}')
        # One message: two good samples and each kind of bad sample (1e999 cannot be a float).
        mixed = [(now - 9000, 10, {"RPM": 700.0}), (now - 8000, 11, {"RPM": 710.0})]
        mixed += [sample for sample, _ in per_sample.values()]
        raw = msgspec.json.decode(telemetry(mixed))
        raw["samples"].append({"ts": now - 2000, "seq": "five", "values": {}})
        payload = msgspec.json.encode(raw).replace(b"12345.5", b"1e999")
        publisher.send(vin, "telemetry", payload)
        after = make_vin()
        publisher.send(after, "telemetry", good_samples(3))
        wait_for(lambda: rows(db_url, after) == 3, what="the good message after the bad ones")
        assert service.session.client.is_connected()

    with connect(db_url) as conn:
        letters = conn.execute(
            "SELECT topic, reason, payload_size, length(payload) FROM dead_letters"
        ).fetchall()
    reasons = [reason for _, reason, _, _ in letters]
    expected = [needle for _, needle in BAD_TELEMETRY.values()]
    expected += ["bad VIN in topic", "DTC 'X123'", "malformed status", "malformed sample"]
    expected += [needle for _, needle in per_sample.values()]
    for needle in expected:
        assert any(needle in reason for reason in reasons), f"no dead letter for {needle!r}"
    assert len(letters) == len(expected)
    oversized = [row for row in letters if "exceeds" in row[1]][0]
    assert oversized[2] > MAX_PAYLOAD_BYTES and oversized[3] == 64 * 1024
    assert rows(db_url, vin) == 2  # the good samples of the mixed message


def test_unknown_topic_kind_is_dead_lettered():
    batch = Batch()
    vin = make_vin()
    batch.add(Message(f"pitstop/v1/{vin}/config", b"{}", 1, 1, 0))
    batch.add(Message(f"pitstop/v1/{vin}/gossip", b"{}", 2, 1, 0))
    assert [r for *_, r in batch.dead_letters] == [
        f"ingest does not accept 'config' messages on pitstop/v1/{vin}/config",
        f"topic 'pitstop/v1/{vin}/gossip' is not pitstop/v1/<VIN>/<telemetry|dtc|status|config>",
    ]
    assert len(batch.messages) == 2  # both are still acknowledged once written


def test_dtc_status_and_latest_state(db_url, mqtt_url, publisher):
    vin = make_vin()
    now = now_ms()
    status = {
        "ts": now - 1000,
        "state": "online",
        "agent": {"version": "1.0", "vin_source": "configured"},
        "buffer": {"depth": 3, "dropped_telemetry": 7},
    }
    dtc = {
        "ts": now - 500,
        "stored": ["P0300"],
        "pending": ["P0301", "P0171"],
        "mil": True,
        "freeze_frame": {"dtc": "P0300", "values": {"RPM": 850.0, "COOLANT_TEMP": 92.0}},
    }
    with running(config(db_url, mqtt_url)):
        publisher.send(vin, "status", msgspec.json.encode(status))
        publisher.send(vin, "dtc", msgspec.json.encode(dtc))
        publisher.send(vin, "telemetry", telemetry([(now - 200, 50, {"RPM": 1500.0})]))
        wait_for(lambda: scalar(db_url, "SELECT seq FROM vehicle_latest WHERE vin=%s", vin) == 50)
        # A late buffered sample must not move the latest state backwards.
        old = telemetry([(now - 60_000, 1, {"RPM": 600.0, "SPEED": 0.0})])
        publisher.send(vin, "telemetry", old)
        publisher.send(vin, "status", msgspec.json.encode({"ts": now, "state": "offline"}))
        wait_for(lambda: rows(db_url, vin) == 2, what="the late sample")
        wait_for(
            lambda: (
                scalar(db_url, "SELECT count(*) FROM vehicle_status_events WHERE vin=%s", vin) == 2
            )
        )

    with connect(db_url) as conn:
        events = conn.execute(
            "SELECT code, kind, mil, freeze_frame FROM dtc_events WHERE vin=%s ORDER BY code",
            (vin,),
        ).fetchall()
        latest = conn.execute(
            'SELECT seq, "values", online, status_reason, agent, buffer, stored_dtcs,'
            " pending_dtcs, sample_ts FROM vehicle_latest WHERE vin=%s",
            (vin,),
        ).fetchone()
    assert events == [
        ("P0171", "pending", True, None),
        ("P0300", "stored", True, {"RPM": 850.0, "COOLANT_TEMP": 92.0}),
        ("P0301", "pending", True, None),
    ]
    seq, values, online, _reason, agent, buffer, stored, pending, sample_ts = latest
    assert seq == 50
    assert values == {"RPM": 1500.0, "SPEED": 0.0}  # the late sample only fills the gap
    assert sample_ts == dt.datetime.fromtimestamp((now - 200) / 1000, dt.UTC)
    assert online is False
    assert agent == {
        "version": "1.0",
        "vin_source": "configured",
        "adapter": None,
        "protocol": None,
        "note": None,
    }
    assert buffer == {"depth": 3, "dropped_telemetry": 7, "dropped_events": 0}
    assert stored == ["P0300"] and pending == ["P0301", "P0171"]


def test_partitions_are_created_for_old_buffered_samples(db_url, mqtt_url, publisher):
    """A 40-day-old day gets its partition on demand; on TimescaleDB the insert makes a chunk."""
    vin = make_vin()
    old_day = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    name = f"telemetry_p{old_day:%Y%m%d}"
    with connect(db_url) as conn:
        path = storage_path(conn)
    holding = (
        "SELECT to_regclass(%s)::text"
        if path == PARTITIONS
        else "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = "
        "'telemetry' AND range_start <= %s::timestamptz AND range_end > %s::timestamptz"
    )
    args = (name,) if path == PARTITIONS else (old_day, old_day)
    assert not scalar(db_url, holding, *args)
    start = int(old_day.timestamp() * 1000)
    with running(config(db_url, mqtt_url)):
        publisher.send(vin, "telemetry", good_samples(5, start_ms=start))
        wait_for(lambda: rows(db_url, vin) == 5, what="the 40-day-old samples")
    assert scalar(db_url, holding, *args) == (name if path == PARTITIONS else 1)


def test_database_outage_loses_nothing(db_url, mqtt_url, publisher):
    vins = [make_vin() for _ in range(3)]
    with running(config(db_url, mqtt_url, max_batch_rows=50)) as service:
        for round_ in range(6):
            for vin in vins:
                publisher.send(
                    vin,
                    "telemetry",
                    good_samples(
                        10, seq0=round_ * 10, start_ms=now_ms() - 600_000 + round_ * 10_000
                    ),
                )
            # Cut the ingest's database connection: the batch in flight fails and is retried.
            with connect(db_url, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        wait_for(lambda: all(rows(db_url, v) == 60 for v in vins), what="all 180 rows")
        assert service.metrics.db_errors._value.get() >= 1


def test_a_stalled_database_leaves_the_backlog_at_the_broker(db_url, mqtt_url, publisher):
    """While a batch cannot commit, the next one fills to its size and reading stops there."""
    vin = make_vin()
    start = now_ms() - 600_000
    with running(config(db_url, mqtt_url, max_batch_rows=50)) as service:
        with connect(db_url) as blocker:
            blocker.execute("LOCK TABLE vehicle_latest IN ACCESS EXCLUSIVE MODE")
            for n in range(30):
                publisher.send(vin, "telemetry", good_samples(10, start + n * 10_000, n * 10))
            wait_for(lambda: service._batch.size >= 50, what="the next batch to fill")
            time.sleep(1.0)  # time enough to read the rest of the backlog, if it were read
            assert service._batch.size == 50
        wait_for(lambda: rows(db_url, vin) == 300, what="all 300 rows after the stall")


def test_amqtt_fallback_to_mqtt_3(db_url, tmp_path):
    with LocalBroker(tmp_path / "amqtt", prefer="amqtt") as broker:
        pub = Publisher(broker.url)
        try:
            with running(config(db_url, broker.url)) as service:
                assert service.session.mqtt5 is False
                vin = make_vin()
                pub.send(vin, "telemetry", good_samples(4))
                wait_for(lambda: rows(db_url, vin) == 4, what="rows through amqtt")
        finally:
            pub.close()
