"""Alert lifecycle on real PostgreSQL: stale cars, bad telemetry, events with NOTIFY, restarts."""

from __future__ import annotations

import json
import math

from core.clock import DAY_MS
from core.db import connect
from core.wire import now_ms
from diagnostics import alerts
from diagnostics.explain import render
from diagnostics.scoring import Raise
from ingest.store import Store
from simulators.car import Car
from simulators.faults import Fault
from simulators.profiles import local_midnight
from tests.diag_support import CarWriter, drive, scorer

VIN = "LSVAU2180N2183294"


def _latest(db_url, vin, *, online, silent_s):
    with connect(db_url) as conn:
        conn.execute(
            """INSERT INTO vehicle_latest (vin, last_seen, online) VALUES
            (%s, now() - %s * interval '1 second', %s) ON CONFLICT (vin) DO UPDATE SET
            last_seen = excluded.last_seen, online = excluded.online""",
            (vin, silent_s, online),
        )


def _stale(db_url, vin):
    with connect(db_url) as conn:
        return conn.execute(
            "SELECT state FROM alerts WHERE vin = %s AND failure_mode = 'stale'", (vin,)
        ).fetchall()


def test_stale_car_raises_and_clears_a_stale_alert(db_url):
    quiet, offline = "LFV2A21K8N4000001", "LFV2A21K8N4000002"
    _latest(db_url, quiet, online=True, silent_s=3600)
    _latest(db_url, offline, online=False, silent_s=3600)
    score = scorer(db_url)
    try:
        score.step()
        assert _stale(db_url, quiet) == [("active",)]
        assert _stale(db_url, offline) == [], "a car that said goodbye is not stale"
        score.step()
        assert _stale(db_url, quiet) == [("active",)], "a repeat does not open a second alert"
        _latest(db_url, quiet, online=True, silent_s=0)
        score.step()
        assert _stale(db_url, quiet) == [("cleared",)]
    finally:
        score.close()


def test_bad_telemetry_does_not_crash_scoring(db_url):
    vin = "LGBH52E08NY000003"
    start = now_ms() - 3 * DAY_MS
    Store(db_url).ensure_partitions(*_days(start, now_ms()))
    rows = [
        (start, {"rpm": math.nan, "coolant_temp": math.inf, "control_module_voltage": -5}),
        (start + 1000, {"rpm": 800, "speed": 0, "coolant_temp": 500, "elm_voltage": 99}),
        (start + 2000, {}),
        (start + DAY_MS, {"rpm": 1e9, "long_fuel_trim_1": -math.inf, "o2_b1s1": math.nan}),
        (start + DAY_MS + 5000, {"rpm": 900, "speed": 0, "coolant_temp": 90, "o2_b1s2": 7}),
    ]
    with connect(db_url) as conn:
        for seq, (ts, values) in enumerate(rows):
            cols = ", ".join(["vin", "ts", "seq", *values])
            marks = ", ".join(["%s", "to_timestamp(%s / 1000.0)", "%s", *["%s"] * len(values)])
            conn.execute(
                f"INSERT INTO telemetry ({cols}) VALUES ({marks})", (vin, ts, seq, *values.values())
            )
    score = scorer(db_url)
    try:
        stats = score.step()
        assert stats.rows == len(rows)
        assert stats.cars_scored >= 1
        with connect(db_url) as conn:
            assert (
                conn.execute("SELECT count(*) FROM alerts WHERE vin = %s", (vin,)).fetchone()[0]
                == 0
            ), "out-of-range readings are skipped, not taken for an overheating engine"
    finally:
        score.close()


def _days(first_ms, last_ms):
    import datetime as dt

    return (
        dt.datetime.fromtimestamp(first_ms / 1000, dt.UTC).date(),
        dt.datetime.fromtimestamp(last_ms / 1000, dt.UTC).date(),
    )


def test_alert_events_are_written_and_notified(db_url):
    listener = connect(db_url, autocommit=True)
    listener.execute(f"LISTEN {alerts.CHANNEL}")
    try:
        reason = {"kind": "rule", "rule": "battery_crank_dip", "value": 9.1, "unit": "V"}
        with connect(db_url) as conn:
            raised = Raise(VIN, "battery", "major", None, "rule", {"rule:x": reason}, now_ms())
            counts = alerts.apply(conn, [raised])
        assert counts.get("created") == 1
        note = next(listener.notifies(timeout=5, stop_after=1))
        payload = json.loads(note.payload)
        assert (payload["vin"], payload["kind"], payload["failure_mode"]) == (
            VIN, "created", "battery")  # fmt: skip
        with connect(db_url) as conn:
            crit = Raise(VIN, "battery", "critical", None, "rule", {"rule:y": reason}, now_ms())
            alerts.apply(conn, [crit])
            row = alerts.get_alert(conn, payload["alert_id"])
            kinds = [e["kind"] for e in alerts.events(conn, row["id"])]
            alerts.acknowledge(conn, row["id"], user_id=None)
            alerts.clear(conn, row["id"], user_id=None, reason="battery replaced")
            audited = conn.execute(
                "SELECT to_state FROM state_transitions WHERE entity_type = 'alert' "
                "AND entity_id = %s ORDER BY id",
                (row["id"],),
            ).fetchall()
        assert row["severity"] == "critical" and row["count"] == 2
        assert set(row["explanation"]["reasons"]) == {"rule:x", "rule:y"}
        assert kinds == ["created", "severity_raised"]
        assert [a[0] for a in audited] == ["active", "acknowledged", "cleared"]
        text = render(row, "zh-CN")
        assert "蓄电池" in text["title"] and "9.10" in text["reasons"][0]
        assert "cranking" in render(row, "en")["reasons"][0]
    finally:
        listener.close()


def test_restart_resumes_from_saved_features(db_url):
    # From a local midnight: the car's trips, and so what the detector sees by day two, are
    # then the same whatever the hour the test runs at.
    start = local_midnight(now_ms() - 3 * DAY_MS)
    car = Car(start_ms=start, seed=11, faults=[Fault("catalyst", start, start + 3 * DAY_MS)])
    store = Store(db_url)
    first = scorer(db_url)
    writer = CarWriter(car)
    drive(store, first, [writer], start + DAY_MS)
    first.close()  # saves features and cursors
    second = scorer(db_url)
    try:
        assert second.step().rows == 0, "a restart does not rescan what was scored"
        drive(store, second, [writer], start + 2 * DAY_MS)
        with connect(db_url) as conn:
            modes = conn.execute(
                "SELECT failure_mode FROM alerts WHERE vin = %s", (car.vin,)
            ).fetchall()
        assert ("catalyst",) in modes
    finally:
        second.close()
        store.close()
