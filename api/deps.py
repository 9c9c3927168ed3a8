"""Route dependencies as Annotated aliases, so that signatures read like sentences.

def list_customers(session: SessionDep, user: CurrentUser, page: PageParamsDep): ...
def create_customer(session: SessionDep, user: CrmEditor, data: CustomerCreate): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import policy
from api.auth import service as auth_service
from api.auth.models import User
from api.auth.roles import Role
from api.auth.scope import Scope
from api.errors import Forbidden, NotAuthenticated
from api.i18n import Text, pick_language
from core.settings import Settings

TOKEN_URL = "/auth/token"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route succeeds, rolled back otherwise."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_read_session(request: Request) -> Iterator[Session]:
    """A read-only session on the read replica (the primary when none is configured): a
    route that only reads telemetry or rollups takes its load off the primary."""
    session: Session = request.app.state.read_session_factory()
    try:
        session.execute(text("SET TRANSACTION READ ONLY"))
        yield session
    finally:
        session.rollback()
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response is sent, so that a failed commit is answered.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# Reads that may lag the primary by the replica's delay: telemetry, KPI rollups, forecasts.
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


def get_language(accept_language: Annotated[str | None, Header()] = None) -> str:
    """zh-CN or en, from the Accept-Language header."""
    return pick_language(accept_language)


LanguageDep = Annotated[str, Depends(get_language)]


@dataclass(frozen=True)
class Principal:
    """The signed-in user and what they may see."""

    user: User
    scope: Scope

    @property
    def id(self) -> int:
        """The user's id (the actor of audit rows)."""
        return self.user.id

    @property
    def role(self) -> Role:
        """The user's role."""
        return self.scope.role


def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """The user named by the bearer token, or 401 (read once per request, by `authorize`)."""
    known = getattr(request.state, "principal", None)
    if known is not None:
        return known
    if not token:
        raise NotAuthenticated(why=Text("auth.no_token"))
    user = auth_service.user_from_token(session, settings=settings, token=token)
    principal = Principal(user=user, scope=auth_service.scope_of(session, user=user))
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def authorize(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> None:
    """Every route's first dependency: the policy's rule for it (401, or 403 for a role it
    does not name), checked before the body and parameters are validated."""
    route = request.scope["route"]
    method = "GET" if request.method == "HEAD" else request.method
    rule = policy.route_rule(method, route.path)
    if rule is None:  # create_app refuses such an app; this guards routes added later
        raise Forbidden(entity="operation", why=Text("forbidden.unlisted_route"))
    if rule.public:
        return
    principal = get_current_user(request, session, settings, token)
    if principal.role not in rule.roles:
        roles = ", ".join(sorted(rule.roles))
        why = Text("forbidden.role", {"role": principal.role.value, "roles": roles})
        raise Forbidden(entity="operation", why=why)


# The roles behind each name are the policy's (api/auth/policy.py); these aliases only say, for
# the reader, whom the policy lets through.
StaffUser = CurrentUser
ManagerUser = CurrentUser
AdminUser = CurrentUser
CrmEditor = CurrentUser
