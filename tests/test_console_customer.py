"""The console as a customer sees it: only their own vehicles (others' are refused), their
appointments to confirm and reschedule, and their in-app messages."""

from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import expect

pytest_plugins = ("tests.console_support",)


def test_customer_sees_only_their_own_vehicles(page, console_world, sign_in, api_as):
    sign_in("customer")
    expect(page.locator("nav.nav .nav-link")).to_have_count(5)  # no staff pages
    own = {v["vin"] for v in api_as("customer").get("/crm/vehicles").json()["items"]}
    cards = page.locator("#my-vehicles .vehicle-card")
    expect(cards).to_have_count(len(own))
    shown = set(cards.evaluate_all("cards => cards.map(c => c.dataset.vin)"))
    vehicles = console_world["vehicles"]
    assert shown == own and vehicles["mine"].vin in shown
    assert not shown & {vehicles["misfiring"].vin, vehicles["elsewhere"].vin}

    cards.filter(has_text=vehicles["mine"].vin).locator("a.vehicle-open").click()
    expect(page.locator("#latest-values .tile").first).to_be_visible()
    # No model is trained in this world: the rules and trouble codes judge the car alone.
    expect(page.locator("#diagnosis")).to_have_text(
        re.compile("尚无训练好的模型|no model is trained")
    )
    # Someone else's car: the page says so, and staff pages send the customer home.
    page.goto(f"{console_world['url']}/console/#/vehicles/{vehicles['misfiring'].vin}")
    expect(page.locator("main .error-box")).to_be_visible()
    expect(page.locator("#latest-values")).to_have_count(0)
    page.goto(f"{console_world['url']}/console/#/alerts")
    expect(page).to_have_url(f"{console_world['url']}/console/#/my/vehicles")


def test_customer_confirms_and_reschedules_an_appointment(page, console_world, sign_in, api_as):
    mine = console_world["appointments"][0]
    sign_in("customer")
    page.click("#nav-my-appointments")
    card = page.locator(f'[data-appointment="{mine["id"]}"]')
    card.locator("button.confirm").click()
    expect(card.locator(".badge")).to_have_attribute("data-code", "confirmed")
    # The other appointment belongs to another customer.
    other = console_world["appointments"][1]
    expect(page.locator(f'[data-appointment="{other["id"]}"]')).to_have_count(0)

    card.locator("button.reschedule-open").click()
    card.locator("button", has_text="查找可约时间").click()
    expect(card.locator("button.slot").first).to_be_visible()
    old_start = datetime.fromisoformat(mine["starts_at"])
    starts = card.locator("button.slot").evaluate_all("slots => slots.map(s => s.dataset.starts)")
    new_start = next(s for s in starts if datetime.fromisoformat(s) != old_start)
    card.locator(f'button.slot[data-starts="{new_start}"]').click()
    expect(card.locator(".badge")).to_have_attribute("data-code", "booked")
    saved = api_as("customer").get(f"/service/appointments/{mine['id']}").json()
    assert datetime.fromisoformat(saved["starts_at"]) == datetime.fromisoformat(new_start)


def test_customer_reads_their_messages(page, console_world, sign_in):
    sign_in("customer")
    page.click("#nav-my-notifications")
    unread = page.locator("#my-notifications .notification.unread")
    expect(unread.first).to_be_visible()
    count = unread.count()
    unread.first.locator("button.mark-read").click()
    expect(unread).to_have_count(count - 1)
