"""Restart the broker, then PostgreSQL, while cars stream: every sample is stored exactly once.

Cars are real edge agents (simulated ECUs, on-disk outboxes) driven by the fleet simulator;
ingest is a `pitstop ingest` process; broker and database are processes this test owns.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from simulators.fleet import Fleet
from tests.faults.processes import (
    assert_exactly_once,
    scalar,
    start_ingest,
    stop_gently,
    wait_for,
)

CARS = 6
SPEED = 600.0  # ten simulated minutes per real second
RUN_S = 12.0
FAULT_AT_S = 4.0
BROKER_DOWN_S = 3.0
FLUSH_TIMEOUT_S = 60.0  # the agents' reconnect backoff delays the last acknowledgements


def _drive(fleet: Fleet) -> tuple[threading.Thread, dict]:
    result: dict = {}
    driver = threading.Thread(target=lambda: result.update(fleet.run(RUN_S)))
    driver.start()
    return driver, result


def _fleet(mqtt_url: str, tmp_path, seed: int) -> Fleet:
    return Fleet(cars=CARS, mqtt_url=mqtt_url, workdir=tmp_path / "fleet", speed=SPEED,
                 start_days_ago=0.5, seed=seed, flush_timeout_s=FLUSH_TIMEOUT_S)  # fmt: skip


def _rows(db_url: str) -> int:
    return scalar(db_url, "SELECT count(*) FROM telemetry") or 0


def _finish(driver: threading.Thread, result: dict, db_url: str) -> dict[str, int]:
    driver.join(120)
    assert not driver.is_alive(), "the fleet did not finish after the fault"
    assert all(car["unsent"] == 0 for car in result["cars"]), result["cars"]
    produced = {car["vin"]: car["samples"] for car in result["cars"]}
    assert all(produced.values()), f"a car produced nothing: {produced}"
    assert_exactly_once(db_url, produced)
    return produced


@pytest.mark.timeout(180)
def test_broker_restart_under_load_loses_and_doubles_nothing(db_url, own_broker, tmp_path):
    ingest = start_ingest(db_url, own_broker.url, uuid.uuid4().hex[:8], tmp_path / "ingest.log")
    try:
        driver, result = _drive(_fleet(own_broker.url, tmp_path, seed=21))
        time.sleep(FAULT_AT_S)
        before = _rows(db_url)
        own_broker.stop()
        time.sleep(BROKER_DOWN_S)
        own_broker.start()
        _finish(driver, result, db_url)
        assert before > 0, "nothing was stored before the broker went down"
    finally:
        assert stop_gently(ingest) == 0, "ingest did not stop cleanly"


@pytest.mark.timeout(180)
def test_postgres_restart_under_load_loses_and_doubles_nothing(own_postgres, own_broker, tmp_path):
    cluster, db_url = own_postgres
    ingest = start_ingest(db_url, own_broker.url, uuid.uuid4().hex[:8], tmp_path / "ingest.log")
    try:
        driver, result = _drive(_fleet(own_broker.url, tmp_path, seed=22))
        wait_for(lambda: _rows(db_url), 30, "the first rows")
        time.sleep(FAULT_AT_S)
        before = _rows(db_url)
        cluster.restart()
        _finish(driver, result, db_url)
        assert 0 < before < _rows(db_url), "the restart did not fall inside the stream"
    finally:
        assert stop_gently(ingest) == 0, "ingest did not stop cleanly"
    assert "database write failed" in (tmp_path / "ingest.log").read_text(), (
        "ingest never noticed the restart; the test proved nothing"
    )
