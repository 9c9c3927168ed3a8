"""CRM through HTTP on real PostgreSQL: store and customer scoping, VIN errors, pagination,
filters, the 360 view and the odometer from telemetry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from api.auth.roles import Role
from tests.factories import auth_headers, make_customer, make_store, make_user, make_vin

EN = {"Accept-Language": "en"}


def _customer_body(store_id: int, **extra) -> dict:
    return {"name": "陈静", "phone": "13800001111", "source": "web", "store_id": store_id, **extra}


def test_staff_of_store_a_cannot_read_a_customer_of_store_b(client, world):
    headers = auth_headers(client, world["sales_a"], **EN)
    own = client.get(f"/crm/customers/{world['alice'].id}", headers=headers)
    assert own.status_code == 200
    other = client.get(f"/crm/customers/{world['carol'].id}", headers=headers)
    assert other.status_code == 404
    assert "does not exist" in other.json()["message"]
    assert client.get(f"/crm/vehicles/{world['carol_car'].id}", headers=headers).status_code == 404
    assert client.get(f"/crm/customers/{world['carol'].id}/360", headers=headers).status_code == 404


def test_staff_lists_show_only_their_stores(client, world):
    headers = auth_headers(client, world["sales_a"])
    ids = {
        c["id"]
        for c in client.get("/crm/customers", params={"limit": 200}, headers=headers).json()[
            "items"
        ]
    }
    assert {world["alice"].id, world["bob"].id} <= ids
    assert world["carol"].id not in ids
    admin = auth_headers(client, world["admin"])
    all_ids = {
        c["id"]
        for c in client.get("/crm/customers", params={"limit": 200}, headers=admin).json()["items"]
    }
    assert world["carol"].id in all_ids


def test_customer_reads_own_vehicle_but_not_another_customers(client, world):
    headers = auth_headers(client, world["alice_user"], **EN)
    assert client.get(f"/crm/vehicles/{world['alice_car'].id}", headers=headers).status_code == 200
    refused = client.get(f"/crm/vehicles/{world['bob_car'].id}", headers=headers)
    assert refused.status_code == 404
    assert "does not exist" in refused.json()["message"]
    assert client.get(f"/crm/customers/{world['bob'].id}", headers=headers).status_code == 404
    listed = client.get("/crm/vehicles", headers=headers).json()
    assert [v["id"] for v in listed["items"]] == [world["alice_car"].id]
    customers = client.get("/crm/customers", headers=headers).json()
    assert [c["id"] for c in customers["items"]] == [world["alice"].id]


def test_customer_and_technician_cannot_write_crm(client, world):
    body = _customer_body(world["a"].id)
    for user in (world["alice_user"], world["tech_a"]):
        response = client.post("/crm/customers", json=body, headers=auth_headers(client, user))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert (
        client.get(
            "/crm/interactions", headers=auth_headers(client, world["alice_user"])
        ).status_code
        == 403
    )


def test_staff_cannot_create_in_another_store(client, world):
    response = client.post(
        "/crm/customers",
        json=_customer_body(world["b"].id),
        headers=auth_headers(client, world["sales_a"]),
    )
    assert response.status_code == 404


def test_create_customer_with_preferences_consents_and_tags(client, world):
    body = _customer_body(
        world["a"].id,
        email="chen.jing@example.cn",
        preferred_store_id=world["a"].id,
        preferred_weekday="sat",
        preferred_time_of_day="morning",
        consents={"sms": True, "in_app": True},
        tags=["VIP", "车友会"],
    )
    created = client.post(
        "/crm/customers", json=body, headers=auth_headers(client, world["sales_a"])
    )
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["status"] == "prospect"
    assert data["consents"] == {"email": False, "web_push": False, "sms": True, "in_app": True}
    assert data["tags"] == ["VIP", "车友会"]
    tagged = client.get(
        "/crm/customers", params={"tag": "车友会"}, headers=auth_headers(client, world["sales_a"])
    ).json()
    assert [c["id"] for c in tagged["items"]] == [data["id"]]


def test_bad_customer_fields_are_422_naming_the_field(client, world):
    body = _customer_body(world["a"].id, source="billboard", preferred_weekday="someday")
    response = client.post(
        "/crm/customers", json=body, headers=auth_headers(client, world["sales_a"], **EN)
    )
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["details"]}
    assert fields == {"source", "preferred_weekday"}
    assert response.json()["message"].startswith("The request is invalid")


@pytest.mark.parametrize(
    ("vin", "expected"),
    [
        ("LSVAU2180N218329", "has 16 characters"),
        ("LSVAU2180N2I83294", "other than I, O and Q"),
        ("LSVAU2181N2183294", "fails its check digit"),
    ],
)
def test_bad_vins_are_clear_422s_and_create_nothing(client, world, vin, expected):
    headers = auth_headers(client, world["sales_a"], **EN)
    body = {
        "vin": vin,
        "store_id": world["a"].id,
        "make": "Volkswagen",
        "model": "Lavida",
        "year": 2020,
    }
    response = client.post("/crm/vehicles", json=body, headers=headers)
    assert response.status_code == 422, response.text
    [problem] = response.json()["details"]
    assert problem["field"] == "vin"
    assert expected in problem["problem"]
    assert expected in response.json()["message"]
    found = client.get("/crm/vehicles", params={"q": vin[:12]}, headers=headers).json()
    assert found["total"] == 0


def test_vin_is_normalised_and_registered_once(client, world):
    headers = auth_headers(client, world["sales_a"], **EN)
    vin = make_vin()
    body = {
        "vin": f" {vin.lower()} ",
        "store_id": world["a"].id,
        "make": "Toyota",
        "model": "Camry",
        "year": 2022,
        "owner_id": world["bob"].id,
    }
    created = client.post("/crm/vehicles", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["vin"] == vin
    again = client.post("/crm/vehicles", json=body, headers=headers)
    assert again.status_code == 409
    assert f"VIN {vin} is already registered" in again.json()["message"]


def test_vehicle_owner_must_be_of_the_vehicles_store(client, world):
    body = {
        "vin": make_vin(),
        "store_id": world["a"].id,
        "make": "BYD",
        "model": "Han",
        "year": 2023,
        "owner_id": world["carol"].id,
    }
    response = client.post("/crm/vehicles", json=body, headers=auth_headers(client, world["admin"]))
    assert response.status_code == 422
    assert response.json()["details"]["field"] == "owner_id"


def test_pagination_counts_all_and_slices(app, client, world):
    with app.state.session_factory.begin() as session:
        store = make_store(session, world["group"])
        manager = make_user(session, world["group"], Role.manager, stores=[store])
        made = [make_customer(session, store, name=f"客户{i}").id for i in range(7)]
    headers = auth_headers(client, manager)
    page = client.get("/crm/customers", params={"limit": 3, "offset": 3}, headers=headers).json()
    assert page["total"] == 7
    assert (page["limit"], page["offset"]) == (3, 3)
    assert [c["id"] for c in page["items"]] == made[3:6]
    last = client.get("/crm/customers", params={"limit": 3, "offset": 6}, headers=headers).json()
    assert [c["id"] for c in last["items"]] == made[6:]
    searched = client.get("/crm/customers", params={"q": "客户5"}, headers=headers).json()
    assert [c["id"] for c in searched["items"]] == [made[5]]
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}):
        response = client.get("/crm/customers", params=bad, headers=headers)
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == f"query.{next(iter(bad))}"


def test_search_treats_like_wildcards_literally(client, world):
    headers = auth_headers(client, world["sales_a"])
    response = client.get("/crm/customers", params={"q": "%"}, headers=headers).json()
    assert response["total"] == 0


def test_interactions_and_the_360_view(client, world):
    headers = auth_headers(client, world["sales_a"])
    logged = client.post(
        "/crm/interactions",
        headers=headers,
        json={
            "customer_id": world["alice"].id,
            "vehicle_id": world["alice_car"].id,
            "kind": "call",
            "direction": "outbound",
            "summary": "提醒保养",
        },
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["user_id"] == world["sales_a"].id
    wrong_car = client.post(
        "/crm/interactions",
        headers=headers,
        json={
            "customer_id": world["alice"].id,
            "vehicle_id": world["bob_car"].id,
            "kind": "visit",
            "direction": "inbound",
            "summary": "到店",
        },
    )
    assert wrong_car.status_code == 422
    view = client.get(f"/crm/customers/{world['alice'].id}/360", headers=headers).json()
    assert view["customer"]["id"] == world["alice"].id
    assert [v["id"] for v in view["vehicles"]] == [world["alice_car"].id]
    assert view["recent_interactions"][0]["summary"] == "提醒保养"
    assert view["open_alerts"] == [] and view["service_history"] == []
    own = client.get(
        f"/crm/customers/{world['alice'].id}/360", headers=auth_headers(client, world["alice_user"])
    )
    assert own.status_code == 200


def test_odometer_comes_from_telemetry_when_larger(app, client, world):
    headers = auth_headers(client, world["sales_a"])
    car = world["bob_car"]
    patched = client.patch(
        f"/crm/vehicles/{car.id}", json={"odometer_km": 1000}, headers=headers
    ).json()
    assert (patched["odometer_km"], patched["odometer_source"]) == (1000, "manual")
    with app.state.engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO vehicle_latest (vin, last_seen, sample_ts, "values", online) '
                "VALUES (:vin, now(), now(), CAST(:values AS jsonb), true)"
            ),
            {"vin": car.vin, "values": json.dumps({"ODOMETER": 23456.5, "RPM": 800})},
        )
    read = client.get(f"/crm/vehicles/{car.id}", headers=headers).json()
    assert (read["odometer_km"], read["odometer_source"]) == (23456.5, "telemetry")
    assert read["online"] is True and read["last_seen"] is not None
    from api.crm.service import refresh_odometers

    with app.state.session_factory.begin() as session:
        assert refresh_odometers(session) == 1
        assert refresh_odometers(session) == 0


def test_a_vehicles_colour_is_color_on_the_wire_and_in_the_column(app, client, world):
    headers = auth_headers(client, world["sales_a"])
    vin = make_vin()
    body = {"vin": vin, "store_id": world["a"].id, "make": "Toyota", "model": "Camry",
            "year": 2022, "color": "白色"}  # fmt: skip
    created = client.post("/crm/vehicles", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["color"] == "白色"
    car = created.json()["id"]
    patched = client.patch(f"/crm/vehicles/{car}", json={"color": "黑色"}, headers=headers)
    assert patched.json()["color"] == "黑色"
    listed = client.get("/crm/vehicles", params={"q": vin}, headers=headers).json()
    assert [v["color"] for v in listed["items"]] == ["黑色"]
    with app.state.engine.connect() as conn:
        stored = conn.execute(text("SELECT color FROM vehicles WHERE id = :id"), {"id": car})
        assert stored.scalar_one() == "黑色"
