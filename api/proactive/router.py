"""Proactive routes: triage policy, proposals, the advisor feed (history and SSE), the KPI, and
customers' public appointment links. Thin: flows and services do the work."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from api.auth import service as auth_service
from api.auth.roles import MANAGERS, Role
from api.deps import (
    CurrentUser,
    ManagerUser,
    Principal,
    SessionDep,
    SettingsDep,
    StaffUser,
    oauth2_scheme,
    require_roles,
)
from api.errors import NotAuthenticated
from api.i18n import Text
from api.pagination import PageParamsDep, paginate
from api.proactive import closing, feed, flows, links, policy
from api.proactive.models import Proposal
from api.proactive.schemas import (
    FeedEventRead,
    FeedPage,
    FirstTimeFix,
    PolicyRead,
    PolicyUpdate,
    ProposalPage,
    ProposalRead,
    PublicAppointment,
    RescheduleBody,
    WithdrawBody,
)
from api.types import IdPath, IdQuery

router = APIRouter(tags=["proactive"])

ADVISORS = MANAGERS | {Role.service_advisor}
Advisor = Annotated[Principal, Depends(require_roles(ADVISORS))]
SSE_EXAMPLE = (
    'id: 42\nevent: appointment_booked\ndata: {"id": 42, "store_id": 1, "vin": '
    '"LSVAU2180NT123456", "failure_mode": "battery", "appointment_id": 7}\n\n'
)
StoreQuery = Annotated[int, Query(ge=1, le=2**63 - 1, description="The store")]


@router.get("/proactive/policy", response_model=PolicyRead)
def get_policy(session: SessionDep, user: StaffUser, store_id: StoreQuery) -> PolicyRead:
    """The store's triage policy: rules from failure mode, DTC or severity to an action."""
    found = policy.get_policy(session, scope=user.scope, store_id=store_id)
    return PolicyRead.model_validate(found)


@router.put("/proactive/policy", response_model=PolicyRead)
def put_policy(
    session: SessionDep, user: ManagerUser, store_id: StoreQuery, body: PolicyUpdate
) -> PolicyRead:
    """Change the store's mode (auto or approval) and rules (a manager of the store)."""
    saved = policy.update_policy(
        session, scope=user.scope, store_id=store_id, data=body, actor_id=user.id
    )
    return PolicyRead.model_validate(saved)


@router.get("/proactive/proposals", response_model=ProposalPage)
def list_proposals(
    session: SessionDep,
    user: StaffUser,
    page: PageParamsDep,
    store_id: IdQuery = None,
    status: Annotated[str | None, Query(pattern="^(proposed|booked|withdrawn|completed)$")] = None,
) -> ProposalPage:
    """Visits the loop planned for your stores, newest first."""
    stmt = select(Proposal).where(user.scope.visible(store_column=Proposal.store_id))
    if store_id is not None:
        stmt = stmt.where(Proposal.store_id == store_id)
    if status is not None:
        stmt = stmt.where(Proposal.status == status)
    paged = paginate(session, stmt.order_by(Proposal.id.desc()), page)
    return ProposalPage.model_validate(paged, from_attributes=True)


@router.post("/proactive/proposals/{proposal_id}/accept", response_model=ProposalRead)
def accept_proposal(
    session: SessionDep, settings: SettingsDep, user: Advisor, proposal_id: IdPath
) -> ProposalRead:
    """Book a proposed visit with one click: job drafted, parts reserved, customer told."""
    proposal = flows.accept(
        session, settings, scope=user.scope, proposal_id=proposal_id, actor_id=user.id
    )
    return ProposalRead.model_validate(proposal)


@router.post("/proactive/proposals/{proposal_id}/withdraw", response_model=ProposalRead)
def withdraw_proposal(
    session: SessionDep,
    settings: SettingsDep,
    user: Advisor,
    proposal_id: IdPath,
    body: WithdrawBody,
) -> ProposalRead:
    """Withdraw a plan (e.g. the alert cleared): appointment cancelled, parts released."""
    proposal = flows.withdraw(
        session, settings, scope=user.scope, proposal_id=proposal_id, reason=body.reason,
        actor_id=user.id,
    )  # fmt: skip
    return ProposalRead.model_validate(proposal)


