"""Password hashing (argon2 via pwdlib) and JWTs (PyJWT, HS256)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import jwt
from pwdlib import PasswordHash

from core.settings import Settings

ALGORITHM = "HS256"
ISSUER = "pitstop"
TokenType = Literal["access", "refresh"]


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    """An argon2 hash of the password."""
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """True when the password matches the hash."""
    return _hasher().verify(password, hashed)


# Verified when the username is unknown, so that a wrong name costs as long as a wrong password.
@lru_cache
def dummy_hash() -> str:
    """A hash that no password the caller sends will match in practice."""
    return hash_password(uuid.uuid4().hex)


def issue_token(
    *,
    settings: Settings,
    user_id: int,
    token_version: int,
    token_type: TokenType,
    now: datetime | None = None,
    jti: str | None = None,
) -> tuple[str, datetime]:
    """A signed token for the user and its expiry time."""
    issued = now or datetime.now(UTC)
    lifetime = (
        timedelta(minutes=settings.access_token_minutes)
        if token_type == "access"
        else timedelta(days=settings.refresh_token_days)
    )
    expires = issued + lifetime
    claims = {
        "sub": str(user_id),
        "typ": token_type,
        "ver": token_version,
        "iss": ISSUER,
        "iat": issued,
        "exp": expires,
        "jti": jti or uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM)
    return token, expires


def decode_token(token: str, *, settings: Settings, token_type: TokenType) -> dict[str, Any]:
    """The claims of a valid, unexpired token of the type; jwt.InvalidTokenError otherwise."""
    claims = jwt.decode(
        token,
        settings.signing_key(),
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["sub", "typ", "ver", "exp", "iat"]},
    )
    if claims["typ"] != token_type:
        raise jwt.InvalidTokenError(f"expected a {token_type} token, got {claims['typ']}")
    return claims
