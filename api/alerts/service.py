"""Alerts for the API: scoped reads and advisor actions, delegated to diagnostics.alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.alerts import messages as _messages  # noqa: F401  (registers alert text)
from api.auth.scope import Scope
from api.errors import Conflict, InvalidInput, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams
from api.telemetry.service import history_start, visible_vehicle
from diagnostics import alerts as alert_service
from diagnostics.explain import render


def _conn(session: Session):
    """The session's psycopg connection, so that diagnostics' SQL joins its transaction."""
    return session.connection().connection.driver_connection


def _stores(actor: Scope) -> list[int]:
    return sorted(actor.store_ids)


def _view(row: dict[str, Any], language: str) -> dict[str, Any]:
    return {**row, **render(row, language)}


def list_alerts(
    session: Session, *, actor: Scope, page: PageParams, language: str, **filters: Any
) -> Paged[dict]:
    """Alerts on cars of the caller's stores, newest first, rendered in the language.

    A customer reads one car's at a time (vin is required): a car of theirs, and only the
    alerts raised since it became theirs."""
    scope: dict[str, Any] = {"store_ids": _stores(actor)}
    if actor.is_customer:
        if not filters.get("vin"):
            raise InvalidInput(field="vin", problem=Text("alerts.vin_needed"))
        vehicle = visible_vehicle(session, actor=actor, vin=filters["vin"])
        scope = {"store_ids": [vehicle.store_id], "since": history_start(actor, vehicle)}
    rows, total = alert_service.list_alerts(
        _conn(session), limit=page.limit, offset=page.offset, **scope, **filters
    )
    return Paged([_view(r, language) for r in rows], total, page.limit, page.offset)


def get_alert(session: Session, *, actor: Scope, alert_id: int, language: str) -> dict:
    """One alert with its explanation in the language."""
    try:
        row = alert_service.get_alert(_conn(session), alert_id, store_ids=_stores(actor))
    except alert_service.AlertNotFound:
        raise NotFound(entity="alert", id=alert_id) from None
    return _view(row, language)


def acknowledge(session: Session, *, actor: Scope, alert_id: int, user_id: int, language: str):
    """Acknowledge an alert (audited); 409 when it already is."""
    try:
        row = alert_service.acknowledge(
            _conn(session), alert_id, user_id=user_id, store_ids=_stores(actor)
        )
    except alert_service.AlertNotFound:
        raise NotFound(entity="alert", id=alert_id) from None
    except alert_service.AlertConflict as exc:
        raise Conflict(why=str(exc)) from None
    return _view(row, language)


def clear(
    session: Session, *, actor: Scope, alert_id: int, user_id: int, reason: str | None,
    language: str,
) -> dict:  # fmt: skip
    """Clear an active alert by hand (audited); 409 when it is already cleared."""
    try:
        row = alert_service.clear(
            _conn(session), alert_id, user_id=user_id, reason=reason, store_ids=_stores(actor)
        )
    except alert_service.AlertNotFound:
        raise NotFound(entity="alert", id=alert_id) from None
    except alert_service.AlertConflict as exc:
        raise Conflict(why=str(exc)) from None
    return _view(row, language)
