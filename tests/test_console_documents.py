"""The customer's documents and Web Push switch in the console: their own invoices and estimates
(never another customer's), each opened with its lines; the push switch storing and removing
the browser's subscription; and the service worker served under the console's strict policy.

Headless Chromium cannot subscribe to a real push service: its browser contexts are incognito,
where Chrome refuses push ("Registration failed - permission denied"), and a persistent profile
waits forever for a push service it cannot reach. One test shows that refusal as the page
reports it; another replaces the browser's push service (PushManager) with a fake in the page,
so that the console's own steps, the API and the database run for real.
"""

from __future__ import annotations

import base64
import json
import secrets
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect
from sqlalchemy import text

from api.main import create_app
from api.notifications.senders import push_payload
from api.notifications.vapid import new_private_key
from demo.people import DEMO_PASSWORD
from tests.console_support import WAIT_MS, api_login, serve
from tests.factories import settings_for_tests

pytest_plugins = ("tests.console_support",)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
PUSH_HOST = "push.example"  # the fake push service's host, allowed by the push app's settings
FAKE_PUSH_SERVICE = """
(() => {
  const endpoint = %(endpoint)s, keys = %(keys)s;
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    current = current || { endpoint, options,
      toJSON: () => ({ endpoint, expirationTime: null, keys }),
      unsubscribe: async () => { current = null; return true; } };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _in_stock_part(world: dict[str, Any], store_id: int) -> int:
    with world["app"].state.session_factory() as session:
        return session.scalar(
            text(
                "SELECT m.part_id FROM stock_moves m JOIN warehouses w ON w.id = m.warehouse_id"
                " WHERE w.store_id = :s GROUP BY m.part_id HAVING sum(m.quantity) >= 4"
                " ORDER BY m.part_id DESC LIMIT 1"
            ),
            {"s": store_id},
        )


def _job(world: dict[str, Any], car: Any, steps: list[str]) -> dict[str, Any]:
    """A work order for the car with labour and a part, taken through the steps by the desk
    (the advisor) and the workshop (the manager, as the policy lets managers do)."""
    advisor, manager = api_login(world["url"], "advisor"), api_login(world["url"], "manager")
    body = {
        "store_id": car.store_id,
        "customer_id": car.owner_id,
        "vehicle_id": car.id,
        "operations": ["BAT-TEST"],
        "parts": [{"part_id": _in_stock_part(world, car.store_id), "quantity": "1"}],
    }
    created = advisor.post("/service/work-orders", json=body)
    assert created.status_code == 201, created.text
    wo_id = created.json()["id"]
    checked = advisor.post(
        f"/service/work-orders/{wo_id}/check-in", json={"odometer_km": 48210, "inspection": {}}
    )
    assert checked.status_code == 200, checked.text
    for step in steps:
        if step == "issue-parts":
            answer = advisor.post(f"/service/work-orders/{wo_id}/issue-parts")
        else:
            by = manager if step in ("diagnosis", "in_repair", "quality_check") else advisor
            answer = by.post(f"/service/work-orders/{wo_id}/status", json={"to": step})
        assert answer.status_code == 200, (step, answer.text)
    job = advisor.get(f"/service/work-orders/{wo_id}").json()
    advisor.close()
    manager.close()
    return job


SETTLED = ["diagnosis", "estimate_sent", "customer_approved", "in_repair", "issue-parts",
           "quality_check", "settled"]  # fmt: skip


@pytest.fixture(scope="module")
def documents(console_world) -> dict[str, Any]:
    """An invoice for the demo customer and one for another customer of the same store, and
    an estimate waiting for the demo customer's approval."""
    cars = console_world["vehicles"]
    mine, theirs = (
        _job(console_world, cars["mine"], SETTLED),
        _job(console_world, cars["misfiring"], SETTLED),
    )
    estimate = _job(console_world, cars["mine"], ["diagnosis", "estimate_sent"])
    with console_world["app"].state.session_factory() as session:
        invoices = {
            name: session.execute(
                text("SELECT id, number, grand_total, customer_id, store_id FROM service_invoices"
                     " WHERE work_order_id = :w"), {"w": job["id"]},
            ).one()._asdict()
            for name, job in (("mine", mine), ("theirs", theirs))
        }  # fmt: skip
        for invoice in invoices.values():
            invoice["lines"] = session.execute(
                text("SELECT kind, net FROM service_invoice_lines WHERE invoice_id = :i"),
                {"i": invoice["id"]},
            ).all()
    return {"invoices": invoices, "estimate": estimate}


def _documents_page(page, base: str) -> None:
    page.goto(f"{base}/console/#/my/documents")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main .loading")).to_have_count(0)


