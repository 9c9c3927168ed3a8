"""The advisor's side of the loop: list, read, accept (book) or withdraw what it proposed.

No HTTP; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.actor import Actor, SystemActor, ensure_store, ensure_visible
from api.auth.scope import Scope
from api.errors import Conflict, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, where_given
from api.proactive.flows import book, post_feed, tell
from api.proactive.models import Proposal
from api.proactive.states import PROPOSAL
from api.work_orders.models import WorkOrder
from api.work_orders.service import advance
from api.workshop import appointments
from core.settings import Settings


def list_proposals(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    store_id: int | None = None,
    status: str | None = None,
) -> Paged[Proposal]:
    """Visits the loop planned for the caller's stores, newest first."""
    stmt = select(Proposal).where(actor.visible(store_column=Proposal.store_id))
    stmt = where_given(stmt, (Proposal.store_id, store_id), (Proposal.status, status))
    return paginate(session, stmt.order_by(Proposal.id.desc()), page)


def get_proposal(session: Session, *, actor: Actor, proposal_id: int) -> Proposal:
    """A proposal of the actor's stores."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(entity="proposal", id=proposal_id)
    ensure_visible(actor, entity="proposal", store_id=proposal.store_id, record_id=proposal_id)
    return proposal


def accept(
    session: Session, settings: Settings, *, actor: Scope, proposal_id: int, actor_id: int
) -> Proposal:
    """One click: book the proposed visit (409 when it is not proposed or no slot is free)."""
    proposal = get_proposal(session, actor=actor, proposal_id=proposal_id)
    actor.ensure_store(proposal.store_id, entity="proposal")
    session.refresh(proposal, with_for_update=True)
    if proposal.status != "proposed":
        why = Text("proactive.not_proposed", {"id": proposal.id, "status": proposal.status})
        raise Conflict(why=why)
    return book(session, settings, proposal=proposal, actor_id=actor_id)


def withdraw(
    session: Session,
    settings: Settings,
    *,
    actor: Actor,
    proposal_id: int,
    reason: str,
    actor_id: int | None,
) -> Proposal:
    """Withdraw a plan: its job is cancelled (parts released, appointment cancelled)."""
    proposal = get_proposal(session, actor=actor, proposal_id=proposal_id)
    ensure_store(actor, proposal.store_id, entity="proposal")
    was_booked = proposal.status == "booked"
    PROPOSAL.apply(session, entity=proposal, to="withdrawn", reason=reason, actor_id=actor_id)
    wo = session.get(WorkOrder, proposal.work_order_id) if proposal.work_order_id else None
    if wo is not None and wo.status != "cancelled":
        advance(
            session, actor=SystemActor(proposal.store_id), work_order_id=wo.id, to="cancelled",
            reason=reason, actor_id=actor_id,
        )  # fmt: skip
    elif proposal.appointment_id is not None:
        appointment = appointments.get_appointment(
            session, actor=SystemActor(proposal.store_id), appointment_id=proposal.appointment_id
        )
        if appointment.status in ("booked", "confirmed"):
            appointments.change_status(
                session, actor=SystemActor(proposal.store_id), appointment_id=appointment.id,
                to="cancelled", reason=reason, actor_id=actor_id,
            )  # fmt: skip
    post_feed(session, proposal, "proposal_withdrawn")
    if was_booked:
        tell(session, settings, proposal, "alert_cleared", starts_at=proposal.suggested_starts_at)
    return proposal
