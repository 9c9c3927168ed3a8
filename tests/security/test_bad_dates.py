"""Class 8 of issue 10: booking windows, and dates outside what the domain means.

Customers book from now to CUSTOMER_BOOK_AHEAD, with at most MAX_OPEN_VISITS_PER_CAR open
visits per car; any date outside FIRST_DAY .. LAST_DAY is a 422 naming the range, never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.types import DATE_RANGE
from api.workshop.constants import MAX_OPEN_VISITS_PER_CAR
from tests.factories import auth_headers
from tests.factories.workshop import local, next_weekday
from tests.security.store_world import counts, workshop_world

EN = {"Accept-Language": "en"}
EXTREMES = ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00")


@pytest.fixture(scope="module")
def shop(app):
    with app.state.session_factory.begin() as session:
        return workshop_world(session)


def _visit(shop, starts_at: str) -> dict:
    return {
        "store_id": shop["a"].id,
        "customer_id": shop["alice"].id,
        "vehicle_id": shop["alice_car"].id,
        "operations": ["OIL"],
        "starts_at": starts_at,
    }


@pytest.mark.parametrize("shift", [timedelta(days=-3), timedelta(days=365 * 50)])
def test_a_customer_cannot_book_in_the_past_or_decades_ahead(app, client, shop, shift):
    headers = auth_headers(client, shop["alice_user"], **EN)
    with app.state.session_factory() as session:
        before = counts(session)
    at = (datetime.now(UTC) + shift).replace(hour=2, minute=0, second=0, microsecond=0)
    response = client.post(
        "/service/appointments", json=_visit(shop, at.isoformat()), headers=headers
    )
    assert response.status_code == 422, response.text
    assert "booking window" in response.json()["message"]
    with app.state.session_factory() as session:
        assert counts(session) == before


def test_a_customer_cannot_book_one_car_sixteen_times_on_one_day(app, client, shop):
    headers = auth_headers(client, shop["alice_user"], **EN)
    day = next_weekday(5)
    answers = []
    for i in range(16):
        visit = _visit(shop, local(day, 8 + (i * 5) % 9, 30).isoformat())
        response = client.post("/service/appointments", json=visit, headers=headers)
        answers.append(response.status_code)
    assert answers == [201] * MAX_OPEN_VISITS_PER_CAR + [409] * (16 - MAX_OPEN_VISITS_PER_CAR)
    assert "open appointments" in response.json()["message"]


@pytest.mark.parametrize("moment", EXTREMES)
def test_extreme_times_answer_422_naming_the_range(client, shop, moment):
    headers = auth_headers(client, shop["advisor_a"], **EN)
    booked = client.post("/service/appointments", json=_visit(shop, moment), headers=headers)
    search = client.post(
        "/service/slots/search",
        json={
            "store_id": shop["a"].id,
            "operations": ["OIL"],
            "earliest": moment,
            "latest": moment,
        },
        headers=headers,
    )
    listed = client.get("/service/appointments", params={"starts_from": moment}, headers=headers)
    for response in (booked, search, listed):
        assert response.status_code == 422, response.text
        assert DATE_RANGE in response.json()["message"]


@pytest.mark.parametrize(
    "path", ["/proactive/kpi/first-time-fix", "/parts/abc", "/parts/cost-report"]
)
@pytest.mark.parametrize(
    ("date_from", "date_to"), [("0001-01-01", "2026-12-01"), ("2026-11-01", "9999-12-31")]
)
def test_reports_refuse_extreme_periods(client, shop, path, date_from, date_to):
    headers = auth_headers(client, shop["admin"], **EN)
    response = client.get(
        path,
        params={"store_id": shop["a"].id, "date_from": date_from, "date_to": date_to},
        headers=headers,
    )
    assert response.status_code == 422, response.text
    assert DATE_RANGE in response.json()["message"]
