"""Who sees and does what in sales: store scoping, roles, customers' own orders, list filters."""

from __future__ import annotations

import pytest

from api.auth.roles import Role
from api.sales.models import Lead
from api.sales.states import LEAD_FLOW
from tests.factories import auth_headers, make_customer, make_group, make_store, make_user
from tests.factories.sales import make_sales_model, make_stock

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def world(app, client):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        a, b = make_store(session, group, name="浦东"), make_store(session, group, name="闵行")
        model = make_sales_model(session, group)
        alice, bob = make_customer(session, a, name="王芳"), make_customer(session, a)
        users = {
            "sales_a": make_user(session, group, Role.sales_consultant, stores=[a]),
            "sales_b": make_user(session, group, Role.sales_consultant, stores=[b]),
            "manager_a": make_user(session, group, Role.manager, stores=[a]),
            "tech_a": make_user(session, group, Role.technician, stores=[a]),
            "alice": make_user(session, group, Role.customer, customer=alice),
        }
        world = {
            "a": a,
            "b": b,
            "model": model,
            "alice": alice,
            "bob": bob,
            "car_b": make_stock(session, b, model),
            "car_a": make_stock(session, a, model),
        }
    world["h"] = {name: auth_headers(client, user, **EN) for name, user in users.items()}
    world["users"] = users
    return world


def _lead(client, world, who="sales_a", customer="alice", **extra):
    body = {"store_id": world["a"].id, "source": "walk_in", "customer_id": world[customer].id}
    response = client.post("/sales/leads", json=body | extra, headers=world["h"][who])
    assert response.status_code == 201, response.text
    return response.json()


def _order(client, world, lead):
    quote = client.post(
        f"/sales/leads/{lead['id']}/quotes",
        json={"model_id": world["model"].id},
        headers=world["h"]["sales_a"],
    ).json()
    response = client.post(
        f"/sales/leads/{lead['id']}/order",
        json={"quote_id": quote["id"], "deposit": "2000"},
        headers=world["h"]["sales_a"],
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_other_stores_leads_and_cars_are_refused(client, world):
    lead = _lead(client, world)
    h = world["h"]
    assert client.get(f"/sales/leads/{lead['id']}", headers=h["sales_b"]).status_code == 404
    into_b = client.post(
        "/sales/leads",
        json={"store_id": world["b"].id, "source": "web", "name": "刘洋", "phone": "13900001111"},
        headers=h["sales_a"],
    )
    assert into_b.status_code == 404
    listed = client.get("/sales/leads", headers=h["sales_b"]).json()
    assert lead["id"] not in {item["id"] for item in listed["items"]}
    _order(client, world, lead)
    foreign_car = client.post(
        f"/sales/leads/{lead['id']}/allocation",
        json={"vin": world["car_b"].vin},
        headers=h["sales_a"],
    )
    assert foreign_car.status_code == 404
    assert "does not exist" in foreign_car.json()["message"]
    assert client.get(f"/sales/stock/{world['car_b'].id}", headers=h["sales_a"]).status_code == 404


def test_roles_are_enforced_on_the_server(client, world):
    h = world["h"]
    body = {"store_id": world["a"].id, "source": "walk_in", "customer_id": world["alice"].id}
    assert client.post("/sales/leads", json=body, headers=h["tech_a"]).status_code == 403
    assert client.get("/sales/leads", headers=h["alice"]).status_code == 403
    stock = {
        "vin": "LSVAU2180N2183294",
        "store_id": world["a"].id,
        "model_id": world["model"].id,
        "colour": "黑",
        "location": "展厅",
        "cost": "100000",
    }
    assert client.post("/sales/stock", json=stock, headers=h["sales_a"]).status_code == 403
    bad_vin = client.post(
        "/sales/stock", json=stock | {"vin": "LSVAU2180N2183295"}, headers=h["manager_a"]
    )
    assert bad_vin.status_code == 422
    assert "check digit" in bad_vin.json()["message"]
    lead = _lead(client, world)
    reassign = client.patch(
        f"/sales/leads/{lead['id']}",
        json={"consultant_id": world["users"]["manager_a"].id},
        headers=h["sales_a"],
    )
    assert reassign.status_code == 403
    not_a_consultant = client.patch(
        f"/sales/leads/{lead['id']}",
        json={"consultant_id": world["users"]["tech_a"].id},
        headers=h["manager_a"],
    )
    assert not_a_consultant.status_code == 422


def test_a_customer_sees_only_their_own_orders(client, world):
    own = _order(client, world, _lead(client, world, customer="alice"))
    other = _order(client, world, _lead(client, world, customer="bob"))
    h = world["h"]
    mine = client.get("/sales/orders", headers=h["alice"]).json()
    assert {o["customer_id"] for o in mine["items"]} == {world["alice"].id}
    assert own["id"] in {o["id"] for o in mine["items"]}
    assert client.get(f"/sales/orders/{own['id']}", headers=h["alice"]).status_code == 200
    refused = client.get(f"/sales/orders/{other['id']}", headers=h["alice"])
    assert refused.status_code == 404
    assert "does not exist" in refused.json()["message"]


def test_lead_lists_filter_and_page(client, world):
    h = world["h"]
    created = [_lead(client, world, customer="bob", source="dongchedi") for _ in range(3)]
    page = client.get(
        "/sales/leads", params={"source": "dongchedi", "limit": 2}, headers=h["manager_a"]
    ).json()
    assert (page["total"], len(page["items"])) == (3, 2)
    rest = client.get(
        "/sales/leads",
        params={"source": "dongchedi", "limit": 2, "offset": 2},
        headers=h["sales_a"],
    ).json()
    ids = {i["id"] for i in page["items"]} | {i["id"] for i in rest["items"]}
    assert ids == {lead["id"] for lead in created}
    by_name = client.get("/sales/leads", params={"q": "王芳"}, headers=h["sales_a"]).json()
    assert by_name["total"] >= 1
    assert {i["customer_id"] for i in by_name["items"]} == {world["alice"].id}
    stock = client.get(
        "/sales/stock", params={"status": "in_showroom"}, headers=h["sales_a"]
    ).json()
    assert world["car_a"].vin in {s["vin"] for s in stock["items"]}
    assert world["car_b"].vin not in {s["vin"] for s in stock["items"]}


def test_a_new_prospect_from_a_web_lead_is_registered_in_crm(client, world):
    lead = _lead(
        client, world, customer="alice", customer_id=None, name="陈晨", phone="13700002222"
    )
    customer = client.get(f"/crm/customers/{lead['customer_id']}", headers=world["h"]["sales_a"])
    assert customer.json()["name"] == "陈晨"
    assert customer.json()["status"] == "prospect"


def test_every_lead_state_is_reachable_from_the_initial_one():
    reachable, frontier = {LEAD_FLOW.initial}, [LEAD_FLOW.initial]
    while frontier:
        for target in LEAD_FLOW.targets(frontier.pop()):
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(LEAD_FLOW.states)
    assert set(LEAD_FLOW.terminal_states()) == {"delivered", "lost", "cancelled"}
    assert Lead.__tablename__ == "sales_leads"
