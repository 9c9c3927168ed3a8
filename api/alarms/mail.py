"""Business alarms by email: each manager's pending notice is mailed once, in both languages,
outside the store's quiet hours (an alarm is news for the working day, not for 3 a.m.).

The worker calls `send_alarm_emails` after the alarm job. One notice at a time is taken with
FOR UPDATE SKIP LOCKED, sent, and its outcome committed, so two workers never mail the same
notice and a crash mid-send leaves it to be sent again (at most one duplicate, never a loss).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.alarms.constants import EMAIL_MAX_ATTEMPTS, EMAIL_RETRY_S, UNITS
from api.alarms.models import AlarmNotice, BusinessAlarm
from api.auth.models import Store, User
from api.notifications.quiet_hours import next_allowed, store_window
from api.notifications.senders import SendFailed, send_email
from core.settings import Settings

log = logging.getLogger(__name__)


def send_alarm_emails(
    session_factory: Callable[[], Session], *, settings: Settings, now: datetime | None = None
) -> int:
    """Mail every notice that is due; returns how many were sent. Without an SMTP server
    configured nothing is tried: the notices wait, pending, and the console shows them."""
    if not settings.smtp_url:
        return 0
    sent = 0
    tried: set[int] = set()
    while True:
        moment = now or datetime.now(UTC)
        with session_factory() as session, session.begin():
            notice = _next_due(session, now=moment, skip=tried)
            if notice is None:
                return sent
            tried.add(notice.id)
            sent += _send(session, notice, settings=settings, now=moment)


def _next_due(session: Session, *, now: datetime, skip: set[int]) -> AlarmNotice | None:
    stmt = select(AlarmNotice).where(
        AlarmNotice.email_state.in_(("pending", "failed")),
        AlarmNotice.email_attempts < EMAIL_MAX_ATTEMPTS,
        or_(AlarmNotice.email_next_at.is_(None), AlarmNotice.email_next_at <= now),
    )
    if skip:
        stmt = stmt.where(AlarmNotice.id.not_in(skip))
    stmt = stmt.order_by(AlarmNotice.id).limit(1).with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def _send(session: Session, notice: AlarmNotice, *, settings: Settings, now: datetime) -> int:
    """One attempt; the notice records its outcome. Returns 1 when it went out."""
    user = session.get(User, notice.user_id)
    alarm = session.get(BusinessAlarm, notice.alarm_id)
    assert user is not None and alarm is not None  # both cascade-delete their notices
    if not user.email or not user.is_active:
        notice.email_state = "no_address"
        notice.email_error = "the manager has no email address now, or was deactivated"
        return 0
    store = session.get(Store, alarm.store_id)
    assert store is not None
    start, end = store_window(session, store_id=store.id)
    allowed = next_allowed(now, timezone=store.timezone, start=start, end=end)
    if allowed > now:  # not urgent: it waits for the store's quiet hours to end
        notice.email_next_at = allowed
        return 0
    subject, text, html = render(alarm, store=store, base_url=settings.public_base_url)
    notice.email_attempts += 1
    notice.email_to = user.email
    try:
        send_email(
            settings.smtp_url,
            sender=settings.mail_from,
            to=user.email,
            subject=subject,
            text=text,
            html=html,
            language="zh-CN, en",
            reference=f"business-alarm-{alarm.id}-{user.id}",
        )
    except SendFailed as error:
        notice.email_state = "failed"
        notice.email_error = str(error)
        if error.permanent:
            notice.email_attempts = EMAIL_MAX_ATTEMPTS
        backoff = EMAIL_RETRY_S * 2 ** (notice.email_attempts - 1)
        notice.email_next_at = now + timedelta(seconds=backoff)
        log.warning("alarm %s: email to user %s failed: %s", alarm.id, user.id, error)
        return 0
    notice.email_state, notice.email_sent_at, notice.email_error = "sent", now, None
    return 1


def render(alarm: BusinessAlarm, *, store: Store, base_url: str) -> tuple[str, str, str]:
    """The subject, text and HTML of an alarm's email (Chinese first, then English)."""
    from html import escape

    from analytics.alarms import METRICS as SPECS

    spec = SPECS[alarm.metric]
    zh_way, en_way = ("下降", "falling") if alarm.direction == "drop" else ("上升", "rising")
    store_zh, store_en = store.name_zh, store.name_en
    link = f"{base_url.rstrip('/')}/console/#/alarms/{alarm.id}"
    unit = UNITS[alarm.metric]
    subject = f"经营预警 · {store_zh}:{spec.zh}{zh_way} / Business alarm: {spec.en} {en_way}"
    lines = [
        f"{store_zh}:{alarm.reason_zh}",
        f"自 {alarm.started_on.isoformat()} 起;预期 {alarm.expected:g} {unit},实际 "
        f"{alarm.observed:g} {unit}。",
        "",
        f"{store_en}: {alarm.reason_en}",
        f"Since {alarm.started_on.isoformat()}: expected {alarm.expected:g} {unit}, observed "
        f"{alarm.observed:g} {unit}.",
        "",
        link,
    ]
    text = "\n".join(lines)
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines[:-1] if line)
    html = f'{paragraphs}<p><a href="{escape(link)}">{escape(link)}</a></p>'
    return subject, text, html
