"""Alerts for the API: scoped reads and advisor actions, delegated to diagnostics.alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.errors import Conflict, NotFound
from api.pagination import Paged, PageParams
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
    """Alerts on cars of the caller's stores, newest first, rendered in the language."""
    rows, total = alert_service.list_alerts(
        _conn(session), store_ids=_stores(actor), limit=page.limit, offset=page.offset, **filters
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
