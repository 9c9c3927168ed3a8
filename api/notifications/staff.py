"""The staff side: the delivery log of their stores, and each store's quiet hours."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from api.auth.models import Store
from api.auth.scope import Scope
from api.errors import InvalidInput, NotFound
from api.notifications.models import Delivery, Notification, QuietHours
from api.notifications.quiet_hours import store_window
from api.pagination import Paged, PageParams, paginate


def list_deliveries(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    store_id: int | None = None,
    customer_id: int | None = None,
    channel: str | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> Paged[Delivery]:
    """Deliveries of the caller's stores, newest first, filtered."""
    stmt = (
        select(Delivery)
        .join(Delivery.notification)
        .options(joinedload(Delivery.notification))
        .where(actor.visible(store_column=Delivery.store_id))
    )
    if store_id is not None:
        stmt = stmt.where(Delivery.store_id == store_id)
    if customer_id is not None:
        stmt = stmt.where(Delivery.customer_id == customer_id)
    if channel:
        stmt = stmt.where(Delivery.channel == channel)
    if status:
        stmt = stmt.where(Delivery.status == status)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return paginate(session, stmt.order_by(Delivery.created_at.desc(), Delivery.id.desc()), page)


def get_quiet_hours(session: Session, *, actor: Scope, store_id: int) -> dict[str, object]:
    """The store's quiet hours (its own, or the defaults)."""
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(entity="store", id=store_id)
    actor.ensure(entity="store", store_id=store_id)
    start, end = store_window(session, store_id=store_id)
    own = session.scalar(select(QuietHours.id).where(QuietHours.store_id == store_id))
    return {
        "store_id": store_id,
        "quiet_start": start,
        "quiet_end": end,
        "timezone": store.timezone,
        "is_default": own is None,
    }


def set_quiet_hours(
    session: Session, *, actor: Scope, store_id: int, quiet_start: time, quiet_end: time
) -> dict[str, object]:
    """Set the store's quiet hours (local time; an end before the start means next morning)."""
    actor.ensure_store(store_id, entity="store")
    if quiet_start == quiet_end:
        raise InvalidInput(
            field="quiet_end", problem="must differ from quiet_start; a window needs a length"
        )
    if quiet_start.tzinfo is not None or quiet_end.tzinfo is not None:
        raise InvalidInput(field="quiet_start", problem="give local times without a UTC offset")
    row = session.scalar(select(QuietHours).where(QuietHours.store_id == store_id))
    if row is None:
        row = QuietHours(store_id=store_id)
        session.add(row)
    row.quiet_start, row.quiet_end = quiet_start, quiet_end
    session.flush()
    return get_quiet_hours(session, actor=actor, store_id=store_id)
