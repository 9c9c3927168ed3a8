"""Reading and acknowledging business alarms; managers of the alarm's store only. No HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.alarms import messages as _messages  # noqa: F401  (registers the alarm text)
from api.alarms.constants import UNITS
from api.alarms.models import AlarmNotice, BusinessAlarm
from api.alarms.states import ALARM
from api.auth.actor import Actor, ensure_store, ensure_visible, role_of, user_of, visible
from api.errors import Conflict, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, where_given

ENTITY = "business_alarm"


def view(alarm: BusinessAlarm, *, language: str) -> dict:
    """The alarm as the API shows it: its columns, unit and reason in the language."""
    columns = {c.key: getattr(alarm, c.key) for c in BusinessAlarm.__table__.columns}
    reason = alarm.reason_en if language == "en" else alarm.reason_zh
    return columns | {"unit": UNITS[alarm.metric], "reason": reason}


def list_alarms(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    store_id: int | None = None,
    state: str | None = None,
    metric: str | None = None,
) -> Paged[BusinessAlarm]:
    """Alarms of the actor's stores, the newest detection first."""
    if store_id is not None:
        ensure_store(actor, store_id)
    stmt = select(BusinessAlarm).where(visible(actor, store_column=BusinessAlarm.store_id))
    stmt = where_given(
        stmt,
        (BusinessAlarm.store_id, store_id),
        (BusinessAlarm.state, state),
        (BusinessAlarm.metric, metric),
    )
    order = (BusinessAlarm.detected_on.desc(), BusinessAlarm.id.desc())
    return paginate(session, stmt.order_by(*order), page)


def get_alarm(session: Session, *, actor: Actor, alarm_id: int) -> BusinessAlarm:
    """One alarm of the actor's stores (another store's answers as a missing one)."""
    alarm = session.get(BusinessAlarm, alarm_id)
    if alarm is None:
        raise NotFound(entity=ENTITY, id=alarm_id)
    ensure_visible(actor, entity=ENTITY, store_id=alarm.store_id, record_id=alarm_id)
    return alarm


def notices(session: Session, *, alarm_id: int) -> list[AlarmNotice]:
    """The managers told of the alarm."""
    stmt = select(AlarmNotice).where(AlarmNotice.alarm_id == alarm_id)
    return list(session.scalars(stmt.order_by(AlarmNotice.user_id)))


def acknowledge(session: Session, *, actor: Actor, alarm_id: int) -> BusinessAlarm:
    """Say a manager is on it: open → acknowledged, with who and when (audited)."""
    alarm = get_alarm(session, actor=actor, alarm_id=alarm_id)
    session.refresh(alarm, with_for_update=True)
    if alarm.state == "acknowledged":
        at = alarm.acknowledged_at.isoformat(timespec="minutes") if alarm.acknowledged_at else "-"
        why = {"id": alarm.id, "by": alarm.acknowledged_by or "-", "at": at}
        raise Conflict(why=Text("alarms.acknowledged_already", why))
    if alarm.state == "closed":
        raise Conflict(why=Text("alarms.closed", {"id": alarm.id}))
    ALARM.apply(
        session, entity=alarm, to="acknowledged", actor_id=user_of(actor), role=role_of(actor)
    )
    alarm.acknowledged_by, alarm.acknowledged_at = user_of(actor), datetime.now(UTC)
    session.flush()
    return alarm
