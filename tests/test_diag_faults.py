"""Each injected fault raises the right alert before its failure point; a healthy car none."""

from __future__ import annotations

import random

import pytest

from core.clock import DAY_MS
from core.db import connect
from core.wire import now_ms
from diagnostics.modes import FAULT_KIND_MODES
from ingest.store import Store
from simulators.car import Car
from simulators.faults import Fault
from simulators.profiles import local_midnight
from tests.diag_support import CarWriter, drive, scorer

KINDS = ("battery", "thermostat", "coolant_leak", "misfire", "vacuum_leak", "catalyst")
DAYS = 7


@pytest.fixture(scope="module")
def fleet(db_url):
    # From a local midnight: the cars' trips, and so what the detectors see before each
    # failure point, are the same whatever the hour the test runs at.
    start = local_midnight(now_ms() - (DAYS + 1) * DAY_MS)
    cars = {}
    for i, kind in enumerate((*KINDS, None, None)):
        faults = [Fault(kind, start + DAY_MS, start + 7 * DAY_MS, cylinder=2)] if kind else []
        seed = random.Random(i).randrange(2**31)
        cars[kind or f"healthy{i}"] = Car(start_ms=start, seed=seed, faults=faults,
                                          profile=("commuter", "taxi")[i % 2])  # fmt: skip
    store = Store(db_url)
    score = scorer(db_url)
    writers = [CarWriter(c) for c in cars.values()]
    drive(store, score, writers, start + DAYS * DAY_MS)
    yield cars, score, store, writers
    score.close()
    store.close()


def _alerts(db_url, vin):
    with connect(db_url) as conn:
        return conn.execute(
            "SELECT failure_mode, state, count, (extract(epoch FROM first_seen) * 1000)::bigint,"
            " explanation FROM alerts WHERE vin = %s ORDER BY id",
            (vin,),
        ).fetchall()


@pytest.mark.parametrize("kind", KINDS)
def test_fault_raises_its_alert_before_failure(fleet, db_url, kind):
    cars, *_ = fleet
    car = cars[kind]
    failure = car.faults[0].failure_ms
    rows = _alerts(db_url, car.vin)
    mode = FAULT_KIND_MODES[kind]
    before = [r for r in rows if r[0] == mode and r[3] < failure]
    assert before, f"{kind}: no {mode} alert before failure; alerts: {rows}"
    assert before[0][4]["reasons"], "an alert carries the reasons that raised it"
    wrong = {r[0] for r in rows} - {mode}
    assert not wrong, f"{kind}: unrelated alerts {wrong}"


def test_healthy_cars_raise_nothing(fleet, db_url):
    cars, *_ = fleet
    for name in ("healthy6", "healthy7"):
        assert _alerts(db_url, cars[name].vin) == [], name


def test_repeats_merge_into_one_open_alert(fleet, db_url):
    with connect(db_url) as conn:
        dupes = conn.execute(
            "SELECT vin, failure_mode, count(*) FROM alerts WHERE state = 'active' "
            "GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        counts = conn.execute("SELECT max(count) FROM alerts").fetchone()[0]
    assert dupes == []
    assert counts > 1, "a condition seen again repeats its alert instead of opening another"


def test_alert_clears_when_the_fault_is_fixed(fleet, db_url):
    cars, score, store, writers = fleet
    car = cars["misfire"]
    assert any(r[0] == "misfire" and r[1] == "active" for r in _alerts(db_url, car.vin))
    car.faults.clear()  # the workshop replaces the coil ...
    car.clear_dtcs()  # ... and clears the codes
    writer = next(w for w in writers if w.car is car)
    drive(store, score, [writer], car.now_ms + 2 * DAY_MS)
    rows = _alerts(db_url, car.vin)
    assert [r[1] for r in rows if r[0] == "misfire"] == ["cleared"], rows
