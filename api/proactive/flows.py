"""Work that spans domains: an alert event becomes a visit (crm → triage → parts → service →
notifications → feed), and an advisor accepts or withdraws what the loop proposed. No HTTP.

Every function takes the session; the caller commits. Idempotency has two locks: the partial
unique index on live proposals (one per car and failure mode, so a repeat or a racing worker
finds the first one), and the service's source_ref on the appointment and work order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.auth.scope import Scope
from api.crm.models import Customer, Vehicle
from api.errors import Conflict, NotFound
from api.i18n import Text
from api.notifications.service import notify
from api.proactive import closing, feed, kits, links, policy
from api.proactive import purchasing as proactive_purchasing
from api.proactive.constants import LIVE_PROPOSAL_STATES, TOW_PHONE
from api.proactive.models import Proposal
from api.proactive.states import PROPOSAL
from api.service import service as service_api
from api.service.work_models import WorkOrder
from core.settings import Settings
from diagnostics import explain

log = logging.getLogger(__name__)

SEARCH_ROUNDS = 5  # fresh slot searches when racing bookings took all the slots found
FEED_KIND = {"created": "alert_opened", "severity_raised": "alert_updated"}


@dataclass(frozen=True)
class Outcome:
    """What reacting to one alert event did (recorded with the handled event)."""

    what: str
    proposal_id: int | None = None


def source_ref(vin: str, failure_mode: str, alert_id: int) -> str:
    """The idempotency key of an alert's visit, shared by proposal, appointment and job."""
    return f"alert:{vin}:{failure_mode}:{alert_id}"


def react(
    session: Session, settings: Settings, *, event: dict[str, Any], alert: dict[str, Any]
) -> Outcome:
    """React to one alert event (created, severity_raised or cleared) for the alert's car."""
    vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == event["vin"]))
    if vehicle is None:
        return Outcome("vehicle not in CRM")
    if event["kind"] == "cleared":
        return _cleared(session, vehicle=vehicle, event=event)
    customer = session.get(Customer, vehicle.owner_id) if vehicle.owner_id else None
    store_id = _visit_store(session, vehicle, customer)
    feed.publish(
        session,
        store_id=store_id,
        kind=FEED_KIND[event["kind"]],
        vin=vehicle.vin,
        failure_mode=alert["failure_mode"],
        severity=alert["severity"],
        alert_id=alert["id"],
    )
    if event["kind"] == "created":
        closing.flag_comeback(session, vin=vehicle.vin, alert=alert)
    rules = policy.policy_of(session, store_id=store_id)
    decision = policy.triage(rules.rules, alert)
    if decision.action in ("ignore", "monitor"):
        return Outcome(decision.action)
    if customer is None:
        return Outcome("no owner to book for")
    proposal = _claim(session, store_id, vehicle, customer, alert, decision)
    if proposal is None:
        return Outcome("already planned")
    if rules.mode == "auto":
        book(session, settings, proposal=proposal, actor_id=None)
    else:
        _propose(session, settings, proposal=proposal)
    return Outcome(proposal.status, proposal.id)


def _visit_store(session: Session, vehicle: Vehicle, customer: Customer | None) -> int:
    preferred = customer.preferred_store_id if customer else None
    if preferred is not None and preferred != vehicle.store_id:
        home, other = session.get(Store, vehicle.store_id), session.get(Store, preferred)
        if home and other and home.dealer_group_id == other.dealer_group_id:
            return preferred
    return vehicle.store_id


def _evidence(alert: dict[str, Any]) -> dict[str, Any]:
    zh, en = explain.render(alert, "zh-CN"), explain.render(alert, "en")
    return {
        "alert_id": alert["id"],
        "failure_mode": alert["failure_mode"],
        "severity": alert["severity"],
        "probability": alert.get("probability"),
        "title_zh": zh["title"],
        "title_en": en["title"],
        "reasons_zh": zh["reasons"],
        "reasons_en": en["reasons"],
        "raw": (alert.get("explanation") or {}).get("reasons", {}),
    }


def _claim(
    session: Session,
    store_id: int,
    vehicle: Vehicle,
    customer: Customer,
    alert: dict[str, Any],
    decision: policy.Decision,
) -> Proposal | None:
    """A new proposal for the car and mode, or None when a live one exists (or wins a race)."""
    ref = source_ref(vehicle.vin, alert["failure_mode"], alert["id"])
    kit = kits.kit_for(alert["failure_mode"])
    store = session.get(Store, store_id)
    parts = kits.resolve_parts(session, group_id=store.dealer_group_id, vehicle=vehicle, kit=kit)
    proposal = Proposal(
        store_id=store_id,
        kind="alert",
        source_ref=ref,
        vin=vehicle.vin,
        failure_mode=alert["failure_mode"],
        alert_id=alert["id"],
        severity=alert["severity"],
        action=decision.action,
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        operations=list(kit.operations),
        parts=[[part_id, str(quantity)] for part_id, quantity in parts],
        due_by=datetime.now(UTC) + timedelta(days=decision.within_days),
        explanation=_evidence(alert),
    )
    try:
        with session.begin_nested():
            PROPOSAL.start(session, entity=proposal, actor_id=None)
    except IntegrityError:  # a live plan for this car and mode exists: waits for its commit
        return None
    return proposal


