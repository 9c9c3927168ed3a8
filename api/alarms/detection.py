"""The alarm job: judge each store's daily figures, store what is new, tell the managers.

`run_alarms` is what the worker's housekeeping calls (and `python -m api.alarms.cli`). It reads
kpi_facts only, so it runs after the KPI rollup; the same change found again, on any later
run, is the alarm already stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from api.alarms import series
from api.alarms.constants import (
    CLOSE_AFTER_DAYS,
    METRICS,
    RECENT_DAYS,
    REFERENCE_DAYS,
    RUN_LOCK,
    WINDOW_DAYS,
)
from api.alarms.models import AlarmNotice, BusinessAlarm
from api.alarms.states import ALARM
from api.auth.models import Store, User, user_stores
from api.auth.roles import Role
from api.proactive import feed
from core.clock import local_today

log = logging.getLogger(__name__)

CLOSE_REASON = "closed by the job: the detector's reference now holds the new level"
SAME_CHANGE_DAYS = REFERENCE_DAYS  # the detector never opens two alarms of a metric closer


def run_alarms(
    session: Session,
    *,
    today: date | None = None,
    recent_days: int = RECENT_DAYS,
    store_ids: Iterable[int] | None = None,
) -> int:
    """Judge every store (or those named) up to yesterday, its local day unless `today` is
    given; returns the number of new alarms. The caller commits."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK})
    stores = select(Store).order_by(Store.id)
    if store_ids is not None:
        stores = stores.where(Store.id.in_(list(store_ids)))
    new = 0
    for store in session.scalars(stores).all():
        day = today or local_today(store.timezone)
        close_settled(session, store_id=store.id, today=day)
        for alarm in find(session, store_id=store.id, today=day):
            if (day - alarm.detected).days <= recent_days and _raise(session, store, alarm):
                new += 1
    session.flush()
    return new


def find(session: Session, *, store_id: int, today: date) -> list:
    """What analytics.alarms.detect finds in the store's last WINDOW_DAYS before today."""
    from analytics.alarms import detect  # pandas and statsmodels: only when the job runs

    known = series.span(session, store_id=store_id)
    if known is None:
        return []
    start, last = series.window(today=today, first=known[0], last=known[1], days=WINDOW_DAYS)
    if (last - start).days < REFERENCE_DAYS:
        return []
    metrics = series.daily_metrics(session, store_id=store_id, first=start, last=last)
    found = []
    for metric in METRICS:
        if series.judged(metrics[metric]):
            found += detect(metrics[metric], metric=metric, reference_days=REFERENCE_DAYS)
    return found


def _raise(session: Session, store: Store, found) -> bool:
    """Store one alarm, unless it is one already stored; then the feed card and the notices."""
    near = timedelta(days=SAME_CHANGE_DAYS)
    known = session.scalar(
        select(BusinessAlarm.id).where(
            BusinessAlarm.store_id == store.id,
            BusinessAlarm.metric == found.metric,
            BusinessAlarm.started_on.between(found.start - near, found.start + near),
        )
    )
    if known is not None:
        return False
    alarm = BusinessAlarm(
        store_id=store.id,
        metric=found.metric,
        direction=found.direction,
        started_on=found.start,
        detected_on=found.detected,
        expected=round(found.expected, 4),
        observed=round(found.observed, 4),
        size=round(found.size, 4),
        reason_en=found.reason,
        reason_zh=found.reason_zh,
    )
    ALARM.start(session, entity=alarm, actor_id=None)
    _announce(session, alarm)
    log.info("store %s: business alarm %s (%s)", store.id, alarm.id, alarm.reason_en)
    return True


def _announce(session: Session, alarm: BusinessAlarm) -> None:
    """A feed card for the store's desk (no figures: the feed is every staff member's, the
    alarm's numbers are the managers'), and a notice to each of its managers."""
    from analytics.alarms import METRICS as SPECS

    spec = SPECS[alarm.metric]
    way_en, way_zh = ("falling", "下降") if alarm.direction == "drop" else ("rising", "上升")
    feed.publish(
        session,
        store_id=alarm.store_id,
        kind="business_alarm",
        vin=None,
        alarm_id=alarm.id,
        metric=alarm.metric,
        direction=alarm.direction,
        started_on=alarm.started_on.isoformat(),
        title_en=f"{feed.TITLES['business_alarm'][0]}: {spec.en} {way_en}",
        title_zh=f"{feed.TITLES['business_alarm'][1]}:{spec.zh}{way_zh}",
    )
    for user_id, email in managers_of(session, alarm.store_id):
        state = "pending" if email else "no_address"
        session.add(AlarmNotice(alarm_id=alarm.id, user_id=user_id, email_state=state))


def managers_of(session: Session, store_id: int) -> list[tuple[int, str | None]]:
    """Active managers assigned to the store, and the active admins of its group: (id, email)."""
    group = select(Store.dealer_group_id).where(Store.id == store_id).scalar_subquery()
    assigned = select(user_stores.c.user_id).where(user_stores.c.store_id == store_id)
    return list(
        session.execute(
            select(User.id, User.email)
            .where(
                User.is_active,
                or_(
                    (User.role == Role.manager.value) & User.id.in_(assigned),
                    (User.role == Role.admin.value) & (User.dealer_group_id == group),
                ),
            )
            .order_by(User.id)
        )
    )  # type: ignore[arg-type]  # Rows unpack as (id, email)


def close_settled(session: Session, *, store_id: int, today: date) -> int:
    """Close the store's alarms detected CLOSE_AFTER_DAYS or more before today."""
    stale = session.scalars(
        select(BusinessAlarm).where(
            BusinessAlarm.store_id == store_id,
            BusinessAlarm.state != "closed",
            BusinessAlarm.detected_on <= today - timedelta(days=CLOSE_AFTER_DAYS),
        )
    ).all()
    for alarm in stale:
        ALARM.apply(session, entity=alarm, to="closed", actor_id=None, reason=CLOSE_REASON)
    return len(stale)
