"""What the internal-events tests share, whichever broker carries the events: an advisor's
SSE stream read on a thread, and feed events added to the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx

from api.auth.roles import Role
from api.proactive import feed
from tests.factories import login, make_group, make_store, make_user
from tests.ingest_support import wait_for

NEVER_S = 120.0  # poll fallbacks: longer than any wait below
ARRIVAL_S = 15.0  # an event through the stream arrives well within this


def new_store(app) -> int:
    with app.state.session_factory.begin() as session:
        return make_store(session, make_group(session)).id


def add_feed_event(app, store_id: int) -> int:
    with app.state.session_factory.begin() as session:
        return feed.publish(session, store_id=store_id, kind="alert_opened", vin=None).id


class FeedReader:
    """An advisor's SSE stream read on a thread: every line that arrived."""

    def __init__(self, base_url: str, access_token: str) -> None:
        self.lines: list[str] = []
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.url = f"{base_url}/feed/stream"
        self.client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        threading.Thread(target=self._read, daemon=True).start()
        wait_for(lambda: "retry: 2000" in self.lines, what="the stream to open")

    def _read(self) -> None:
        try:
            with self.client.stream("GET", self.url, headers=self.headers) as response:
                self.lines.extend(response.iter_lines())
        except httpx.HTTPError:
            pass

    def got(self, event_id: int) -> bool:
        return f"id: {event_id}" in self.lines

    def close(self) -> None:
        self.client.close()


def open_advisor_feed(app, base_url: str) -> Iterator[tuple[FeedReader, int]]:
    """An SSE stream of a new store's advisor, and the store's id (a fixture's body)."""
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        advisor = make_user(session, group, Role.service_advisor, stores=[store])
    with httpx.Client(base_url=base_url) as client:
        token = login(client, advisor)["access_token"]  # type: ignore[arg-type]
    reader = FeedReader(base_url, token)
    yield reader, store.id
    reader.close()
