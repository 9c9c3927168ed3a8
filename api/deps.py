"""Route dependencies as Annotated aliases, so that signatures read like sentences.

def list_customers(session: SessionDep, user: CurrentUser, page: PageParamsDep): ...
def create_customer(session: SessionDep, user: CrmEditor, data: CustomerCreate): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.auth import service as auth_service
from api.auth.models import User
from api.auth.roles import CRM_EDITORS, MANAGERS, STAFF, Role
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


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response is sent, so that a failed commit is answered.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


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
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """The user named by the bearer token, or 401."""
    if not token:
        raise NotAuthenticated(why=Text("auth.no_token"))
    user = auth_service.user_from_token(session, settings=settings, token=token)
    return Principal(user=user, scope=auth_service.scope_of(session, user=user))


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_roles(roles: Iterable[Role]) -> Callable[[Principal], Principal]:
    """A dependency that lets only the roles through (403 for the others)."""
    allowed = frozenset(roles)

    def dependency(user: CurrentUser) -> Principal:
        if user.role not in allowed:
            why = Text(
                "forbidden.role",
                {
                    "role": user.role.value,
                    "roles": ", ".join(sorted(allowed)),
                },
            )
            raise Forbidden(entity="operation", why=why)
        return user

    return dependency


StaffUser = Annotated[Principal, Depends(require_roles(STAFF))]
ManagerUser = Annotated[Principal, Depends(require_roles(MANAGERS))]
AdminUser = Annotated[Principal, Depends(require_roles({Role.admin}))]
CrmEditor = Annotated[Principal, Depends(require_roles(CRM_EDITORS))]
