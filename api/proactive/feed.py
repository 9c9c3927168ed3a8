"""The advisors' live feed: rows in feed_events (NOTIFY 'pitstop_feed' by trigger), read as
history or streamed as Server-Sent Events from the id a client last saw."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.crm.models import Customer, Vehicle
from api.pagination import Paged, PageParams, paginate
from api.proactive.constants import REMINDER_MODE
from api.proactive.models import FeedEvent
from api.streams import StreamHub
from diagnostics.modes import SEVERITY_NAMES, mode_name

# kind -> (en, zh) lead of the card's title
TITLES = {
    "alert_opened": ("New alert", "新预警"),
    "alert_updated": ("Alert worse", "预警升级"),
    "alert_cleared": ("Alert cleared", "预警已解除"),
    "appointment_booked": ("Booked automatically", "已自动预约"),
    "proposal_created": ("Visit proposed", "待确认预约建议"),
    "proposal_accepted": ("Proposal accepted", "预约建议已确认"),
    "proposal_withdrawn": ("Proposal withdrawn", "预约建议已撤回"),
    "notification_failed": ("Customer not reached", "客户通知发送失败"),
    "business_alarm": ("Business alarm", "经营预警"),
}
OWN_MODES = {REMINDER_MODE: ("Service due", "保养到期")}  # modes the loop adds to diagnostics' own
STREAM_POLL_S = 5.0  # re-read even without a NOTIFY (a missed one costs at most this)
HEARTBEAT_S = 15.0  # a comment line keeps proxies from closing an idle stream
STREAM_BATCH = 200


def publish(
    session: Session,
    *,
    store_id: int,
    kind: str,
    vin: str | None,
    failure_mode: str | None = None,
    severity: str | None = None,
    vehicle: Vehicle | None = None,
    **extra: Any,
) -> FeedEvent:
    """Add a card to the store's feed (sent to listeners when the caller commits); the car is
    looked up by its VIN unless the caller has it."""
    if vehicle is None and vin:
        vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin))
    owner = session.get(Customer, vehicle.owner_id) if vehicle and vehicle.owner_id else None
    lead_en, lead_zh = TITLES[kind]
    what_en = what_zh = ""
    if failure_mode:
        sev = SEVERITY_NAMES.get(severity or "", ("", ""))
        en, zh = OWN_MODES.get(failure_mode) or (
            mode_name(failure_mode, "en"),
            mode_name(failure_mode, "zh-CN"),
        )
        what_en = f": {en}" + (f" ({sev[0]})" if sev[0] else "")
        what_zh = f":{zh}" + (f"({sev[1]})" if sev[1] else "")
    data = {
        "store_id": store_id,
        "vin": vin,
        "plate": vehicle.plate if vehicle else extra.pop("plate", None),
        "customer_name": owner.name if owner else None,
        "failure_mode": failure_mode,
        "severity": severity,
        "title_en": lead_en + what_en,
        "title_zh": lead_zh + what_zh,
        **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in extra.items()},
    }
    event = FeedEvent(store_id=store_id, kind=kind, vin=vin, data=data)
    session.add(event)
    session.flush()
    return event


def as_sse_data(event: FeedEvent) -> dict[str, Any]:
    """The card as the API sends it: its data with id and created_at."""
    return {**event.data, "id": event.id, "created_at": event.created_at.isoformat()}


def list_feed(
    session: Session, *, actor: Scope, page: PageParams, store_id: int | None = None
) -> Paged[FeedEvent]:
    """The feed history of the caller's stores, newest first."""
    stmt = select(FeedEvent).where(actor.visible(store_column=FeedEvent.store_id))
    if store_id is not None:
        stmt = stmt.where(FeedEvent.store_id == store_id)
    return paginate(session, stmt.order_by(FeedEvent.id.desc()), page)


def events_after(
    session: Session, *, store_ids: frozenset[int], after_id: int, limit: int = STREAM_BATCH
) -> list[FeedEvent]:
    """The stores' feed events after an id, oldest first."""
    stmt = (
        select(FeedEvent)
        .where(FeedEvent.store_id.in_(store_ids), FeedEvent.id > after_id)
        .order_by(FeedEvent.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def last_id(session: Session, *, store_ids: frozenset[int]) -> int:
    """The newest feed id of the stores (0 when empty): a new stream starts after it."""
    stmt = select(FeedEvent.id).where(FeedEvent.store_id.in_(store_ids))
    return session.scalar(stmt.order_by(FeedEvent.id.desc()).limit(1)) or 0


async def stream(
    *,
    hub: StreamHub,
    session_factory: Any,
    store_ids: frozenset[int],
    after_id: int,
    still_allowed: Callable[[], bool],
    ends_at: datetime,
    recheck_s: float,
) -> AsyncIterator[str]:
    """SSE text for the stores' feed after after_id, woken by the shared listener, until the
    client leaves, the user logs out (re-checked every recheck_s) or ends_at passes."""
    yield "retry: 2000\n\n"
    last = after_id
    quiet = 0.0
    checked = time.monotonic()
    while datetime.now(UTC) < ends_at:
        if time.monotonic() - checked >= recheck_s:
            if not await asyncio.to_thread(still_allowed):
                return
            checked = time.monotonic()
        rows = await asyncio.to_thread(_read, session_factory, store_ids, last)
        for row_id, chunk in rows:
            last = row_id
            yield chunk
        if rows:
            quiet = 0.0
            continue
        wait = min(
            STREAM_POLL_S, recheck_s, max(0.0, (ends_at - datetime.now(UTC)).total_seconds())
        )
        if not await hub.wait(wait):
            quiet += wait
            if quiet >= HEARTBEAT_S:
                quiet = 0.0
                yield ": keep-alive\n\n"


def _read(session_factory: Any, store_ids: frozenset[int], after_id: int) -> list[tuple[int, str]]:
    with session_factory() as session:
        out = []
        for event in events_after(session, store_ids=store_ids, after_id=after_id):
            data = json.dumps(as_sse_data(event), ensure_ascii=False)
            out.append((event.id, f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"))
        return out


_GAVE_UP = text("""
SELECT d.id, d.store_id, d.channel, d.last_error, n.kind, n.context
FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
WHERE d.status = 'gave_up' AND d.updated_at > now() - interval '7 days'
  AND NOT EXISTS (SELECT 1 FROM feed_events f WHERE f.kind = 'notification_failed'
                  AND f.store_id = d.store_id AND f.data->>'delivery_id' = d.id::text)
ORDER BY d.id LIMIT :limit""")
REPORT_BATCH = 100


def report_failed_deliveries(session: Session) -> int:
    """A feed card for each delivery the notifications gave up on, so an advisor calls."""
    rows = session.execute(_GAVE_UP, {"limit": REPORT_BATCH}).all()
    for row in rows:
        context = row.context or {}
        publish(
            session,
            store_id=row.store_id,
            kind="notification_failed",
            vin=None,
            failure_mode=context.get("failure_mode"),
            delivery_id=row.id,
            channel=row.channel,
            notification_kind=row.kind,
            error=(row.last_error or "")[:300],
            plate=context.get("plate"),
            appointment_id=context.get("appointment_id"),
        )
    return len(rows)
