"""Work that spans domains: an alert event becomes a visit (crm → triage → parts → work orders
and workshop → notifications → feed). The advisor's side is in proposals.py. No HTTP.

Every function takes the session; the caller commits. Idempotency has two locks: the partial
unique index on live proposals (one per car and failure mode, so a repeat or a racing worker
finds the first one), and the source_ref on the appointment and the work order.
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

from api.auth.actor import SystemActor
from api.auth.models import Store
from api.crm.models import Customer, Vehicle
from api.errors import Conflict, InvalidInput
from api.i18n import Text
from api.notifications.service import notify
from api.parts.service import availability
from api.proactive import closing, feed, kits, links, policy
from api.proactive import purchasing as proactive_purchasing
from api.proactive.constants import LIVE_PROPOSAL_STATES, TOW_PHONE
from api.proactive.models import Proposal
from api.proactive.states import PROPOSAL
from api.work_orders.lines import reserve_short
from api.work_orders.models import WorkOrder
from api.work_orders.service import draft_work_order
from api.workshop import appointments, booking
from api.workshop.models import Appointment
from api.workshop.slots import find_slots
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
    # Referenced until the end: the session keeps only referenced objects, and the services
    # below look the store up again and again.
    store = session.get(Store, store_id)
    feed.publish(
        session,
        store_id=store_id,
        kind=FEED_KIND[event["kind"]],
        vin=vehicle.vin,
        vehicle=vehicle,
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
    proposal = _claim(session, store, vehicle, customer, alert, decision)
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
    store: Store,
    vehicle: Vehicle,
    customer: Customer,
    alert: dict[str, Any],
    decision: policy.Decision,
) -> Proposal | None:
    """A new proposal for the car and mode, or None when a live one exists (or wins a race)."""
    ref = source_ref(vehicle.vin, alert["failure_mode"], alert["id"])
    kit = kits.kit_for(alert["failure_mode"])
    parts = kits.resolve_parts(session, group_id=store.dealer_group_id, vehicle=vehicle, kit=kit)
    proposal = Proposal(
        store_id=store.id,
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
    immediate = proposal.action == "immediate"
    try:
        with session.begin_nested():
            wo, appointment, shorts = _book_then_reserve(session, proposal, customer, actor_id)
            order = None
            if shorts:
                order = proactive_purchasing.raise_purchase(
                    session, store_id=proposal.store_id, shorts=shorts
                )
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
    post_feed(session, proposal, kind, starts_at=appointment.starts_at)
    tell(
        session,
        settings,
        proposal,
        "stop_driving" if immediate else "booking_created",
        starts_at=appointment.starts_at,
        links=links.links_for(settings, appointment=appointment),
    )
    return proposal


class _StockMoved(Exception):
    """The reservation found other parts short than the slot was chosen for."""


def _book_then_reserve(
    session: Session, proposal: Proposal, customer: Customer, actor_id: int | None
) -> tuple[WorkOrder, Appointment, list[tuple[int, Decimal]]]:
    """Draft the job, book it, and only then reserve its parts: a store's stock rows stay
    locked from the reservation to the commit, not for the whole reaction, so its cars book
    side by side. The slot is chosen for the parts short as the stock stands unlocked; when
    the reservation finds otherwise, the job is drafted and booked again, reserving first."""
    parts = _parts(proposal)
    expected = _short_now(session, proposal.store_id, parts)
    try:
        with session.begin_nested():
            wo = _draft(session, proposal, parts, actor_id, reserve_parts=False)
            appointment = _book_slot(session, proposal, customer, expected, actor_id)
            reserve_short(
                session,
                actor=SystemActor(proposal.store_id),
                work_order=wo,
                actor_id=actor_id,
                first_request=True,
            )
            if _shorts(wo) != expected:
                raise _StockMoved
            return wo, appointment, expected
    except _StockMoved:
        log.debug("stock moved while %s was booked; booking again", proposal.source_ref)
    wo = _draft(session, proposal, parts, actor_id, reserve_parts=True)
    shorts = _shorts(wo)
    return wo, _book_slot(session, proposal, customer, shorts, actor_id), shorts


def _short_now(
    session: Session, store_id: int, parts: list[tuple[int, Decimal]]
) -> list[tuple[int, Decimal]]:
    """The parts short as the stock stands, read without a lock."""
    short = []
    for part_id, quantity in parts:
        try:
            stock = availability(session, actor=SystemActor(store_id), part_id=part_id)
        except InvalidInput:  # the store has no warehouse of its own: everything is ordered
            short.append((part_id, quantity))
            continue
        if stock.available < quantity:
            short.append((part_id, quantity))
    return short


def _shorts(wo: WorkOrder) -> list[tuple[int, Decimal]]:
    return [(line.part_id, line.quantity) for line in wo.parts if line.status == "short"]


def _draft(
    session: Session,
    proposal: Proposal,
    parts: list[tuple[int, Decimal]],
    actor_id: int | None,
    *,
    reserve_parts: bool,
) -> WorkOrder:
    return draft_work_order(
        session,
        actor=SystemActor(proposal.store_id),
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
        reserve_parts=reserve_parts,
    )


def _book_slot(
    session: Session,
    proposal: Proposal,
    customer: Customer,
    shorts: list[tuple[int, Decimal]],
    actor_id: int | None,
) -> Any:
    """book_best_slot, searching again when racing bookings took every slot it had found."""
    preferences = None if proposal.action == "immediate" else appointments.preferences_of(customer)
    for round_ in range(1, SEARCH_ROUNDS + 1):
        now = datetime.now(UTC)
        try:
            return booking.book_best_slot(
                session,
                actor=SystemActor(proposal.store_id),
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
        found = find_slots(
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
    post_feed(session, proposal, "proposal_created", starts_at=proposal.suggested_starts_at)
    kind = "stop_driving" if proposal.action == "immediate" else "booking_proposed"
    tell(session, settings, proposal, kind, starts_at=proposal.suggested_starts_at)


def _complaint(proposal: Proposal) -> str:
    title = proposal.explanation.get("title_zh") or proposal.failure_mode
    return f"车联网预测性维护:{title}"


def post_feed(session: Session, proposal: Proposal, kind: str, **extra: Any) -> None:
    feed.publish(
        session,
        store_id=proposal.store_id,
        kind=kind,
        vin=proposal.vin,
        vehicle=session.get(Vehicle, proposal.vehicle_id) if proposal.vehicle_id else None,
        failure_mode=proposal.failure_mode,
        severity=proposal.severity,
        proposal_id=proposal.id,
        appointment_id=proposal.appointment_id,
        work_order_id=proposal.work_order_id,
        **extra,
    )


def tell(
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
        post_feed(session, proposal, "alert_cleared", starts_at=proposal.suggested_starts_at)
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
