"""Hole class 9: a job in repair with a part that can never be reserved was stuck, because the
quality check needs every part issued. The desk can now drop a part line that was not issued."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.work_orders.models import PartLine
from tests.factories.parts import make_part
from tests.security.money_support import approved_job_in_repair, headers_of, money_world, step


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        world = money_world(session)
        world["unsupplied"] = make_part(session, world["group"])
        return world


@pytest.fixture(scope="module")
def h(client, world):
    return headers_of(client, world)


def _drop(client, headers, wo_id, line_id, reason="供应商停产"):
    return client.post(
        f"/service/work-orders/{wo_id}/parts/{line_id}/drop",
        json={"reason": reason},
        headers=headers,
    )


def _lines(app, wo_id) -> dict[int, str]:
    with app.state.session_factory() as session:
        rows = session.scalars(select(PartLine).where(PartLine.work_order_id == wo_id))
        return {line.id: line.status for line in rows}


def test_a_short_line_that_blocks_the_quality_check_can_be_dropped(app, client, world, h):
    wo_id = approved_job_in_repair(app, client, world, h)
    added = client.post(
        f"/service/work-orders/{wo_id}/parts",
        json={"part_id": world["unsupplied"].id, "quantity": 1},
        headers=h["clerk"],
    )
    assert added.status_code == 201, added.text
    line_id = added.json()["id"]
    assert added.json()["status"] == "short"  # no stock of it anywhere

    stuck = step(client, h["tech_user"], wo_id, "quality_check")
    assert stuck.status_code == 409, stuck.text

    assert _drop(client, h["tech_user"], wo_id, line_id).status_code == 403
    assert _drop(client, h["other_manager"], wo_id, line_id).status_code == 404
    assert _drop(client, h["clerk"], wo_id, line_id, reason="").status_code == 422
    assert _lines(app, wo_id)[line_id] == "short"

    dropped = _drop(client, h["clerk"], wo_id, line_id)
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["status"] == "released"
    with app.state.session_factory() as session:
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "part_line_drop", AuditEvent.entity_id == wo_id
            )
        ).one()
        assert event.before["status"] == "short" and event.after["status"] == "released"
        assert event.reason == "供应商停产" and event.actor_user_id == world["clerk"].id

    estimate = client.get(f"/service/work-orders/{wo_id}/estimate", headers=h["advisor"])
    assert Decimal(estimate.json()["grand_total"]) == Decimal("289.28")  # not invoiced

    again = _drop(client, h["clerk"], wo_id, line_id)
    assert again.status_code == 409
    assert "'released'" in again.json()["message"]
    # Adding the part made estimate version 2 and dropping it version 3: the customer approves.
    approved = client.post(
        f"/service/work-orders/{wo_id}/estimates/3/approve", headers=h["alice_user"]
    )
    assert approved.status_code == 200, approved.text
    qc = step(client, h["tech_user"], wo_id, "quality_check")
    assert qc.status_code == 200, qc.text


def test_an_issued_part_cannot_be_dropped(app, client, world, h):
    wo_id = approved_job_in_repair(app, client, world, h)
    added = client.post(
        f"/service/work-orders/{wo_id}/parts",
        json={"part_id": world["battery"].id, "quantity": 1},
        headers=h["clerk"],
    )
    assert added.json()["status"] == "reserved", added.text
    issued = client.post(f"/service/work-orders/{wo_id}/issue-parts", headers=h["clerk"])
    assert issued.status_code == 200, issued.text

    refused = _drop(client, h["advisor"], wo_id, added.json()["id"])
    assert refused.status_code == 409
    assert "only a part line that was not issued" in refused.json()["message"]
    assert _lines(app, wo_id)[added.json()["id"]] == "issued"
    assert _drop(client, h["advisor"], wo_id, 10**9).status_code == 404
