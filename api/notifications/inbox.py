"""The customer's side: in-app inbox, Web Push subscriptions, language. No HTTP here."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.crm.models import Customer
from api.errors import DomainError, Forbidden, InvalidInput, NotFound
from api.i18n import Text
from api.notifications import messages as _messages  # noqa: F401  (registers the text)
from api.notifications.models import (
    Delivery,
    Notification,
    NotificationPreference,
    PushSubscription,
)
from api.notifications.outbound import UnsafeEndpoint, check_endpoint
from api.notifications.service import language_of
from api.notifications.vapid import VapidKeysMissing, vapid_keys
from api.pagination import Paged, PageParams, paginate
from core.settings import Settings

P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16  # RFC 8291 auth secret


class PushNotConfigured(DomainError):
    """The server has no VAPID key, so browsers cannot subscribe."""

    status_code = 503
    default_code = "notifications.push_not_configured"


def _customer_id(actor: Scope) -> int:
    if not actor.is_customer or actor.customer_id is None:
        raise Forbidden(entity="notification", why=Text("notifications.not_a_customer"))
    return actor.customer_id


def _visible_in_app():  # noqa: ANN202  (a SQL expression)
    return exists().where(
        Delivery.notification_id == Notification.id,
        Delivery.channel == "in_app",
        Delivery.status == "sent",
    )


def list_inbox(
    session: Session, *, actor: Scope, page: PageParams, unread_only: bool = False
) -> Paged[Notification]:
    """The customer's own in-app messages that have been delivered, newest first."""
    stmt = select(Notification).where(
        Notification.customer_id == _customer_id(actor), _visible_in_app()
    )
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return paginate(
        session, stmt.order_by(Notification.created_at.desc(), Notification.id.desc()), page
    )


def mark_read(session: Session, *, actor: Scope, notification_id: int) -> Notification:
    """Mark one of the customer's in-app messages read (reading twice keeps the first time)."""
    customer_id = _customer_id(actor)
    note = session.scalar(
        select(Notification).where(Notification.id == notification_id, _visible_in_app())
    )
    if note is None:
        raise NotFound(entity="notification", id=notification_id)
    actor.ensure(
        entity="notification",
        store_id=note.store_id,
        customer_id=note.customer_id,
        record_id=notification_id,
    )
    if note.customer_id == customer_id and note.read_at is None:
        note.read_at = datetime.now(UTC)
        session.flush()
    return note


def mark_all_read(session: Session, *, actor: Scope) -> int:
    """Mark every delivered in-app message of the customer read; returns how many changed."""
    stmt = (
        update(Notification)
        .where(
            Notification.customer_id == _customer_id(actor),
            Notification.read_at.is_(None),
            _visible_in_app(),
        )
        .values(read_at=datetime.now(UTC))
    )
    return session.execute(stmt).rowcount or 0


def public_key(settings: Settings) -> str:
    """The VAPID public key browsers subscribe with."""
    try:
        return vapid_keys(settings)[1]
    except VapidKeysMissing as error:
        raise PushNotConfigured(why=str(error)) from None


def _check_key(value: str, *, what: str, size: int) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size or (size == P256DH_BYTES and raw[0] != 4):
        raise InvalidInput(
            field=f"keys.{what}",
            problem=Text("notifications.bad_key", {"what": what, "size": size}),
        )
    return value.rstrip("=")


def subscribe(
    session: Session,
    *,
    actor: Scope,
    settings: Settings,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str | None = None,
) -> PushSubscription:
    """Register the browser's push subscription for the customer (again: refreshed, moved)."""
    customer = session.get(Customer, _customer_id(actor))
    if customer is None:
        raise NotFound(entity="customer", id=actor.customer_id)
    try:
        check_endpoint(endpoint, allowed_hosts=settings.push_allowed_hosts)
    except UnsafeEndpoint as unsafe:
        raise InvalidInput(field="endpoint", problem=unsafe.why) from None
    p256dh = _check_key(p256dh, what="p256dh", size=P256DH_BYTES)
    auth = _check_key(auth, what="auth", size=AUTH_BYTES)
    values = {
        "customer_id": customer.id,
        "store_id": customer.store_id,
        "p256dh": p256dh,
        "auth": auth,
        "user_agent": user_agent,
    }
    # A browser has one subscription: whoever signs in on it last receives its pushes. The
    # previous owner's row goes, so that their queued messages never reach the new owner.
    session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.customer_id != customer.id
        )
    )
    stmt = (
        insert(PushSubscription)
        .values(endpoint=endpoint, **values)
        .on_conflict_do_update(
            index_elements=["endpoint"], set_=values | {"updated_at": func.now()}
        )
        .returning(PushSubscription.id)
    )
    subscription_id = session.scalar(stmt)
    return session.get(PushSubscription, subscription_id, populate_existing=True)


def list_subscriptions(session: Session, *, actor: Scope) -> list[PushSubscription]:
    """The customer's registered browsers."""
    stmt = select(PushSubscription).where(PushSubscription.customer_id == _customer_id(actor))
    return list(session.scalars(stmt.order_by(PushSubscription.id)))


def unsubscribe(session: Session, *, actor: Scope, subscription_id: int) -> None:
    """Remove one of the customer's push subscriptions."""
    customer_id = _customer_id(actor)
    row = session.get(PushSubscription, subscription_id)
    if row is None:
        raise NotFound(entity="push subscription", id=subscription_id)
    actor.ensure(
        entity="push subscription",
        store_id=row.store_id,
        customer_id=row.customer_id,
        record_id=subscription_id,
    )
    if row.customer_id == customer_id:
        session.delete(row)
        session.flush()


def get_language(session: Session, *, actor: Scope) -> str:
    """The customer's notification language."""
    return language_of(session, customer_id=_customer_id(actor))


def set_language(session: Session, *, actor: Scope, language: str) -> str:
    """Choose the language notifications are written in."""
    customer = session.get(Customer, _customer_id(actor))
    if customer is None:
        raise NotFound(entity="customer", id=actor.customer_id)
    row = session.scalar(
        select(NotificationPreference).where(NotificationPreference.customer_id == customer.id)
    )
    if row is None:
        row = NotificationPreference(customer_id=customer.id, store_id=customer.store_id)
        session.add(row)
    row.language = language
    session.flush()
    return language
