"""Alert routes: list, read with explanation, acknowledge, clear."""

from __future__ import annotations

from fastapi import APIRouter

from api.alerts import service
from api.alerts.schemas import AlertClear, AlertDetail, AlertPage, AlertRead, Severity, State
from api.crm.schemas import Vin
from api.deps import CurrentUser, LanguageDep, SessionDep, StaffUser
from api.pagination import PageParamsDep
from api.types import IdPath, IdQuery

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=AlertPage)
def list_alerts(
    session: SessionDep,
    user: CurrentUser,
    page: PageParamsDep,
    language: LanguageDep,
    state: State | None = None,
    severity: Severity | None = None,
    vin: Vin | None = None,
    store_id: IdQuery = None,
    acknowledged: bool | None = None,
) -> AlertPage:
    """Alerts on the cars of your stores, newest first; a customer: one car of theirs (vin),
    since it became theirs."""
    paged = service.list_alerts(
        session, actor=user.scope, page=page, language=language, state=state,
        severity=severity, vin=vin, store_id=store_id, acknowledged=acknowledged,
    )  # fmt: skip
    return AlertPage.model_validate(paged, from_attributes=True)


@router.get("/{alert_id}", response_model=AlertDetail)
def get_alert(
    session: SessionDep, user: StaffUser, language: LanguageDep, alert_id: IdPath
) -> AlertDetail:
    """One alert, with why it was raised in your language."""
    alert = service.get_alert(session, actor=user.scope, alert_id=alert_id, language=language)
    return AlertDetail.model_validate(alert)


@router.post("/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge(
    session: SessionDep, user: StaffUser, language: LanguageDep, alert_id: IdPath
) -> AlertRead:
    """Acknowledge an alert: someone is on it."""
    alert = service.acknowledge(
        session, actor=user.scope, alert_id=alert_id, user_id=user.id, language=language
    )
    return AlertRead.model_validate(alert)


@router.post("/{alert_id}/clear", response_model=AlertRead)
def clear(
    session: SessionDep,
    user: StaffUser,
    language: LanguageDep,
    alert_id: IdPath,
    body: AlertClear | None = None,
) -> AlertRead:
    """Clear an active alert by hand; it opens again if the condition recurs."""
    alert = service.clear(
        session, actor=user.scope, alert_id=alert_id, user_id=user.id,
        reason=body.reason if body else None, language=language,
    )  # fmt: skip
    return AlertRead.model_validate(alert)
