"""Class 9 of issue 10 (scope part): a foreign id answers exactly like a missing one, and a
store's parts clerk reads HQ stock but may not adjust or scrap it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.auth.roles import Role
from api.parts.models import StockMove
from tests.factories import auth_headers, make_user
from tests.factories.parts import make_part, make_warehouse, stock_in
from tests.security.store_world import workshop_world

EN = {"Accept-Language": "en"}
MISSING = 9_000_000


@pytest.fixture(scope="module")
def shop(app):
    with app.state.session_factory.begin() as session:
        world = workshop_world(session)
        group = world["group"]
        world["hq"] = make_warehouse(session, group)
        part = make_part(session, group)
        move = stock_in(session, world["hq"], part, 5)
        world["hq_lot_id"], world["part"] = move.lot_id, part
        world["clerk_a"] = make_user(session, group, Role.parts_clerk, stores=[world["a"]])
        return world


@pytest.mark.parametrize(
    ("path", "record"),
    [
        ("/crm/customers/{}", "carol"),
        ("/crm/vehicles/{}", "carol_car"),
        ("/service/appointments/{}", "carol_appointment"),
        ("/service/work-orders/{}", "carol_wo"),
    ],
)
def test_a_foreign_id_answers_like_a_missing_one(client, shop, path, record):
    headers = auth_headers(client, shop["advisor_a"], **EN)
    foreign_id = shop[record].id
    foreign = client.get(path.format(foreign_id), headers=headers)
    missing = client.get(path.format(MISSING), headers=headers)
    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert foreign.json()["code"] == missing.json()["code"] == "not_found"
    assert foreign.json()["message"].replace(str(foreign_id), "?") == missing.json()[
        "message"
    ].replace(str(MISSING), "?")


def _moves(app) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(StockMove)) or 0


@pytest.mark.parametrize(
    ("path", "quantity"), [("/parts/stock/adjustments", -1), ("/parts/stock/scrap", 1)]
)
def test_a_stores_parts_clerk_cannot_adjust_or_scrap_hq_stock(app, client, shop, path, quantity):
    headers = auth_headers(client, shop["clerk_a"], **EN)
    readable = client.get(
        "/parts/stock",
        params={"part_id": shop["part"].id, "warehouse_id": shop["hq"].id},
        headers=headers,
    )
    assert readable.status_code == 200, readable.text
    before = _moves(app)
    body = {
        "warehouse_id": shop["hq"].id,
        "lot_id": shop["hq_lot_id"],
        "quantity": quantity,
        "reason": "盘点差异",
    }
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert "shared by the whole dealer group" in response.json()["message"]
    assert _moves(app) == before


def test_the_group_admin_may_adjust_hq_stock(app, client, shop):
    headers = auth_headers(client, shop["admin"], **EN)
    body = {
        "warehouse_id": shop["hq"].id,
        "lot_id": shop["hq_lot_id"],
        "quantity": -1,
        "reason": "盘点差异",
    }
    response = client.post("/parts/stock/adjustments", json=body, headers=headers)
    assert response.status_code == 201, response.text