@router.get("/proactive/kpi/first-time-fix", response_model=FirstTimeFix)
def first_time_fix(
    session: SessionDep, user: StaffUser, store_id: StoreQuery, date_from: date, date_to: date
) -> FirstTimeFix:
    """Jobs from predicted faults delivered in the period, and the share that did not return."""
    kpi = closing.first_time_fix(
        session, scope=user.scope, store_id=store_id, date_from=date_from, date_to=date_to
    )
    return FirstTimeFix.model_validate(kpi)


@router.get("/feed", response_model=FeedPage)
def feed_history(
    session: SessionDep, user: StaffUser, page: PageParamsDep, store_id: IdQuery = None
) -> FeedPage:
    """The advisor feed of your stores, newest first (the stream sends the same events)."""
    paged = feed.list_feed(session, scope=user.scope, page=page, store_id=store_id)
    items = [FeedEventRead(id=e.id, event=e.kind, data=feed.as_sse_data(e)) for e in paged.items]
    return FeedPage(items=items, total=paged.total, limit=paged.limit, offset=paged.offset)


def _stream_user(
    request: Request,
    header_token: Annotated[str | None, Depends(oauth2_scheme)],
    token: Annotated[str | None, Query(max_length=4000, description="For EventSource")] = None,
) -> Principal:
    """The staff user of a bearer header or, since EventSource sends no headers, ?token=."""
    given = header_token or token
    if not given:
        raise NotAuthenticated(why=Text("auth.no_token"))
    with request.app.state.session_factory() as session:
        settings = request.app.state.settings
        user = auth_service.user_from_token(session, settings=settings, token=given)
        principal = Principal(user=user, scope=auth_service.scope_of(session, user=user))
    if principal.scope.is_customer:
        raise NotAuthenticated(why=Text("auth.token_invalid"))
    return principal


@router.get(
    "/feed/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: id (Last-Event-ID), event (the kind), data (JSON)",
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string", "example": SSE_EXAMPLE},
                }
            },
        }
    },
)
async def feed_stream(
    request: Request,
    user: Annotated[Principal, Depends(_stream_user)],
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-Sent Events of your stores' feed; Last-Event-ID resumes after that event."""
    store_ids = user.scope.store_ids
    factory = request.app.state.session_factory
    if last_event_id is not None and last_event_id.isdigit():
        after = int(last_event_id)
    else:
        with factory() as session:
            after = feed.last_id(session, store_ids=store_ids)
    body = feed.stream(
        database_url=request.app.state.settings.database_url,
        session_factory=factory,
        store_ids=store_ids,
        after_id=after,
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


# Customers' links (no sign-in: the signed token is the credential) -----------------------------

Token = Annotated[str, Query(min_length=10, max_length=2000)]


@router.get("/public/appointments/confirm", response_model=PublicAppointment)
def confirm_appointment(
    session: SessionDep, settings: SettingsDep, token: Token, appointment_id: IdQuery = None
) -> PublicAppointment:
    """Confirm the visit the link was sent for (a second click changes nothing)."""
    appointment = links.confirm(session, settings, token=token, appointment_id=appointment_id)
    return PublicAppointment.model_validate(links.describe(session, appointment))


@router.get("/public/appointments/reschedule", response_model=PublicAppointment)
def reschedule_options(
    session: SessionDep, settings: SettingsDep, token: Token, appointment_id: IdQuery = None
) -> PublicAppointment:
    """The visit and other free slots the customer may move it to."""
    appointment, slots = links.free_slots(
        session, settings, token=token, appointment_id=appointment_id
    )
    return PublicAppointment.model_validate(links.describe(session, appointment, slots))


@router.post("/public/appointments/reschedule", response_model=PublicAppointment)
def reschedule_appointment(
    session: SessionDep, settings: SettingsDep, body: RescheduleBody
) -> PublicAppointment:
    """Move the visit to the slot picked (409 when someone took it meanwhile)."""
    appointment = links.reschedule(session, settings, token=body.token, starts_at=body.starts_at)
    return PublicAppointment.model_validate(links.describe(session, appointment))


__all__ = ["router", "CurrentUser"]
