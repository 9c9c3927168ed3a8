"""Notifications really arrive: email at a real SMTP server (zh-CN and en), Web Push at a local
push endpoint that the test decrypts like a browser; consent, quiet hours, dedupe, retries with
backoff and giving up, and several dispatchers at once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from api.auth.roles import Role
from api.db import make_engine, make_session_factory
from api.models_base import load_all_models
from api.notifications import inbox
from api.notifications.constants import BACKOFF_BASE, MAX_ATTEMPTS
from api.notifications.dispatch import backoff, dispatch_due
from api.notifications.models import Delivery, Notification, NotificationPreference
from api.notifications.service import NO_EMAIL, NO_PUSH, notify
from api.notifications.staff import set_quiet_hours
from api.notifications.vapid import new_private_key, vapid_keys
from tests.factories import make_customer, make_group, make_store, make_user, settings_for_tests
from tests.notifications_support import Browser, Mailbox, parts, push_endpoint, smtp_server

# 12:00 and 23:00 in Shanghai: outside and inside the default quiet hours (21:00-08:00).
NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
LATE = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai

CONTEXT = {
    "plate": "沪A·D12345",
    "vehicle": "Passat",
    "failure_mode": "battery",
    "explanation_zh": "停车时蓄电池电压降到 11.8 V,低于正常的 12.4 V",
    "explanation_en": "battery voltage at rest fell to 11.8 V, below the normal 12.4 V",
    "starts_at": datetime(2026, 12, 3, 1, 30, tzinfo=UTC),  # 09:30 in Shanghai
}
LINKS = {
    "confirm": "https://dealer.example/public/appointments/confirm?token=abc",
    "reschedule": "https://dealer.example/public/appointments/reschedule?token=abc",
}


@pytest.fixture(scope="module")
def factory(db_url):
    load_all_models()
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def store(factory):
    with factory() as session, session.begin():
        group = make_group(session)
        store = make_store(session, group, name="上海浦东店")
        store.name_en = "Shanghai Pudong"
        make_user(session, group, Role.manager, stores=[store])
    return store


def settings(db_url, smtp_url=None, **extra):
    return settings_for_tests(
        db_url, smtp_url=smtp_url, vapid_private_key=VAPID_KEY, vapid_subject=SUBJECT,
        push_allowed_hosts=["127.0.0.1"], **extra,
    )  # fmt: skip


VAPID_KEY = new_private_key()
SUBJECT = "mailto:service@dealer.example"


def customer(factory, store, *, consents, email=True, language=None) -> int:
    """A committed customer with the consents (and an email address unless email=False)."""
    with factory() as session, session.begin():
        row = make_customer(session, store)
        row.consents = consents
        row.email = f"{uuid.uuid4().hex[:10]}@example.cn" if email else None
        session.flush()
        if language:
            session.add(
                NotificationPreference(customer_id=row.id, store_id=store.id, language=language)
            )
        return row.id


def send(factory, store, customer_id, **kw) -> list[int]:
    """notify() in its own committed transaction; returns the delivery ids."""
    values = {"kind": "booking_created", "context": CONTEXT, "links": LINKS, "now": NOON} | kw
    with factory() as session, session.begin():
        deliveries = notify(session, store_id=store.id, customer_id=customer_id, **values)
        return [d.id for d in deliveries]


def deliveries(factory, ids) -> dict[str, Delivery]:
    with factory() as session:
        rows = session.scalars(select(Delivery).where(Delivery.id.in_(ids))).all()
        return {r.channel: r for r in rows}


def mail_to(mailbox, address):
    return [m for m in mailbox.messages if m["To"] == address]


def email_of(factory, customer_id):
    from api.crm.models import Customer

    with factory() as session:
        return session.get(Customer, customer_id).email


def test_email_arrives_in_chinese_and_in_english(factory, store, db_url):
    zh = customer(factory, store, consents={"email": True})
    en = customer(factory, store, consents={"email": True}, language="en")
    mailbox = Mailbox()
    with smtp_server(mailbox) as url:
        zh_ids, en_ids = send(factory, store, zh), send(factory, store, en)
        dispatch_due(factory, now=NOON, settings=settings(db_url, url))
    assert deliveries(factory, zh_ids)["email"].status == "sent"
    assert deliveries(factory, en_ids)["email"].status == "sent"

    [message] = mail_to(mailbox, email_of(factory, zh))
    text, html = parts(message)
    assert "蓄电池" in message["Subject"] and "沪A·D12345" in message["Subject"]
    assert "蓄电池" in text and "11.8 V" in text and "上海浦东店" in text
    assert "12月3日(周四)09:30" in text  # the appointment, in the store's local time
    assert f"确认预约:{LINKS['confirm']}" in text and f"改约:{LINKS['reschedule']}" in text
    assert 'href="https://dealer.example/public/appointments/confirm?token=abc"' in html
    assert "Battery" not in text

    [message] = mail_to(mailbox, email_of(factory, en))
    text, html = parts(message)
    assert "12 V battery" in message["Subject"]
    assert "battery voltage at rest fell to 11.8 V" in text and "Shanghai Pudong" in text
    assert "Thu 3 Dec, 09:30" in text
    assert f"Confirm: {LINKS['confirm']}" in text
    assert "Choose another time" in html and "蓄电池" not in text


def test_web_push_payload_decrypts_to_the_message(factory, store, db_url):
    customer_id = customer(factory, store, consents={"web_push": True})
    with push_endpoint() as endpoint:
        browser = Browser(endpoint=f"{endpoint.url}/push/{uuid.uuid4().hex}")
        _subscribe(factory, customer_id, browser, db_url)
        ids = send(factory, store, customer_id, kind="stop_driving", urgent=True)
        dispatch_due(factory, now=NOON, settings=settings(db_url))
        [request] = [r for r in endpoint.requests if browser.endpoint.endswith(r["path"])]
    assert deliveries(factory, ids)["web_push"].status == "sent"
    headers = request["headers"]
    assert headers["Content-Encoding"] == "aes128gcm"
    assert headers["Urgency"] == "high"
    payload = browser.decrypt(request["body"])
    assert payload["kind"] == "stop_driving" and payload["urgent"] is True
    assert "请尽快安全停车" in payload["title"] and "沪A·D12345" in payload["title"]
    assert "请在安全的地方停车" in payload["body"] and "11.8 V" in payload["body"]
    assert payload["url"] == LINKS["confirm"]
    # The VAPID token is signed by the server's key, for the push service's origin.
    scheme, _, params = headers["Authorization"].partition(" ")
    token = dict(p.strip().split("=", 1) for p in params.split(","))["t"]
    vapid, public = vapid_keys(settings(db_url))
    assert scheme == "vapid" and f"k={public}" in headers["Authorization"]
    pem = vapid.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(token, pem, algorithms=["ES256"], audience=endpoint.url)
    assert claims["sub"] == SUBJECT


def _subscribe(factory, customer_id, browser, db_url) -> int:
    from api.auth.scope import Scope

    scope = Scope(
        user_id=0, role=Role.customer, dealer_group_id=0, store_ids=frozenset(),
        customer_id=customer_id,
    )  # fmt: skip
    keys = browser.subscription()["keys"]
    with factory() as session, session.begin():
        row = inbox.subscribe(
            session, actor=scope, settings=settings(db_url), endpoint=browser.endpoint,
            p256dh=keys["p256dh"], auth=keys["auth"],
        )  # fmt: skip
        return row.id


def test_only_consented_channels_are_used(factory, store, db_url):
    in_app_only = customer(factory, store, consents={"in_app": True, "email": False})
    sms_only = customer(factory, store, consents={"sms": True})
    no_address = customer(factory, store, consents={"email": True, "web_push": True}, email=False)
    mailbox = Mailbox()
    with smtp_server(mailbox) as url:
        first = deliveries(factory, send(factory, store, in_app_only))
        assert set(first) == {"in_app"}
        assert send(factory, store, sms_only) == []  # no SMS gateway: nothing is sent
        unreachable = deliveries(factory, send(factory, store, no_address))
        dispatch_due(factory, now=NOON, settings=settings(db_url, url))
    assert mail_to(mailbox, email_of(factory, in_app_only)) == []
    assert deliveries(factory, [first["in_app"].id])["in_app"].status == "sent"
    assert unreachable["email"].status == "gave_up" and unreachable["email"].last_error == NO_EMAIL
    assert unreachable["web_push"].status == "gave_up"
    assert unreachable["web_push"].last_error == NO_PUSH


def test_quiet_hours_hold_back_all_but_urgent_messages(factory, store, db_url):
    customer_id = customer(factory, store, consents={"email": True, "in_app": True})
    address = email_of(factory, customer_id)
    mailbox = Mailbox()
    with smtp_server(mailbox) as url:
        calm = deliveries(factory, send(factory, store, customer_id, now=LATE))
        assert calm["email"].next_attempt_at == NEXT_MORNING
        assert calm["in_app"].next_attempt_at == LATE  # the inbox makes no noise
        urgent_ids = send(
            factory, store, customer_id, kind="stop_driving", urgent=True, now=LATE,
            dedupe_key="urgent",
        )  # fmt: skip
        assert deliveries(factory, urgent_ids)["email"].next_attempt_at == LATE

        dispatch_due(factory, now=LATE, settings=settings(db_url, url))
        [message] = mail_to(mailbox, address)
        assert "紧急" in message["Subject"]  # the urgent one went out at 23:00
        assert deliveries(factory, [calm["email"].id])["email"].status == "queued"

        dispatch_due(factory, now=NEXT_MORNING, settings=settings(db_url, url))
        assert len(mail_to(mailbox, address)) == 2
        assert deliveries(factory, [calm["email"].id])["email"].status == "sent"


def test_a_store_sets_its_own_quiet_hours(factory, store, db_url):
    from api.auth.scope import Scope

    with factory() as session, session.begin():
        other = make_store(session, make_group(session))
        scope = Scope(
            user_id=0, role=Role.manager, dealer_group_id=0, store_ids=frozenset({other.id})
        )
        window = set_quiet_hours(
            session, actor=scope, store_id=other.id,
            quiet_start=datetime(2000, 1, 1, 11).time(), quiet_end=datetime(2000, 1, 1, 13).time(),
        )  # fmt: skip
        assert window["is_default"] is False
    customer_id = customer(factory, other, consents={"email": True})
    at_noon = deliveries(factory, send(factory, other, customer_id))
    assert at_noon["email"].next_attempt_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 13:00
    at_late = deliveries(factory, send(factory, other, customer_id, now=LATE, dedupe_key="x"))
    assert at_late["email"].next_attempt_at == LATE  # 23:00 is not quiet for this store


def test_the_same_dedupe_key_makes_one_set_of_deliveries(factory, store):
    first = customer(factory, store, consents={"email": True, "in_app": True})
    second = customer(factory, store, consents={"email": True, "in_app": True})
    once = send(factory, store, first, dedupe_key="alert:42:battery")
    again = send(factory, store, first, dedupe_key="alert:42:battery")
    assert len(once) == 2 and again == once
    assert len(send(factory, store, second, dedupe_key="alert:42:battery")) == 2

    # Two transactions racing with the same key: one message, one set of deliveries.
    barrier = threading.Barrier(4)
    results: list[list[int]] = []

    def race() -> None:
        barrier.wait()
        results.append(send(factory, store, first, dedupe_key="alert:43:battery"))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r == results[0] for r in results)
    with factory() as session:
        count = session.scalar(
            select(func.count()).where(
                Notification.customer_id == first, Notification.dedupe_key == "alert:43:battery"
            )
        )
    assert count == 1


def test_a_refusing_mail_server_is_retried_with_backoff_then_given_up(factory, store, db_url):
    customer_id = customer(factory, store, consents={"email": True})
    mailbox = Mailbox(reply="451 4.3.0 mailbox busy, try again later")
    with smtp_server(mailbox) as url:
        [delivery_id] = send(factory, store, customer_id)
        now, gaps = NOON, []
        for _ in range(MAX_ATTEMPTS):
            dispatch_due(factory, now=now, settings=settings(db_url, url))
            row = deliveries(factory, [delivery_id])["email"]
            if row.status == "gave_up":
                break
            assert row.status == "failed" and "451" in row.last_error
            # Not due before its time: a dispatch now leaves it alone.
            dispatch_due(factory, now=now, settings=settings(db_url, url))
            assert deliveries(factory, [delivery_id])["email"].attempts == row.attempts
            gaps.append(row.next_attempt_at - now)
            now = row.next_attempt_at
    assert row.status == "gave_up" and row.attempts == MAX_ATTEMPTS and row.next_attempt_at is None
    assert mailbox.refused.count(email_of(factory, customer_id)) == MAX_ATTEMPTS
    assert gaps == [backoff(n) for n in range(1, MAX_ATTEMPTS)]
    assert gaps[:3] == [BACKOFF_BASE, 2 * BACKOFF_BASE, 4 * BACKOFF_BASE]


def test_a_permanent_refusal_gives_up_at_once(factory, store, db_url):
    customer_id = customer(factory, store, consents={"email": True})
    with smtp_server(Mailbox(reply="550 5.1.1 no such mailbox")) as url:
        [delivery_id] = send(factory, store, customer_id)
        dispatch_due(factory, now=NOON, settings=settings(db_url, url))
    row = deliveries(factory, [delivery_id])["email"]
    assert row.status == "gave_up" and row.attempts == 1 and "550" in row.last_error


def test_a_failing_push_service_is_retried_and_a_gone_subscription_removed(factory, store, db_url):
    customer_id = customer(factory, store, consents={"web_push": True})
    with push_endpoint(status=503) as endpoint:
        browser = Browser(endpoint=f"{endpoint.url}/push/{uuid.uuid4().hex}")
        _subscribe(factory, customer_id, browser, db_url)
        [delivery_id] = send(factory, store, customer_id)
        dispatch_due(factory, now=NOON, settings=settings(db_url))
        row = deliveries(factory, [delivery_id])["web_push"]
        assert row.status == "failed" and "503" in row.last_error
        assert row.next_attempt_at == NOON + BACKOFF_BASE

        endpoint.status = 201  # the push service is back
        dispatch_due(factory, now=row.next_attempt_at, settings=settings(db_url))
        row = deliveries(factory, [delivery_id])["web_push"]
        assert row.status == "sent" and row.attempts == 2
        assert browser.decrypt(endpoint.requests[-1]["body"])["kind"] == "booking_created"

        endpoint.status = 410  # the browser unsubscribed
        [gone_id] = send(factory, store, customer_id, dedupe_key="later")
        dispatch_due(factory, now=NOON + timedelta(hours=1), settings=settings(db_url))
    row = deliveries(factory, [gone_id])["web_push"]
    assert row.status == "gave_up" and "410" in row.last_error and row.attempts == 1
    after = deliveries(factory, send(factory, store, customer_id, dedupe_key="after"))
    assert after["web_push"].last_error == NO_PUSH  # the subscription was removed


def test_an_unreachable_mail_server_is_a_failure_to_retry(factory, store, db_url):
    from tests.notifications_support import free_port

    customer_id = customer(factory, store, consents={"email": True})
    [delivery_id] = send(factory, store, customer_id)
    dispatch_due(factory, now=NOON, settings=settings(db_url, f"smtp://127.0.0.1:{free_port()}"))
    row = deliveries(factory, [delivery_id])["email"]
    assert row.status == "failed" and "could not talk to the mail server" in row.last_error


def test_several_dispatchers_send_each_message_once(factory, store, db_url):
    customers = [customer(factory, store, consents={"email": True}) for _ in range(3)]
    ids = [i for c in customers for n in range(10) for i in send(factory, store, c,
           dedupe_key=f"many:{n}")]  # fmt: skip
    mailbox = Mailbox()
    with smtp_server(mailbox) as url:
        barrier = threading.Barrier(3)

        def worker() -> None:
            barrier.wait()
            dispatch_due(factory, now=NOON, settings=settings(db_url, url))

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with factory() as session:
        rows = session.scalars(select(Delivery).where(Delivery.id.in_(ids))).all()
    assert len(rows) == 30 and all(r.status == "sent" and r.attempts == 1 for r in rows)
    addresses = {email_of(factory, c) for c in customers}
    references = [m["X-Pitstop-Notification"] for m in mailbox.messages if m["To"] in addresses]
    assert len(references) == 30 and len(set(references)) == 30


def test_a_browser_taken_over_by_another_customer_gets_none_of_the_first_ones_messages(
    factory, store, db_url
):
    ann = customer(factory, store, consents={"web_push": True})
    bob = customer(factory, store, consents={"web_push": True})
    with push_endpoint() as endpoint:
        browser = Browser(endpoint=f"{endpoint.url}/push/{uuid.uuid4().hex}")
        _subscribe(factory, ann, browser, db_url)
        [queued] = send(factory, store, ann, now=LATE)  # held back by quiet hours
        _subscribe(factory, bob, browser, db_url)  # Bob signs in on the same browser
        dispatch_due(factory, now=NEXT_MORNING, settings=settings(db_url))
        mine = [r for r in endpoint.requests if browser.endpoint.endswith(r["path"])]
    row = deliveries(factory, [queued])["web_push"]
    assert row.status == "gave_up" and "removed" in row.last_error
    assert mine == []
