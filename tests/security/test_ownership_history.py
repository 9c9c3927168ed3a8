"""Class 7 of issue 10: after a car changes owner, the new owner reads its telemetry, trouble
codes and latest state only from the transfer on; the old owner reads nothing; staff of the
store read everything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from api.crm.models import Vehicle
from tests.factories import auth_headers

# A whole minute inside today's partition (the migration creates partitions around now).
T0 = datetime.now(UTC).replace(hour=0, minute=5, second=0, microsecond=0)


def _insert(app, vin: str, at: datetime, code: str) -> None:
    with app.state.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO telemetry (vin, ts, seq, coolant_temp) VALUES (:vin, :ts, 1, 90)"),
            {"vin": vin, "ts": at},
        )
        conn.execute(
            text(
                "INSERT INTO dtc_events (vin, ts, code, kind, mil) "
                "VALUES (:vin, :ts, :code, 'stored', true)"
            ),
            {"vin": vin, "ts": at, "code": code},
        )
        conn.execute(
            text(
                'INSERT INTO vehicle_latest (vin, last_seen, sample_ts, "values", online) '
                "VALUES (:vin, :ts, :ts, CAST(:v AS jsonb), true) ON CONFLICT (vin) DO UPDATE "
                "SET last_seen = :ts, sample_ts = :ts"
            ),
            {"vin": vin, "ts": at, "v": json.dumps({"COOLANT_TEMP": 90})},
        )


@pytest.fixture(scope="module")
def sold(app, client, world):
    """Alice's car reported at T0, then was sold to Bob through the CRM."""
    vin = world["alice_car"].vin
    _insert(app, vin, T0, "P0301")
    staff = auth_headers(client, world["advisor_a"])
    moved = client.patch(
        f"/crm/vehicles/{world['alice_car'].id}", json={"owner_id": world["bob"].id}, headers=staff
    )
    assert moved.status_code == 200, moved.text
    return vin


def _reads(client, headers, vin):
    series = client.get(
        f"/telemetry/vehicles/{vin}/series",
        params={
            "signal": "COOLANT_TEMP",
            "start": (T0 - timedelta(minutes=1)).isoformat(),
            "end": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
            "bucket_seconds": 3600,
        },
        headers=headers,
    )
    dtcs = client.get(f"/telemetry/vehicles/{vin}/dtcs", headers=headers)
    latest = client.get(f"/telemetry/vehicles/{vin}/latest", headers=headers)
    return series, dtcs, latest


def test_the_transfer_records_its_date(app, world, sold):
    with app.state.session_factory() as session:
        car = session.get(Vehicle, world["alice_car"].id)
        assert car.owner_id == world["bob"].id
        assert car.owner_since is not None
        assert T0 < car.owner_since <= datetime.now(UTC)


def test_the_new_owner_does_not_read_the_previous_owners_history(client, world, sold):
    series, dtcs, latest = _reads(client, auth_headers(client, world["bob_user"]), sold)
    assert series.status_code == 200, series.text
    assert series.json()["points"] == []
    assert dtcs.status_code == 200
    assert dtcs.json()["items"] == []
    assert latest.status_code == 404


def test_the_previous_owner_reads_nothing_any_more(client, world, sold):
    for response in _reads(client, auth_headers(client, world["alice_user"]), sold):
        assert response.status_code == 404


def test_staff_still_read_the_whole_history(client, world, sold):
    series, dtcs, latest = _reads(client, auth_headers(client, world["advisor_a"]), sold)
    assert sum(p["samples"] for p in series.json()["points"]) == 1
    assert [d["code"] for d in dtcs.json()["items"]] == ["P0301"]
    assert latest.status_code == 200


def test_the_new_owner_reads_what_the_car_reports_after_the_transfer(app, client, world, sold):
    _insert(app, sold, datetime.now(UTC), "P0420")
    series, dtcs, latest = _reads(client, auth_headers(client, world["bob_user"]), sold)
    assert sum(p["samples"] for p in series.json()["points"]) == 1
    assert [d["code"] for d in dtcs.json()["items"]] == ["P0420"]
    assert latest.status_code == 200


def _alert(app, vin: str, at: datetime, mode: str) -> None:
    with app.state.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (vin, failure_mode, severity, source, first_seen, last_seen,"
                " created_at) VALUES (:vin, :mode, 'major', 'rule', :at, :at, :at)"
            ),
            {"vin": vin, "mode": mode, "at": at},
        )


def test_a_customer_reads_their_cars_alerts_only_from_when_it_became_theirs(
    app, client, world, sold
):
    _alert(app, sold, T0, "misfire")  # Alice's time
    _alert(app, sold, datetime.now(UTC), "battery")  # Bob's
    bob = auth_headers(client, world["bob_user"])
    mine = client.get("/alerts", params={"vin": sold}, headers=bob)
    assert mine.status_code == 200, mine.text
    assert [a["failure_mode"] for a in mine.json()["items"]] == ["battery"]
    staff = client.get(
        "/alerts", params={"vin": sold}, headers=auth_headers(client, world["advisor_a"])
    )
    assert {a["failure_mode"] for a in staff.json()["items"]} >= {"battery", "misfire"}
    alice = auth_headers(client, world["alice_user"])
    assert client.get("/alerts", params={"vin": sold}, headers=alice).status_code == 404
    everything = client.get("/alerts", headers=bob)
    assert everything.status_code == 422 and "vin" in everything.text
    other = client.get("/alerts", params={"vin": world["bob_car"].vin}, headers=alice)
    assert other.status_code == 404
