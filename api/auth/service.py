"""Login, tokens, scopes and user administration, as plain functions."""

from __future__ import annotations

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import Store, User
from api.auth.roles import Role
from api.auth.schemas import TokenPair, UserCreate
from api.auth.scope import Scope
from api.auth.security import (
    decode_token,
    dummy_hash,
    hash_password,
    issue_token,
    verify_password,
)
from api.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause
from core.settings import Settings


def authenticate(session: Session, *, username: str, password: str) -> User:
    """The active user with these credentials, or NotAuthenticated."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        verify_password(password, dummy_hash())
        raise NotAuthenticated(why=Text("auth.bad_credentials"))
    if not verify_password(password, user.hashed_password):
        raise NotAuthenticated(why=Text("auth.bad_credentials"))
    if not user.is_active:
        raise NotAuthenticated(why=Text("auth.inactive"))
    return user


def issue_pair(*, settings: Settings, user: User) -> TokenPair:
    """A fresh access token and refresh token for the user."""
    access, expires = issue_token(
        settings=settings, user_id=user.id, token_version=user.token_version, token_type="access"
    )
    refresh, refresh_expires = issue_token(
        settings=settings,
        user_id=user.id,
        token_version=user.token_version,
        token_type="refresh",
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_at=expires,
        refresh_expires_at=refresh_expires,
    )


def user_from_token(
    session: Session, *, settings: Settings, token: str, token_type: str = "access"
) -> User:
    """The active user a valid token names, or NotAuthenticated."""
    try:
        claims = decode_token(token, settings=settings, token_type=token_type)  # type: ignore[arg-type]
        user_id = int(claims["sub"])
    except (jwt.InvalidTokenError, ValueError):
        raise NotAuthenticated(why=Text("auth.token_invalid")) from None
    user = session.get(User, user_id)
    if user is None or user.token_version != claims["ver"]:
        raise NotAuthenticated(why=Text("auth.token_invalid"))
    if not user.is_active:
        raise NotAuthenticated(why=Text("auth.inactive"))
    return user


def refresh(session: Session, *, settings: Settings, refresh_token: str) -> TokenPair:
    """A new token pair for a valid refresh token."""
    user = user_from_token(session, settings=settings, token=refresh_token, token_type="refresh")
    return issue_pair(settings=settings, user=user)


def logout_everywhere(session: Session, *, user: User) -> None:
    """Invalidate every token issued to the user so far."""
    user.token_version += 1
    session.flush()


def scope_of(session: Session, *, user: User) -> Scope:
    """What the user may see: all group stores (admin), assigned stores, or own records."""
    role = Role(user.role)
    if role is Role.admin:
        store_ids = frozenset(
            session.scalars(select(Store.id).where(Store.dealer_group_id == user.dealer_group_id))
        )
    elif role is Role.customer:
        store_ids = frozenset()
    else:
        store_ids = frozenset(user.store_ids)
    return Scope(
        user_id=user.id,
        role=role,
        dealer_group_id=user.dealer_group_id,
        store_ids=store_ids,
        customer_id=user.customer_id,
    )


def list_stores(session: Session, *, scope: Scope) -> list[Store]:
    """The stores the user works in (a customer: none)."""
    return list(
        session.scalars(select(Store).where(Store.id.in_(scope.store_ids)).order_by(Store.id))
    )


def get_user(session: Session, *, scope: Scope, user_id: int) -> User:
    """A user of the caller's dealer group."""
    user = session.get(User, user_id)
    if user is None or user.dealer_group_id != scope.dealer_group_id:
        raise NotFound(entity="user", id=user_id)
    return user


def list_users(
    session: Session,
    *,
    scope: Scope,
    page: PageParams,
    role: Role | None = None,
    q: str | None = None,
) -> Paged[User]:
    """Users of the caller's dealer group, filtered by role and a search term."""
    stmt = select(User).where(User.dealer_group_id == scope.dealer_group_id)
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    if q:
        stmt = stmt.where(search_clause(q, User.username, User.full_name))
    return paginate(session, stmt.order_by(User.id), page)


def create_user(session: Session, *, scope: Scope, data: UserCreate) -> User:
    """A new user in the caller's dealer group."""
    username = data.username.lower()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(why=f"username {username!r} is taken; choose another")
    stores: list[Store] = []
    if data.role is Role.customer:
        if data.customer_id is None or data.store_ids:
            raise InvalidInput(
                field="customer_id", problem="a customer account needs customer_id and no store_ids"
            )
        _ensure_customer(session, scope=scope, customer_id=data.customer_id)
    else:
        if data.customer_id is not None:
            raise InvalidInput(field="customer_id", problem="only customer accounts link to one")
        if data.role is not Role.admin and not data.store_ids:
            raise InvalidInput(field="store_ids", problem="staff need at least one store")
        for store_id in data.store_ids:
            scope.ensure_store(store_id)
        stores = list(session.scalars(select(Store).where(Store.id.in_(data.store_ids))))
    user = User(
        dealer_group_id=scope.dealer_group_id,
        username=username,
        full_name=data.full_name,
        role=data.role.value,
        hashed_password=hash_password(data.password),
        customer_id=data.customer_id,
        stores=stores,
        is_active=True,
        token_version=0,
    )
    session.add(user)
    session.flush()
    return user


def _ensure_customer(session: Session, *, scope: Scope, customer_id: int) -> None:
    from api.crm.models import Customer  # crm builds on auth, not the other way round

    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(entity="customer", id=customer_id)
    scope.ensure(entity="customer", store_id=customer.store_id)
    if session.scalar(select(User.id).where(User.customer_id == customer_id)) is not None:
        raise Conflict(why=f"customer {customer_id} already has an account")


def require_role(scope: Scope, *roles: Role) -> None:
    """Raise Forbidden unless the scope's role is one of roles (for services called directly)."""
    if scope.role not in roles:
        raise Forbidden(
            entity="operation",
            why=Text(
                "forbidden.role", {"role": scope.role.value, "roles": ", ".join(sorted(roles))}
            ),
        )
