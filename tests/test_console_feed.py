"""The advisor's live feed in the browser: an alert raised while the page is open reaches it
over Server-Sent Events through the real loop (approval mode), and one click accepts the
proposal; an expired access token is refreshed without the user noticing."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from api.alerts.models import alerts
from api.auth.models import Store
from api.crm.models import Customer, Vehicle
from api.proactive.worker import drain
from tests.proactive_support import raise_alerts

pytest_plugins = ("tests.console_support",)

SPOIL_ACCESS_TOKEN = """() => {
  const session = JSON.parse(sessionStorage.getItem("pitstop.session"));
  session.access_token = "spoiled";
  sessionStorage.setItem("pitstop.session", JSON.stringify(session));
}"""


def _quiet_car(app, store_code: str) -> Vehicle:
    """An owned car of the store that has never alerted, whose owner prefers no other store."""
    with app.state.session_factory() as session:
        store = session.scalar(select(Store).where(Store.code == store_code))
        car = session.scalars(
            select(Vehicle)
            .join(Customer, Customer.id == Vehicle.owner_id)
            .where(Vehicle.store_id == store.id, Vehicle.vin.not_in(select(alerts.c.vin)))
            .where(
                (Customer.preferred_store_id.is_(None)) | (Customer.preferred_store_id == store.id)
            )
            .order_by(Vehicle.id)
            .limit(1)
        ).one()
        session.expunge(car)
        return car


def test_an_alert_reaches_the_open_feed_and_is_accepted_with_one_click(
    page, console_world, sign_in, api_as
):
    app = console_world["app"]
    car = _quiet_car(app, "SH-PD")
    manager = api_as("manager")
    before = manager.get("/proactive/policy", params={"store_id": car.store_id}).json()["mode"]
    policy = manager.put(
        "/proactive/policy", params={"store_id": car.store_id}, json={"mode": "approval"}
    )
    assert policy.status_code == 200, policy.text

    try:
        sign_in("advisor")
        page.click("#nav-feed")
        expect(page.locator("#feed-status")).to_have_class("live-status live-live")
        mine = f'.feed-card[data-vin="{car.vin}"]'
        expect(page.locator(mine)).to_have_count(0)

        raise_alerts(console_world["db_url"], [car.vin])
        drain(app.state.session_factory, app.state.settings)  # what `pitstop worker` does

        card = page.locator(f'{mine}[data-type="proposal_created"]')
        expect(card).to_be_visible()
        expect(card).to_contain_text("蓄电池")
        expect(page.locator(f'{mine}[data-type="alert_opened"]')).to_be_visible()
        card.locator("button.accept").click()
        expect(card.locator(".badge.proposal-accepted")).to_be_visible()
        expect(page.locator(f'{mine}[data-type="proposal_accepted"]')).to_be_visible()

        advisor = api_as("advisor")
        booked = advisor.get("/proactive/proposals", params={"status": "booked"}).json()["items"]
        assert any(p["vin"] == car.vin and p["appointment_id"] for p in booked)
    finally:
        manager.put("/proactive/policy", params={"store_id": car.store_id}, json={"mode": before})


def test_the_nav_counts_events_that_arrive_on_other_pages(page, console_world, sign_in):
    app = console_world["app"]
    sign_in("advisor")
    page.click("#nav-alerts")
    expect(page.locator("#feed-count")).to_be_hidden()
    page.wait_for_function("window.pitstop.context !== null")
    car = _quiet_car(app, "SH-PD")
    raise_alerts(console_world["db_url"], [car.vin], severity="critical")
    drain(app.state.session_factory, app.state.settings)
    expect(page.locator("#feed-count")).to_be_visible()
    page.click("#nav-feed")
    expect(page.locator("#feed-count")).to_be_hidden()


def test_an_expired_access_token_is_refreshed_transparently(page, console_world, sign_in):
    sign_in("advisor")
    page.click("#nav-alerts")
    expect(page.locator("tr.alert-row").first).to_be_visible()
    before = page.evaluate("JSON.parse(sessionStorage.getItem('pitstop.session')).refresh_token")
    # Spoil the access token: the next call answers 401, the console refreshes and retries.
    page.evaluate(SPOIL_ACCESS_TOKEN)
    page.reload()
    expect(page.locator("tr.alert-row").first).to_be_visible()
    after = page.evaluate("JSON.parse(sessionStorage.getItem('pitstop.session'))")
    assert after["access_token"] != "spoiled" and after["refresh_token"] != before
