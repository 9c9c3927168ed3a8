"""Server-Sent Event streams: single-use tickets instead of tokens in URLs, a cap on streams per
user, and one shared database LISTEN connection that wakes every stream of the process (or, with
events_source=jetstream, one subscription to the events stream on the NATS cluster)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import psycopg
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.auth.models import StreamTicket, User
from api.auth.security import ALGORITHM, ISSUER
from api.errors import NotAuthenticated, TooManyRequests
from api.i18n import Text, register
from core.settings import Settings

log = logging.getLogger(__name__)
TICKET_SECONDS = 30  # a ticket opens one stream, within this time of being issued
RECONNECT_S = 2.0  # the shared listener's pause before reconnecting

register(
    {
        "stream.ticket_invalid": {
            "en": "the stream ticket is invalid, expired or already used; get a new one with "
            "POST {path}/ticket",
            "zh-CN": "事件流票据无效、已过期或已使用,请通过 POST {path}/ticket 获取新票据",
        },
        "stream.too_many": {
            "en": "you already have {limit} open event streams; close one (another tab)",
            "zh-CN": "您已打开 {limit} 个事件流,请先关闭一个(其他标签页)",
        },
    }
)


def issue_ticket(
    *, settings: Settings, user: User, access_expires: datetime
) -> tuple[str, datetime]:
    """A signed single-use ticket for one stream; the stream ends when the access token would."""
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=TICKET_SECONDS)
    claims = {
        "sub": str(user.id),
        "typ": "stream",
        "ver": user.token_version,
        "iss": ISSUER,
        "iat": now,
        "exp": expires,
        "until": int(access_expires.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM), expires


def redeem_ticket(
    session: Session, *, settings: Settings, ticket: str, path: str
) -> tuple[User, datetime]:
    """The user of a valid, unused ticket (now spent) and when their stream must end."""
    refused = NotAuthenticated(why=Text("stream.ticket_invalid", {"path": path}))
    try:
        claims = jwt.decode(
            ticket,
            settings.signing_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "typ", "ver", "exp", "jti", "until"]},
        )
    except jwt.InvalidTokenError:
        raise refused from None
    if claims["typ"] != "stream":
        raise refused
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.is_active or user.token_version != claims["ver"]:
        raise refused
    spent = session.scalar(
        insert(StreamTicket)
        .values(jti=str(claims["jti"]), user_id=user.id)
        .on_conflict_do_nothing(index_elements=["jti"])
        .returning(StreamTicket.id)
    )
    if spent is None:
        raise refused
    stale = datetime.now(UTC) - timedelta(seconds=TICKET_SECONDS * 2)  # expired either way
    session.execute(
        delete(StreamTicket).where(StreamTicket.user_id == user.id, StreamTicket.created_at < stale)
    )
    session.commit()
    return user, datetime.fromtimestamp(int(claims["until"]), UTC)


def still_valid(
    session_factory: Callable[[], Session], *, user_id: int, token_version: int
) -> bool:
    """False once the user logged out (or was disabled) since the stream opened."""
    with session_factory() as session:
        row = session.execute(
            select(User.token_version, User.is_active).where(User.id == user_id)
        ).first()
    return row is not None and row.is_active and row.token_version == token_version


class StreamHub:
    """One LISTEN connection (or broker subscription) per process; streams wait on it, and
    are capped per user."""

    def __init__(
        self,
        database_url: str,
        channel: str,
        *,
        max_per_user: int,
        watch: Callable[[Callable[[], None]], Awaitable[None]] | None = None,
    ) -> None:
        self.database_url = database_url
        self.channel = channel
        self.max_per_user = max_per_user
        self.watch = watch  # set: wake on the broker's events instead of LISTEN
        self.open = Counter[int]()
        self.waiters: set[asyncio.Event] = set()
        self.task: asyncio.Task[None] | None = None
        self.connections = 0  # LISTEN connections opened so far (one unless it had to reconnect)

    def acquire(self, user_id: int) -> Callable[[], None]:
        """Take one of the user's stream slots (TooManyRequests when all are taken); returns
        the function that gives it back."""
        if self.open[user_id] >= self.max_per_user:
            raise TooManyRequests(
                why=Text("stream.too_many", {"limit": self.max_per_user}), retry_after=30
            )
        self.open[user_id] += 1

        def release() -> None:
            self.open[user_id] -= 1
            if self.open[user_id] <= 0:
                del self.open[user_id]

        return release

    async def wait(self, timeout: float) -> bool:
        """True when a NOTIFY (or a message on the events stream) arrived within timeout."""
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._listen())
        event = asyncio.Event()
        self.waiters.add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.waiters.discard(event)

    async def _listen(self) -> None:
        if self.watch is not None:
            await self.watch(self._wake)
            return
        while True:
            try:
                self.connections += 1
                conn = await psycopg.AsyncConnection.connect(self.database_url, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {self.channel}")
                    self._wake()  # catch up on what arrived while not listening
                    async for _ in conn.notifies():
                        self._wake()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("stream listener lost its connection; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_S)

    def _wake(self) -> None:
        for event in list(self.waiters):
            event.set()

    async def close(self) -> None:
        """Stop the listener (app shutdown)."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


def hub_of(app: Any, channel: str) -> StreamHub:
    """The app's hub for a NOTIFY channel, made on first use."""
    hubs: dict[str, StreamHub] = app.state.__dict__.setdefault("stream_hubs", {})
    if channel not in hubs:
        settings = app.state.settings
        watch = None
        if settings.events_source != "postgres":
            from api import event_stream  # a broker's client: only on the clustered path

            watch = event_stream.watcher_for(settings, event_stream.KIND_OF_CHANNEL[channel])
        hubs[channel] = StreamHub(
            settings.database_url,
            channel,
            max_per_user=settings.stream_max_per_user,
            watch=watch,
        )
    return hubs[channel]


async def close_hubs(app: Any) -> None:
    """Stop every hub's listener (app shutdown)."""
    for hub in getattr(app.state, "stream_hubs", {}).values():
        await hub.close()


async def releasing(body: AsyncIterator[str], release: Callable[[], None]) -> AsyncIterator[str]:
    """The body, giving the stream slot back however it ends."""
    try:
        async for chunk in body:
            yield chunk
    finally:
        release()
