"""The web console as the service advisor sees it, in headless Chromium against the real app:
login, alerts with their reasons, vehicles with telemetry, the work-order board refusing a
step with the API's reason, the day view (which keeps the chosen day when an older answer
arrives late), and the language toggle."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.factories import STORE_ZONE

# The console fixtures: a seeded live server, Chromium, a fresh tab per test.
pytest_plugins = ("tests.console_support",)


def test_advisor_sees_the_alerts_of_their_store_with_reasons(page, console_world, sign_in, api_as):
    sign_in("advisor")
    page.click("#nav-alerts")
    mine = console_world["vehicles"]["mine"].vin
    battery = page.locator("tr.alert-row", has_text=mine)
    expect(battery).to_contain_text("蓄电池")
    expect(battery.locator(".reasons li").first).to_contain_text("9.2")
    # Exactly the store's active alerts: the other store's car is not among them.
    active = api_as("advisor").get("/alerts", params={"state": "active"}).json()
    expect(page.locator("tr.alert-row")).to_have_count(min(active["total"], 25))
    expect(page.locator("main")).not_to_contain_text(console_world["vehicles"]["elsewhere"].vin)


def test_acknowledging_an_alert_is_saved(page, console_world, sign_in):
    sign_in("advisor")
    page.click("#nav-alerts")
    row = page.locator("tr.alert-row", has_text=console_world["vehicles"]["misfiring"].vin)
    row.locator("button.ack").click()
    expect(row.locator("button.ack")).to_have_count(0)
    expect(row.locator(".badge.acknowledged-true")).to_be_visible()


def test_vehicles_show_latest_state_chart_and_codes(page, console_world, sign_in):
    sign_in("advisor")
    page.click("#nav-vehicles")
    mine = console_world["vehicles"]["mine"].vin
    row = page.locator(f'tr[data-vin="{mine}"]')
    expect(row).to_contain_text("在线")
    expect(row).to_contain_text("°C")
    row.locator("a.vehicle-cell").click()
    expect(page.locator('#latest-values .tile[data-signal="COOLANT_TEMP"]')).to_contain_text("°C")
    chart = page.locator("#chart .chart")
    expect(chart.locator(".uplot canvas")).to_have_count(1)  # drawn by the vendored uPlot
    assert int(chart.get_attribute("data-points")) > 10  # two hours in 10-minute buckets


def test_an_illegal_work_order_step_shows_the_apis_reason(page, console_world, sign_in):
    sign_in("advisor")
    page.click("#nav-work-orders")
    wo = console_world["work_orders"]["diagnosis"]
    card = page.locator(f'[data-work-order="{wo["id"]}"]')
    expect(card).to_be_visible()
    assert card.locator("..").locator("..").get_attribute("data-column") == "diagnosis"
    # Diagnosis allows "send estimate", but the job has no labour yet: the API refuses.
    card.locator('button[data-to="estimate_sent"]').click()
    error = card.locator(".error-box")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-code", "illegal_transition")
    expect(error).to_contain_text("工时")
    expect(page.locator(f'[data-work-order="{wo["id"]}"]')).to_have_attribute(
        "data-status", "diagnosis"
    )


def test_a_legal_work_order_step_moves_the_card(page, console_world, sign_in):
    sign_in("advisor")
    page.click("#nav-work-orders")
    wo = console_world["work_orders"]["booked"]
    card = page.locator(f'[data-work-order="{wo["id"]}"]')
    card.locator('button[data-to="checked_in"]').click()
    dialog = page.locator("dialog[open]")
    dialog.locator('input[name="odometer_km"]').fill("48250")
    dialog.locator('button[type="submit"]').click()
    moved = page.locator(f'[data-column="checked_in"] [data-work-order="{wo["id"]}"]')
    expect(moved).to_have_attribute("data-status", "checked_in")
    # Diagnosis is the workshop's step: the advisor is not offered it, only cancelling.
    expect(moved.locator('button[data-to="cancelled"]')).to_be_visible()
    expect(moved.locator('button[data-to="diagnosis"]')).to_have_count(0)


def _booked_appointment(console_world, api_as) -> dict:
    """The second demo appointment as it is now; the customer's pages reschedule the first."""
    booked = (
        api_as("advisor")
        .get(f"/service/appointments/{console_world['appointments'][1]['id']}")
        .json()
    )
    assert booked["status"] == "booked"
    return booked


def _local_day(appointment: dict) -> str:
    return (
        datetime.fromisoformat(appointment["starts_at"])
        .astimezone(ZoneInfo(STORE_ZONE))
        .date()
        .isoformat()
    )


def test_day_view_places_appointments_on_their_bay(page, console_world, sign_in, api_as):
    appointment = _booked_appointment(console_world, api_as)
    sign_in("advisor")
    page.click("#nav-appointments")
    page.fill("#day", _local_day(appointment))
    page.dispatch_event("#day", "change")
    block = page.locator(f'[data-appointment="{appointment["id"]}"]')
    expect(block).to_be_visible()
    block.click()
    expect(page.locator("main")).to_contain_text(f"#{appointment['id']}")
    expect(page.locator('button[data-to="confirmed"]')).to_be_visible()


def test_a_late_answer_for_an_earlier_day_does_not_overwrite_the_chosen_day(
    page, console_world, sign_in, api_as
):
    appointment = _booked_appointment(console_world, api_as)
    day = _local_day(appointment)
    sign_in("advisor")
    held = []
    # Hold the first day's appointments (today's) until the chosen day has been drawn.
    page.route(
        re.compile(r"/service/appointments\?"),
        lambda route: held.append(route) if not held else route.continue_(),
    )
    page.click("#nav-appointments")
    page.wait_for_function("() => document.querySelector('#day') !== null")
    page.fill("#day", day)
    page.dispatch_event("#day", "change")
    block = page.locator(f'[data-appointment="{appointment["id"]}"]')
    expect(block).to_be_visible()
    assert len(held) == 1 and day not in held[0].request.url
    with page.expect_response(held[0].request.url):
        held[0].continue_()
    page.wait_for_timeout(300)  # the late answer has arrived; give the page its turn to draw
    expect(block).to_be_visible()
    expect(page.locator("#day")).to_have_value(day)


def test_language_toggle_switches_texts_and_server_messages(page, console_world, sign_in):
    sign_in("advisor")
    page.click("#nav-alerts")
    expect(page.locator("h1")).to_have_text("车辆告警")
    expect(page.locator("tr.alert-row").first).to_contain_text(re.compile("蓄电池|失火"))
    page.click("#lang-toggle")
    expect(page.locator("h1")).to_have_text("Alerts")
    expect(page.locator("#nav-alerts")).to_have_text("Alerts")
    # Alert titles and reasons come from the API in the new language.
    expect(page.locator("tr.alert-row").first).to_contain_text(re.compile("battery|Misfire", re.I))
    page.click("#lang-toggle")
    expect(page.locator("h1")).to_have_text("车辆告警")
