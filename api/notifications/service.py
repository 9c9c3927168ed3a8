"""notify(): one message to a customer, one delivery per consented channel. No HTTP here.

Dispatch (sending, retries) is in api.notifications.dispatch; the customer's inbox and push
subscriptions in api.notifications.inbox.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.crm.models import Customer
from api.errors import InvalidInput, NotFound
from api.i18n import DEFAULT_LANGUAGE
from api.notifications import messages as _messages  # noqa: F401  (registers the text)
from api.notifications.constants import KINDS, MAX_DEDUPE_KEY_LENGTH, QUIET_CHANNELS
from api.notifications.models import (
    Delivery,
    Notification,
    NotificationPreference,
    PushSubscription,
)
from api.notifications.quiet_hours import next_allowed, store_window
from api.notifications.templates import Rendered, localized, render
from diagnostics.modes import mode_name

SUFFIXES = {"_zh": "zh-CN", "_en": "en"}  # context keys like title_zh / title_en
NO_EMAIL = "the customer has no email address; add one to the customer in CRM"
NO_PUSH = "no browser of the customer has subscribed to Web Push; nothing to send to"


def notify(
    session: Session,
    *,
    store_id: int,
    customer_id: int,
    kind: str,
    context: dict[str, Any],
    links: dict[str, str] | None = None,
    urgent: bool = False,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Queue a message on every channel the customer consented to; the caller commits.

    Non-urgent email and push wait for the end of the store's quiet hours. A dedupe_key seen
    before for this customer returns the deliveries made the first time and adds none.
    """
    if kind not in KINDS:
        raise InvalidInput(field="kind", problem=f"'{kind}' is not one of: {', '.join(KINDS)}")
    if dedupe_key is not None and not 0 < len(dedupe_key) <= MAX_DEDUPE_KEY_LENGTH:
        raise InvalidInput(field="dedupe_key", problem="must be 1 to 200 characters")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(entity="customer", id=customer_id)
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(entity="store", id=store_id)
    if dedupe_key is not None:
        earlier = _deliveries_of(session, customer_id=customer_id, dedupe_key=dedupe_key)
        if earlier is not None:
            return earlier
    now = now or datetime.now(UTC)
    links = {k: v for k, v in (links or {}).items() if v}
    language = language_of(session, customer_id=customer_id)
    values = message_values(context, language=language, customer=customer, store=store)
    rendered = render(kind, language, values, links)
    notification_id = _insert(
        session,
        store_id=store_id,
        customer_id=customer_id,
        kind=kind,
        urgent=urgent,
        language=language,
        rendered=rendered,
        context=context,
        links=links,
        dedupe_key=dedupe_key,
    )
    if notification_id is None:  # a concurrent notify with the same key committed first
        return _deliveries_of(session, customer_id=customer_id, dedupe_key=dedupe_key) or []
    due = now
    if not urgent:
        start, end = store_window(session, store_id=store_id)
        due = next_allowed(now, timezone=store.timezone, start=start, end=end)
    deliveries = _plan(session, customer=customer, store_id=store_id, now=now, quiet_due=due)
    for delivery in deliveries:
        delivery.notification_id = notification_id
        session.add(delivery)
    session.flush()
    return deliveries


def language_of(session: Session, *, customer_id: int) -> str:
    """The customer's notification language (zh-CN unless they chose en)."""
    chosen = session.scalar(
        select(NotificationPreference.language).where(
            NotificationPreference.customer_id == customer_id
        )
    )
    return chosen or DEFAULT_LANGUAGE


def message_values(
    context: dict[str, Any], *, language: str, customer: Customer, store: Store
) -> dict[str, str]:
    """The template fields: context in the language (x_zh/x_en or {lang: ...}), formatted."""
    zone = ZoneInfo(store.timezone)
    plain: dict[str, Any] = {}
    translated: dict[str, Any] = {}
    for key, value in context.items():
        for suffix, lang in SUFFIXES.items():
            if key.endswith(suffix):
                if lang == language:
                    translated[key.removesuffix(suffix)] = value
                break
        else:
            plain[key] = localized(value, language)
    values = {
        "customer_name": customer.name,
        "store_name": store.name_zh if language == "zh-CN" else store.name_en,
    }
    values |= plain | translated  # an explicit translation beats a plain value
    if not values.get("finding") and context.get("failure_mode"):
        values["finding"] = mode_name(str(context["failure_mode"]), language)
    if not values.get("finding") and values.get("title"):
        values["finding"] = values["title"]
    return {k: _format(k, v, language, zone) for k, v in values.items() if v not in (None, "")}


