"""Login, tokens, scopes and user administration, as plain functions."""

from __future__ import annotations

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import throttle, tokens
from api.auth.models import Store, User
from api.auth.roles import Role
from api.auth.schemas import ProfileUpdate, TokenPair, UserCreate, UserUpdate
from api.auth.scope import Scope
from api.auth.security import decode_token, dummy_hash, hash_password, verify_password
from api.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause
from core.settings import Settings

CUSTOMER_EMAIL = "a customer's email is on their customer record (CRM), with their consents"


def authenticate(
    session: Session, *, settings: Settings, username: str, password: str, address: str | None
) -> User:
    """The active user with these credentials; NotAuthenticated, or TooManyRequests while the
    account or the client address is locked (the right password included)."""
    keys = throttle.subjects(username=username, address=address)
    throttle.ensure_not_locked(session, settings=settings, keys=keys)
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    session.commit()  # give the connection back while waiting for a password-check slot
    with throttle.password_check_slot(settings):
        matches = verify_password(password, user.hashed_password if user else dummy_hash())
    if user is None or not matches:
        throttle.record_failure(session, settings=settings, keys=keys)
        session.commit()  # the count must outlive the refusal
        raise NotAuthenticated(why=Text("auth.bad_credentials"))
    if not user.is_active:
        raise NotAuthenticated(why=Text("auth.inactive"))
    throttle.record_success(session, keys=keys)
    return user


def issue_pair(session: Session, *, settings: Settings, user: User) -> TokenPair:
    """A fresh access token and refresh token for the user (a new refresh family)."""
    return tokens.issue_pair(session, settings=settings, user=user)


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
    """A new token pair for a valid refresh token, which is spent (single use)."""
    user = user_from_token(session, settings=settings, token=refresh_token, token_type="refresh")
    return tokens.rotate(session, settings=settings, user=user, refresh_token=refresh_token)


def logout_everywhere(session: Session, *, user: User) -> None:
    """Invalidate every token issued to the user so far."""
    user.token_version += 1
    tokens.revoke_all(session, user_id=user.id)
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


def list_stores(session: Session, *, actor: Scope) -> list[Store]:
    """The stores the user works in; a customer, the group's stores (their storefronts: names,
    city and time zone, which the customer's documents and bookings name)."""
    if actor.role is Role.customer:
        mine = Store.dealer_group_id == actor.dealer_group_id
    else:
        mine = Store.id.in_(actor.store_ids)
    return list(session.scalars(select(Store).where(mine).order_by(Store.id)))


def get_user(session: Session, *, actor: Scope, user_id: int) -> User:
    """A user of the caller's dealer group."""
    user = session.get(User, user_id)
    if user is None or user.dealer_group_id != actor.dealer_group_id:
        raise NotFound(entity="user", id=user_id)
    return user


def list_users(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    role: Role | None = None,
    q: str | None = None,
) -> Paged[User]:
    """Users of the caller's dealer group, filtered by role and a search term."""
    stmt = select(User).where(User.dealer_group_id == actor.dealer_group_id)
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    if q:
        stmt = stmt.where(search_clause(q, User.username, User.full_name))
    return paginate(session, stmt.order_by(User.id), page)


def create_user(session: Session, *, actor: Scope, data: UserCreate) -> User:
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
        _ensure_customer(session, actor=actor, customer_id=data.customer_id)
    else:
        if data.customer_id is not None:
            raise InvalidInput(field="customer_id", problem="only customer accounts link to one")
        if data.role is not Role.admin and not data.store_ids:
            raise InvalidInput(field="store_ids", problem="staff need at least one store")
        for store_id in data.store_ids:
            actor.ensure_store(store_id)
        stores = list(session.scalars(select(Store).where(Store.id.in_(data.store_ids))))
    if data.role is Role.customer and data.email is not None:
        raise InvalidInput(field="email", problem=CUSTOMER_EMAIL)
    user = User(
        dealer_group_id=actor.dealer_group_id,
        username=username,
        full_name=data.full_name,
        email=data.email,
        role=data.role.value,
        hashed_password=hash_password(data.password),
        customer_id=data.customer_id,
        stores=stores,
        is_active=True,
        token_version=0,
    )
    session.add(user)
    session.flush()
    _audit_role_grant(session, actor=actor, user=user)
    return user


def update_profile(session: Session, *, user: User, data: ProfileUpdate) -> User:
    """Change the caller's own contact details."""
    if user.role == Role.customer.value:
        raise InvalidInput(field="email", problem=CUSTOMER_EMAIL)
    user.email = data.email
    session.flush()
    return user


def update_user(session: Session, *, actor: Scope, user_id: int, data: UserUpdate) -> User:
    """Change a user's name or email (admins of their group)."""
    user = get_user(session, actor=actor, user_id=user_id)
    changes = data.model_dump(exclude_unset=True)
    if "full_name" in changes and changes["full_name"] is None:
        raise InvalidInput(field="full_name", problem="a user needs a name; give one or omit it")
    if changes.get("email") is not None and user.role == Role.customer.value:
        raise InvalidInput(field="email", problem=CUSTOMER_EMAIL)
    for field, value in changes.items():
        setattr(user, field, value)
    session.flush()
    return user


def _audit_role_grant(session: Session, *, actor: Scope, user: User) -> None:
    from api.audit import service as audit  # the audit log builds on auth

    store_ids = sorted(store.id for store in user.stores)
    audit.record(
        session,
        action="role_grant",
        entity_type="user",
        entity_id=user.id,
        store_id=store_ids[0] if len(store_ids) == 1 else None,
        dealer_group_id=user.dealer_group_id,
        actor_user_id=actor.user_id,
        before={"role": None},
        after={"role": user.role, "store_ids": store_ids, "username": user.username},
    )


def _ensure_customer(session: Session, *, actor: Scope, customer_id: int) -> None:
    from api.crm.models import Customer  # crm builds on auth, not the other way round

    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(entity="customer", id=customer_id)
    actor.ensure(entity="customer", store_id=customer.store_id, record_id=customer_id)
    if session.scalar(select(User.id).where(User.customer_id == customer_id)) is not None:
        raise Conflict(why=f"customer {customer_id} already has an account")
