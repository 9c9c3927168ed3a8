"""Quiet hours: when a non-urgent message to a customer may go out, in the store's local time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.notifications.constants import DEFAULT_QUIET_END, DEFAULT_QUIET_START
from api.notifications.models import QuietHours


def store_window(session: Session, *, store_id: int) -> tuple[time, time]:
    """The store's quiet hours (start, end), or the defaults when it has set none."""
    row = session.scalar(select(QuietHours).where(QuietHours.store_id == store_id))
    if row is None:
        return DEFAULT_QUIET_START, DEFAULT_QUIET_END
    return row.quiet_start, row.quiet_end


def is_quiet(local: time, start: time, end: time) -> bool:
    """True when the local time falls in [start, end); a window may wrap past midnight."""
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(now: datetime, *, timezone: str, start: time, end: time) -> datetime:
    """now, or the end of the quiet period that now falls in (an aware datetime)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    if not is_quiet(local.time(), start, end):
        return now
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)  # evening part of an overnight window: ends tomorrow
    return datetime.combine(day, end, tzinfo=zone)
