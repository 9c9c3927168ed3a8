"""The audit of privileged actions: price overrides, discounts, estimate approvals, settlement,
stock adjustments and scrap, and roles granted are logged with who, when, what, before and
after; managers read their stores' log, admins their group's, nobody else."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.auth.roles import Role
from tests.factories import store_today
from tests.factories.parts import make_part, make_warehouse, stock_in
from tests.security.money_support import (
    approved_job_in_repair,
    audit_count,
    headers_of,
    money_world,
    step,
)


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        world = money_world(session)
        filters = make_part(session, world["group"], kind="standard", cost="20")
        world["filters"] = filters
        world["filter_lot"] = stock_in(session, world["warehouse"], filters, 10).lot_id
        hq = make_warehouse(session, world["group"])
        world["hq"] = hq
        expires = store_today() + timedelta(days=300)
        world["hq_lot"] = stock_in(session, hq, world["battery"], 5, expires_on=expires).lot_id
        return world


@pytest.fixture(scope="module")
def h(client, world):
    return headers_of(client, world)


def _events(client, headers, **params):
    return client.get("/audit/events", params=params, headers=headers)


def _by_action(rows):
    """The newest event of each action (the log reads newest first)."""
    newest: dict = {}
    for row in rows:
        newest.setdefault(row["action"], row)
    return newest


def test_money_actions_are_logged_with_who_what_before_and_after(app, client, world, h):
    wo_id = approved_job_in_repair(app, client, world, h)
    added = client.post(
        f"/service/work-orders/{wo_id}/labour",
        json={"operation": "BAT-TEST", "rate": 350, "discount_pct": 5, "reason": "夜间加急"},
        headers=h["advisor"],
    )
    assert added.status_code == 201, added.text
    line = f"labour:{added.json()['id']} BAT-TEST"
    assert client.post(
        f"/service/work-orders/{wo_id}/estimates/2/approve", headers=h["alice_user"]
    ).is_success
    assert step(client, h["tech_user"], wo_id, "quality_check").status_code == 200
    assert step(client, h["advisor"], wo_id, "settled").status_code == 200

    read = _events(client, h["manager"], entity_type="work_order", entity_id=wo_id)
    assert read.status_code == 200
    events = _by_action(read.json()["items"])
    assert set(events) == {"rate_override", "discount", "estimate_approval", "settlement"}
    advisor, alice = world["advisor"].id, world["alice_user"].id
    rate = events["rate_override"]
    assert (rate["actor_user_id"], rate["reason"]) == (advisor, "夜间加急")
    assert rate["before"] == {"line": line, "rate": "320.00"}
    assert rate["after"] == {"line": line, "rate": "350"}
    assert events["discount"]["before"]["discount_pct"] == "0"
    assert events["discount"]["after"]["discount_pct"] == "5"
    assert events["estimate_approval"]["actor_user_id"] == alice
    assert events["estimate_approval"]["after"]["version"] == 2
    settlement = events["settlement"]
    assert settlement["actor_user_id"] == advisor and settlement["store_id"] == world["store"].id
    # 0.8 h × 320 + 0.3 h × 350 × 95 % = 355.75; + 13 % VAT (46.25) = 402.00
    assert settlement["after"]["grand_total"] == "402.00" and settlement["at"]


def test_stock_adjustments_and_scrap_are_logged(app, client, world, h):
    lot = world["filter_lot"]
    base = {"warehouse_id": world["warehouse"].id, "lot_id": lot}
    counted = client.post(
        "/parts/stock/adjustments",
        json={**base, "quantity": -2, "reason": "盘亏"},
        headers=h["clerk"],
    )
    assert counted.status_code == 201, counted.text
    scrapped = client.post(
        "/parts/stock/scrap", json={**base, "quantity": 1, "reason": "包装破损"}, headers=h["clerk"]
    )
    assert scrapped.status_code == 201, scrapped.text
    events = _by_action(
        _events(client, h["manager"], entity_type="lot", entity_id=lot).json()["items"]
    )
    adjustment, scrap = events["stock_adjustment"], events["stock_scrap"]
    assert adjustment["actor_user_id"] == world["clerk"].id and adjustment["reason"] == "盘亏"
    assert adjustment["before"]["quantity"] == "10.000"
    assert adjustment["after"]["quantity"] == "8.000"
    assert (scrap["before"]["quantity"], scrap["after"]["quantity"]) == ("8.000", "7.000")


def test_roles_granted_are_logged_for_the_group(app, client, world, h):
    username = f"advisor.{uuid.uuid4().hex[:8]}"
    created = client.post(
        "/auth/users",
        json={
            "username": username,
            "full_name": "新顾问",
            "role": Role.service_advisor.value,
            "password": "change-me-2026",
            "store_ids": [world["store"].id],
        },
        headers=h["admin"],
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    for reader in ("admin", "manager"):
        rows = _events(client, h[reader], action="role_grant", entity_id=user_id).json()["items"]
        assert len(rows) == 1, reader
        assert rows[0]["before"] == {"role": None}
        assert rows[0]["after"]["role"] == "service_advisor"
        assert rows[0]["actor_user_id"] == world["admin"].id


def test_the_log_is_read_by_managers_of_the_store_only(app, client, world, h):
    hq = client.post(
        "/parts/stock/adjustments",
        json={
            "warehouse_id": world["hq"].id,
            "lot_id": world["hq_lot"],
            "quantity": 1,
            "reason": "盘盈",
        },
        headers=h["admin"],
    )
    assert hq.status_code == 201, hq.text
    with app.state.session_factory() as session:
        mine = session.scalars(
            select(AuditEvent.id).where(AuditEvent.dealer_group_id == world["group"].id)
        ).all()
    assert mine
    for role in ("advisor", "clerk", "tech_user", "alice_user"):
        assert _events(client, h[role]).status_code == 403, role
    assert _events(client, h["other_manager"]).json()["items"] == []
    store_rows = _events(client, h["manager"], limit=200).json()["items"]
    assert store_rows and {r["store_id"] for r in store_rows} == {world["store"].id}
    group_rows = _events(client, h["admin"], limit=200).json()["items"]
    assert {r["id"] for r in group_rows} == set(mine)
    assert any(r["store_id"] is None and r["entity_type"] == "lot" for r in group_rows)


def test_a_refused_action_writes_nothing(app, client, world, h):
    wo_id = approved_job_in_repair(app, client, world, h)
    count = audit_count(app)
    refused = client.post(
        f"/service/work-orders/{wo_id}/labour",
        json={"operation": "BAT-REPL", "discount_pct": 20},
        headers=h["advisor"],
    )
    assert refused.status_code == 403
    assert audit_count(app) == count
