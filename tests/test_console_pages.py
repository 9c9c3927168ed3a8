"""Every page of the console renders for its roles without an error, on a desktop and a phone
screen; each is saved as a screenshot (set PITSTOP_CONSOLE_SCREENSHOTS to keep them)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

pytest_plugins = ("tests.console_support",)

# user, hash route, what the page must show
PAGES = [
    ("advisor", "#/feed", "#feed-status"),
    ("advisor", "#/alerts", "tr.alert-row"),
    ("advisor", "#/vehicles", "tr[data-vin]"),
    ("advisor", "#/work-orders", "#board .wo-card"),
    ("advisor", "#/appointments", "#day-grid"),
    ("manager", "#/sales-board", "tr.board-total"),
    ("manager", "#/parts", "td.num"),
    ("customer", "#/my/vehicles", "#my-vehicles .vehicle-card"),
    ("customer", "#/my/appointments", "#my-appointments .appointment-card"),
    ("customer", "#/my/notifications", "#my-notifications"),
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    kept = os.environ.get("PITSTOP_CONSOLE_SCREENSHOTS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    return tmp_path_factory.mktemp("console-screens")


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
    expect(page.locator("#chart polyline.line")).to_have_count(1)
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