def test_customer_sees_their_own_invoices_and_opens_one(
    page, console_world, documents, sign_in, api_as, shots
):
    page.set_viewport_size(LAPTOP)
    sign_in("customer")
    page.click("#nav-my-documents")
    rows = page.locator("#my-invoices tr[data-invoice]")
    expect(rows.first).to_be_visible()
    listed = {i["id"] for i in api_as("customer").get("/service/invoices").json()["items"]}
    shown = set(rows.evaluate_all("rows => rows.map(r => Number(r.dataset.invoice))"))
    mine, theirs = documents["invoices"]["mine"], documents["invoices"]["theirs"]
    assert shown == listed and mine["id"] in shown and theirs["id"] not in shown
    assert mine["customer_id"] != theirs["customer_id"]
    row = page.locator(f'#my-invoices tr[data-invoice="{mine["id"]}"]')
    assert Decimal(row.get_attribute("data-total")) == mine["grand_total"]
    expect(row.locator(".doc-total")).to_contain_text(f"{mine['grand_total']:,.2f}")
    expect(row).to_contain_text(console_world["vehicles"]["mine"].vin)
    estimate = page.locator(f'#my-estimates tr[data-estimate="{documents["estimate"]["id"]}"]')
    expect(estimate.locator(".badge")).to_have_attribute("data-code", "pending")
    page.screenshot(path=shots / "customer-documents.png", full_page=True)

    row.locator("a.doc-open").click()
    expect(page.locator("#document")).to_be_visible()
    lines = page.locator("#doc-lines tr.doc-line")
    expect(lines).to_have_count(len(mine["lines"]))
    expect(page.locator("#doc-lines tr.line-labour")).to_have_count(
        sum(1 for kind, _ in mine["lines"] if kind == "labour")
    )
    expect(page.locator("#doc-lines tr.line-part")).to_have_count(
        sum(1 for kind, _ in mine["lines"] if kind == "part")
    )
    grand = page.locator("#doc-grand")
    assert Decimal(grand.get_attribute("data-total")) == mine["grand_total"]
    expect(grand).to_contain_text(f"{mine['grand_total']:,.2f}")
    expect(page.locator("#doc-sums")).to_contain_text("13%")
    expect(page.locator("#doc-print")).to_be_visible()
    store = next(
        s for s in api_as("customer").get("/auth/stores").json() if s["id"] == mine["store_id"]
    )
    expect(page.locator("#document")).to_contain_text(store["name_zh"])
    page.screenshot(path=shots / "customer-invoice.png", full_page=True)
    page.emulate_media(media="print")  # the printout is the document alone
    expect(page.locator("nav.nav")).to_be_hidden()
    expect(page.locator("#doc-print")).to_be_hidden()
    expect(page.locator("#document")).to_be_visible()
    page.screenshot(path=shots / "customer-invoice-print.png", full_page=True)
    page.emulate_media(media="screen")

    # Another customer's invoice, opened by its address: a plain refusal, none of its data.
    page.goto(f"{console_world['url']}/console/#/my/documents/invoice/{theirs['id']}")
    expect(page.locator("#doc-missing")).to_contain_text("不属于您的账户")
    expect(page.locator("#document")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(theirs["number"])


def test_customer_opens_an_estimate_waiting_for_approval(page, console_world, documents, sign_in):
    sign_in("customer")
    wo = documents["estimate"]
    page.goto(f"{console_world['url']}/console/#/my/documents/estimate/{wo['id']}")
    expect(page.locator("#document")).to_contain_text(wo["number"])
    expect(page.locator("#doc-lines tr.doc-line")).to_have_count(
        len(wo["labour"]) + len(wo["parts"])
    )
    expect(page.locator("#document .badge")).to_have_attribute("data-code", "pending")


@pytest.mark.parametrize("screen", ["phone", "laptop"])
def test_documents_fit_the_screen_in_english(
    page, console_world, documents, sign_in, shots, screen
):
    page.set_viewport_size(PHONE if screen == "phone" else LAPTOP)
    sign_in("customer")
    page.click("#lang-toggle")
    expect(page.locator("#nav-my-documents")).to_have_text("My documents")
    base = console_world["url"]
    invoice = documents["invoices"]["mine"]["id"]
    for route in ("my/documents", f"my/documents/invoice/{invoice}", "my/notifications"):
        page.goto(f"{base}/console/#/{route}")
        expect(page.locator("main h1")).to_be_visible()
        expect(page.locator("main .loading")).to_have_count(0)
        expect(page.locator("main .error-box")).to_have_count(0)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        name = route.replace("/", "-")
        page.screenshot(path=shots / f"{screen}-customer-en-{name}.png", full_page=True)
        assert width[0] <= width[1], f"{route} is {width[0]} px wide on a {width[1]} px screen"


@pytest.fixture(scope="module")
def push_url(console_world) -> Any:
    """The app on the console's database with Web Push configured (the shared one has none)."""
    settings = settings_for_tests(
        console_world["db_url"], vapid_private_key=new_private_key(), push_allowed_hosts=[PUSH_HOST]
    )
    app = create_app(settings)
    with serve(app) as base_url:
        yield base_url
    app.state.engine.dispose()


def _push_tab(browser, base_url: str, fake_endpoint: str | None = None) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    context.grant_permissions(["notifications"], origin=base_url)
    if fake_endpoint:
        point = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        keys = {"p256dh": _b64(point), "auth": _b64(secrets.token_bytes(16))}
        script = FAKE_PUSH_SERVICE % {
            "endpoint": json.dumps(fake_endpoint),
            "keys": json.dumps(keys),
        }
        context.add_init_script(script)
    tab = context.new_page()
    tab.goto(f"{base_url}/console/")
    tab.fill("#username", "customer")
    tab.fill("#password", DEMO_PASSWORD)
    tab.click("#login-submit")
    tab.wait_for_selector("#current-user")
    tab.goto(f"{base_url}/console/#/my/notifications")
    return tab


def _stored(console_world, customer_id: int) -> list[str]:
    with console_world["app"].state.session_factory() as session:
        return list(
            session.scalars(
                text("SELECT endpoint FROM push_subscriptions WHERE customer_id = :c"),
                {"c": customer_id},
            )
        )


def _customer_id(push_url: str) -> int:
    client = api_login(push_url, "customer")
    try:
        return client.get("/auth/me").json()["customer_id"]
    finally:
        client.close()


def test_push_switch_stores_and_removes_the_subscription(browser, console_world, push_url, shots):
    endpoint = f"https://{PUSH_HOST}/send/{secrets.token_hex(8)}"
    customer = _customer_id(push_url)
    tab = _push_tab(browser, push_url, fake_endpoint=endpoint)
    state = tab.locator("#push-state")
    expect(state).to_have_attribute("data-state", "off")
    tab.click("#push-switch")
    expect(state).to_have_attribute("data-state", "on")
    expect(tab.locator("#push-switch")).to_be_checked()
    assert _stored(console_world, customer) == [endpoint]
    assert tab.evaluate("document.documentElement.scrollWidth <= innerWidth")
    tab.screenshot(path=shots / "phone-customer-push-on.png", full_page=True)
    tab.reload()
    expect(state).to_have_attribute("data-state", "off")  # the fake forgets across a reload
    tab.click("#push-switch")
    expect(state).to_have_attribute("data-state", "on")
    tab.click("#push-switch")
    expect(state).to_have_attribute("data-state", "off")
    assert _stored(console_world, customer) == []
    tab.context.close()


def test_push_switch_reports_a_browser_without_a_push_service(
    browser, console_world, push_url, shots
):
    customer = _customer_id(push_url)
    tab = _push_tab(browser, push_url)
    state = tab.locator("#push-state")
    expect(state).to_have_attribute("data-state", "off")
    tab.click("#push-switch")
    expect(state).to_have_attribute("data-state", "failed")
    expect(state).to_contain_text("浏览器未能在其推送服务登记")
    expect(tab.locator("#push-detail")).to_be_visible()
    expect(tab.locator("#push-switch")).not_to_be_checked()
    tab.screenshot(path=shots / "phone-customer-push-failed.png", full_page=True)
    assert _stored(console_world, customer) == []
    # The service worker is registered for the whole console all the same.
    scope = tab.evaluate("navigator.serviceWorker.getRegistration().then(r => r && r.scope)")
    assert scope == f"{push_url}/console/"
    tab.context.close()


def test_service_worker_shows_a_pushed_message(browser, push_url):
    tab = _push_tab(browser, push_url)
    expect(tab.locator("#push-state")).to_have_attribute("data-state", "off")
    tab.evaluate(
        "navigator.serviceWorker.register('sw.js').then(() => navigator.serviceWorker.ready)"
    )
    cdp = tab.context.new_cdp_session(tab)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        found = [r for r in registrations if r["scopeURL"] == f"{push_url}/console/"]
        if found:
            break
        tab.wait_for_timeout(100)
    assert found, registrations
    url = f"{push_url}/console/#/my/appointments"
    payload = push_payload(notification_id=7, kind="reminder", title="保养提醒",
                           text="您的爱车该保养了。\n\n详情", url=url, urgent=False)  # fmt: skip
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": push_url, "registrationId": found[0]["registrationId"], "data": payload},
    )
    shown: list[dict[str, Any]] = []
    for _ in range(50):
        shown = tab.evaluate(
            "navigator.serviceWorker.ready.then(r => r.getNotifications())"
            ".then(list => list.map(n => ({title: n.title, body: n.body, url: n.data.url})))"
        )
        if shown:
            break
        tab.wait_for_timeout(100)
    assert shown == [{"title": "保养提醒", "body": "您的爱车该保养了。", "url": url}]
    tab.context.close()


def test_push_switch_says_when_the_dealer_has_no_push(page, console_world, sign_in):
    sign_in("customer")
    page.click("#nav-my-notifications")
    expect(page.locator("#push-state")).to_have_attribute("data-state", "unavailable")
    expect(page.locator("#push-switch")).to_be_disabled()


def test_service_worker_is_served_for_the_console_with_the_strict_policy(console_world):
    answer = httpx.get(f"{console_world['url']}/console/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert 'addEventListener("push"' in answer.text
    assert 'addEventListener("notificationclick"' in answer.text