def book(
    session: Session, settings: Settings, *, proposal: Proposal, actor_id: int | None
) -> Proposal:
    """Draft the job with its parts, order what is short, book the best slot; tell everyone.

    When no slot fits before the deadline the proposal stays 'proposed' with a note for the
    advisor; with actor_id (an advisor's click) a Conflict is raised instead.
    """
    customer = session.get(Customer, proposal.customer_id)
    parts = _parts(proposal)
    immediate = proposal.action == "immediate"
    try:
        with session.begin_nested():
            wo = service_api.draft_work_order(
                session,
                actor=proposal.store_id,
                store_id=proposal.store_id,
                customer_id=proposal.customer_id,
                vehicle_id=proposal.vehicle_id,
                operations=proposal.operations,
                parts=parts,
                complaint=_complaint(proposal),
                evidence=proposal.explanation,
                source=proposal.kind,
                source_ref=proposal.source_ref,
                actor_id=actor_id,
            )
            shorts = [(line.part_id, line.quantity) for line in wo.parts if line.status == "short"]
            order = None
            if shorts:
                order = proactive_purchasing.raise_purchase(
                    session, store_id=proposal.store_id, shorts=shorts
                )
            appointment = _book_slot(session, proposal, customer, shorts, actor_id)
    except Conflict:
        if actor_id is not None:
            raise
        due = proposal.due_by.isoformat(timespec="minutes")
        proposal.note = Text("proactive.no_slot", {"due": due}).render("zh-CN")
        _propose(session, settings, proposal=proposal)
        return proposal
    wo.appointment_id, wo.technician_id = appointment.id, appointment.technician_id
    proposal.appointment_id, proposal.work_order_id = appointment.id, wo.id
    proposal.purchase_order_id = order.id if order is not None else None
    proposal.suggested_starts_at = appointment.starts_at
    session.flush()  # apply() re-reads the locked row
    PROPOSAL.apply(session, entity=proposal, to="booked", actor_id=actor_id)
    kind = "proposal_accepted" if actor_id is not None else "appointment_booked"
    _feed(session, proposal, kind, starts_at=appointment.starts_at)
    _tell(
        session,
        settings,
        proposal,
        "stop_driving" if immediate else "booking_created",
        starts_at=appointment.starts_at,
        links=links.links_for(settings, appointment=appointment),
    )
    return proposal


def _book_slot(
    session: Session,
    proposal: Proposal,
    customer: Customer,
    shorts: list[tuple[int, Decimal]],
    actor_id: int | None,
) -> Any:
    """book_best_slot, searching again when racing bookings took every slot it had found."""
    preferences = None if proposal.action == "immediate" else service_api.preferences_of(customer)
    for round_ in range(1, SEARCH_ROUNDS + 1):
        now = datetime.now(UTC)
        try:
            return service_api.book_best_slot(
                session,
                actor=proposal.store_id,
                store_id=proposal.store_id,
                customer_id=proposal.customer_id,
                vehicle_id=proposal.vehicle_id,
                operations=proposal.operations,
                earliest=now,
                latest=max(proposal.due_by, now + timedelta(hours=1)),
                parts=shorts,
                preferences=preferences,
                source=proposal.kind,
                source_ref=proposal.source_ref,
                notes=_complaint(proposal),
                actor_id=actor_id,
            )
        except Conflict as error:
            no_slot = getattr(error.params.get("why"), "key", None) == "service.no_slot"
            if no_slot or round_ == SEARCH_ROUNDS:
                raise
    raise Conflict(why=Text("proactive.no_slot", {"due": proposal.due_by.isoformat()}))


def _parts(proposal: Proposal) -> list[tuple[int, Decimal]]:
    return [(int(part_id), Decimal(str(quantity))) for part_id, quantity in proposal.parts]


def _propose(session: Session, settings: Settings, *, proposal: Proposal) -> None:
    """Leave the visit for an advisor's click, with the best slot as a suggestion."""
    now = datetime.now(UTC)
    try:
        found = service_api.find_slots(
            session,
            store_id=proposal.store_id,
            operations=proposal.operations,
            earliest=now,
            latest=max(proposal.due_by, now + timedelta(hours=1)),
            parts=_parts(proposal),
            limit=1,
        )
        proposal.suggested_starts_at = found.slots[0].starts_at if found.slots else None
    except Conflict:
        proposal.suggested_starts_at = None
    session.flush()
    _feed(session, proposal, "proposal_created", starts_at=proposal.suggested_starts_at)
    kind = "stop_driving" if proposal.action == "immediate" else "booking_proposed"
    _tell(session, settings, proposal, kind, starts_at=proposal.suggested_starts_at)


def _complaint(proposal: Proposal) -> str:
    title = proposal.explanation.get("title_zh") or proposal.failure_mode
    return f"车联网预测性维护:{title}"


