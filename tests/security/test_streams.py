"""Issue 10, class 6: the feed's event stream takes no token in its URL (a single-use ticket
instead), re-checks the session and ends at logout or expiry, is capped per user, and all streams
share one database LISTEN connection. Against uvicorn: SSE needs a real HTTP connection."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from api import streams
from api.auth.models import User
from api.auth.roles import Role
from api.proactive import feed
from api.proactive.constants import FEED_CHANNEL
from tests.console_support import serve
from tests.factories import login, make_group, make_store, make_user

MAX_STREAMS = 2
RECHECK_S = 0.5


@pytest.fixture(scope="module")
def settings_overrides():
    return {"stream_max_per_user": MAX_STREAMS, "stream_recheck_seconds": RECHECK_S}


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        users = [make_user(session, group, Role.service_advisor, stores=[store]) for _ in range(5)]
    return {"store": store, "users": users}


@pytest.fixture(scope="module")
def base_url(app) -> Iterator[str]:
    with serve(app) as url:
        yield url


def _tokens(base_url: str, user: User) -> dict:
    with httpx.Client(base_url=base_url) as client:
        return login(client, user)  # type: ignore[arg-type]


def _ticket(base_url: str, access: str) -> str:
    response = httpx.post(
        f"{base_url}/feed/stream/ticket", headers={"Authorization": f"Bearer {access}"}
    )
    assert response.status_code == 200, response.text
    return response.json()["ticket"]


class Reader:
    """A stream read over a plain socket in a thread: what arrived, and whether the server
    ended it. Closing the socket is an immediate disconnect, as when a browser tab closes."""

    def __init__(self, base_url: str, ticket: str) -> None:
        host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
        self.sock = socket.create_connection((host, port), timeout=10)
        request = (
            f"GET /feed/stream?ticket={ticket} HTTP/1.1\r\nHost: {host}\r\n"
            "Accept: text/event-stream\r\nConnection: close\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.data = b""
        while b"\r\n" not in self.data:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.data += chunk
        self.status = int(self.data.split(b" ", 2)[1])
        self.ended = threading.Event()
        self.sock.settimeout(None)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            while chunk := self.sock.recv(4096):
                self.data += chunk
        except OSError:
            pass
        finally:
            self.ended.set()

    def has(self, line: str) -> bool:
        """True once the line arrived."""
        return line.encode() in self.data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.ended.wait(5)


@contextmanager
def reading(base_url: str, ticket: str) -> Iterator[Reader]:
    reader = Reader(base_url, ticket)
    try:
        yield reader
    finally:
        reader.close()


def test_a_token_in_the_url_is_not_accepted(base_url, world):
    access = _tokens(base_url, world["users"][0])["access_token"]
    response = httpx.get(f"{base_url}/feed/stream?token={access}", timeout=5)
    assert response.status_code == 401


def test_a_ticket_opens_one_stream_once(base_url, world):
    access = _tokens(base_url, world["users"][0])["access_token"]
    ticket = _ticket(base_url, access)
    with reading(base_url, ticket) as first:
        assert first.status == 200
        replay = httpx.get(f"{base_url}/feed/stream?ticket={ticket}", timeout=5)
        assert replay.status_code == 401
        assert "ticket" in replay.json()["message"]


def test_the_stream_ends_at_logout(base_url, world):
    access = _tokens(base_url, world["users"][1])["access_token"]
    with reading(base_url, _ticket(base_url, access)) as reader:
        assert reader.status == 200
        time.sleep(RECHECK_S)
        assert not reader.ended.is_set()
        logout = httpx.post(
            f"{base_url}/auth/logout", headers={"Authorization": f"Bearer {access}"}
        )
        assert logout.status_code == 204
        assert reader.ended.wait(RECHECK_S * 2 + 6), "the stream outlived the logout"


def test_the_stream_ends_when_its_access_token_expires(app, base_url, world):
    user = world["users"][2]
    with app.state.session_factory() as session:
        fresh = session.get(User, user.id)
        soon = datetime.now(UTC) + timedelta(seconds=1)
        ticket, _ = streams.issue_ticket(
            settings=app.state.settings, user=fresh, access_expires=soon
        )
    with reading(base_url, ticket) as reader:
        assert reader.status == 200
        assert reader.ended.wait(8), "the stream outlived its token"


def test_streams_are_capped_per_user(base_url, world):
    access = _tokens(base_url, world["users"][3])["access_token"]
    with reading(base_url, _ticket(base_url, access)), reading(base_url, _ticket(base_url, access)):
        third = httpx.get(f"{base_url}/feed/stream?ticket={_ticket(base_url, access)}", timeout=5)
        assert third.status_code == 429
        assert int(third.headers["Retry-After"]) > 0
    time.sleep(0.5)  # the server notices the closed streams
    with reading(base_url, _ticket(base_url, access)) as again:
        assert again.status == 200


def test_all_streams_share_one_listen_connection_and_all_get_the_event(app, base_url, world):
    readers = []
    try:
        for user in world["users"][:4]:
            access = _tokens(base_url, user)["access_token"]
            readers.append(Reader(base_url, _ticket(base_url, access)))
        assert all(r.status == 200 for r in readers)
        with app.state.session_factory() as session:
            listening = session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query = :listen"
                ),
                {"listen": f"LISTEN {FEED_CHANNEL}"},
            )
        assert listening == 1
        with app.state.session_factory.begin() as session:
            event = feed.publish(
                session, store_id=world["store"].id, kind="alert_opened", vin=None, plate="沪A1"
            )
            event_id = event.id
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if all(r.has(f"id: {event_id}") for r in readers):
                break
            time.sleep(0.1)
        assert all(r.has(f"id: {event_id}") for r in readers)
    finally:
        for reader in readers:
            reader.close()
