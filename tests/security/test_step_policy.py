"""Who may take each step of each state machine: the policy's STEPS table, as the machines ask it.

Over the data: every machine has its rules and every rule decides a declared step; for every
step, every role and the system, the machine's answer (`roles_for`, `check_role`, `check`) is
the policy's; no step is left to nobody, and the steps only the system (or everyone but the
system) may take are listed here on purpose. Through the real API, on work orders: a sales
consultant cannot cancel a job, a parts clerk cannot start its diagnosis, a technician cannot
settle it nor cancel it (not even while it waits for approval), and an advisor settles a job that
passed its quality check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from api.audit.models import StateTransition
from api.auth.actor import SystemActor
from api.auth.matrix import state_machines
from api.auth.models import User
from api.auth.policy import ANY, SERVICE_DESK, STEPS, SYSTEM, step_roles
from api.auth.roles import Role
from api.state_machine import IllegalTransition, StateMachine, StepForbidden
from api.work_orders import service
from api.work_orders.models import WorkOrder
from api.work_orders.states import WORK_ORDER
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    make_vehicle,
)
from tests.factories.workshop import make_bay, make_operation, make_technician, open_every_day

ACTORS: tuple[str, ...] = (*(role.value for role in Role), SYSTEM)
MACHINES = {machine.entity_type: machine for machine in state_machines()}
EN = {"Accept-Language": "en"}
INSPECTION = {"tyres": {"result": "ok"}, "lights": {"result": "ok"}}

# Steps no person may take, only automation: deliberately none today. A step whose roles come
# out empty, or only `system`, by accident (a typo in a state name, a rule shadowed by a more
# specific one) fails here until it is fixed or listed.
SYSTEM_ONLY_STEPS: list[tuple[str, str, str]] = []
# Steps automation may not take: cancelling a signed sales order refunds or keeps a deposit, a
# manager's decision.
NOT_FOR_THE_SYSTEM: list[tuple[str, str, str]] = [
    ("sales_lead", "order", "cancelled"),
    ("sales_lead", "allocated", "cancelled"),
    ("sales_lead", "pdi", "cancelled"),
]


@dataclass
class Record:
    """A stand-in for a machine's record: only its state (and an id) is read by the role check."""

    status: str
    id: int = 1


def _steps(machine: StateMachine) -> list[tuple[str, str]]:
    return [(t.source, t.target) for t in machine.transitions]


def _record(machine: StateMachine, source: str) -> Any:
    record = Record(status=source)
    if machine.state_attr != "status":
        setattr(record, machine.state_attr, source)
    return record


def _role(actor: str) -> str | None:
    """The role a machine is asked with: None is the system."""
    return None if actor == SYSTEM else actor


# -- over the data -------------------------------------------------------------------------------


def test_every_machine_has_rules_and_every_rule_a_machine():
    assert MACHINES, "no state machine found"
    assert set(STEPS) == set(MACHINES), (
        f"machines without rules: {sorted(set(MACHINES) - set(STEPS))}; "
        f"rules without a machine: {sorted(set(STEPS) - set(MACHINES))}"
    )


@pytest.mark.parametrize("entity_type", sorted(STEPS))
def test_every_rule_names_real_states_and_decides_some_step(entity_type):
    machine, rules = MACHINES[entity_type], STEPS[entity_type]
    known = set(machine.states) | {ANY}
    for (source, target), roles in rules.items():
        assert {source, target} <= known, f"{entity_type}: rule {source} -> {target}: no such state"
        if ANY not in (source, target):
            assert machine.can(source, target), f"{entity_type}: {source} -> {target} undeclared"
        unknown = set(roles) - {*Role, SYSTEM}
        assert not unknown, f"{entity_type}: {source} -> {target} names unknown roles {unknown}"
    decisive = set()
    for source, target in _steps(machine):
        candidates = ((source, target), (source, ANY), (ANY, target), (ANY, ANY))
        decisive.add(next((key for key in candidates if key in rules), None))
    shadowed = sorted(set(rules) - decisive)
    assert not shadowed, f"{entity_type}: rules that decide no declared step: {shadowed}"


