"""Online booking (在线预约): a customer picks their car and a service, sees real free times,
books one, finds it among their appointments, and the advisor sees it on the store's day
view, with a technician who has the service's skill. The car cards say how the car is."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import text

from tests.factories import STORE_ZONE

pytest_plugins = ("tests.console_support",)

OPERATION = "AC-SVC"  # needs a technician skilled in A/C, which not every technician is


def test_customer_books_online_and_the_advisor_sees_it(page, console_world, sign_in, api_as):
    customer = api_as("customer")
    before = {a["id"] for a in customer.get("/service/appointments").json()["items"]}
    operation = next(
        o for o in customer.get("/service/operations", params={"limit": 200}).json()["items"]
        if o["code"] == OPERATION
    )  # fmt: skip
    sign_in("customer")
    page.click("#nav-my-book")
    car = console_world["vehicles"]["mine"]
    expect(page.locator("#book-vehicle")).to_have_value(str(car.id))
    page.select_option("#book-operation", OPERATION)
    page.click("#book-find")
    slots = page.locator("#book-slots button.slot")
    expect(slots.first).to_be_visible()
    expect(page.locator("#book-summary")).to_contain_text("空调")
    expect(page.locator("#book-submit")).to_be_disabled()
    starts = slots.nth(1).get_attribute("data-starts")
    slots.nth(1).click()
    page.fill("#book-notes", "顺便检查空调异味")
    page.click("#book-submit")
    expect(page).to_have_url(f"{console_world['url']}/console/#/my/appointments")

    mine = customer.get("/service/appointments").json()["items"]
    booked = next(a for a in mine if a["id"] not in before)
    assert datetime.fromisoformat(booked["starts_at"]) == datetime.fromisoformat(starts)
    assert booked["operation_codes"] == [OPERATION] and booked["vehicle_id"] == car.id
    assert booked["notes"] == "顺便检查空调异味" and booked["status"] == "booked"
    card = page.locator(f'#my-appointments [data-appointment="{booked["id"]}"]')
    expect(card).to_contain_text(OPERATION)

    advisor = api_as("advisor")
    technicians = advisor.get("/service/technicians", params={"store_id": car.store_id}).json()
    technician = next(x for x in technicians["items"] if x["id"] == booked["technician_id"])
    assert operation["required_skill"] in technician["skills"]

    page.click("#logout")
    sign_in("advisor")
    page.click("#nav-appointments")
    day = datetime.fromisoformat(booked["starts_at"]).astimezone(ZoneInfo(STORE_ZONE)).date()
    page.fill("#day", day.isoformat())
    page.dispatch_event("#day", "change")
    block = page.locator(f'#day-grid [data-appointment="{booked["id"]}"]')
    expect(block).to_be_visible()
    page.locator(".segmented button").nth(1).click()  # by technician
    row = page.locator(".day-row", has=page.locator(f'[data-appointment="{booked["id"]}"]'))
    expect(row.locator(".day-label strong")).to_have_text(technician["full_name"])
    row.locator(f'[data-appointment="{booked["id"]}"]').click()
    expect(page.locator("main")).to_contain_text(OPERATION)
    assert booked["source"] == "customer"
    expect(page.locator("main .facts")).to_contain_text("客户")  # where the booking came from


def test_the_car_card_explains_the_cars_health(page, console_world, sign_in):
    app, car = console_world["app"], console_world["vehicles"]["mine"]
    sign_in("customer")
    health = page.locator(f'.vehicle-card[data-vin="{car.vin}"] .health')
    # The world raised a battery alert on this car: its owner reads it in plain words.
    expect(health).to_have_attribute("data-health", "attention")
    expect(health.locator(".health-alert")).to_have_count(1)
    expect(health).to_contain_text("最近上报")
    with app.state.engine.begin() as conn:
        opened = conn.execute(
            text("UPDATE alerts SET state = 'cleared', cleared_at = now() WHERE vin = :vin"
                 " AND state = 'active' RETURNING id"),
            {"vin": car.vin},
        ).scalars().all()  # fmt: skip
    try:
        page.reload()
        expect(health).to_have_attribute("data-health", "good")
        with app.state.engine.begin() as conn:
            conn.execute(
                text("UPDATE vehicle_latest SET stored_dtcs = ARRAY['P0420'] WHERE vin = :vin"),
                {"vin": car.vin},
            )
        page.reload()
        expect(health).to_have_attribute("data-health", "attention")
        expect(health).to_contain_text("P0420")
        expect(health).to_contain_text("建议预约检查")
    finally:
        with app.state.engine.begin() as conn:
            conn.execute(
                text("UPDATE vehicle_latest SET stored_dtcs = '{}' WHERE vin = :vin"),
                {"vin": car.vin},
            )
            conn.execute(
                text("UPDATE alerts SET state = 'active', cleared_at = NULL WHERE id = ANY(:ids)"),
                {"ids": opened},
            )
