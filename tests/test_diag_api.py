"""The alerts API: scoped lists with filters, explanations in zh-CN and en, ack and clear."""

from __future__ import annotations

import pytest

from core.db import connect
from core.wire import now_ms
from diagnostics import alerts
from diagnostics.scoring import Raise
from tests.factories import auth_headers


@pytest.fixture(scope="module", autouse=True)
def raised(world, db_url):
    """Two major alerts on Alice's car (store A) and a minor one on Carol's (store B)."""
    car, other = world["alice_car"].vin, world["carol_car"].vin
    dip = {"kind": "rule", "rule": "battery_crank_dip", "value": 9.2, "unit": "V"}
    code = {"kind": "dtc", "code": "P0301", "dtc_kind": "stored", "freeze_frame": {"RPM": 780}}
    with connect(db_url) as conn:
        alerts.apply(conn, [
            Raise(car, "battery", "major", None, "rule", {"rule:battery_crank_dip": dip}, now_ms()),
            Raise(car, "misfire", "major", None, "dtc", {"dtc:P0301": code}, now_ms()),
            Raise(other, "battery", "minor", None, "rule", {"rule:x": dip}, now_ms()),
        ])  # fmt: skip


def test_list_is_scoped_to_the_callers_stores_and_filters(client, world):
    headers, vin = auth_headers(client, world["advisor_a"]), world["alice_car"].vin
    page = client.get("/alerts", headers=headers).json()
    assert page["total"] == 2 and {a["vin"] for a in page["items"]} == {vin}
    only = client.get("/alerts", params={"severity": "major", "vin": vin},
                      headers=headers).json()  # fmt: skip
    assert only["total"] == 2
    store = client.get("/alerts", params={"store_id": world["a"].id, "state": "cleared"},
                       headers=headers).json()  # fmt: skip
    assert store["total"] == 0


def test_alert_explains_itself_in_the_request_language(client, world):
    headers, vin = auth_headers(client, world["advisor_a"]), world["alice_car"].vin
    first = client.get("/alerts", params={"vin": vin}, headers=headers).json()["items"]
    misfire = next(a for a in first if a["failure_mode"] == "misfire")
    zh = client.get(f"/alerts/{misfire['id']}", headers={**headers, "Accept-Language": "zh-CN"})
    en = client.get(f"/alerts/{misfire['id']}", headers={**headers, "Accept-Language": "en"})
    assert "失火" in zh.json()["reasons"][0] and "RPM=780" in zh.json()["reasons"][0]
    assert "Misfire" in en.json()["reasons"][0]
    assert en.json()["explanation"]["reasons"]["dtc:P0301"]["code"] == "P0301"
    assert en.json()["action"] == "schedule"


def test_acknowledge_and_clear_are_audited_and_refused_twice(client, world, db_url):
    headers, vin = auth_headers(client, world["advisor_a"]), world["alice_car"].vin
    items = client.get("/alerts", params={"vin": vin}, headers=headers).json()["items"]
    alert_id = next(a["id"] for a in items if a["failure_mode"] == "battery")
    ack = client.post(f"/alerts/{alert_id}/acknowledge", headers=headers)
    assert ack.status_code == 200 and ack.json()["acknowledged"] is True
    assert client.post(f"/alerts/{alert_id}/acknowledge", headers=headers).status_code == 409
    done = client.post(f"/alerts/{alert_id}/clear", json={"reason": "battery replaced"},
                       headers=headers)  # fmt: skip
    assert done.status_code == 200 and done.json()["state"] == "cleared"
    assert client.post(f"/alerts/{alert_id}/clear", headers=headers).status_code == 409
    with connect(db_url) as conn:
        audit = conn.execute(
            "SELECT to_state, actor_user_id, reason FROM state_transitions "
            "WHERE entity_type = 'alert' AND entity_id = %s ORDER BY id",
            (alert_id,),
        ).fetchall()
    advisor = world["advisor_a"].id
    assert audit == [("active", None, None), ("acknowledged", advisor, None),
                     ("cleared", advisor, "battery replaced")]  # fmt: skip


def test_other_stores_alerts_are_not_found(client, world, db_url):
    with connect(db_url) as conn:
        other_id = conn.execute(
            "SELECT id FROM alerts WHERE vin = %s", (world["carol_car"].vin,)
        ).fetchone()[0]
    headers = auth_headers(client, world["advisor_a"])
    assert client.get(f"/alerts/{other_id}", headers=headers).status_code == 404
    assert client.post(f"/alerts/{other_id}/acknowledge", headers=headers).status_code == 404