@pytest.mark.parametrize("entity_type", sorted(MACHINES))
def test_the_machine_asks_the_policy_for_every_step_and_actor(entity_type):
    machine = MACHINES[entity_type]
    wrong = []
    for source, target in _steps(machine):
        allowed = step_roles(entity_type, source, target)
        assert machine.roles_for(source, target) == allowed, f"{source} -> {target}"
        for actor in ACTORS:
            record = _record(machine, source)
            try:
                machine.check_role(entity=record, to=target, role=_role(actor))
                let_in = True
            except StepForbidden:
                let_in = False
            if let_in != (actor in allowed):
                wrong.append(f"{source} -> {target} as {actor}: let in {let_in}")
            if actor in allowed:
                continue
            # The role is judged before the reason and the guard: a refused actor learns 403,
            # never what else the step would need (no session is even needed to refuse).
            with pytest.raises(StepForbidden):
                machine.check(None, entity=record, to=target, role=_role(actor))  # type: ignore[arg-type]
            assert getattr(record, machine.state_attr) == source
    assert not wrong, f"{entity_type}: the machine and the policy disagree:\n" + "\n".join(wrong)


def test_an_undeclared_step_is_refused_as_illegal_whoever_asks():
    with pytest.raises(IllegalTransition):
        WORK_ORDER.check(None, entity=Record("booked"), to="settled", role=Role.admin.value)  # type: ignore[arg-type]


def test_no_step_is_left_to_nobody_and_the_system_only_steps_are_listed():
    nobody, system_only, not_system = [], [], []
    for entity_type, machine in MACHINES.items():
        for source, target in _steps(machine):
            roles = machine.roles_for(source, target)
            step = (entity_type, source, target)
            if not roles:
                nobody.append(step)
            elif roles == {SYSTEM}:
                system_only.append(step)
            if SYSTEM not in roles:
                not_system.append(step)
    assert nobody == [], f"steps nobody may take: {nobody}"
    assert system_only == SYSTEM_ONLY_STEPS, "steps only the system may take"
    assert not_system == NOT_FOR_THE_SYSTEM, "steps the system may not take"


def test_cancelling_a_job_is_the_service_desks_from_every_state():
    cancels = [(s, t) for s, t in _steps(WORK_ORDER) if t == "cancelled"]
    assert cancels, "the work order has no cancelling step"
    desk = SERVICE_DESK | {SYSTEM}
    wider = {s: sorted(WORK_ORDER.roles_for(s, t) - desk) for s, t in cancels}
    assert all(WORK_ORDER.roles_for(s, t) == desk for s, t in cancels), (
        f"cancelling from these states is open to more than the service desk: {wider}"
    )


# -- through the API, on work orders -------------------------------------------------------------


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        open_every_day(session, store)
        make_operation(session, group, code="BAT-TEST", hours="0.3", skill="electrical")
        alice = make_customer(session, store, name="王芳")
        technician = make_technician(session, group, store, skills=("electrical",))
        make_bay(session, store)
        return {
            "store": store,
            "alice": alice,
            "car": make_vehicle(session, store, owner=alice),
            "technician": technician,
            "tech_user": session.get(User, technician.user_id),
            "advisor": make_user(session, group, Role.service_advisor, stores=[store]),
            "sales": make_user(session, group, Role.sales_consultant, stores=[store]),
            "clerk": make_user(session, group, Role.parts_clerk, stores=[store]),
        }


@pytest.fixture(scope="module")
def headers(client, world) -> dict[str, dict[str, str]]:
    return {
        name: auth_headers(client, world[name], **EN)
        for name in ("advisor", "sales", "clerk", "tech_user")
    }


def _draft(app, world) -> int:
    with app.state.session_factory.begin() as session:
        wo = service.draft_work_order(
            session,
            actor=SystemActor(world["store"].id),
            store_id=world["store"].id,
            customer_id=world["alice"].id,
            vehicle_id=world["car"].id,
            operations=["BAT-TEST"],
            technician_id=world["technician"].id,
            advisor_id=world["advisor"].id,
        )
        return wo.id


def _step(client, headers, wo_id: int, to: str, reason: str | None = None):
    body = {"to": to, "reason": reason}
    return client.post(f"/service/work-orders/{wo_id}/status", json=body, headers=headers)


