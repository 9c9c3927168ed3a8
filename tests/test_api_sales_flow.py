"""The sales flow through HTTP on real PostgreSQL: lead to delivery, the guards and illegal
steps (409 with a reason, nothing changed, audit rows), and delivery registering the car in CRM."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from api.audit.models import StateTransition
from api.auth.roles import Role
from api.crm.models import Customer, Vehicle
from api.sales.constants import DELIVERY_ITEMS, PDI_ITEMS
from api.sales.models import StockVehicle
from tests.factories import auth_headers, make_customer, make_group, make_store, make_user
from tests.factories.sales import make_sales_model, make_stock

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        model = make_sales_model(session, group)
        return {
            "group": group,
            "store": store,
            "model": model,
            "customer": make_customer(session, store, name="陈静"),
            "sales": make_user(session, group, Role.sales_consultant, stores=[store]),
            "manager": make_user(session, group, Role.manager, stores=[store]),
            "technician": make_user(session, group, Role.technician, stores=[store]),
        }


@pytest.fixture(scope="module")
def headers(client, world):
    return {
        role: auth_headers(client, world[role], **EN) for role in ("sales", "manager", "technician")
    }


def _stock(app, world, **kwargs) -> StockVehicle:
    with app.state.session_factory.begin() as session:
        return make_stock(session, world["store"], world["model"], **kwargs)


def _new_lead(client, world, headers) -> dict:
    response = client.post(
        "/sales/leads",
        json={
            "store_id": world["store"].id,
            "source": "autohome",
            "customer_id": world["customer"].id,
            "interested_model_id": world["model"].id,
        },
        headers=headers["sales"],
    )
    assert response.status_code == 201, response.text
    return response.json()


def _step(client, lead_id, to, headers, reason=None):
    return client.post(
        f"/sales/leads/{lead_id}/status", json={"to": to, "reason": reason}, headers=headers
    )


def _quote(client, lead_id, world, headers, **extra):
    body = {"model_id": world["model"].id, "discount": "10000.00", **extra}
    response = client.post(f"/sales/leads/{lead_id}/quotes", json=body, headers=headers["sales"])
    assert response.status_code == 201, response.text
    return response.json()


def _ordered_lead(client, world, headers) -> dict:
    lead = _new_lead(client, world, headers)
    quote = _quote(client, lead["id"], world, headers)
    response = client.post(
        f"/sales/leads/{lead['id']}/order",
        json={"quote_id": quote["id"], "deposit": "5000.00"},
        headers=headers["sales"],
    )
    assert response.status_code == 201, response.text
    return lead


def _audit(app, lead_id) -> list[tuple]:
    with app.state.session_factory() as session:
        rows = session.scalars(
            select(StateTransition)
            .where(
                StateTransition.entity_type == "sales_lead", StateTransition.entity_id == lead_id
            )
            .order_by(StateTransition.id)
        )
        return [(r.from_state, r.to_state, r.reason) for r in rows]


def _tick_all(client, lead_id, headers, items, kind):
    for code, _, _ in items:
        response = client.put(
            f"/sales/leads/{lead_id}/checklist/{kind}/{code}",
            json={"result": "ok"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
    return response.json()


def test_full_flow_from_lead_to_delivery_registers_the_car_for_after_sales(
    app, client, world, headers
):
    car = _stock(app, world)
    lead = _new_lead(client, world, headers)
    assert (lead["status"], lead["consultant_id"]) == ("lead", world["sales"].id)
    assert _step(client, lead["id"], "opportunity", headers["sales"]).status_code == 200
    quote = _quote(
        client,
        lead["id"],
        world,
        headers,
        options=[{"code": "PANO", "name": "全景天窗", "price": "8000.00"}],
        trade_in={"make": "Toyota", "model": "Corolla", "year": 2017, "value": "50000.00"},
        financing={
            "provider": "上汽大众金融",
            "down_payment": "60000.00",
            "term_months": 36,
            "apr_percent": "0",
        },
    )
    # 209,900 + 8,000 − 10,000 − 50,000 = 157,900; 97,900 over 36 months at 0 % APR.
    assert Decimal(quote["total"]) == Decimal("157900.00")
    assert Decimal(quote["financing"]["monthly_payment"]) == Decimal("2719.44")
    order = client.post(
        f"/sales/leads/{lead['id']}/order",
        json={"quote_id": quote["id"], "deposit": "5000.00"},
        headers=headers["sales"],
    ).json()
    assert (order["status"], Decimal(order["price"])) == ("order", Decimal("217900.00"))

    allocated = client.post(
        f"/sales/leads/{lead['id']}/allocation", json={"vin": car.vin}, headers=headers["sales"]
    )
    assert allocated.status_code == 200, allocated.text
    assert (allocated.json()["vin"], allocated.json()["status"]) == (car.vin, "allocated")
    assert client.get(f"/sales/stock/{car.id}", headers=headers["sales"]).json()["status"] == (
        "reserved"
    )

    pdi = _step(client, lead["id"], "pdi", headers["sales"])
    assert pdi.status_code == 200, pdi.text
    # The technician does the PDI, the consultant the handover.
    sheet = _tick_all(client, lead["id"], headers["technician"], PDI_ITEMS, "pdi")
    assert (sheet["pdi_passed"], sheet["delivery_complete"]) == (True, False)
    _tick_all(client, lead["id"], headers["sales"], DELIVERY_ITEMS, "delivery")
    delivered = _step(client, lead["id"], "delivered", headers["sales"])
    assert delivered.status_code == 200, delivered.text

    with app.state.session_factory() as session:
        crm_car = session.scalar(select(Vehicle).where(Vehicle.vin == car.vin))
        assert crm_car is not None
        assert (crm_car.owner_id, crm_car.model, crm_car.year) == (
            world["customer"].id,
            "Passat",
            2025,
        )
        assert crm_car.warranty_end is not None
        assert session.get(StockVehicle, car.id).status == "sold"
        assert session.get(Customer, world["customer"].id).status == "active"
    # After-sales sees it through the CRM API as the customer's car.
    owned = client.get(
        "/crm/vehicles", params={"owner_id": world["customer"].id}, headers=headers["manager"]
    ).json()
    assert car.vin in {v["vin"] for v in owned["items"]}
    steps = [(a, b) for a, b, _ in _audit(app, lead["id"])]
    assert steps == [
        (None, "lead"),
        ("lead", "opportunity"),
        ("opportunity", "quote"),
        ("quote", "order"),
        ("order", "allocated"),
        ("allocated", "pdi"),
        ("pdi", "delivered"),
    ]
    history = client.get(f"/sales/leads/{lead['id']}/history", headers=headers["sales"]).json()
    assert [h["to_state"] for h in history][-1] == "delivered"


def test_skipping_a_step_is_409_with_the_allowed_states_and_changes_nothing(
    app, client, world, headers
):
    lead = _new_lead(client, world, headers)
    refused = _step(client, lead["id"], "delivered", headers["sales"])
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "illegal_transition"
    assert body["details"]["rule"] == "not_allowed"
    assert "allowed next states are: opportunity, quote, lost" in body["message"]
    assert client.get(f"/sales/leads/{lead['id']}", headers=headers["sales"]).json()["status"] == (
        "lead"
    )
    assert _audit(app, lead["id"]) == [(None, "lead", None)]


def test_steps_whose_data_is_missing_are_refused_by_their_guards(app, client, world, headers):
    lead = _new_lead(client, world, headers)
    no_quote = _step(client, lead["id"], "quote", headers["sales"])
    assert no_quote.status_code == 409
    assert no_quote.json()["details"]["rule"] == "guard"
    assert "no quote yet" in no_quote.json()["message"]

    ordered = _ordered_lead(client, world, headers)
    no_car = _step(client, ordered["id"], "allocated", headers["sales"])
    assert no_car.status_code == 409
    assert "allocate a VIN" in no_car.json()["message"]
    # An allocation on a lead without an order is refused before any car is touched.
    car = _stock(app, world)
    early = client.post(
        f"/sales/leads/{lead['id']}/allocation", json={"vin": car.vin}, headers=headers["sales"]
    )
    assert early.status_code == 409
    assert early.json()["details"]["source"] == "lead"
    with app.state.session_factory() as session:
        assert session.get(StockVehicle, car.id).status == "in_showroom"


def test_pdi_needs_the_car_on_site_and_delivery_needs_both_checklists(app, client, world, headers):
    lead = _ordered_lead(client, world, headers)
    car = _stock(app, world, status="in_transit")
    assert (
        client.post(
            f"/sales/leads/{lead['id']}/allocation",
            json={"vin": car.vin},
            headers=headers["sales"],
        ).status_code
        == 200
    )
    in_transit = _step(client, lead["id"], "pdi", headers["sales"])
    assert in_transit.status_code == 409
    assert "not arrived" in in_transit.json()["message"]
    arrived = client.post(
        f"/sales/stock/{car.id}/arrival",
        json={"location": "二号库 B-12"},
        headers=headers["manager"],
    )
    assert arrived.json()["status"] == "reserved"  # still held for the order
    assert _step(client, lead["id"], "pdi", headers["sales"]).status_code == 200

    failed = client.put(
        f"/sales/leads/{lead['id']}/checklist/pdi/exterior_paint",
        json={"result": "failed", "note": "左后门划痕"},
        headers=headers["technician"],
    )
    assert failed.json()["pdi_passed"] is False
    refused = _step(client, lead["id"], "delivered", headers["sales"])
    assert refused.status_code == 409
    assert "pre-delivery inspection has not passed" in refused.json()["message"]

    _tick_all(client, lead["id"], headers["technician"], PDI_ITEMS, "pdi")
    refused = _step(client, lead["id"], "delivered", headers["sales"])
    assert "delivery checklist is incomplete" in refused.json()["message"]
    with app.state.session_factory() as session:
        assert session.get(StockVehicle, car.id).status == "reserved"
        assert session.scalar(select(Vehicle.id).where(Vehicle.vin == car.vin)) is None
    unknown = client.put(
        f"/sales/leads/{lead['id']}/checklist/delivery/champagne",
        json={"result": "ok"},
        headers=headers["sales"],
    )
    assert unknown.status_code == 422
    assert "payment_settled" in unknown.json()["message"]


def test_lost_and_cancelled_need_a_reason_and_cancelling_is_for_managers(
    app, client, world, headers
):
    lead = _new_lead(client, world, headers)
    no_reason = _step(client, lead["id"], "lost", headers["sales"])
    assert no_reason.status_code == 409
    assert no_reason.json()["details"]["rule"] == "reason_required"
    lost = _step(client, lead["id"], "lost", headers["sales"], reason="买了竞品 / bought elsewhere")
    assert lost.json()["status"] == "lost"
    assert _audit(app, lead["id"])[-1] == ("lead", "lost", "买了竞品 / bought elsewhere")

    ordered = _ordered_lead(client, world, headers)
    car = _stock(app, world)
    client.post(
        f"/sales/leads/{ordered['id']}/allocation", json={"vin": car.vin}, headers=headers["sales"]
    )
    by_consultant = _step(client, ordered["id"], "cancelled", headers["sales"], reason="资金不足")
    assert by_consultant.status_code == 403
    assert by_consultant.json()["details"]["rule"] == "role"
    assert "admin, manager" in by_consultant.json()["message"]
    by_manager = _step(client, ordered["id"], "cancelled", headers["manager"], reason="资金不足")
    assert by_manager.status_code == 200, by_manager.text
    with app.state.session_factory() as session:
        released = session.get(StockVehicle, car.id)
        assert released.status == "in_warehouse"  # free for the next customer
        reason = session.scalar(
            select(StateTransition.reason)
            .where(
                StateTransition.entity_type == "sales_stock", StateTransition.entity_id == car.id
            )
            .order_by(StateTransition.id.desc())
            .limit(1)
        )
    assert "资金不足" in reason
    # The released car can be allocated again.
    again = _ordered_lead(client, world, headers)
    response = client.post(
        f"/sales/leads/{again['id']}/allocation", json={"vin": car.vin}, headers=headers["sales"]
    )
    assert response.status_code == 200, response.text


def test_stock_cannot_be_reserved_sold_or_released_by_hand(app, client, world, headers):
    car = _stock(app, world)

    def move(target, reason=None):
        return client.post(
            f"/sales/stock/{car.id}/status",
            json={"to": target, "reason": reason},
            headers=headers["manager"],
        )

    assert "only by allocating it to an order" in move("reserved").json()["message"]
    assert move("in_warehouse").json()["status"] == "in_warehouse"
    lead = _ordered_lead(client, world, headers)
    client.post(
        f"/sales/leads/{lead['id']}/allocation", json={"vin": car.vin}, headers=headers["sales"]
    )
    sold = move("sold")
    assert sold.status_code == 409
    assert "only when its order is delivered" in sold.json()["message"]
    released = move("in_showroom", reason="客户想换车")
    assert released.status_code == 409
    assert "cancel the order to release it" in released.json()["message"]
    consultant = client.post(
        f"/sales/stock/{car.id}/status", json={"to": "sold"}, headers=headers["sales"]
    )
    assert consultant.status_code == 403


def test_quote_amounts_are_checked(client, world, headers):
    lead = _new_lead(client, world, headers)
    response = client.post(
        f"/sales/leads/{lead['id']}/quotes",
        json={"model_id": world["model"].id, "discount": "300000.00"},
        headers=headers["sales"],
    )
    assert response.status_code == 422
    assert "must stay below the price" in response.json()["message"]
