"""Proactive routes: triage policy, proposals, the advisor feed (history and SSE), the KPI, and
customers' public appointment links. Thin: flows and services do the work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from api import streams
from api.auth import service as auth_service
from api.auth.security import decode_token
from api.deps import (
    CurrentUser,
    ManagerUser,
    Principal,
    SessionDep,
    SettingsDep,
    StaffUser,
    oauth2_scheme,
)
from api.errors import NotAuthenticated
from api.i18n import Text
from api.pagination import PageParamsDep
from api.proactive import closing, feed, links, policy, proposals
from api.proactive.constants import FEED_CHANNEL, PROPOSAL_STATES
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
    StreamTicketRead,
    WithdrawBody,
)
from api.types import Day, IdPath, IdQuery, one_of

router = APIRouter(tags=["proactive"])

Advisor = CurrentUser  # the roles: api/auth/policy.py
SSE_EXAMPLE = (
    'id: 42\nevent: appointment_booked\ndata: {"id": 42, "store_id": 1, "vin": '
    '"LSVAU2180NT123456", "failure_mode": "battery", "appointment_id": 7}\n\n'
)
StoreQuery = Annotated[int, Query(ge=1, le=2**63 - 1, description="The store")]


@router.get("/proactive/policy", response_model=PolicyRead)
def get_policy(session: SessionDep, user: StaffUser, store_id: StoreQuery) -> PolicyRead:
    """The store's triage policy: rules from failure mode, DTC or severity to an action."""
    found = policy.get_policy(session, actor=user.scope, store_id=store_id)
    return PolicyRead.model_validate(found)


@router.put("/proactive/policy", response_model=PolicyRead)
def put_policy(
    session: SessionDep, user: ManagerUser, store_id: StoreQuery, body: PolicyUpdate
) -> PolicyRead:
    """Change the store's mode (auto or approval) and rules (a manager of the store)."""
    saved = policy.update_policy(
        session, actor=user.scope, store_id=store_id, data=body, actor_id=user.id
    )
    return PolicyRead.model_validate(saved)


@router.get("/proactive/proposals", response_model=ProposalPage)
def list_proposals(
    session: SessionDep,
    user: StaffUser,
    page: PageParamsDep,
    store_id: IdQuery = None,
    status: Annotated[str | None, Query(pattern=one_of(PROPOSAL_STATES))] = None,
) -> ProposalPage:
    """Visits the loop planned for your stores, newest first."""
    paged = proposals.list_proposals(
        session, actor=user.scope, page=page, store_id=store_id, status=status
    )
    return ProposalPage.model_validate(paged, from_attributes=True)


@router.post("/proactive/proposals/{proposal_id}/accept", response_model=ProposalRead)
def accept_proposal(
    session: SessionDep, settings: SettingsDep, user: Advisor, proposal_id: IdPath
) -> ProposalRead:
    """Book a proposed visit with one click: job drafted, parts reserved, customer told."""
    proposal = proposals.accept(
        session, settings, actor=user.scope, proposal_id=proposal_id, actor_id=user.id
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
    proposal = proposals.withdraw(
        session, settings, actor=user.scope, proposal_id=proposal_id, reason=body.reason,
        actor_id=user.id,
    )  # fmt: skip
    return ProposalRead.model_validate(proposal)


@router.get("/proactive/kpi/first-time-fix", response_model=FirstTimeFix)
def first_time_fix(
    session: SessionDep, user: StaffUser, store_id: StoreQuery, date_from: Day, date_to: Day
) -> FirstTimeFix:
    """Jobs from predicted faults delivered in the period, and the share that did not return."""
    kpi = closing.first_time_fix(
        session, actor=user.scope, store_id=store_id, date_from=date_from, date_to=date_to
    )
    return FirstTimeFix.model_validate(kpi)


@router.get("/feed", response_model=FeedPage)
def feed_history(
    session: SessionDep, user: StaffUser, page: PageParamsDep, store_id: IdQuery = None
) -> FeedPage:
    """The advisor feed of your stores, newest first (the stream sends the same events)."""
    paged = feed.list_feed(session, actor=user.scope, page=page, store_id=store_id)
    items = [FeedEventRead(id=e.id, event=e.kind, data=feed.as_sse_data(e)) for e in paged.items]
    return FeedPage(items=items, total=paged.total, limit=paged.limit, offset=paged.offset)


@router.post("/feed/stream/ticket", response_model=StreamTicketRead)
def feed_stream_ticket(
    user: StaffUser,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> StreamTicketRead:
    """A single-use ticket (valid 30 s) that opens one /feed/stream; EventSource sends no
    headers, so the ticket, not the bearer token, goes in its URL."""
    claims = decode_token(token or "", settings=settings, token_type="access")
    ticket, expires = streams.issue_ticket(
        settings=settings, user=user.user, access_expires=datetime.fromtimestamp(claims["exp"], UTC)
    )
    return StreamTicketRead(ticket=ticket, expires_at=expires)


@dataclass(frozen=True)
class _StreamCaller:
    principal: Principal
    ends_at: datetime


def _stream_user(
    request: Request,
    header_token: Annotated[str | None, Depends(oauth2_scheme)],
    ticket: Annotated[
        str | None,
        Query(min_length=10, max_length=2000, description="From POST /feed/stream/ticket"),
    ] = None,
) -> _StreamCaller:
    """The staff user of a bearer header or, for EventSource, a single-use ticket (spent)."""
    settings = request.app.state.settings
    with request.app.state.session_factory() as session:
        if header_token:
            user = auth_service.user_from_token(session, settings=settings, token=header_token)
            claims = decode_token(header_token, settings=settings, token_type="access")
            ends_at = datetime.fromtimestamp(claims["exp"], UTC)
        elif ticket:
            user, ends_at = streams.redeem_ticket(
                session, settings=settings, ticket=ticket, path="/feed/stream"
            )
        else:
            raise NotAuthenticated(why=Text("auth.no_token"))
        principal = Principal(user=user, scope=auth_service.scope_of(session, user=user))
    if principal.scope.is_customer:
        raise NotAuthenticated(why=Text("auth.token_invalid"))
    return _StreamCaller(principal, ends_at)


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
    caller: Annotated[_StreamCaller, Depends(_stream_user)],
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-Sent Events of your stores' feed; Last-Event-ID resumes after that event. The
    stream ends at logout or when the access token the ticket came from expires."""
    user = caller.principal.user
    store_ids = caller.principal.scope.store_ids
    factory = request.app.state.session_factory
    settings = request.app.state.settings
    hub = streams.hub_of(request.app, FEED_CHANNEL)
    if last_event_id is not None and last_event_id.isdigit():
        after = int(last_event_id)
    else:
        with factory() as session:
            after = feed.last_id(session, store_ids=store_ids)
    version = user.token_version
    release = hub.acquire(user.id)
    body = feed.stream(
        hub=hub,
        session_factory=factory,
        store_ids=store_ids,
        after_id=after,
        still_allowed=lambda: streams.still_valid(factory, user_id=user.id, token_version=version),
        ends_at=caller.ends_at,
        recheck_s=settings.stream_recheck_seconds,
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        streams.releasing(body, release), media_type="text/event-stream", headers=headers
    )


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
