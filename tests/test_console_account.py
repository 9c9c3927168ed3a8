"""My account and who an alarm reached, in the browser: a manager sets the address business
alarms are mailed to (a bad one is refused in plain words and stores nothing) and clears it;
the alarm's page lists each manager told and where their email stands; the account page fits a
phone; a customer has no account page here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, text

from analytics.alarms import Alarm
from tests.factories import STORE_ZONE

pytest_plugins = ("tests.console_support",)

PHONE = {"width": 390, "height": 844}
ADDRESS = "wu.lihua@example.cn"
# Long enough to push a careless layout past a phone's width.
LONG_ADDRESS = "wu.lihua.store-manager.shanghai-minhang@dealer-group-example.com.cn"
REFUSAL = "550 5.1.1 mailbox unavailable"


def _email_of(world: dict[str, Any], username: str) -> str | None:
    with world["app"].state.engine.connect() as conn:
        return conn.execute(
            text("SELECT email FROM users WHERE username = :u"), {"u": username}
        ).scalar_one()


@pytest.fixture
def no_address(console_world) -> Iterator[None]:
    """The demo manager starts and ends without an address, whatever the test left."""

    def reset() -> None:
        with console_world["app"].state.engine.begin() as conn:
            conn.execute(text("UPDATE users SET email = NULL WHERE username = 'manager'"))

    reset()
    yield
    reset()


@pytest.fixture
def raise_alarm(console_world) -> Iterator[Any]:
    """Raise an alarm as the detection job does (its feed card, a notice per manager and
    admin of the store): raise_alarm(store_id) -> id; removed again after the test."""
    from api.alarms.detection import _raise
    from api.alarms.models import BusinessAlarm
    from api.auth.models import Store

    made: list[int] = []

    def make(store_id: int) -> int:
        start = datetime.now(ZoneInfo(STORE_ZONE)).date() - timedelta(days=12)
        found = Alarm(metric="response_time", direction="rise", start=start,
                      detected=start + timedelta(days=5), expected=35.0, observed=52.0,
                      size=round(52 / 35 - 1, 4),
                      reason="booking replies take about 52 min instead of 35",
                      reason_zh="预约响应时长由约 35 分钟升至 52 分钟")  # fmt: skip
        with console_world["app"].state.session_factory.begin() as session:
            assert _raise(session, session.get(Store, store_id), found)
            made.append(
                session.scalar(
                    select(BusinessAlarm.id).filter_by(
                        store_id=store_id, metric="response_time", started_on=start
                    )
                )
            )
        return made[-1]

    yield make
    with console_world["app"].state.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM feed_events WHERE kind = 'business_alarm'"
                 " AND CAST(data->>'alarm_id' AS bigint) = ANY(:ids)"), {"ids": made},
        )  # fmt: skip
        conn.execute(text("DELETE FROM business_alarms WHERE id = ANY(:ids)"), {"ids": made})


def _set_notice(world, alarm_id: int, user_id: int, **values: Any) -> None:
    columns = ", ".join(f"{name} = :{name}" for name in values)
    with world["app"].state.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE business_alarm_notices SET {columns}"  # noqa: S608  (our own names)
                 " WHERE alarm_id = :a AND user_id = :u"),
            {"a": alarm_id, "u": user_id, **values},
        )  # fmt: skip


def test_manager_sets_a_bad_address_then_a_good_one_and_clears_it(
    page, console_world, sign_in, shots, no_address
):
    sign_in("manager")
    page.click("#current-user")
    expect(page).to_have_url(f"{console_world['url']}/console/#/account")
    expect(page.locator("main h1")).to_have_text("我的账户")
    facts = page.locator("#account-facts")
    expect(facts.locator('[data-fact="name"] dd')).to_have_text("吴丽华")
    expect(facts.locator('[data-fact="username"] dd')).to_have_text("manager")
    expect(facts.locator('[data-fact="role"] dd')).to_have_text("门店经理")
    expect(facts.locator('[data-fact="stores"] dd')).to_have_text("上海浦东店 · 上海闵行店")
    expect(page.locator("main")).to_contain_text("经营预警会发送到这个邮箱")
    expect(page.locator("#email-current")).to_contain_text("尚未设置邮箱")

    page.fill("#account-email", "wu.lihua at example")
    page.click("#email-save")
    error = page.locator("#email-error")
    expect(error).to_have_text(
        "「wu.lihua at example」不是有效的邮箱地址,请按 name@example.cn 的格式填写。"
    )
    expect(page.locator("#account-email")).to_have_attribute("aria-invalid", "true")
    assert _email_of(console_world, "manager") is None
    page.screenshot(path=shots / "account-bad-address.png", full_page=True)

    page.fill("#account-email", f"  {ADDRESS} ")
    page.click("#email-save")
    expect(page.locator(".toast-success")).to_contain_text(f"邮箱已保存:{ADDRESS}")
    expect(page.locator("#email-current")).to_have_text(f"当前邮箱:{ADDRESS}")
    expect(error).to_be_hidden()
    assert _email_of(console_world, "manager") == ADDRESS
    page.screenshot(path=shots / "account-saved.png", full_page=True)

    page.reload()  # what the server holds, not what the form remembers
    expect(page.locator("#account-email")).to_have_value(ADDRESS)
    page.click("#lang-toggle")
    expect(page.locator("main h1")).to_have_text("My account")
    page.click("#email-clear")
    expect(page.locator(".toast-success")).to_contain_text("Email removed.")
    expect(page.locator("#email-current")).to_contain_text("No address yet")
    expect(page.locator("#account-email")).to_have_value("")
    assert _email_of(console_world, "manager") is None


def test_alarm_page_says_how_each_manager_was_told(
    page, console_world, sign_in, api_as, raise_alarm, shots, no_address
):
    manager, admin = api_as("manager"), api_as("admin")
    manager.patch("/auth/me", json={"email": ADDRESS}).raise_for_status()
    me, boss = manager.get("/auth/me").json(), admin.get("/auth/me").json()
    minhang = next(s for s in manager.get("/auth/stores").json() if s["code"] == "SH-MH")
    alarm_id = raise_alarm(minhang["id"])
    told = {n["user_id"]: n for n in manager.get(f"/alarms/{alarm_id}").json()["notified"]}
    assert {told[me["id"]]["email_state"], told[boss["id"]]["email_state"]} == {
        "pending", "no_address"
    }  # fmt: skip

    sign_in("manager")
    page.goto(f"{console_world['url']}/console/#/alarms/{alarm_id}")
    mine = page.locator(f'#alarm-notified li[data-user="{me["id"]}"]')
    theirs = page.locator(f'#alarm-notified li[data-user="{boss["id"]}"]')
    expect(mine.locator(".notice-who strong")).to_have_text("您")
    expect(mine.locator(".badge")).to_have_text("待发送")
    expect(mine.locator(".notice-words")).to_have_text("等待发出,门店免打扰时段内不发")
    # A manager may not list users, so the admin is shown by id.
    expect(theirs.locator(".notice-who strong")).to_have_text(f"用户 #{boss['id']}")
    expect(theirs.locator(".badge")).to_have_text("无邮箱")
    expect(theirs.locator(".notice-words")).to_have_text("只在控制台通知")
    expect(theirs).to_contain_text("可在「我的账户」中添加")
    expect(page.locator(f'tr.alarm-row[data-alarm="{alarm_id}"]')).to_have_class(
        "alarm-row focused"
    )

    _set_notice(console_world, alarm_id, me["id"], email_state="failed", email_error=REFUSAL)
    page.reload()
    expect(mine.locator(".badge")).to_have_text("发送失败")
    expect(mine.locator(".notice-words")).to_have_text(f"原因:{REFUSAL}")

    sent_at = datetime(2026, 12, 7, 2, 5, tzinfo=UTC)  # 10:05 in Shanghai
    _set_notice(console_world, alarm_id, me["id"], email_state="sent", email_sent_at=sent_at,
                email_error=None)  # fmt: skip
    page.reload()
    expect(mine.locator(".badge")).to_have_text("邮件已发送")
    expect(mine.locator(".notice-words")).to_have_text("于 2026/12/07 10:05 发出")
    page.screenshot(path=shots / "alarm-notified-manager.png", full_page=True)
    page.set_viewport_size(PHONE)
    expect(mine.locator(".badge")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=shots / "phone-alarm-notified.png", full_page=True)

    # An admin sees everyone's name, and is led to add their own missing address.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    sign_in("admin")
    page.goto(f"{console_world['url']}/console/#/alarms/{alarm_id}")
    expect(mine.locator(".notice-who strong")).to_have_text("吴丽华")
    expect(theirs.locator(".notice-who strong")).to_have_text(f"{boss['full_name']} (您)")
    page.click("#lang-toggle")
    expect(mine.locator(".badge")).to_have_text("Emailed")
    expect(theirs.locator(".badge")).to_have_text("No address")
    page.screenshot(path=shots / "alarm-notified-admin-en.png", full_page=True)
    theirs.locator("a.add-address").click()
    expect(page).to_have_url(f"{console_world['url']}/console/#/account")
    expect(page.locator("#account-email")).to_be_visible()


def test_account_page_fits_a_phone(page, console_world, sign_in, shots, no_address):
    page.set_viewport_size(PHONE)
    sign_in("manager")
    page.click("#current-user")
    for language in ("zh-CN", "en"):
        page.fill("#account-email", LONG_ADDRESS.replace("@", " at "))
        page.click("#email-save")
        expect(page.locator("#email-error")).to_be_visible()
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{language}: {width[0]} px wide on a {width[1]} px screen"
        page.screenshot(path=shots / f"phone-account-{language}.png", full_page=True)
        page.click("#lang-toggle")  # the page is drawn again in the other language
        expect(page.locator("#email-error")).to_be_hidden()
    page.fill("#account-email", LONG_ADDRESS)
    page.click("#email-save")
    expect(page.locator("#email-current")).to_contain_text(LONG_ADDRESS)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_customer_has_no_account_page(page, console_world, sign_in):
    sign_in("customer")
    expect(page.locator("#current-user")).to_have_js_property("tagName", "SPAN")
    page.goto(f"{console_world['url']}/console/#/account")
    expect(page).not_to_have_url(f"{console_world['url']}/console/#/account")
    expect(page.locator("#account-form")).to_have_count(0)
