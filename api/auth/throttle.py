"""Login throttling: lockout per account and per client address after repeated wrong passwords,
and a bound on password checks running at once so that guessing cannot starve other users."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.auth.models import LoginThrottle
from api.errors import TooManyRequests
from api.i18n import Text, register
from core.settings import Settings

register(
    {
        "auth.locked": {
            "en": "this {what} is locked after {failures} wrong passwords",
            "zh-CN": "密码错误 {failures} 次,该{what}已被锁定",
        },
        "auth.what.account": {"en": "account", "zh-CN": "账号"},
        "auth.what.address": {"en": "client address", "zh-CN": "客户端地址"},
        "auth.busy": {
            "en": "too many sign-ins are being checked at once",
            "zh-CN": "同时进行的登录校验过多",
        },
    }
)
HASH_WAIT_S = 1.0  # a sign-in waits this long for a free password check, then gets 429


def subjects(*, username: str, address: str | None) -> dict[str, str]:
    """The throttle keys of one attempt: what kind -> subject."""
    keys = {"account": f"account:{username.strip().lower()[:100]}"}
    if address:
        keys["address"] = f"address:{address[:100]}"
    return keys


def ensure_not_locked(session: Session, *, settings: Settings, keys: dict[str, str]) -> None:
    """TooManyRequests (with the seconds left) when the account or the address is locked."""
    now = datetime.now(UTC)
    rows = session.scalars(
        select(LoginThrottle).where(
            LoginThrottle.subject.in_(keys.values()), LoginThrottle.locked_until > now
        )
    ).all()
    if not rows:
        return
    row = max(rows, key=lambda r: r.locked_until or now)
    kind = next(k for k, v in keys.items() if v == row.subject)
    limit = (
        settings.login_max_failures
        if kind == "account"
        else settings.login_max_failures_per_address
    )
    left = math.ceil(((row.locked_until or now) - now).total_seconds())
    raise TooManyRequests(
        why=Text("auth.locked", {"what": Text(f"auth.what.{kind}"), "failures": limit}),
        retry_after=left,
    )


def record_failure(session: Session, *, settings: Settings, keys: dict[str, str]) -> None:
    """Count a wrong password against each key; a key that reaches its limit is locked."""
    now = datetime.now(UTC)
    window = timedelta(minutes=settings.login_lockout_minutes)
    for kind, subject in keys.items():
        limit = _limit(settings, kind)
        recent = LoginThrottle.last_failure_at > now - window
        stmt = insert(LoginThrottle).values(
            subject=subject, failures=1, last_failure_at=now, locked_until=None
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[LoginThrottle.subject],
            set_={
                "failures": case((recent, LoginThrottle.failures + 1), else_=1),
                "last_failure_at": now,
            },
        )
        session.execute(stmt)
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.subject == subject, LoginThrottle.failures >= limit)
            .values(failures=0, locked_until=now + window)
        )


def _limit(settings: Settings, kind: str) -> int:
    if kind == "account":
        return settings.login_max_failures
    return settings.login_max_failures_per_address


def record_success(session: Session, *, keys: dict[str, str]) -> None:
    """A right password clears the account's count (the address keeps its own)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.subject == keys["account"]))


@lru_cache
def _hash_slots(size: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(size)


@contextmanager
def password_check_slot(settings: Settings) -> Iterator[None]:
    """Hold one of the few password-check slots, or TooManyRequests after a short wait."""
    slots = _hash_slots(settings.login_concurrent_hashes)
    if not slots.acquire(timeout=HASH_WAIT_S):
        raise TooManyRequests(why=Text("auth.busy"), retry_after=1)
    try:
        yield
    finally:
        slots.release()
