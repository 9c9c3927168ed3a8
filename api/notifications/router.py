"""Notification routes: the customer's inbox and push subscriptions, the staff delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import ManagerUser, SessionDep, SettingsDep, StaffUser
from api.errors import ErrorBody
from api.notifications import inbox, staff
from api.notifications.constants import Channel, DeliveryStatus, Kind
from api.notifications.dependencies import CustomerUser
from api.notifications.schemas import (
    DeliveryPage,
    NotificationPage,
    NotificationRead,
    PreferencesRead,
    PreferencesUpdate,
    PushSubscriptionCreate,
    PushSubscriptionRead,
    QuietHoursRead,
    QuietHoursUpdate,
    ReadAll,
    VapidKeyRead,
)
from api.pagination import PageParamsDep
from api.types import IdPath, IdQuery

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("/inbox", response_model=NotificationPage)
def list_inbox(
    session: SessionDep,
    user: CustomerUser,
    page: PageParamsDep,
    unread_only: Annotated[bool, Query(description="Only messages not yet read")] = False,
) -> NotificationPage:
    """Your in-app messages, newest first."""
    paged = inbox.list_inbox(session, actor=user.scope, page=page, unread_only=unread_only)
    return NotificationPage.model_validate(paged, from_attributes=True)


@router.post("/inbox/{notification_id}/read", response_model=NotificationRead)
def mark_read(session: SessionDep, user: CustomerUser, notification_id: IdPath) -> NotificationRead:
    """Mark one of your messages read."""
    note = inbox.mark_read(session, actor=user.scope, notification_id=notification_id)
    return NotificationRead.model_validate(note)


@router.post("/inbox/read-all", response_model=ReadAll)
def mark_all_read(session: SessionDep, user: CustomerUser) -> ReadAll:
    """Mark all your messages read."""
    return ReadAll(marked=inbox.mark_all_read(session, actor=user.scope))


@router.get(
    "/push/public-key",
    response_model=VapidKeyRead,
    responses={503: {"model": ErrorBody, "description": "Web Push is not configured"}},
)
def push_public_key(settings: SettingsDep) -> VapidKeyRead:
    """The VAPID public key for pushManager.subscribe (public: it signs nothing)."""
    return VapidKeyRead(public_key=inbox.public_key(settings))


@router.get("/push/subscriptions", response_model=list[PushSubscriptionRead])
def list_subscriptions(session: SessionDep, user: CustomerUser) -> list[PushSubscriptionRead]:
    """Your browsers that receive Web Push."""
    rows = inbox.list_subscriptions(session, actor=user.scope)
    return [PushSubscriptionRead.model_validate(r) for r in rows]


@router.post(
    "/push/subscriptions",
    response_model=PushSubscriptionRead,
    status_code=status.HTTP_201_CREATED,
)
def subscribe(
    session: SessionDep, settings: SettingsDep, user: CustomerUser, body: PushSubscriptionCreate
) -> PushSubscriptionRead:
    """Register this browser's push subscription (send PushSubscription.toJSON())."""
    row = inbox.subscribe(
        session,
        actor=user.scope,
        settings=settings,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        user_agent=body.user_agent,
    )
    return PushSubscriptionRead.model_validate(row)


@router.delete("/push/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe(session: SessionDep, user: CustomerUser, subscription_id: IdPath) -> Response:
    """Stop Web Push to one of your browsers."""
    inbox.unsubscribe(session, actor=user.scope, subscription_id=subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/preferences", response_model=PreferencesRead)
def get_preferences(session: SessionDep, user: CustomerUser) -> PreferencesRead:
    """Your notification language."""
    return PreferencesRead(language=inbox.get_language(session, actor=user.scope))


@router.put("/preferences", response_model=PreferencesRead)
def set_preferences(
    session: SessionDep, user: CustomerUser, body: PreferencesUpdate
) -> PreferencesRead:
    """Choose the language of your notifications (zh-CN or en)."""
    language = inbox.set_language(session, actor=user.scope, language=body.language)
    return PreferencesRead(language=language)


@router.get("/deliveries", response_model=DeliveryPage)
def list_deliveries(
    session: SessionDep,
    user: StaffUser,
    page: PageParamsDep,
    store_id: IdQuery = None,
    customer_id: IdQuery = None,
    channel: Channel | None = None,
    status: DeliveryStatus | None = None,
    kind: Kind | None = None,
) -> DeliveryPage:
    """What was sent to customers of your stores, over which channel, and what failed."""
    paged = staff.list_deliveries(
        session,
        actor=user.scope,
        page=page,
        store_id=store_id,
        customer_id=customer_id,
        channel=channel,
        status=status,
        kind=kind,
    )
    return DeliveryPage.model_validate(paged, from_attributes=True)


@router.get("/quiet-hours/{store_id}", response_model=QuietHoursRead)
def get_quiet_hours(session: SessionDep, user: StaffUser, store_id: IdPath) -> QuietHoursRead:
    """The store's quiet hours: non-urgent email and push wait until they end."""
    return QuietHoursRead(**staff.get_quiet_hours(session, actor=user.scope, store_id=store_id))


@router.put("/quiet-hours/{store_id}", response_model=QuietHoursRead)
def set_quiet_hours(
    session: SessionDep, user: ManagerUser, store_id: IdPath, body: QuietHoursUpdate
) -> QuietHoursRead:
    """Set the store's quiet hours (local time)."""
    values = staff.set_quiet_hours(
        session,
        actor=user.scope,
        store_id=store_id,
        quiet_start=body.quiet_start,
        quiet_end=body.quiet_end,
    )
    return QuietHoursRead(**values)
