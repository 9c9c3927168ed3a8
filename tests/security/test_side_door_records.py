"""Class 1 of issue 10: a record of another store must not come back through a side door."""

from __future__ import annotations

import pytest

from tests.factories import auth_headers
from tests.security.store_world import CAROLS_COMPLAINT, counts, workshop_world

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def shop(app):
    with app.state.session_factory.begin() as session:
        return workshop_world(session)


def test_drafting_with_another_stores_appointment_answers_404_not_its_work_order(app, client, shop):
    headers = auth_headers(client, shop["advisor_a"], **EN)
    with app.state.session_factory() as session:
        before = counts(session)
    response = client.post(
        "/service/work-orders",
        json={
            "store_id": shop["a"].id,
            "customer_id": shop["alice"].id,
            "vehicle_id": shop["alice_car"].id,
            "appointment_id": shop["carol_appointment"].id,
        },
        headers=headers,
    )
    assert response.status_code == 404, response.text
    assert response.json()["details"] == {
        "entity": "appointment",
        "id": shop["carol_appointment"].id,
    }
    assert CAROLS_COMPLAINT not in response.text
    with app.state.session_factory() as session:
        assert counts(session) == before


def test_the_answer_is_the_same_as_for_an_appointment_that_does_not_exist(app, client, shop):
    headers = auth_headers(client, shop["advisor_a"], **EN)
    body = {
        "store_id": shop["a"].id,
        "customer_id": shop["alice"].id,
        "vehicle_id": shop["alice_car"].id,
    }
    foreign = client.post(
        "/service/work-orders",
        json={**body, "appointment_id": shop["carol_appointment"].id},
        headers=headers,
    )
    missing_id = shop["carol_appointment"].id + 10_000
    missing = client.post(
        "/service/work-orders", json={**body, "appointment_id": missing_id}, headers=headers
    )
    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert foreign.json()["code"] == missing.json()["code"] == "not_found"
    assert foreign.json()["message"].replace(str(shop["carol_appointment"].id), "?") == (
        missing.json()["message"].replace(str(missing_id), "?")
    )