def _state(app, wo_id: int) -> tuple[str, int]:
    """The job's state and how many state changes it has had."""
    with app.state.session_factory() as session:
        rows = session.scalars(
            select(StateTransition).where(
                StateTransition.entity_type == "work_order", StateTransition.entity_id == wo_id
            )
        ).all()
        return session.get(WorkOrder, wo_id).status, len(rows)


def _walk(app, client, headers, wo_id: int, until: str) -> None:
    """Take the job along its flow, each step by a role the policy lets take it."""
    checked_in = client.post(
        f"/service/work-orders/{wo_id}/check-in",
        json={"odometer_km": 48210, "inspection": INSPECTION},
        headers=headers["advisor"],
    )
    assert checked_in.status_code == 200, checked_in.text
    flow = (
        ("diagnosis", "tech_user"),
        ("estimate_sent", "advisor"),
        ("customer_approved", "advisor"),
        ("in_repair", "tech_user"),
        ("quality_check", "tech_user"),
    )
    for to, by in flow:
        if _state(app, wo_id)[0] == until:
            return
        response = _step(client, headers[by], wo_id, to)
        assert response.status_code == 200, f"{to} by {by}: {response.text}"


def _refused_by_the_step(response) -> None:
    assert response.status_code == 403, response.text
    details = response.json()["details"]
    assert (details["entity"], details["rule"]) == ("work_order", "role"), details


def _machine_refuses(app, wo_id: int, to: str, role: Role) -> None:
    """The machine itself refuses the role, also when the route would not stop it first."""
    with app.state.session_factory() as session:
        wo = session.get(WorkOrder, wo_id)
        source = wo.status
        with pytest.raises(StepForbidden):
            WORK_ORDER.apply(session, entity=wo, to=to, reason="试", actor_id=None, role=role)
        assert wo.status == source
        session.rollback()


def test_a_sales_consultant_cannot_cancel_a_work_order(app, client, world, headers):
    wo_id = _draft(app, world)
    before = _state(app, wo_id)
    refused = _step(client, headers["sales"], wo_id, "cancelled", "客户取消")
    assert refused.status_code == 403, refused.text
    _machine_refuses(app, wo_id, "cancelled", Role.sales_consultant)
    assert _state(app, wo_id) == before
    assert _step(client, headers["advisor"], wo_id, "cancelled", "客户取消").status_code == 200


def test_a_parts_clerk_cannot_move_a_job_to_diagnosis(app, client, world, headers):
    wo_id = _draft(app, world)
    _walk(app, client, headers, wo_id, until="checked_in")
    before = _state(app, wo_id)
    assert before[0] == "checked_in"
    assert _step(client, headers["clerk"], wo_id, "diagnosis").status_code == 403
    _machine_refuses(app, wo_id, "diagnosis", Role.parts_clerk)
    assert _state(app, wo_id) == before


def test_a_technician_cannot_settle_and_an_advisor_settles_a_job_that_passed_qc(
    app, client, world, headers
):
    wo_id = _draft(app, world)
    _walk(app, client, headers, wo_id, until="quality_check")
    before = _state(app, wo_id)
    assert before[0] == "quality_check"
    _refused_by_the_step(_step(client, headers["tech_user"], wo_id, "settled"))
    assert _state(app, wo_id) == before
    settled = _step(client, headers["advisor"], wo_id, "settled")
    assert settled.status_code == 200, settled.text
    assert settled.json()["status"] == "settled"
    assert _state(app, wo_id) == ("settled", before[1] + 1)


def test_a_technician_cannot_cancel_a_job_even_while_it_waits_for_approval(
    app, client, world, headers
):
    wo_id = _draft(app, world)
    _walk(app, client, headers, wo_id, until="diagnosis")
    _refused_by_the_step(_step(client, headers["tech_user"], wo_id, "cancelled", "客户不修了"))
    waiting = client.post(
        f"/service/work-orders/{wo_id}/wait",
        json={"wait": "waiting_approval", "reason_code": "customer_unreachable"},
        headers=headers["tech_user"],
    )
    assert waiting.status_code == 200, waiting.text
    before = _state(app, wo_id)
    _refused_by_the_step(_step(client, headers["tech_user"], wo_id, "cancelled", "客户不修了"))
    assert _state(app, wo_id) == before
    cancelled = _step(client, headers["advisor"], wo_id, "cancelled", "客户不修了")
    assert cancelled.status_code == 200, cancelled.text
