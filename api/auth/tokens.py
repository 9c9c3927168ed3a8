"""Token pairs: refresh tokens are single-use and rotate within a family; redeeming a used or
revoked one revokes the whole family (someone else holds a copy)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import jwt
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.auth.models import RefreshToken, User
from api.auth.schemas import TokenPair
from api.auth.security import decode_token, issue_token
from api.errors import NotAuthenticated
from api.i18n import Text, register
from core.settings import Settings

register(
    {
        "auth.refresh_reused": {
            "en": "this refresh token was already used or revoked, so every token of its login "
            "is now revoked; log in again",
            "zh-CN": "该刷新令牌已被使用或已撤销,其所属登录的全部令牌均已撤销,请重新登录",
        },
    }
)


def issue_pair(
    session: Session, *, settings: Settings, user: User, family_id: str | None = None
) -> TokenPair:
    """A fresh access token and a recorded refresh token (a new family unless given)."""
    access, expires = issue_token(
        settings=settings, user_id=user.id, token_version=user.token_version, token_type="access"
    )
    jti = uuid.uuid4().hex
    session.execute(  # the user's expired tokens are of no more use, even as reuse evidence
        delete(RefreshToken).where(
            RefreshToken.user_id == user.id, RefreshToken.expires_at < datetime.now(UTC)
        )
    )
    refresh, refresh_expires = issue_token(
        settings=settings,
        user_id=user.id,
        token_version=user.token_version,
        token_type="refresh",
        jti=jti,
    )
    session.add(
        RefreshToken(
            jti=jti,
            family_id=family_id or uuid.uuid4().hex,
            user_id=user.id,
            expires_at=refresh_expires,
        )
    )
    session.flush()
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_at=expires,
        refresh_expires_at=refresh_expires,
    )


def rotate(session: Session, *, settings: Settings, user: User, refresh_token: str) -> TokenPair:
    """Spend the refresh token (once) for a new pair of the same family."""
    try:
        jti = str(decode_token(refresh_token, settings=settings, token_type="refresh")["jti"])
    except (jwt.InvalidTokenError, KeyError):
        raise NotAuthenticated(why=Text("auth.token_invalid")) from None
    now = datetime.now(UTC)
    spent = session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.jti == jti,
            RefreshToken.user_id == user.id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(RefreshToken.family_id)
    ).first()
    if spent is None:
        family = session.scalar(select(RefreshToken.family_id).where(RefreshToken.jti == jti))
        if family is not None:
            _revoke(session, RefreshToken.family_id == family, now)
            session.commit()  # the revocation must outlive the refusal
        raise NotAuthenticated(why=Text("auth.refresh_reused"))
    return issue_pair(session, settings=settings, user=user, family_id=spent.family_id)


def revoke_all(session: Session, *, user_id: int) -> None:
    """Revoke every refresh token of the user (logout)."""
    _revoke(session, RefreshToken.user_id == user_id, datetime.now(UTC))


def _revoke(session: Session, which: object, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(which, RefreshToken.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=now)
    )
