"""The state machine as data: declaration checks, illegal steps answered 409 with a reason,
audit rows for every step, roles, and two concurrent steps of one record."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from api.audit.models import StateTransition
from api.auth.roles import Role
from api.crm.models import Customer
from api.crm.states import CUSTOMER_LIFECYCLE
from api.state_machine import IllegalTransition, StateMachine, StepForbidden, Transition, chain
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    make_vehicle,
)

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        advisor = make_user(session, group, Role.service_advisor, stores=[store])
    return {"group": group, "store": store, "advisor": advisor}


def _audit_rows(app, entity_type: str, entity_id: int) -> list[StateTransition]:
    with app.state.session_factory() as session:
        return list(
            session.scalars(
                select(StateTransition)
                .where(
                    StateTransition.entity_type == entity_type,
                    StateTransition.entity_id == entity_id,
                )
                .order_by(StateTransition.id)
            )
        )


def _new_customer(app, world, *, with_vehicle: bool = False) -> int:
    with app.state.session_factory.begin() as session:
        customer = make_customer(session, world["store"])
        if with_vehicle:
            make_vehicle(session, world["store"], owner=customer)
        return customer.id


def test_declaration_refuses_unknown_states_and_duplicate_edges():
    with pytest.raises(ValueError, match="unknown state 'gone'"):
        StateMachine("x", ("a", "b"), "a", (Transition("a", "gone"),))
    with pytest.raises(ValueError, match="declared twice"):
        StateMachine("x", ("a", "b"), "a", (Transition("a", "b"), Transition("a", "b")))
    with pytest.raises(ValueError, match="initial state"):
        StateMachine("x", ("a", "b"), "c", ())


def test_machine_answers_questions_from_its_table():
    machine = StateMachine("x", ("a", "b", "c"), "a", tuple(chain("a", "b", "c")))
    assert machine.targets("a") == ("b",)
    assert machine.can("b", "c") and not machine.can("a", "c")
    assert machine.terminal_states() == ("c",)
    described = CUSTOMER_LIFECYCLE.describe()
    assert described["initial"] == "prospect"
    assert {
        "source": "prospect",
        "target": "active",
        "requires_reason": False,
        "guarded": True,
        "roles": ["admin", "manager", "sales_consultant", "service_advisor", "system"],
    } in described["transitions"]


def test_creation_is_audited_with_no_from_state(app, world):
    customer_id = _new_customer(app, world)
    rows = _audit_rows(app, "customer", customer_id)
    assert [(r.from_state, r.to_state) for r in rows] == [(None, "prospect")]
    assert rows[0].store_id == world["store"].id


def test_step_not_in_the_table_is_409_with_allowed_states_and_changes_nothing(app, client, world):
    customer_id = _new_customer(app, world)
    headers = auth_headers(client, world["advisor"], **EN)
    response = client.post(
        f"/crm/customers/{customer_id}/status", json={"to": "dormant"}, headers=headers
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "illegal_transition"
    assert body["details"]["rule"] == "not_allowed"
    assert body["details"]["source"] == "prospect"
    assert "allowed next states are: active, lost" in body["message"]
    assert len(_audit_rows(app, "customer", customer_id)) == 1
    current = client.get(f"/crm/customers/{customer_id}", headers=headers).json()
    assert current["status"] == "prospect"


def test_guard_refusal_says_why_in_the_readers_language(app, client, world):
    customer_id = _new_customer(app, world)
    url = f"/crm/customers/{customer_id}/status"
    english = client.post(
        url, json={"to": "active"}, headers=auth_headers(client, world["advisor"], **EN)
    )
    assert english.status_code == 409
    assert english.json()["details"]["rule"] == "guard"
    assert "add their vehicle first" in english.json()["message"]
    chinese = client.post(
        url,
        json={"to": "active"},
        headers=auth_headers(client, world["advisor"], **{"Accept-Language": "zh-CN,zh;q=0.9"}),
    )
    assert "请先添加车辆" in chinese.json()["message"]
    assert len(_audit_rows(app, "customer", customer_id)) == 1


def test_unknown_target_state_is_409_listing_the_states(app, client, world):
    customer_id = _new_customer(app, world)
    response = client.post(
        f"/crm/customers/{customer_id}/status",
        json={"to": "vip"},
        headers=auth_headers(client, world["advisor"], **EN),
    )
    assert response.status_code == 409
    assert response.json()["details"]["rule"] == "unknown_state"
    assert "prospect, active, dormant, lost" in response.json()["message"]


def test_exit_without_reason_is_refused_and_with_reason_audited(app, client, world):
    customer_id = _new_customer(app, world)
    url = f"/crm/customers/{customer_id}/status"
    headers = auth_headers(client, world["advisor"], **EN)
    refused = client.post(url, json={"to": "lost", "reason": "   "}, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["details"]["rule"] == "reason_required"
    done = client.post(url, json={"to": "lost", "reason": "搬家到外地"}, headers=headers)
    assert done.status_code == 200
    assert done.json()["status"] == "lost"
    last = _audit_rows(app, "customer", customer_id)[-1]
    assert (last.from_state, last.to_state, last.reason) == ("prospect", "lost", "搬家到外地")
    assert last.actor_user_id == world["advisor"].id
    assert last.at is not None


def test_legal_path_writes_one_audit_row_per_step_and_history_shows_them(app, client, world):
    customer_id = _new_customer(app, world, with_vehicle=True)
    url = f"/crm/customers/{customer_id}/status"
    headers = auth_headers(client, world["advisor"])
    for target in ("active", "dormant", "active"):
        assert client.post(url, json={"to": target}, headers=headers).status_code == 200
    history = client.get(f"/crm/customers/{customer_id}/history", headers=headers).json()
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        (None, "prospect"),
        ("prospect", "active"),
        ("active", "dormant"),
        ("dormant", "active"),
    ]
    assert {h["actor_user_id"] for h in history[1:]} == {world["advisor"].id}


def test_roles_on_a_transition_are_the_policys(app, world):
    customer_id = _new_customer(app, world, with_vehicle=True)
    with app.state.session_factory() as session:
        customer = session.get(Customer, customer_id)
        with pytest.raises(StepForbidden) as refused:
            CUSTOMER_LIFECYCLE.apply(
                session, entity=customer, to="active", actor_id=None, role="technician"
            )
        assert refused.value.params["rule"] == "role"
        assert refused.value.status_code == 403
        assert customer.status == "prospect"
        row = CUSTOMER_LIFECYCLE.apply(
            session, entity=customer, to="active", actor_id=None, role="manager"
        )
        assert (row.entity_type, row.from_state, row.to_state) == (
            "customer",
            "prospect",
            "active",
        )
        assert row.actor_user_id is None
        session.rollback()


def _wait_until_someone_waits_for_a_lock(app, attempts: int = 200) -> None:
    with app.state.engine.connect() as conn:
        for _ in range(attempts):
            if conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
                return
            time.sleep(0.05)
    raise AssertionError("the second transition never waited for the first one's row lock")


def test_two_concurrent_identical_steps_one_wins_one_is_refused(app, world):
    customer_id = _new_customer(app, world, with_vehicle=True)
    factory = app.state.session_factory
    outcome: dict[str, object] = {}

    first = factory()
    CUSTOMER_LIFECYCLE.apply(
        first, entity=first.get(Customer, customer_id), to="active", actor_id=None
    )

    def second_step() -> None:
        with factory() as session:
            try:
                CUSTOMER_LIFECYCLE.apply(
                    session, entity=session.get(Customer, customer_id), to="active", actor_id=None
                )
                session.commit()
                outcome["second"] = "applied"
            except IllegalTransition as error:
                outcome["second"] = error.params["source"]

    thread = threading.Thread(target=second_step)
    thread.start()
    _wait_until_someone_waits_for_a_lock(app)  # the second step queues behind the first
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert outcome["second"] == "active"  # judged against the state the first step left
    steps = [(r.from_state, r.to_state) for r in _audit_rows(app, "customer", customer_id)]
    assert steps == [(None, "prospect"), ("prospect", "active")]


def test_audit_log_lists_only_own_stores(app, client, world):
    with app.state.session_factory.begin() as session:
        manager = make_user(session, world["group"], Role.manager, stores=[world["store"]])
        other_store = make_store(session, world["group"])
        make_customer(session, other_store)
    response = client.get(
        "/audit/transitions",
        params={"entity_type": "customer", "limit": 200},
        headers=auth_headers(client, manager),
    )
    assert response.status_code == 200
    stores = {row["store_id"] for row in response.json()["items"]}
    assert stores == {world["store"].id}
    assert (
        client.get("/audit/transitions", headers=auth_headers(client, world["advisor"])).status_code
        == 403
    )
