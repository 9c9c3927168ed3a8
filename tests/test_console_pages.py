"""Every page of the console renders for its roles without an error, on a desktop and a phone
screen; every page of every role fits a phone's and a laptop's width without widening the
document, and loads nothing from another origin. Each page is saved as a screenshot (set
PITSTOP_CONSOLE_SCREENSHOTS to keep them)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

pytest_plugins = ("tests.console_support",)

# The forecasts page shows each model's chart, or why there is no forecast yet.
FORECAST_SHOWN = "#sales-forecast .forecast-series, #sales-forecast #forecast-none"
# user, hash route, what the page must show
PAGES = [
    ("advisor", "#/feed", "#feed-status"),
    ("advisor", "#/alerts", "tr.alert-row"),
    ("advisor", "#/vehicles", "tr[data-vin]"),
    ("advisor", "#/work-orders", "#board .wo-card"),
    ("advisor", "#/appointments", "#day-grid"),
    ("advisor", "#/account", "#account-form"),
    ("manager", "#/kpis", ".kpi-tile"),
    ("manager", "#/kpis/gross_margin", "#kpi-facts"),
    ("manager", "#/sales", "#pipeline .board-column"),
    ("manager", "#/sales-board", "tr.board-total"),
    ("manager", "#/parts", "td.num"),
    ("manager", "#/forecasts", FORECAST_SHOWN),
    ("manager", "#/alarms", "#alarm-list table"),
    ("manager", "#/account", "#account-form"),
    ("sales", "#/sales", "tr.stock-row"),
    ("sales", "#/forecasts", FORECAST_SHOWN),
    ("parts", "#/parts/reservations", "tr[data-reservation]"),
    ("parts", "#/parts/lots", "tr.lot-row"),
    ("parts", "#/parts/orders", "tr.po-row"),
    ("customer", "#/my/vehicles", "#my-vehicles .vehicle-card"),
    ("customer", "#/my/book", "#book-form"),
    ("customer", "#/my/appointments", "#my-appointments .appointment-card"),
    ("customer", "#/my/notifications", "#my-notifications"),
    ("customer", "#/my/documents", "#my-invoices, #my-invoices-empty"),
]
ROLES = ["admin", "manager", "advisor", "technician", "parts", "sales", "customer"]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _settled(page) -> None:
    expect(page.locator("main .loading")).to_have_count(0)
    expect(page.locator("main .error-box")).to_have_count(0)


@pytest.mark.parametrize("user", sorted({u for u, _, _ in PAGES}))
def test_every_page_of_the_role_renders(page, console_world, sign_in, shots, user):
    sign_in(user)
    for _, route, shows in (p for p in PAGES if p[0] == user):
        page.goto(f"{console_world['url']}/console/{route}")
        expect(page.locator(shows).first).to_be_visible()
        _settled(page)
        name = route.strip("#/").replace("/", "-")
        page.screenshot(path=shots / f"{user}-{name}.png", full_page=True)


def test_vehicle_page_and_login_screenshots(page, console_world, sign_in, shots):
    page.goto(f"{console_world['url']}/console/")
    expect(page.locator("#login-form")).to_be_visible()
    page.screenshot(path=shots / "login.png")
    sign_in("advisor")
    vin = console_world["vehicles"]["mine"].vin
    page.goto(f"{console_world['url']}/console/#/vehicles/{vin}")
    expect(page.locator("#chart .uplot canvas")).to_have_count(1)
    _settled(page)
    page.screenshot(path=shots / "advisor-vehicle.png", full_page=True)


def test_phone_layout_keeps_navigation_and_content_in_view(page, console_world, sign_in, shots):
    page.set_viewport_size(PHONE)
    sign_in("advisor")
    page.goto(f"{console_world['url']}/console/#/alerts")
    expect(page.locator("tr.alert-row").first).to_be_visible()
    nav = page.locator("nav.nav").bounding_box()
    main = page.locator("main").bounding_box()
    assert nav["width"] <= PHONE["width"] and main["x"] < 20  # the nav sits above, not beside
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=shots / "phone-alerts.png", full_page=True)


def _every_route(page, console_world, user: str) -> list[str]:
    """The role's pages: its navigation, the detail pages they lead to, and My account (staff
    open it from their name in the header)."""
    routes = page.locator("nav.nav a.nav-link").evaluate_all("links => links.map(a => a.hash)")
    if user != "customer":
        routes.append("#/account")
    details = {
        "#/kpis": ["#/kpis/hours_per_repair_order"],
        "#/parts": ["#/parts/reservations", "#/parts/lots", "#/parts/reorder", "#/parts/orders"],
        "#/work-orders": [f"#/work-orders/{console_world['work_orders']['repair']['id']}"],
        "#/vehicles": [f"#/vehicles/{console_world['vehicles']['misfiring'].vin}"],
        "#/my/vehicles": [f"#/vehicles/{console_world['vehicles']['mine'].vin}"],
    }
    if user == "advisor":
        details["#/parts"] = details["#/parts"][:2]  # reorder and orders are the buyers'
    if user == "technician":
        del details["#/work-orders"]  # technicians open only the jobs assigned to them
    return [r for route in routes for r in [route, *details.get(route, [])]]


@pytest.mark.parametrize("screen", ["phone", "laptop"])
@pytest.mark.parametrize("user", ROLES)
def test_every_page_fits_the_screen_width(page, console_world, sign_in, shots, user, screen):
    size = PHONE if screen == "phone" else LAPTOP
    page.set_viewport_size(size)
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: not r.url.startswith((console_world["url"], "data:")) and elsewhere.append(r.url),
    )
    sign_in(user)
    routes = _every_route(page, console_world, user)
    assert len(routes) >= 3, routes
    for route in routes:
        page.goto(f"{console_world['url']}/console/{route}")
        expect(page.locator("main h1")).to_be_visible()
        _settled(page)
        page.wait_for_timeout(200)  # lazily filled cells (plates, links) take their place
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        name = route.strip("#/").replace("/", "-")
        page.screenshot(path=shots / f"{screen}-{user}-{name}.png", full_page=True)
        assert width[0] <= width[1], f"{route} is {width[0]} px wide on a {width[1]} px screen"
    assert not elsewhere, elsewhere


def test_console_files_are_served_with_a_strict_policy(console_world):
    base = console_world["url"]
    index = httpx.get(f"{base}/console/")
    assert index.status_code == 200 and "js/main.js" in index.text
    assert "script-src 'self'" in index.headers["content-security-policy"]
    module = httpx.get(f"{base}/console/js/main.js")
    assert module.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{base}/console").headers.get("location") == "/console/"
    for bad in ("js/nope.js", "..%2F..%2Fmain.py", "%2e%2e/router.py", "router.py"):
        answer = httpx.get(f"{base}/console/{bad}")
        assert answer.status_code == 404, bad
        assert answer.json()["code"] == "not_found"
