"""Telemetry reads through the API: latest state, date_bin series and DTCs, scoped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.factories import auth_headers

# A whole minute inside today's partition (the migration creates partitions around now).
T0 = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module", autouse=True)
def readings(app, world):
    """Alice's car: coolant readings, its latest state and a stored DTC; Carol's: a bare state."""
    car, other_car = world["alice_car"], world["carol_car"]
    rows = [  # two minutes of coolant readings, 10 s apart: 80..85 then 90..95
        {
            "vin": car.vin,
            "ts": T0 + timedelta(seconds=10 * i),
            "seq": i,
            "coolant": 80 + i if i < 6 else 84 + i,
        }
        for i in range(12)
    ]
    with app.state.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO telemetry (vin, ts, seq, coolant_temp) "
                "VALUES (:vin, :ts, :seq, :coolant)"
            ),
            rows,
        )
        conn.execute(
            text(
                'INSERT INTO vehicle_latest (vin, last_seen, sample_ts, "values", online, '
                "stored_dtcs) VALUES (:vin, :ts, :ts, CAST(:v AS jsonb), true, '{P0301}')"
            ),
            [
                {"vin": car.vin, "ts": rows[-1]["ts"], "v": json.dumps({"COOLANT_TEMP": 95})},
                {"vin": other_car.vin, "ts": rows[-1]["ts"], "v": "{}"},
            ],
        )
        conn.execute(
            text(
                "INSERT INTO dtc_events (vin, ts, code, kind, mil) "
                "VALUES (:vin, :ts, 'P0301', 'stored', true)"
            ),
            {"vin": car.vin, "ts": T0},
        )


def _series(client, headers, vin, **params):
    query = {
        "signal": "COOLANT_TEMP",
        "start": T0.isoformat(),
        "end": (T0 + timedelta(minutes=2)).isoformat(),
        "bucket_seconds": 60,
    } | params
    return client.get(f"/telemetry/vehicles/{vin}/series", params=query, headers=headers)


def test_series_buckets_with_date_bin(client, world):
    response = _series(client, auth_headers(client, world["advisor_a"]), world["alice_car"].vin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unit"] == "degree_Celsius"
    points = [(p["samples"], p["avg"], p["min"], p["max"]) for p in body["points"]]
    assert points == [(6, 82.5, 80, 85), (6, 92.5, 90, 95)]
    assert datetime.fromisoformat(body["points"][1]["bucket"]) == T0 + timedelta(minutes=1)


def test_latest_and_dtcs_for_the_owner(client, world):
    headers = auth_headers(client, world["alice_user"])
    vin = world["alice_car"].vin
    latest = client.get(f"/telemetry/vehicles/{vin}/latest", headers=headers)
    assert latest.status_code == 200
    assert latest.json()["values"] == {"COOLANT_TEMP": 95}
    assert latest.json()["stored_dtcs"] == ["P0301"]
    dtcs = client.get(f"/telemetry/vehicles/{vin}/dtcs", headers=headers).json()
    assert [d["code"] for d in dtcs["items"]] == ["P0301"]
    fleet = client.get("/telemetry/latest", headers=headers).json()
    assert [row["vin"] for row in fleet["items"]] == [vin]


def test_latest_says_whether_the_models_judge_the_car_yet(app, client, world):
    headers = auth_headers(client, world["advisor_a"])
    vin = world["alice_car"].vin

    def diagnosis():
        body = client.get(f"/telemetry/vehicles/{vin}/latest", headers=headers).json()
        fleet = client.get("/telemetry/latest", headers=headers).json()["items"]
        assert {r["vin"]: r["diagnosis"] for r in fleet}[vin] == body["diagnosis"]
        return body["diagnosis"], body["baseline_days"], body["baseline_days_needed"]

    assert diagnosis() == ("rules_only", 0, 2)  # no model has been trained
    with app.state.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO model_registry (name, version, kind, artifact, active) "
                "VALUES ('failure_predictor', 1, 'test', '\\x00', true)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO diagnostics_car_state (vin, state, baseline_days) "
                "VALUES (:vin, '{}', 1)"
            ),
            {"vin": vin},
        )
    try:
        assert diagnosis() == ("learning", 1, 2)
        with app.state.engine.begin() as conn:
            conn.execute(text("UPDATE diagnostics_car_state SET baseline_days = 2"))
        assert diagnosis() == ("full", 2, 2)
    finally:
        with app.state.engine.begin() as conn:
            conn.execute(text("DELETE FROM model_registry"))
            conn.execute(text("DELETE FROM diagnostics_car_state"))


def test_other_customers_and_other_stores_are_refused(client, world):
    stranger = auth_headers(client, world["bob_user"])
    vin = world["alice_car"].vin
    assert _series(client, stranger, vin).status_code == 404
    assert client.get(f"/telemetry/vehicles/{vin}/latest", headers=stranger).status_code == 404
    advisor = auth_headers(client, world["advisor_a"])
    other = world["carol_car"].vin
    assert client.get(f"/telemetry/vehicles/{other}/latest", headers=advisor).status_code == 404
    fleet = client.get("/telemetry/latest", headers=advisor).json()
    assert other not in {row["vin"] for row in fleet["items"]}


def test_bad_requests_are_422s_saying_what_to_change(client, world):
    headers = auth_headers(client, world["advisor_a"], **{"Accept-Language": "en"})
    vin = world["alice_car"].vin
    unknown = _series(client, headers, vin, signal="WARP_DRIVE")
    assert unknown.status_code == 422
    assert "unknown signal 'WARP_DRIVE'" in unknown.json()["message"]
    too_many = _series(
        client, headers, vin, bucket_seconds=1, end=(T0 + timedelta(days=1)).isoformat()
    )
    assert too_many.status_code == 422
    assert "choose a larger bucket" in too_many.json()["message"]
    bad_vin = client.get("/telemetry/vehicles/NOTAVIN/latest", headers=headers)
    assert bad_vin.status_code == 422
    assert "a VIN has exactly 17" in bad_vin.json()["message"]
