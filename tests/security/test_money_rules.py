"""Hole class 4, money on work orders: prices and rates from the catalogue and the store's
settings, overrides and extra hours only with a role and a reason, discounts within a role's
limit, a new estimate version for the customer after any change, settlement by the desk."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete

from api.work_orders.models import StorePricing
from tests.security.money_support import (
    approved_job_in_repair,
    audit_count,
    draft,
    headers_of,
    job_state,
    money_world,
    step,
)

APPROVED = [(Decimal("0.30"), Decimal("320.00"), 0), (Decimal("0.50"), Decimal("320.00"), 0)]


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        return money_world(session)


@pytest.fixture(scope="module")
def h(client, world):
    return headers_of(client, world)


def _labour(client, headers, wo_id, **body):
    return client.post(f"/service/work-orders/{wo_id}/labour", json=body, headers=headers)


def _part(client, headers, wo_id, **body):
    return client.post(f"/service/work-orders/{wo_id}/parts", json=body, headers=headers)


def test_the_289_28_estimate_does_not_become_11_300_289_28(app, client, world, h):
    wo_id = approved_job_in_repair(app, client, world, h)
    before = job_state(app, wo_id)
    assert before["labour"] == APPROVED and before["invoice"] is None

    # The exact request of the hole: a technician adds 100 h at 100,000/h.
    padded = _labour(client, h["tech_user"], wo_id, operation="BAT-REPL", hours=100, rate=100000)
    assert padded.status_code == 403
    assert "only admin, manager, service_advisor may override" in padded.json()["message"]
    assert job_state(app, wo_id) == before

    assert step(client, h["tech_user"], wo_id, "quality_check").status_code == 200
    by_technician = step(client, h["tech_user"], wo_id, "settled")
    assert by_technician.status_code == 403
    assert job_state(app, wo_id) == {**before, "status": "quality_check"}

    settled = step(client, h["advisor"], wo_id, "settled")
    assert settled.status_code == 200, settled.text
    assert job_state(app, wo_id)["invoice"] == Decimal("289.28")


def test_hours_above_the_standard_need_a_reason_and_stay_within_three_times(app, client, world, h):
    wo_id = approved_job_in_repair(app, client, world, h)
    before = job_state(app, wo_id)
    hundred = _labour(client, h["tech_user"], wo_id, operation="BAT-REPL", hours=100)
    assert hundred.status_code == 422
    assert "at most 1.50 (3 times the standard 0.50 h)" in hundred.json()["message"]
    unexplained = _labour(client, h["tech_user"], wo_id, operation="BAT-REPL", hours=1)
    assert unexplained.status_code == 422 and "need a reason" in unexplained.json()["message"]
    assert job_state(app, wo_id) == before

    extra = _labour(client, h["tech_user"], wo_id, operation="BAT-REPL", hours=1, reason="螺栓锈死")
    assert extra.status_code == 201, extra.text
    assert extra.json()["rate"] == "320.00"  # the store's rate, not the request's


def test_a_change_after_approval_makes_a_version_the_customer_approves_again(app, client, world, h):
    wo_id = approved_job_in_repair(app, client, world, h)
    added = _labour(client, h["advisor"], wo_id, operation="BAT-TEST")
    assert added.status_code == 201, added.text
    before = job_state(app, wo_id)

    go_on = step(client, h["tech_user"], wo_id, "quality_check")
    assert go_on.status_code == 409
    assert "not approved the current estimate (version 2)" in go_on.json()["message"]
    assert job_state(app, wo_id) == before

    seen = client.get(f"/service/work-orders/{wo_id}/estimates", headers=h["alice_user"])
    assert [(v["version"], v["status"], v["grand_total"]) for v in seen.json()] == [
        (1, "approved", "289.28"),
        (2, "pending", "397.76"),  # 1.1 h × 320 = 352.00 + 13 % VAT
    ]
    stale = client.post(
        f"/service/work-orders/{wo_id}/estimates/1/approve", headers=h["alice_user"]
    )
    assert stale.status_code == 409 and "latest: 2" in stale.json()["message"]
    by_technician = client.post(
        f"/service/work-orders/{wo_id}/estimates/2/approve", headers=h["tech_user"]
    )
    assert by_technician.status_code == 403
    approved = client.post(
        f"/service/work-orders/{wo_id}/estimates/2/approve", headers=h["alice_user"]
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert step(client, h["tech_user"], wo_id, "quality_check").status_code == 200
    assert step(client, h["advisor"], wo_id, "settled").status_code == 200
    assert job_state(app, wo_id)["invoice"] == Decimal("397.76")


def test_part_prices_come_from_the_catalogue(app, client, world, h):
    wo_id = draft(app, world)
    before = job_state(app, wo_id)
    cheap = _part(client, h["clerk"], wo_id, part_id=world["battery"].id, quantity=1, unit_price=1)
    assert cheap.status_code == 403
    discounted = _part(
        client, h["clerk"], wo_id, part_id=world["battery"].id, quantity=1, discount_pct=50
    )
    assert discounted.status_code == 422 and "between 0 and 30" in discounted.json()["message"]
    assert job_state(app, wo_id) == before

    listed = _part(client, h["clerk"], wo_id, part_id=world["battery"].id, quantity=1)
    assert listed.status_code == 201 and listed.json()["unit_price"] == "600.00"
    unexplained = _part(
        client, h["advisor"], wo_id, part_id=world["battery"].id, quantity=1, unit_price=500
    )
    assert unexplained.status_code == 422 and "needs a reason" in unexplained.json()["message"]
    overridden = _part(
        client,
        h["advisor"],
        wo_id,
        part_id=world["battery"].id,
        quantity=1,
        unit_price=500,
        reason="老客户活动价",
    )
    assert overridden.status_code == 201 and Decimal(overridden.json()["unit_price"]) == 500


def test_discounts_need_a_role_and_stay_within_its_limit(app, client, world, h):
    wo_id = draft(app, world, operations=())
    by_technician = _labour(client, h["tech_user"], wo_id, operation="BAT-TEST", discount_pct=5)
    assert by_technician.status_code == 403
    above = _labour(client, h["advisor"], wo_id, operation="BAT-TEST", discount_pct=15)
    assert above.status_code == 403
    assert "above your limit of 10 %; a manager may grant up to 30 %" in above.json()["message"]
    too_much = _labour(client, h["manager"], wo_id, operation="BAT-TEST", discount_pct=31)
    assert too_much.status_code == 422
    assert job_state(app, wo_id)["labour"] == []
    assert _labour(client, h["advisor"], wo_id, operation="BAT-TEST", discount_pct=10).is_success
    assert _labour(client, h["manager"], wo_id, operation="BAT-TEST", discount_pct=15).is_success


def test_the_store_settings_set_the_rate_and_the_limits(app, client, world, h):
    url = f"/service/pricing/{world['store'].id}"
    settings = {"labour_rate": "400.00", "advisor_discount_max": "5", "manager_discount_max": "20"}
    assert client.put(url, json=settings, headers=h["advisor"]).status_code == 403
    assert client.put(url, json=settings, headers=h["other_manager"]).status_code == 404
    inverted = {**settings, "advisor_discount_max": "25"}
    refused = client.put(url, json=inverted, headers=h["manager"])
    assert (
        refused.status_code == 422 and "at most the manager's (20 %)" in refused.json()["message"]
    )
    assert client.get(url, headers=h["advisor"]).json()["labour_rate"] == "320.00"
    try:
        assert client.put(url, json=settings, headers=h["manager"]).status_code == 200
        wo_id = draft(app, world, operations=())
        count = audit_count(app)
        above = _labour(client, h["advisor"], wo_id, operation="BAT-TEST", discount_pct=8)
        assert above.status_code == 403 and "limit of 5" in above.json()["message"]
        assert audit_count(app) == count
        line = _labour(client, h["advisor"], wo_id, operation="BAT-TEST")
        assert line.status_code == 201 and line.json()["rate"] == "400.00"
        changes = client.get(
            "/audit/events", params={"action": "pricing_change"}, headers=h["manager"]
        ).json()["items"]
        assert changes[0]["before"]["labour_rate"] == "320.00"
        assert changes[0]["after"]["labour_rate"] == "400.00"
    finally:
        with app.state.session_factory.begin() as session:
            session.execute(delete(StorePricing).where(StorePricing.store_id == world["store"].id))


def test_an_estimate_that_was_never_sent_cannot_be_approved(app, client, world, h):
    wo_id = draft(app, world)
    early = client.post(
        f"/service/work-orders/{wo_id}/estimates/1/approve", headers=h["alice_user"]
    )
    assert early.status_code == 409 and "send the estimate first" in early.json()["message"]
    seen = client.get(f"/service/work-orders/{wo_id}/estimates", headers=h["alice_user"])
    assert seen.status_code == 200 and seen.json() == []


def test_an_estimate_is_made_only_between_diagnosis_and_the_quality_check(app, client, world, h):
    wo_id = draft(app, world)
    booked = client.post(f"/service/work-orders/{wo_id}/estimates", headers=h["advisor"])
    assert booked.status_code == 409
    assert "from diagnosis until the quality check" in booked.json()["message"]

    wo_id = approved_job_in_repair(app, client, world, h)
    sent = client.post(f"/service/work-orders/{wo_id}/estimates", headers=h["advisor"])
    assert sent.status_code == 201 and sent.json()["version"] == 1  # unchanged lines: the same
    assert step(client, h["tech_user"], wo_id, "quality_check").status_code == 200
    after = client.post(f"/service/work-orders/{wo_id}/estimates", headers=h["advisor"])
    assert after.status_code == 409 and "'quality_check'" in after.json()["message"]
    listed = client.get(f"/service/work-orders/{wo_id}/estimates", headers=h["advisor"])
    assert [v["version"] for v in listed.json()] == [1]
