"""Parts reports on real PostgreSQL: ABC classes from consumption value, and the cost report
per part and supplier (price, freight, shrinkage)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.auth.actor import SystemActor
from api.auth.roles import Role
from api.parts import service
from api.parts.ledger import today
from api.parts.models import Lot
from tests.factories import auth_headers, make_group, make_store, make_user
from tests.factories.parts import make_part, make_supplier, make_warehouse, stock_in

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app, client):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        world = {
            "group": group,
            "store": store,
            "wh": make_warehouse(session, group, store=store),
            "manager": make_user(session, group, Role.manager, stores=[store]),
        }
    world["headers"] = auth_headers(client, world["manager"], **EN)
    return world


def _consume(session, world, part, quantity):
    reservation = service.reserve(
        session,
        actor=SystemActor(world["store"].id),
        part_id=part.id,
        quantity=quantity,
        reference_type="work_order_line",
        reference_id=1,
    )
    service.issue_reservation(
        session, actor=SystemActor(world["store"].id), reservation_id=reservation.id
    )


def test_abc_classes_follow_consumption_value(app, client, world):
    with app.state.session_factory.begin() as session:
        parts = {
            name: make_part(session, world["group"], cost=cost)
            for name, cost in (
                ("converter", "800"),
                ("pads", "150"),
                ("filter", "10"),
                ("idle", "5"),
            )
        }
        for part in parts.values():
            stock_in(session, world["wh"], part, 10)
        _consume(session, world, parts["converter"], 1)  # 800
        _consume(session, world, parts["pads"], 1)  # 150
        _consume(session, world, parts["filter"], 5)  # 50
    params = {
        "date_from": (today() - timedelta(days=30)).isoformat(),
        "date_to": (today() + timedelta(days=1)).isoformat(),
    }
    response = client.get("/parts/abc", params=params, headers=world["headers"])
    assert response.status_code == 200, response.text
    rows = {row["part_id"]: row for row in response.json()["items"]}
    classes = {name: rows[part.id]["abc_class"] for name, part in parts.items()}
    assert classes == {"converter": "A", "pads": "B", "filter": "C", "idle": "C"}
    assert rows[parts["pads"].id]["share"] == 0.15
    assert rows[parts["pads"].id]["cumulative_share"] == 0.95
    only_a = client.get("/parts/abc", params=params | {"abc_class": "A"}, headers=world["headers"])
    assert [r["part_id"] for r in only_a.json()["items"]] == [parts["converter"].id]
    empty = params | {"date_to": params["date_from"]}
    assert client.get("/parts/abc", params=empty, headers=world["headers"]).status_code == 422


def test_cost_report_compares_suppliers_with_freight_and_shrinkage(app, client, world):
    with app.state.session_factory.begin() as session:
        oem, aftermarket = (
            make_supplier(session, world["group"], name="原厂"),
            make_supplier(session, world["group"], name="副厂"),
        )
        part = make_part(session, world["group"], cost="100")
    headers = world["headers"]
    for supplier, price, freight in ((oem, 100, 40), (aftermarket, 80, 60)):
        body = {
            "supplier_id": supplier.id,
            "warehouse_id": world["wh"].id,
            "lines": [{"part_id": part.id, "quantity": 20, "unit_price": price}],
        }
        order = client.post("/parts/purchase-orders", json=body, headers=headers).json()
        for to in ("sent", "confirmed"):
            client.post(
                f"/parts/purchase-orders/{order['id']}/status", json={"to": to}, headers=headers
            )
        receipt = {
            "freight_amount": freight,
            "lines": [{"purchase_order_line_id": order["lines"][0]["id"], "quantity": 20}],
        }
        made = client.post(
            f"/parts/purchase-orders/{order['id']}/receipts", json=receipt, headers=headers
        )
        assert made.status_code == 201, made.text
    with app.state.session_factory() as session:
        lot_id = session.scalar(select(Lot.id).where(Lot.supplier_id == aftermarket.id))
    scrapped = client.post(
        "/parts/stock/scrap",
        json={"warehouse_id": world["wh"].id, "lot_id": lot_id, "quantity": 2, "reason": "裂纹"},
        headers=headers,
    )
    assert scrapped.status_code == 201, scrapped.text
    params = {
        "date_from": today().isoformat(),
        "date_to": (today() + timedelta(days=1)).isoformat(),
        "part_id": part.id,
    }
    report = client.get("/parts/cost-report", params=params, headers=headers)
    assert report.status_code == 200, report.text
    rows = {row["supplier_id"]: row for row in report.json()["items"]}
    assert rows[oem.id]["avg_unit_price"] == 100 and rows[oem.id]["landed_unit_cost"] == 102
    assert rows[oem.id]["shrinkage_qty"] == 0
    cheap = rows[aftermarket.id]
    assert (cheap["purchase_value"], cheap["freight"], cheap["landed_unit_cost"]) == (1600, 60, 83)
    assert (cheap["shrinkage_qty"], cheap["shrinkage_value"], cheap["shrinkage_rate"]) == (
        2,
        166,
        0.1,
    )
