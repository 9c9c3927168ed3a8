"""Parts purchasing on real PostgreSQL through HTTP: the purchase order state machine,
goods receipt into lots, three-way invoice matching, and the reorder proposal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from api.audit.models import StateTransition
from api.auth.actor import SystemActor
from api.auth.roles import Role
from api.parts import catalogue
from api.parts.ledger import quantities, today
from api.parts.models import Lot
from api.parts.schemas import StockPolicy
from tests.factories import auth_headers, make_group, make_store, make_user
from tests.factories.parts import make_part, make_supplier, make_warehouse, stock_in

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app, client):
    """A fresh group per test: a store, its warehouse, two suppliers, a clerk signed in."""
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        world = {
            "group": group,
            "store": store,
            "wh": make_warehouse(session, group, store=store),
            "s1": make_supplier(session, group, name="原厂配件中心"),
            "s2": make_supplier(session, group, name="第三方配件商"),
            "clerk": make_user(session, group, Role.parts_clerk, stores=[store]),
            "advisor": make_user(session, group, Role.service_advisor, stores=[store]),
        }
    world["headers"] = auth_headers(client, world["clerk"], **EN)
    return world


def _parts(app, world, *specs):
    with app.state.session_factory.begin() as session:
        return [make_part(session, world["group"], **spec) for spec in specs]


def _order(client, world, lines, supplier="s1"):
    body = {"supplier_id": world[supplier].id, "warehouse_id": world["wh"].id, "lines": lines}
    response = client.post("/parts/purchase-orders", json=body, headers=world["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def _step(client, world, order_id, to, reason=None):
    return client.post(
        f"/parts/purchase-orders/{order_id}/status",
        json={"to": to, "reason": reason},
        headers=world["headers"],
    )


def _audit(app, order_id):
    with app.state.session_factory() as session:
        return session.execute(
            select(StateTransition.from_state, StateTransition.to_state)
            .where(StateTransition.entity_type == "purchase_order")
            .where(StateTransition.entity_id == order_id)
            .order_by(StateTransition.id)
        ).all()


def test_purchase_order_walks_its_states_and_refuses_illegal_steps(app, client, world):
    [part] = _parts(app, world, {"cost": "40"})
    order = _order(client, world, [{"part_id": part.id, "quantity": 10}])
    assert order["status"] == "draft" and order["lines"][0]["unit_price"] == 40
    line = order["lines"][0]["id"]
    refused = _step(client, world, order["id"], "confirmed")
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_transition"
    assert "allowed next states are: sent, cancelled" in refused.json()["message"]
    assert _step(client, world, order["id"], "sent").status_code == 200
    receipt = {"lines": [{"purchase_order_line_id": line, "quantity": 4}]}
    url = f"/parts/purchase-orders/{order['id']}/receipts"
    early = client.post(url, json=receipt, headers=world["headers"])
    assert early.status_code == 409  # not confirmed yet
    assert _step(client, world, order["id"], "confirmed").status_code == 200
    guarded = _step(client, world, order["id"], "received")
    assert guarded.status_code == 409 and guarded.json()["details"]["rule"] == "guard"
    assert _step(client, world, order["id"], "cancelled").json()["details"]["rule"] == (
        "reason_required"
    )
    assert client.post(url, json=receipt, headers=world["headers"]).status_code == 201
    assert (
        client.get(f"/parts/purchase-orders/{order['id']}", headers=world["headers"]).json()[
            "status"
        ]
        == "partly_received"
    )
    over = {"lines": [{"purchase_order_line_id": line, "quantity": 7}]}
    assert client.post(url, json=over, headers=world["headers"]).status_code == 409
    rest = {"lines": [{"purchase_order_line_id": line, "quantity": 6}]}
    assert client.post(url, json=rest, headers=world["headers"]).status_code == 201
    assert _step(client, world, order["id"], "cancelled", "太晚").status_code == 409
    closed = _step(client, world, order["id"], "closed")
    assert closed.status_code == 200 and closed.json()["lines"][0]["received_quantity"] == 10
    assert _audit(app, order["id"]) == [
        (None, "draft"),
        ("draft", "sent"),
        ("sent", "confirmed"),
        ("confirmed", "partly_received"),
        ("partly_received", "received"),
        ("received", "closed"),
    ]
    history = client.get(f"/parts/purchase-orders/{order['id']}/history", headers=world["headers"])
    assert [h["to_state"] for h in history.json()][-1] == "closed"


def test_cancel_with_a_reason_is_audited(app, client, world):
    [part] = _parts(app, world, {})
    order = _order(client, world, [{"part_id": part.id, "quantity": 1}])
    assert _step(client, world, order["id"], "cancelled", "供应商停产").status_code == 200
    with app.state.session_factory() as session:
        reason = session.scalar(
            select(StateTransition.reason).where(
                StateTransition.entity_id == order["id"], StateTransition.to_state == "cancelled"
            )
        )
    assert reason == "供应商停产"


def _confirmed(client, world, lines, supplier="s1"):
    order = _order(client, world, lines, supplier)
    for to in ("sent", "confirmed"):
        assert _step(client, world, order["id"], to).status_code == 200
    return order


def test_goods_receipt_books_lots_with_expiry_and_freight_in_their_cost(app, client, world):
    oil, filt = _parts(app, world, {"kind": "fluid", "cost": "120"}, {"cost": "40"})
    order = _confirmed(
        client,
        world,
        [{"part_id": filt.id, "quantity": 10}, {"part_id": oil.id, "quantity": 5}],
    )
    lines = {line["part_id"]: line["id"] for line in order["lines"]}
    url = f"/parts/purchase-orders/{order['id']}/receipts"
    missing = {"lines": [{"purchase_order_line_id": lines[oil.id], "quantity": 5}]}
    response = client.post(url, json=missing, headers=world["headers"])
    assert response.status_code == 422 and "expires_on" in response.json()["message"]
    expiry = (today() + timedelta(days=720)).isoformat()
    body = {
        "delivery_note": "DN-1",
        "freight_amount": 50,
        "lines": [
            {"purchase_order_line_id": lines[filt.id], "quantity": 10},
            {"purchase_order_line_id": lines[oil.id], "quantity": 5, "expires_on": expiry},
        ],
    }
    response = client.post(url, json=body, headers=world["headers"])
    assert response.status_code == 201, response.text
    freight = {line["part_id"]: line["freight_allocated"] for line in response.json()["lines"]}
    assert freight == {filt.id: 20, oil.id: 30}  # 400 and 600 of goods share 50 of freight
    with app.state.session_factory() as session:
        lots = {
            lot.part_id: (lot.unit_cost, lot.expires_on, lot.supplier_id)
            for lot in session.scalars(select(Lot).where(Lot.part_id.in_([oil.id, filt.id])))
        }
        on_hand = quantities(session, warehouse_id=world["wh"].id, part_id=oil.id).on_hand
    assert lots[filt.id] == (42, None, world["s1"].id)
    assert lots[oil.id] == (126, date.fromisoformat(expiry), world["s1"].id)
    assert on_hand == 5
    status = client.get(f"/parts/purchase-orders/{order['id']}", headers=world["headers"])
    assert status.json()["status"] == "received"


def test_invoices_are_matched_three_ways_and_mismatches_listed(app, client, world):
    a, b, c = _parts(app, world, {"cost": "100"}, {"cost": "50"}, {"cost": "10"})
    order = _confirmed(
        client,
        world,
        [{"part_id": p.id, "quantity": 10} for p in (a, b, c)],
    )
    lines = {line["part_id"]: line["id"] for line in order["lines"]}
    receipt = {"lines": [{"purchase_order_line_id": lines[p.id], "quantity": 8} for p in (a, b, c)]}
    url = f"/parts/purchase-orders/{order['id']}/receipts"
    assert client.post(url, json=receipt, headers=world["headers"]).status_code == 201
    invoice = {
        "supplier_id": world["s1"].id,
        "purchase_order_id": order["id"],
        "number": "INV-001",
        "invoice_date": today().isoformat(),
        "lines": [
            {"purchase_order_line_id": lines[a.id], "quantity": 8, "unit_price": 101.5},
            {"purchase_order_line_id": lines[b.id], "quantity": 8, "unit_price": 55},
            {"purchase_order_line_id": lines[c.id], "quantity": 10, "unit_price": 10},
        ],
    }
    response = client.post("/parts/invoices", json=invoice, headers=world["headers"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["match_status"] == "mismatch"
    statuses = {line["purchase_order_line_id"]: line["match_status"] for line in body["lines"]}
    assert statuses == {
        lines[a.id]: "matched",  # 1.5% over the order price: within tolerance
        lines[b.id]: "price_mismatch",  # 10% over
        lines[c.id]: "qty_mismatch",  # 10 invoiced, 8 received
    }
    again = client.post("/parts/invoices", json=invoice, headers=world["headers"])
    assert again.status_code == 409
    listed = client.get(
        "/parts/invoice-mismatches",
        params={"supplier_id": world["s1"].id},
        headers=world["headers"],
    ).json()
    assert listed["total"] == 2
    by_part = {row["part_id"]: row for row in listed["items"]}
    assert (by_part[b.id]["invoiced_price"], by_part[b.id]["ordered_price"]) == (55, 50)
    assert (by_part[c.id]["invoiced_to_date"], by_part[c.id]["received_quantity"]) == (10, 8)
    second = invoice | {
        "number": "INV-002",
        "lines": [{"purchase_order_line_id": lines[a.id], "quantity": 1, "unit_price": 100}],
    }
    late = client.post("/parts/invoices", json=second, headers=world["headers"]).json()
    assert late["lines"][0]["match_status"] == "qty_mismatch"  # 9 invoiced, 8 received


def test_reorder_proposal_creates_one_draft_order_per_supplier(app, client, world):
    low, on_order, fine, other, orphan = _parts(
        app,
        world,
        {"supplier": world["s1"], "cost": "30"},
        {"supplier": world["s1"]},
        {"supplier": world["s1"]},
        {"supplier": world["s2"]},
        {},
    )
    with app.state.session_factory.begin() as session:
        for part, stock in ((low, 2), (on_order, 1), (fine, 9), (other, 0), (orphan, 0)):
            if stock:
                stock_in(session, world["wh"], part, stock)
            catalogue.set_policy(
                session,
                actor=SystemActor(world["store"].id),
                warehouse_id=world["wh"].id,
                part_id=part.id,
                data=StockPolicy(min_qty=1, reorder_point=5, max_qty=20),
            )
    _order(client, world, [{"part_id": on_order.id, "quantity": 10}])  # draft: 1 + 10 > 5
    params = {"warehouse_id": world["wh"].id}
    proposal = client.get("/parts/reorder-proposal", params=params, headers=world["headers"])
    assert proposal.status_code == 200, proposal.text
    groups = {g["supplier_id"]: g["lines"] for g in proposal.json()}
    assert {line["part_id"]: line["quantity"] for line in groups[world["s1"].id]} == {low.id: 18}
    assert [(line["part_id"], line["urgent"]) for line in groups[world["s2"].id]] == [
        (other.id, True)
    ]
    assert [line["part_id"] for line in groups[None]] == [orphan.id]
    made = client.post("/parts/reorder-proposal/orders", params=params, headers=world["headers"])
    assert made.status_code == 201, made.text
    orders = made.json()["orders"]
    assert sorted(o["supplier_id"] for o in orders) == sorted([world["s1"].id, world["s2"].id])
    assert all(o["status"] == "draft" for o in orders)
    for order in orders:
        detail = client.get(f"/parts/purchase-orders/{order['id']}", headers=world["headers"])
        lines = [(line["part_id"], line["quantity"]) for line in detail.json()["lines"]]
        assert lines == (
            [(low.id, 18)] if order["supplier_id"] == world["s1"].id else [(other.id, 20)]
        )
    again = client.get("/parts/reorder-proposal", params=params, headers=world["headers"]).json()
    assert [g["supplier_id"] for g in again] == [None]  # what was ordered is now on order


def test_purchasing_is_for_parts_staff_only(client, world):
    headers = auth_headers(client, world["advisor"], **EN)
    response = client.get("/parts/purchase-orders", headers=headers)
    assert response.status_code == 403
    assert "parts_clerk" in response.json()["message"]
