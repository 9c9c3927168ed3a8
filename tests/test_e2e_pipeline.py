"""End to end: simulated cars → edge agents → broker → ingest → PostgreSQL, nothing lost."""

from __future__ import annotations

import threading
import time

import pytest

import ingest.mqtt
from core.db import connect
from simulators.fleet import Fleet
from tests.ingest_support import config, running, wait_for

CARS = 4
SPEED = 600.0  # ten simulated minutes per real second
RUN_S = 8.0
OUTAGE_AT_S, OUTAGE_FOR_S = 3.0, 4.0
# After an outage the agents' reconnect backoff delays the last acknowledgements.
OUTAGE_FLUSH_TIMEOUT_S = 60.0


def stored(db_url: str) -> dict[str, tuple[int, int, int]]:
    """Per VIN: rows, distinct timestamps, and the span of sequence numbers."""
    with connect(db_url) as conn:
        rows = conn.execute(
            "SELECT vin, count(*), count(DISTINCT ts), max(seq) - min(seq) + 1 "
            "FROM telemetry GROUP BY vin"
        ).fetchall()
    return {vin: (n, distinct, span) for vin, n, distinct, span in rows}


def produced(summary: dict) -> dict[str, int]:
    return {car["vin"]: car["samples"] for car in summary["cars"]}


def assert_all_arrived_once(db_url: str, summary: dict) -> None:
    expected = produced(summary)
    assert all(n > 0 for n in expected.values()), f"a car produced nothing: {expected}"
    assert all(car["unsent"] == 0 for car in summary["cars"]), summary["cars"]

    def arrived():
        got = stored(db_url)
        return all(got.get(vin, (0,))[0] == n for vin, n in expected.items()) and got

    try:
        got = wait_for(arrived, timeout=30, what="every sample in the database")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: produced {expected}, stored {stored(db_url)}") from None
    for vin, n in expected.items():
        rows, distinct, span = got[vin]
        assert rows == distinct == span == n, f"{vin}: rows={rows} ts={distinct} seq span={span}"


def test_fleet_rows_equal_samples_produced(db_url, own_broker, tmp_path):
    fleet = Fleet(
        cars=CARS, mqtt_url=own_broker.url, workdir=tmp_path / "fleet", speed=SPEED,
        start_days_ago=0.5, faults="battery:1,misfire:1", seed=11,
    )  # fmt: skip
    with running(config(db_url, own_broker.url)):
        summary = fleet.run(RUN_S)
        assert_all_arrived_once(db_url, summary)
    with connect(db_url) as conn:
        latest = conn.execute("SELECT count(*) FROM vehicle_latest").fetchone()[0]
    assert latest == CARS


INGEST_RETURNS_LATE_S = 8  # the cars' reconnect backoff starts at 1 s


@pytest.mark.parametrize(
    ("ingest_returns", "seed"), [("racing the cars", 12), ("after the cars", 13)]
)
def test_broker_outage_loses_nothing(
    ingest_returns, seed, db_url, own_broker, tmp_path, monkeypatch
):
    """After a restart Mosquitto forgets the ingest's shared subscription until the ingest
    subscribes again, and tells the cars so (PUBACK "no matching subscribers"); the cars keep
    those messages and send them again."""
    if ingest_returns == "after the cars":
        monkeypatch.setattr(ingest.mqtt, "RECONNECT_MIN_S", INGEST_RETURNS_LATE_S)
        monkeypatch.setattr(ingest.mqtt, "RECONNECT_MAX_S", INGEST_RETURNS_LATE_S)
    fleet = Fleet(
        cars=CARS, mqtt_url=own_broker.url, workdir=tmp_path / "fleet", speed=SPEED,
        start_days_ago=0.5, seed=seed, flush_timeout_s=OUTAGE_FLUSH_TIMEOUT_S,
    )  # fmt: skip
    with running(config(db_url, own_broker.url)):
        result: dict = {}
        driver = threading.Thread(target=lambda: result.update(fleet.run(RUN_S + OUTAGE_FOR_S)))
        driver.start()
        time.sleep(OUTAGE_AT_S)
        own_broker.stop()
        time.sleep(OUTAGE_FOR_S)
        own_broker.start()
        driver.join(120)
        assert not driver.is_alive(), "the fleet did not finish after the broker came back"
        assert_all_arrived_once(db_url, result)