def _feed(session: Session, proposal: Proposal, kind: str, **extra: Any) -> None:
    feed.publish(
        session,
        store_id=proposal.store_id,
        kind=kind,
        vin=proposal.vin,
        failure_mode=proposal.failure_mode,
        severity=proposal.severity,
        proposal_id=proposal.id,
        appointment_id=proposal.appointment_id,
        work_order_id=proposal.work_order_id,
        **extra,
    )


def _tell(
    session: Session,
    settings: Settings,
    proposal: Proposal,
    kind: str,
    *,
    starts_at: datetime | None,
    links: dict[str, str] | None = None,
) -> None:
    """Notify the customer (one delivery per consented channel; deduplicated per step)."""
    if proposal.customer_id is None:
        return
    vehicle = session.get(Vehicle, proposal.vehicle_id)
    reasons = proposal.explanation
    context = {
        "plate": vehicle.plate if vehicle else None,
        "vehicle": f"{vehicle.make} {vehicle.model}" if vehicle else None,
        "failure_mode": proposal.failure_mode,
        "explanation_zh": ";".join(reasons.get("reasons_zh", [])) or None,
        "explanation_en": "; ".join(reasons.get("reasons_en", [])) or None,
        "starts_at": starts_at.isoformat() if starts_at else None,
        "phone": TOW_PHONE if kind == "stop_driving" else None,
        "appointment_id": proposal.appointment_id,
    }
    notify(
        session,
        store_id=proposal.store_id,
        customer_id=proposal.customer_id,
        kind=kind,
        context={k: v for k, v in context.items() if v is not None},
        links=links,
        urgent=kind == "stop_driving",
        dedupe_key=f"{proposal.source_ref}:{kind}:{proposal.appointment_id or 0}",
    )


def _cleared(session: Session, *, vehicle: Vehicle, event: dict[str, Any]) -> Outcome:
    """Tell the advisor that an alert cleared before the visit; they may withdraw it."""
    live = session.scalars(
        select(Proposal).where(
            Proposal.vin == vehicle.vin,
            Proposal.failure_mode == event["failure_mode"],
            Proposal.status.in_(LIVE_PROPOSAL_STATES),
        )
    ).all()
    for proposal in live:
        proposal.alert_cleared_at = datetime.now(UTC)
        _feed(session, proposal, "alert_cleared", starts_at=proposal.suggested_starts_at)
    if not live:
        feed.publish(
            session,
            store_id=vehicle.store_id,
            kind="alert_cleared",
            vin=vehicle.vin,
            failure_mode=event["failure_mode"],
            severity=event["severity"],
            alert_id=event["alert_id"],
        )
    return Outcome("cleared", live[0].id if live else None)


# Advisor actions ------------------------------------------------------------------------------


def get_proposal(session: Session, *, scope: Scope, proposal_id: int) -> Proposal:
    """A proposal of the caller's stores."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(entity="proposal", id=proposal_id)
    scope.ensure(entity="proposal", store_id=proposal.store_id)
    return proposal


def accept(
    session: Session, settings: Settings, *, scope: Scope, proposal_id: int, actor_id: int
) -> Proposal:
    """One click: book the proposed visit (409 when it is not proposed or no slot is free)."""
    proposal = get_proposal(session, scope=scope, proposal_id=proposal_id)
    scope.ensure_store(proposal.store_id, entity="proposal")
    session.refresh(proposal, with_for_update=True)
    if proposal.status != "proposed":
        why = Text("proactive.not_proposed", {"id": proposal.id, "status": proposal.status})
        raise Conflict(why=why)
    return book(session, settings, proposal=proposal, actor_id=actor_id)


def withdraw(
    session: Session,
    settings: Settings,
    *,
    scope: Scope | int,
    proposal_id: int,
    reason: str,
    actor_id: int | None,
) -> Proposal:
    """Withdraw a plan: its job is cancelled (parts released, appointment cancelled)."""
    if isinstance(scope, Scope):
        proposal = get_proposal(session, scope=scope, proposal_id=proposal_id)
        scope.ensure_store(proposal.store_id, entity="proposal")
    else:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None or proposal.store_id != scope:
            raise NotFound(entity="proposal", id=proposal_id)
    was_booked = proposal.status == "booked"
    PROPOSAL.apply(session, entity=proposal, to="withdrawn", reason=reason, actor_id=actor_id)
    wo = session.get(WorkOrder, proposal.work_order_id) if proposal.work_order_id else None
    if wo is not None and wo.status != "cancelled":
        service_api.advance(
            session, actor=proposal.store_id, work_order_id=wo.id, to="cancelled",
            reason=reason, actor_id=actor_id,
        )  # fmt: skip
    elif proposal.appointment_id is not None:
        appointment = service_api.get_appointment(
            session, actor=proposal.store_id, appointment_id=proposal.appointment_id
        )
        if appointment.status in ("booked", "confirmed"):
            service_api.change_status(
                session, actor=proposal.store_id, appointment_id=appointment.id,
                to="cancelled", reason=reason, actor_id=actor_id,
            )  # fmt: skip
    _feed(session, proposal, "proposal_withdrawn")
    if was_booked:
        _tell(session, settings, proposal, "alert_cleared", starts_at=proposal.suggested_starts_at)
    return proposal