def _format(key: str, value: Any, language: str, zone: ZoneInfo) -> str:
    if key in ("starts_at", "due_date") and isinstance(value, str):
        try:
            value = (
                datetime.fromisoformat(value) if key == "starts_at" else date.fromisoformat(value)
            )
        except ValueError:
            return value
    if isinstance(value, datetime):
        local = value.astimezone(zone) if value.tzinfo else value
        if language == "zh-CN":
            weekday = "一二三四五六日"[local.weekday()]
            return f"{local.month}月{local.day}日(周{weekday}){local:%H:%M}"
        return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
    if isinstance(value, date):
        return (
            f"{value.year}年{value.month}月{value.day}日"
            if language == "zh-CN"
            else (f"{value.day} {value:%b} {value.year}")
        )
    if isinstance(value, float | int | Decimal) and not isinstance(value, bool):
        return f"{value:,.0f}"
    return str(value)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _insert(
    session: Session,
    *,
    store_id: int,
    customer_id: int,
    kind: str,
    urgent: bool,
    language: str,
    rendered: Rendered,
    context: dict[str, Any],
    links: dict[str, str],
    dedupe_key: str | None,
) -> int | None:
    """Insert the notification; None when its dedupe_key is already taken."""
    stmt = (
        insert(Notification)
        .values(
            store_id=store_id,
            customer_id=customer_id,
            kind=kind,
            urgent=urgent,
            language=language,
            title=rendered.title[:300],
            body_text=rendered.text,
            body_html=rendered.html,
            url=rendered.url,
            context=_jsonable(context),
            links=links,
            dedupe_key=dedupe_key,
        )
        .on_conflict_do_nothing(index_elements=["customer_id", "dedupe_key"])
        .returning(Notification.id)
    )
    return session.scalar(stmt)


def _deliveries_of(session: Session, *, customer_id: int, dedupe_key: str) -> list[Delivery] | None:
    notification_id = session.scalar(
        select(Notification.id).where(
            Notification.customer_id == customer_id, Notification.dedupe_key == dedupe_key
        )
    )
    if notification_id is None:
        return None
    stmt = select(Delivery).where(Delivery.notification_id == notification_id)
    return list(session.scalars(stmt.order_by(Delivery.id)))


def _plan(
    session: Session, *, customer: Customer, store_id: int, now: datetime, quiet_due: datetime
) -> list[Delivery]:
    """Unsaved deliveries for each consented channel; a channel with no address is logged."""
    consents = customer.consents or {}

    def delivery(channel: str, **fields: Any) -> Delivery:
        due = quiet_due if channel in QUIET_CHANNELS else now
        values = {"status": "queued", "attempts": 0, "next_attempt_at": due} | fields
        return Delivery(store_id=store_id, customer_id=customer.id, channel=channel, **values)

    def unreachable(channel: str, why: str) -> Delivery:
        return delivery(channel, status="gave_up", next_attempt_at=None, last_error=why)

    planned: list[Delivery] = []
    if consents.get("in_app"):
        planned.append(delivery("in_app"))
    if consents.get("email"):
        email = customer.email
        planned.append(delivery("email", target=email) if email else unreachable("email", NO_EMAIL))
    if consents.get("web_push"):
        subscriptions = session.scalars(
            select(PushSubscription)
            .where(PushSubscription.customer_id == customer.id)
            .order_by(PushSubscription.id)
        ).all()
        planned += [
            delivery("web_push", target=s.endpoint, subscription_id=s.id) for s in subscriptions
        ] or [unreachable("web_push", NO_PUSH)]
    return planned
