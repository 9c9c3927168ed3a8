"""dispatch_due(): send what is due, record the outcome, back off and retry, then give up.

Several workers may run it at once: each locks its batch with FOR UPDATE SKIP LOCKED, so a
delivery is attempted by one worker at a time. A worker that dies mid-batch rolls back and the
batch is due again (at-least-once: a message sent just before a crash may be sent twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from py_vapid import Vapid
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.notifications.constants import (
    BACKOFF_BASE,
    BACKOFF_FACTOR,
    BACKOFF_MAX,
    DISPATCH_BATCH,
    MAX_ATTEMPTS,
    MAX_ERROR_LENGTH,
    PENDING_STATES,
)
from api.notifications.models import Delivery, PushSubscription
from api.notifications.outbound import UnsafeEndpoint, check_endpoint
from api.notifications.senders import SendFailed, push_payload, send_email, send_push
from api.notifications.vapid import VapidKeysMissing, vapid_keys
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the attempts-th failure."""
    return min(BACKOFF_BASE * BACKOFF_FACTOR ** max(attempts - 1, 0), BACKOFF_MAX)


def dispatch_due(
    session_factory: Callable[[], Session],
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
    limit: int | None = None,
) -> int:
    """Attempt every delivery due at `now` (at most limit); returns how many were attempted."""
    now = now or datetime.now(UTC)
    sender = _Sender(settings or get_settings())
    attempted = 0
    while limit is None or attempted < limit:
        batch = DISPATCH_BATCH if limit is None else min(DISPATCH_BATCH, limit - attempted)
        with session_factory() as session, session.begin():
            due = session.scalars(
                select(Delivery)
                .where(Delivery.status.in_(PENDING_STATES), Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            for delivery in due:
                _attempt(session, delivery, sender, now)
        attempted += len(due)
        # A failed attempt is due again only after now, so the loop ends.
        if len(due) < batch:
            break
    return attempted


class _Sender:
    """The channels, configured once per dispatch run (the VAPID key is read when first needed)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._vapid: Vapid | None = None

    def vapid(self) -> Vapid:
        if self._vapid is None:
            try:
                self._vapid = vapid_keys(self.settings)[0]
            except VapidKeysMissing as error:
                raise SendFailed(str(error)) from None
        return self._vapid

    def send(self, session: Session, delivery: Delivery) -> None:
        note = delivery.notification
        if delivery.channel == "in_app":
            return  # being 'sent' is what makes it visible in the customer's inbox
        if delivery.channel == "email":
            send_email(
                self.settings.smtp_url,
                sender=self.settings.mail_from,
                to=delivery.target or "",
                subject=note.title,
                text=note.body_text,
                html=note.body_html,
                language=note.language,
                reference=f"{note.id}/{delivery.id}",
            )
            return
        subscription = (
            session.get(PushSubscription, delivery.subscription_id)
            if delivery.subscription_id
            else None
        )
        if subscription is None or subscription.customer_id != delivery.customer_id:
            raise SendFailed("the push subscription was removed", permanent=True)
        try:  # again at send time: the host's DNS may have changed since it subscribed
            check_endpoint(subscription.endpoint, allowed_hosts=self.settings.push_allowed_hosts)
        except UnsafeEndpoint as unsafe:
            raise SendFailed(f"refused to send: {unsafe}", permanent=True, gone=True) from None
        payload = push_payload(
            notification_id=note.id,
            kind=note.kind,
            title=note.title,
            text=note.body_text,
            url=note.url or self.settings.public_base_url.rstrip("/") + "/console/",
            urgent=note.urgent,
        )
        send_push(
            endpoint=subscription.endpoint,
            p256dh=subscription.p256dh,
            auth=subscription.auth,
            payload=payload,
            vapid=self.vapid(),
            subject=self.settings.vapid_subject,
            urgent=note.urgent,
        )
        subscription.last_success_at = datetime.now(UTC)


def _attempt(session: Session, delivery: Delivery, sender: _Sender, now: datetime) -> None:
    delivery.attempts += 1
    try:
        sender.send(session, delivery)
    except SendFailed as failure:
        _failed(session, delivery, failure, now)
        return
    except Exception as error:  # one bad message must not stop the dispatcher
        log.exception("delivery %s: unexpected error while sending", delivery.id)
        _failed(session, delivery, SendFailed(f"unexpected error while sending: {error!r}"), now)
        return
    delivery.status, delivery.sent_at, delivery.next_attempt_at = "sent", now, None
    delivery.last_error = None


def _failed(session: Session, delivery: Delivery, failure: SendFailed, now: datetime) -> None:
    """Record the failure: retry after the backoff, or give up."""
    delivery.last_error = str(failure)[:MAX_ERROR_LENGTH]
    if failure.gone and delivery.subscription_id is not None:
        subscription = session.get(PushSubscription, delivery.subscription_id)
        if subscription is not None:
            session.delete(subscription)
    if failure.permanent or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "gave_up", None
    else:
        delivery.status, delivery.next_attempt_at = "failed", now + backoff(delivery.attempts)
    log.warning(
        "delivery %s (%s) attempt %s: %s -> %s",
        delivery.id,
        delivery.channel,
        delivery.attempts,
        delivery.last_error,
        delivery.status,
    )
