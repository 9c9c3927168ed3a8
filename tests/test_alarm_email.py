"""Business alarms reach the managers by email, at a real SMTP server: once each, in both
languages, with retries and backoff when the server refuses; managers without an address are
told in the console only. Staff set their own address; customers cannot have one here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from analytics.alarms import Alarm
from api.alarms.constants import EMAIL_MAX_ATTEMPTS, EMAIL_RETRY_S
from api.alarms.detection import _raise
from api.alarms.mail import send_alarm_emails
from api.alarms.models import AlarmNotice, BusinessAlarm
from api.auth.roles import Role
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    settings_for_tests,
)
from tests.notifications_support import Mailbox, parts, smtp_server

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, outside quiet hours


def volume_drop(start: date) -> Alarm:
    """What the detector reports for a 30 % fall of service visits."""
    return Alarm(
        metric="service_volume",
        direction="drop",
        start=start,
        detected=start + timedelta(days=6),
        expected=40.0,
        observed=28.0,
        size=-0.3,
        reason="service visits fell 30 % below the expected level",
        reason_zh="进厂台次比预期低 30%",
    )


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group, name="上海浦东店")
        other = make_store(session, group, name="上海闵行店")
        mailed = make_user(session, group, Role.manager, stores=[store])
        mailed.email = "manager.pd@example.cn"
        silent = make_user(session, group, Role.manager, stores=[store])
        elsewhere = make_user(session, group, Role.manager, stores=[other])
        elsewhere.email = "manager.mh@example.cn"
        advisor = make_user(session, group, Role.service_advisor, stores=[store])
        admin = make_user(session, group, Role.admin)
        outsider = make_user(session, make_group(session), Role.admin)
        customer = make_user(session, group, Role.customer, customer=make_customer(session, store))
        session.flush()
        return {
            "store": store.id,
            "mailed": mailed,
            "silent": silent,
            "elsewhere": elsewhere,
            "advisor": advisor,
            "admin": admin,
            "outsider": outsider,
            "customer": customer,
        }


def raise_alarm(app, store_id: int, start: date) -> int:
    from api.auth.models import Store

    with app.state.session_factory.begin() as session:
        assert _raise(session, session.get(Store, store_id), volume_drop(start))
        return session.scalar(
            select(BusinessAlarm.id).where(
                BusinessAlarm.store_id == store_id, BusinessAlarm.started_on == start
            )
        )


def notices(app, alarm_id: int) -> dict[int, AlarmNotice]:
    with app.state.session_factory() as session:
        rows = session.scalars(select(AlarmNotice).where(AlarmNotice.alarm_id == alarm_id))
        return {n.user_id: n for n in rows}


def test_each_manager_with_an_address_gets_one_bilingual_email(app, client, world, db_url):
    alarm_id = raise_alarm(app, world["store"], date(2026, 11, 2))
    told = notices(app, alarm_id)
    assert told[world["mailed"].id].email_state == "pending"
    assert told[world["silent"].id].email_state == "no_address"
    assert world["elsewhere"].id not in told, "another store's manager is not told"

    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp_url:
        settings = settings_for_tests(db_url, smtp_url=smtp_url)
        factory = app.state.session_factory
        assert send_alarm_emails(factory, settings=settings, now=NOW) == 1
        assert send_alarm_emails(factory, settings=settings, now=NOW) == 0, "sent twice"
    assert [m["To"] for m in mailbox.messages] == ["manager.pd@example.cn"]
    message = mailbox.messages[0]
    assert "经营预警" in message["Subject"] and "Business alarm" in message["Subject"]
    text, html = parts(message)
    assert "进厂台次比预期低 30%" in text and "service visits fell 30 %" in text
    assert f"/console/#/alarms/{alarm_id}" in text and f"#/alarms/{alarm_id}" in html
    sent = notices(app, alarm_id)[world["mailed"].id]
    assert (sent.email_state, sent.email_to, sent.email_attempts) == (
        "sent",
        "manager.pd@example.cn",
        1,
    )

    h = auth_headers(client, world["mailed"], **{"Accept-Language": "en"})
    detail = client.get(f"/alarms/{alarm_id}", headers=h).json()
    states = {n["user_id"]: n["email_state"] for n in detail["notified"]}
    assert states == {
        world["mailed"].id: "sent",
        world["silent"].id: "no_address",
        world["admin"].id: "no_address",  # the group's admins are told too
    }


def test_a_refusing_server_is_retried_with_backoff_then_given_up(app, world, db_url):
    alarm_id = raise_alarm(app, world["store"], date(2026, 5, 4))
    factory = app.state.session_factory
    refusing = Mailbox(reply="451 4.3.0 try again later")
    with smtp_server(refusing) as smtp_url:
        settings = settings_for_tests(db_url, smtp_url=smtp_url)
        assert send_alarm_emails(factory, settings=settings, now=NOW) == 0
        failed = notices(app, alarm_id)[world["mailed"].id]
        assert failed.email_state == "failed" and "451" in failed.email_error
        assert failed.email_next_at == NOW + timedelta(seconds=EMAIL_RETRY_S)
        early = NOW + timedelta(seconds=EMAIL_RETRY_S - 1)
        send_alarm_emails(factory, settings=settings, now=early)
        assert notices(app, alarm_id)[world["mailed"].id].email_attempts == 1, "no backoff"
        moment = NOW
        for _ in range(EMAIL_MAX_ATTEMPTS + 2):
            moment += timedelta(days=1)
            send_alarm_emails(factory, settings=settings, now=moment)
    assert len(refusing.refused) == EMAIL_MAX_ATTEMPTS
    given_up = notices(app, alarm_id)[world["mailed"].id]
    assert (given_up.email_state, given_up.email_attempts) == ("failed", EMAIL_MAX_ATTEMPTS)

    accepting = Mailbox()
    with smtp_server(accepting) as smtp_url:
        settings = settings_for_tests(db_url, smtp_url=smtp_url)
        send_alarm_emails(factory, settings=settings, now=moment + timedelta(days=1))
    assert accepting.messages == [], "a notice given up on is not sent later"


def test_the_email_waits_for_the_store_s_quiet_hours(app, world, db_url):
    alarm_id = raise_alarm(app, world["store"], date(2025, 8, 4))
    late = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    morning = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)  # 08:00, when the default quiet hours end
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp_url:
        settings = settings_for_tests(db_url, smtp_url=smtp_url)
        factory = app.state.session_factory
        assert send_alarm_emails(factory, settings=settings, now=late) == 0
        assert notices(app, alarm_id)[world["mailed"].id].email_next_at == morning
        assert send_alarm_emails(factory, settings=settings, now=morning) == 1
    assert len(mailbox.messages) == 1


def test_without_an_smtp_server_notices_wait(app, world, db_url):
    alarm_id = raise_alarm(app, world["store"], date(2026, 1, 5))
    settings = settings_for_tests(db_url, smtp_url=None)
    assert send_alarm_emails(app.state.session_factory, settings=settings, now=NOW) == 0
    assert notices(app, alarm_id)[world["mailed"].id].email_state == "pending"


def test_staff_set_their_own_address_and_admins_others(app, client, world):
    silent = world["silent"]
    h = auth_headers(client, silent)
    answer = client.patch("/auth/me", json={"email": "wang@example.cn"}, headers=h)
    assert answer.status_code == 200 and answer.json()["email"] == "wang@example.cn"
    bad = client.patch("/auth/me", json={"email": "not-an-address"}, headers=h)
    assert bad.status_code == 422 and "email" in bad.text

    mine = auth_headers(client, world["customer"])
    refused = client.patch("/auth/me", json={"email": "me@example.cn"}, headers=mine)
    assert refused.status_code == 403

    advisor = auth_headers(client, world["advisor"])
    target = f"/auth/users/{silent.id}"
    assert client.patch(target, json={"email": "x@example.cn"}, headers=advisor).status_code == 403
    admin = auth_headers(client, world["admin"])
    changed = client.patch(target, json={"email": "wang.jg@example.cn"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["email"] == "wang.jg@example.cn"
    customer = f"/auth/users/{world['customer'].id}"
    wrong = client.patch(customer, json={"email": "c@example.cn"}, headers=admin)
    assert wrong.status_code == 422 and "customer record" in wrong.text
    outsider = auth_headers(client, world["outsider"])
    hidden = client.patch(target, json={"email": "o@example.cn"}, headers=outsider)
    assert hidden.status_code == 404, "another group's admin cannot reach the user"
    with app.state.session_factory() as session:
        from api.auth.models import User

        assert session.get(User, silent.id).email == "wang.jg@example.cn"
