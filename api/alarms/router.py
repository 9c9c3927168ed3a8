"""Business-alarm routes: list, read, acknowledge (the store's managers)."""

from __future__ import annotations

from fastapi import APIRouter

from api.alarms import service
from api.alarms.constants import AlarmState, Metric
from api.alarms.schemas import AlarmDetail, AlarmNoticeRead, AlarmPage, AlarmRead
from api.deps import LanguageDep, ManagerUser, SessionDep
from api.pagination import PageParamsDep
from api.types import IdPath, IdQuery

router = APIRouter(prefix="/alarms", tags=["alarms"])


@router.get("", response_model=AlarmPage)
def list_alarms(
    session: SessionDep,
    user: ManagerUser,
    page: PageParamsDep,
    language: LanguageDep,
    store_id: IdQuery = None,
    state: AlarmState | None = None,
    metric: Metric | None = None,
) -> AlarmPage:
    """Business alarms of your stores, the newest detection first."""
    paged = service.list_alarms(
        session, actor=user.scope, page=page, store_id=store_id, state=state, metric=metric
    )
    items = [AlarmRead.model_validate(service.view(a, language=language)) for a in paged.items]
    return AlarmPage(items=items, total=paged.total, limit=paged.limit, offset=paged.offset)


@router.get("/{alarm_id}", response_model=AlarmDetail)
def get_alarm(
    session: SessionDep, user: ManagerUser, language: LanguageDep, alarm_id: IdPath
) -> AlarmDetail:
    """One alarm, with its reason in your language and the managers told of it."""
    alarm = service.get_alarm(session, actor=user.scope, alarm_id=alarm_id)
    told = [AlarmNoticeRead.model_validate(n) for n in service.notices(session, alarm_id=alarm.id)]
    return AlarmDetail.model_validate(service.view(alarm, language=language) | {"notified": told})


@router.post("/{alarm_id}/acknowledge", response_model=AlarmRead)
def acknowledge(
    session: SessionDep, user: ManagerUser, language: LanguageDep, alarm_id: IdPath
) -> AlarmRead:
    """Acknowledge an open alarm: a manager is on it."""
    alarm = service.acknowledge(session, actor=user.scope, alarm_id=alarm_id)
    return AlarmRead.model_validate(service.view(alarm, language=language))
