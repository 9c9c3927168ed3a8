"""The notification API: customers see and mark only their own in-app messages, register push
subscriptions and choose a language; staff read the delivery log of their stores and set quiet
hours. Also the templates and the VAPID key rules."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.auth.roles import Role
from api.errors import InvalidInput, NotFound
from api.main import create_app
from api.notifications.constants import KINDS, LANGUAGES
from api.notifications.dispatch import dispatch_due
from api.notifications.models import Delivery
from api.notifications.service import notify
from api.notifications.templates import TEMPLATES, check_templates, render
from api.notifications.vapid import KEY_FILE, VapidKeysMissing, new_private_key, vapid_keys
from core.settings import Settings
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    settings_for_tests,
)
from tests.notifications_support import Browser

VAPID_KEY = new_private_key()
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def settings_overrides():
    # push.example stands for a vendor's push service: it does not resolve, so it is allowed.
    return {"vapid_private_key": VAPID_KEY, "push_allowed_hosts": ["push.example"]}


@pytest.fixture(scope="module")
def world(app):
    factory = app.state.session_factory
    with factory() as session, session.begin():
        group = make_group(session)
        store_a, store_b = make_store(session, group), make_store(session, group)
        w = {"group": group, "store_a": store_a, "store_b": store_b}
        for name, store in (("ann", store_a), ("bob", store_a), ("cat", store_b)):
            customer = make_customer(session, store, name=name)
            customer.consents = {"in_app": True}
            session.flush()
            w[name] = customer
            w[f"{name}_user"] = make_user(session, group, Role.customer, customer=customer)
        w["advisor_a"] = make_user(session, group, Role.service_advisor, stores=[store_a])
        w["manager_a"] = make_user(session, group, Role.manager, stores=[store_a])
        w["manager_b"] = make_user(session, group, Role.manager, stores=[store_b])
    return w


def _notify(app, store, customer, **kw) -> list[int]:
    factory = app.state.session_factory
    values = {"kind": "survey", "context": {"plate": "沪B·12345"}} | kw
    with factory() as session, session.begin():
        return [d.id for d in notify(session, store_id=store.id, customer_id=customer.id, **values)]


def _dispatch(app) -> None:
    dispatch_due(app.state.session_factory, settings=app.state.settings)


def test_customers_see_and_mark_only_their_own_messages(app, client, world):
    ann_ids = _notify(app, world["store_a"], world["ann"])
    _notify(app, world["store_a"], world["bob"])
    _notify(app, world["store_b"], world["cat"])
    ann, bob = auth_headers(client, world["ann_user"]), auth_headers(client, world["bob_user"])
    assert client.get("/notifications/inbox", headers=ann).json()["total"] == 0  # not sent yet
    _dispatch(app)

    page = client.get("/notifications/inbox", headers=ann).json()
    assert page["total"] == 1
    [message] = page["items"]
    assert message["kind"] == "survey" and "沪B·12345" in message["body_text"]
    assert message["read_at"] is None
    bob_page = client.get("/notifications/inbox", headers=bob).json()
    assert bob_page["total"] == 1 and bob_page["items"][0]["id"] != message["id"]

    # Bob cannot read or mark Ann's message.
    assert client.post(f"/notifications/inbox/{message['id']}/read", headers=bob).status_code == 404
    assert client.get("/notifications/inbox", headers=ann).json()["items"][0]["read_at"] is None
    marked = client.post(f"/notifications/inbox/{message['id']}/read", headers=ann)
    assert marked.status_code == 200 and marked.json()["read_at"] is not None
    unread = client.get("/notifications/inbox", params={"unread_only": True}, headers=ann)
    assert unread.json()["total"] == 0

    _notify(app, world["store_a"], world["ann"], kind="service_reminder")
    _dispatch(app)
    assert client.post("/notifications/inbox/read-all", headers=ann).json() == {"marked": 1}
    assert client.post("/notifications/inbox/99999999/read", headers=ann).status_code == 404
    staff = auth_headers(client, world["advisor_a"])
    assert client.get("/notifications/inbox", headers=staff).status_code == 403
    assert len(ann_ids) == 1


def test_a_browser_subscribes_to_web_push(app, client, world):
    key = client.get("/notifications/push/public-key").json()["public_key"]
    assert key == vapid_keys(app.state.settings)[1] and len(key) == 87
    ann, bob = auth_headers(client, world["ann_user"]), auth_headers(client, world["bob_user"])
    browser = Browser(endpoint=f"https://push.example/send/{uuid.uuid4().hex}")
    body = browser.subscription() | {"user_agent": "Chrome 131"}

    created = client.post("/notifications/push/subscriptions", json=body, headers=ann)
    assert created.status_code == 201, created.text
    listed = client.get("/notifications/push/subscriptions", headers=ann).json()
    assert [s["endpoint"] for s in listed] == [browser.endpoint]

    # The same browser signed in as Bob: the subscription is his now, and Ann's row is gone
    # (so that her queued messages cannot reach his browser).
    moved = client.post("/notifications/push/subscriptions", json=body, headers=bob)
    assert moved.status_code == 201 and moved.json()["id"] != created.json()["id"]
    assert client.get("/notifications/push/subscriptions", headers=ann).json() == []
    again = client.post("/notifications/push/subscriptions", json=body, headers=bob)
    assert again.json()["id"] == moved.json()["id"]  # re-registering refreshes the same row
    sub_id = moved.json()["id"]
    assert (
        client.delete(f"/notifications/push/subscriptions/{sub_id}", headers=ann).status_code == 404
    )
    assert (
        client.delete(f"/notifications/push/subscriptions/{sub_id}", headers=bob).status_code == 204
    )
    assert client.get("/notifications/push/subscriptions", headers=bob).json() == []

    bad = body | {"keys": {"p256dh": "short", "auth": body["keys"]["auth"]}}
    refused = client.post("/notifications/push/subscriptions", json=bad, headers=ann | EN)
    assert refused.status_code == 422 and "p256dh" in refused.json()["message"]
    ftp = body | {"endpoint": "ftp://push.example/x"}
    assert (
        client.post("/notifications/push/subscriptions", json=ftp, headers=ann).status_code == 422
    )
    staff = auth_headers(client, world["advisor_a"])
    assert (
        client.post("/notifications/push/subscriptions", json=body, headers=staff).status_code
        == 403
    )


def test_without_a_vapid_key_push_is_refused_with_a_reason(db_url):
    with TestClient(create_app(settings_for_tests(db_url))) as client:
        answer = client.get("/notifications/push/public-key", headers=EN)
    assert answer.status_code == 503
    assert "PITSTOP_VAPID_PRIVATE_KEY" in answer.json()["message"]


def test_the_customer_chooses_the_language(app, client, world):
    cat = auth_headers(client, world["cat_user"])
    assert client.get("/notifications/preferences", headers=cat).json() == {"language": "zh-CN"}
    put = client.put("/notifications/preferences", json={"language": "en"}, headers=cat)
    assert put.json() == {"language": "en"}
    assert (
        client.put("/notifications/preferences", json={"language": "fr"}, headers=cat).status_code
        == 422
    )
    service_name = {"zh-CN": "小保养", "en": "oil service"}
    context = {"plate": "沪B·12345", "service_name": service_name}
    _notify(app, world["store_b"], world["cat"], kind="service_reminder", context=context)
    _dispatch(app)
    newest = client.get("/notifications/inbox", headers=cat).json()["items"][0]
    assert newest["language"] == "en" and newest["title"] == "沪B·12345: oil service is due"


def test_staff_see_the_delivery_log_of_their_stores_only(app, client, world):
    _notify(app, world["store_a"], world["ann"], dedupe_key="log-a")
    _notify(app, world["store_b"], world["cat"], dedupe_key="log-b")
    advisor = auth_headers(client, world["advisor_a"])
    page = client.get("/notifications/deliveries", headers=advisor).json()
    assert page["total"] >= 1
    assert {d["store_id"] for d in page["items"]} == {world["store_a"].id}
    item = page["items"][0]
    assert item["channel"] == "in_app" and item["kind"] == "survey" and item["title"]
    queued = client.get("/notifications/deliveries", params={"status": "queued"}, headers=advisor)
    assert all(d["status"] == "queued" for d in queued.json()["items"])
    other = client.get(
        "/notifications/deliveries", params={"store_id": world["store_b"].id}, headers=advisor
    )
    assert other.json()["total"] == 0
    ann = auth_headers(client, world["ann_user"])
    assert client.get("/notifications/deliveries", headers=ann).status_code == 403


def test_managers_set_their_stores_quiet_hours(client, world):
    store_a, store_b = world["store_a"].id, world["store_b"].id
    advisor = auth_headers(client, world["advisor_a"])
    manager = auth_headers(client, world["manager_a"])
    default = client.get(f"/notifications/quiet-hours/{store_a}", headers=advisor).json()
    assert default == {
        "store_id": store_a, "quiet_start": "21:00:00", "quiet_end": "08:00:00",
        "timezone": "Asia/Shanghai", "is_default": True,
    }  # fmt: skip
    body = {"quiet_start": "22:00", "quiet_end": "07:30"}
    assert (
        client.put(f"/notifications/quiet-hours/{store_a}", json=body, headers=advisor).status_code
        == 403
    )
    assert (
        client.put(f"/notifications/quiet-hours/{store_b}", json=body, headers=manager).status_code
        == 404
    )
    saved = client.put(f"/notifications/quiet-hours/{store_a}", json=body, headers=manager).json()
    assert saved["quiet_start"] == "22:00:00" and saved["is_default"] is False
    same = {"quiet_start": "22:00", "quiet_end": "22:00"}
    assert (
        client.put(f"/notifications/quiet-hours/{store_a}", json=same, headers=manager).status_code
        == 422
    )
    assert client.get(f"/notifications/quiet-hours/{store_b}", headers=advisor).status_code == 404


def test_notify_refuses_unknown_kinds_and_customers(app, world):
    with app.state.session_factory() as session:
        with pytest.raises(InvalidInput):
            notify(session, store_id=world["store_a"].id, customer_id=world["ann"].id,
                   kind="lottery_win", context={})  # fmt: skip
        with pytest.raises(NotFound):
            notify(session, store_id=world["store_a"].id, customer_id=10**12, kind="survey",
                   context={})  # fmt: skip
        assert session.scalars(select(Delivery).where(Delivery.customer_id == 10**12)).all() == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_renders_in_both_languages(kind, language):
    check_templates()
    assert set(TEMPLATES) == set(KINDS)
    bare = render(kind, language, {}, {})
    assert bare.title and "{" not in bare.title + bare.text
    full = render(
        kind, language,
        {"customer_name": "张伟", "store_name": "店", "plate": "沪A·1", "vehicle": "Passat",
         "finding": "F", "explanation": "E", "starts_at": "S", "service_name": "N", "due_km": "1",
         "odometer_km": "2", "due_date": "D", "phone": "P", "parts": "B"},
        {"confirm": "https://x/c?a=1&b=2", "reschedule": "https://x/r"},
    )  # fmt: skip
    assert "{" not in full.text and "https://x/c?a=1&b=2" in full.text
    assert 'href="https://x/c?a=1&amp;b=2"' in full.html and full.url == "https://x/c?a=1&b=2"
    assert len(full.text) > len(bare.text)


def test_vapid_keys_are_made_in_development_and_required_elsewhere(tmp_path):
    dev = Settings(environment="development", home=tmp_path)
    first = vapid_keys(dev)[1]
    assert (tmp_path / KEY_FILE).exists() and vapid_keys(dev)[1] == first
    production = Settings(environment="production", home=tmp_path, jwt_secret="s" * 48)
    with pytest.raises(VapidKeysMissing, match="PITSTOP_VAPID_PRIVATE_KEY is not set"):
        vapid_keys(production)
    mismatched = Settings(
        environment="production", jwt_secret="s" * 48, vapid_private_key=VAPID_KEY,
        vapid_public_key=first,
    )  # fmt: skip
    with pytest.raises(VapidKeysMissing, match="does not belong"):
        vapid_keys(mismatched)
