"""Login (OAuth2 password flow), token refresh, the signed-in user, and user administration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import service
from api.auth.roles import Role
from api.auth.schemas import (
    ProfileUpdate,
    RefreshRequest,
    StoreRead,
    TokenPair,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from api.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from api.errors import ErrorBody
from api.pagination import PageParamsDep
from api.types import IdPath

router = APIRouter(prefix="/auth", tags=["auth"])
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "Locked after wrong passwords; see Retry-After"}
}


@router.post("/token", response_model=TokenPair, responses=THROTTLED)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenPair:
    """Log in with username and password; returns an access token and a refresh token.
    Repeated wrong passwords lock the account and the client address for a while (429)."""
    address = request.client.host if request.client else None
    user = service.authenticate(
        session, settings=settings, username=form.username, password=form.password, address=address
    )
    return service.issue_pair(session, settings=settings, user=user)


@router.post("/refresh", response_model=TokenPair)
def refresh(session: SessionDep, settings: SettingsDep, body: RefreshRequest) -> TokenPair:
    """Exchange a refresh token for a new token pair; each refresh token works once."""
    return service.refresh(session, settings=settings, refresh_token=body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, user: CurrentUser) -> None:
    """Invalidate every token issued to you so far (all devices)."""
    service.logout_everywhere(session, user=user.user)


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    """The signed-in user."""
    return UserRead.model_validate(user.user)


@router.patch("/me", response_model=UserRead)
def update_me(session: SessionDep, user: CurrentUser, body: ProfileUpdate) -> UserRead:
    """Change your own email (staff), where business alarms reach you."""
    return UserRead.model_validate(service.update_profile(session, user=user.user, data=body))


@router.get("/stores", response_model=list[StoreRead])
def stores(session: SessionDep, user: CurrentUser) -> list[StoreRead]:
    """The stores you work in."""
    return [StoreRead.model_validate(s) for s in service.list_stores(session, actor=user.scope)]


@router.get("/users", response_model=UserPage)
def list_users(
    session: SessionDep,
    user: AdminUser,
    page: PageParamsDep,
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=60, description="Search username or name")] = None,
) -> UserPage:
    """Users of your dealer group (admins)."""
    paged = service.list_users(session, actor=user.scope, page=page, role=role, q=q)
    return UserPage.model_validate(paged, from_attributes=True)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(session: SessionDep, user: AdminUser, body: UserCreate) -> UserRead:
    """Create a user (admins). Staff get stores; a customer account links to its customer."""
    return UserRead.model_validate(service.create_user(session, actor=user.scope, data=body))


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(
    session: SessionDep, user: AdminUser, user_id: IdPath, body: UserUpdate
) -> UserRead:
    """Change a user's name or email (admins)."""
    return UserRead.model_validate(
        service.update_user(session, actor=user.scope, user_id=user_id, data=body)
    )
