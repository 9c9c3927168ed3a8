"""Issue 10, class 5: a customer cannot make the server call an address of its choosing through a
Web Push subscription: endpoints must be https on public addresses, checked when subscribing and
again at send time, and redirects are not followed; a local endpoint works only allow-listed."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from api.auth.roles import Role
from api.notifications.dispatch import dispatch_due
from api.notifications.models import Delivery, PushSubscription
from api.notifications.outbound import is_public
from api.notifications.senders import SendFailed, send_push
from api.notifications.service import notify
from api.notifications.vapid import new_private_key, vapid_keys
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    settings_for_tests,
)
from tests.notifications_support import Browser, push_endpoint

VAPID_KEY = new_private_key()
EN = {"Accept-Language": "en"}
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai: outside quiet hours


@pytest.fixture(scope="module")
def settings_overrides():
    return {"vapid_private_key": VAPID_KEY}  # no allow-list: the production rule


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        customer = make_customer(session, store)
        customer.consents = {"web_push": True}
        user = make_user(session, group, Role.customer, customer=customer)
    return {"store": store, "customer": customer, "user": user}


def _subscriptions(app) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(PushSubscription))


def test_the_probe_endpoint_on_loopback_is_refused_and_never_called(app, client, world):
    with push_endpoint() as endpoint:
        browser = Browser(endpoint=f"{endpoint.url}/internal/admin")
        headers = auth_headers(client, world["user"], **EN)
        before = _subscriptions(app)
        response = client.post(
            "/notifications/push/subscriptions", json=browser.subscription(), headers=headers
        )
        assert response.status_code == 422
        assert "https" in response.json()["message"]
        assert _subscriptions(app) == before
        assert endpoint.requests == []


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "[::1]",
        "[fe80::1]",
        "[fc00::1]",
        "[ff02::1]",
        "[::ffff:127.0.0.1]",
        "localhost",
    ],
)
def test_https_endpoints_on_non_public_addresses_are_refused(app, client, world, host):
    browser = Browser(endpoint=f"https://{host}/push/{uuid.uuid4().hex}")
    before = _subscriptions(app)
    response = client.post(
        "/notifications/push/subscriptions",
        json=browser.subscription(),
        headers=auth_headers(client, world["user"], **EN),
    )
    assert response.status_code == 422
    assert "non-public address" in response.json()["message"]
    assert _subscriptions(app) == before


def test_an_unresolvable_host_is_refused(app, client, world):
    browser = Browser(endpoint="https://no-such-host.invalid/push/x")
    response = client.post(
        "/notifications/push/subscriptions",
        json=browser.subscription(),
        headers=auth_headers(client, world["user"], **EN),
    )
    assert response.status_code == 422
    assert "does not resolve" in response.json()["message"]


def test_public_addresses_pass_and_private_ones_do_not():
    assert is_public("142.250.72.14") and is_public("2607:f8b0:4005:80a::200e")
    for address in ("127.0.0.1", "10.0.0.1", "::1", "fe80::1%eth0", "::ffff:10.0.0.1", "fd00::1"):
        assert not is_public(address), address


def test_the_address_is_checked_again_at_send_time(app, db_url, world):
    """Subscribed while allowed (a DNS answer that later changes is the same case): the send
    refuses, nothing reaches the endpoint, and the subscription is dropped."""
    from api.notifications import inbox

    factory = app.state.session_factory
    with push_endpoint() as endpoint:
        browser = Browser(endpoint=f"{endpoint.url}/push/{uuid.uuid4().hex}")
        allowed = settings_for_tests(
            db_url, vapid_private_key=VAPID_KEY, push_allowed_hosts=["127.0.0.1"]
        )
        keys = browser.subscription()["keys"]
        from api.auth.scope import Scope

        scope = Scope(
            user_id=world["user"].id, role=Role.customer,
            dealer_group_id=world["store"].dealer_group_id, store_ids=frozenset(),
            customer_id=world["customer"].id,
        )  # fmt: skip
        with factory.begin() as session:
            inbox.subscribe(
                session, actor=scope, settings=allowed, endpoint=browser.endpoint,
                p256dh=keys["p256dh"], auth=keys["auth"],
            )  # fmt: skip
        with factory.begin() as session:
            sent = notify(
                session, store_id=world["store"].id, customer_id=world["customer"].id,
                kind="booking_created", now=NOW,
                context={"plate": "沪A·D12345", "vehicle": "Passat", "starts_at": NOW},
                links={"confirm": "https://dealer.example/c", "reschedule": "https://dealer.example/r"},
            )  # fmt: skip
            push_ids = [d.id for d in sent if d.channel == "web_push"]
        assert push_ids
        dispatch_due(factory, now=NOW, settings=app.state.settings)  # no allow-list
        assert endpoint.requests == []
    with factory() as session:
        delivery = session.get(Delivery, push_ids[0])
        assert delivery.status != "sent" and "refused to send" in (delivery.last_error or "")
        assert (
            session.scalar(
                select(PushSubscription).where(PushSubscription.endpoint == browser.endpoint)
            )
            is None
        )


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_redirects_are_not_followed(db_url):
    with push_endpoint() as internal:
        _Redirector.target = f"{internal.url}/internal/admin"
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            browser = Browser(endpoint=f"http://127.0.0.1:{server.server_address[1]}/push/x")
            keys = browser.subscription()["keys"]
            vapid, _ = vapid_keys(settings_for_tests(db_url, vapid_private_key=VAPID_KEY))
            with pytest.raises(SendFailed, match="307"):
                send_push(
                    endpoint=browser.endpoint, p256dh=keys["p256dh"], auth=keys["auth"],
                    payload="{}", vapid=vapid, subject="mailto:a@b.example", urgent=False,
                )  # fmt: skip
        finally:
            server.shutdown()
        assert internal.requests == []
