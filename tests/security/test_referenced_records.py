"""Class 2 of issue 10: every id in a booking or a work order resolves in the caller's store.

Another store's technician, bay, customer or vehicle answers 404 exactly like a missing one;
a deactivated technician is refused with 422; and the slot search offers only slots that
booking accepts.
"""

from __future__ import annotations

import pytest

from tests.factories import auth_headers
from tests.factories.workshop import local, next_weekday
from tests.security.store_world import counts, workshop_world

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def shop(app):
    with app.state.session_factory.begin() as session:
        return workshop_world(session)


def _booking(shop, **changes):
    body = {
        "store_id": shop["a"].id,
        "customer_id": shop["alice"].id,
        "vehicle_id": shop["alice_car"].id,
        "operations": ["OIL"],
        "starts_at": local(next_weekday(2), 10).isoformat(),
    }
    return {**body, **changes}


@pytest.mark.parametrize(
    ("changes", "entity"),
    [
        ({"technician_id": "technician_b"}, "technician"),
        ({"bay_id": "bay_b"}, "bay"),
        ({"customer_id": "carol", "vehicle_id": "carol_car"}, "customer"),
        ({"vehicle_id": "carol_car"}, "vehicle"),
    ],
)
def test_booking_with_another_stores_record_answers_404(app, client, shop, changes, entity):
    headers = auth_headers(client, shop["advisor_a"], **EN)
    with app.state.session_factory() as session:
        before = counts(session)
    body = _booking(shop, **{k: shop[v].id for k, v in changes.items()})
    response = client.post("/service/appointments", json=body, headers=headers)
    assert response.status_code == 404, response.text
    assert response.json()["details"]["entity"] == entity
    with app.state.session_factory() as session:
        assert counts(session) == before


def test_a_work_order_for_another_stores_customer_answers_404(app, client, shop):
    headers = auth_headers(client, shop["advisor_a"], **EN)
    with app.state.session_factory() as session:
        before = counts(session)
    for body, entity in (
        (
            {
                "store_id": shop["a"].id,
                "customer_id": shop["carol"].id,
                "vehicle_id": shop["carol_car"].id,
            },
            "customer",
        ),
        (
            {
                "store_id": shop["a"].id,
                "customer_id": shop["alice"].id,
                "vehicle_id": shop["alice_car"].id,
                "technician_id": shop["technician_b"].id,
            },
            "technician",
        ),
    ):
        response = client.post("/service/work-orders", json=body, headers=headers)
        assert response.status_code == 404, response.text
        assert response.json()["details"]["entity"] == entity
    with app.state.session_factory() as session:
        assert counts(session) == before


def test_a_deactivated_technician_cannot_be_booked(app, client, shop):
    headers = auth_headers(client, shop["advisor_a"], **EN)
    with app.state.session_factory() as session:
        before = counts(session)
    body = _booking(shop, technician_id=shop["technician_a_off"].id)
    response = client.post("/service/appointments", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["details"]["field"] == "technician_id"
    assert "deactivated" in response.json()["message"]
    with app.state.session_factory() as session:
        assert counts(session) == before


def test_the_slot_search_offers_only_slots_that_booking_accepts(app, client, shop):
    day = next_weekday(4)
    intruder = auth_headers(client, shop["advisor_a"], **EN)
    taken = _booking(
        shop,
        starts_at=local(day, 9).isoformat(),
        technician_id=shop["technician_b"].id,
        bay_id=shop["bay_b"].id,
    )
    assert client.post("/service/appointments", json=taken, headers=intruder).status_code == 404
    headers = auth_headers(client, shop["manager_b"], **EN)
    search = {
        "store_id": shop["b"].id,
        "operations": ["OIL"],
        "earliest": local(day, 8).isoformat(),
        "latest": local(day, 18).isoformat(),
    }
    slots = client.post("/service/slots/search", json=search, headers=headers)
    assert slots.status_code == 200, slots.text
    first = slots.json()["slots"][0]
    booked = client.post(
        "/service/appointments",
        json={
            "store_id": shop["b"].id,
            "customer_id": shop["carol"].id,
            "vehicle_id": shop["carol_car"].id,
            "operations": ["OIL"],
            "starts_at": first["starts_at"],
            "technician_id": first["technician_id"],
            "bay_id": first["bay_id"],
        },
        headers=headers,
    )
    assert booked.status_code == 201, booked.text
