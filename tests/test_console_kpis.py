"""The manager's KPI page in the browser: tiles by department with target, gap and the period
before; the period picker; one KPI's trend, breakdown and the records behind it, down to the
work order a record belongs to."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.factories import STORE_ZONE

pytest_plugins = ("tests.console_support",)

KPI = "hours_per_repair_order"  # higher is better; by advisor; its records are invoices
LOWER = "lead_to_delivery_days"  # lower is better


def _set_targets(manager, kpi: str, target: str) -> None:
    for store in manager.get("/auth/stores").json():
        answer = manager.put(f"/kpis/{kpi}/targets/{store['id']}", json={"target": target})
        answer.raise_for_status()


def test_manager_sees_kpi_tiles_by_department_against_their_targets(page, sign_in, api_as):
    manager = api_as("manager")
    _set_targets(manager, KPI, "99")  # far above: off target
    _set_targets(manager, LOWER, "1000")  # far above, and lower is better: on target
    tiles = {t["code"]: t for t in manager.get("/kpis/summary").json()}
    sign_in("manager")
    expect(page).to_have_url(f"{page.url.split('#')[0]}#/kpis")  # the manager's first page
    expect(page.locator(".kpi-tile")).to_have_count(len(tiles))
    for code, tile in tiles.items():
        group = page.locator(f'.kpi-group[data-department="{tile["department"]}"]')
        expect(group.locator(f'[data-kpi="{code}"]')).to_have_count(1)

    off = page.locator(f'[data-kpi="{KPI}"]')
    expect(off).to_have_class("kpi-tile kpi-off")
    expect(off.locator(".kpi-gap")).to_have_attribute("data-on-target", "false")
    expect(off.locator(".kpi-gap")).to_contain_text("目标 99 小时")
    expect(off.locator(".kpi-gap")).to_contain_text("越高越好")
    expect(off.locator(".kpi-previous")).to_contain_text("上期")
    on = page.locator(f'[data-kpi="{LOWER}"]')
    expect(on).to_have_class("kpi-tile kpi-on")
    expect(on.locator(".kpi-gap")).to_contain_text("越低越好")

    empty = next(code for code, tile in tiles.items() if tile["value"] is None)
    expect(page.locator(f'[data-kpi="{empty}"] .kpi-value')).to_have_text("—")
    expect(page.locator(f'[data-kpi="{empty}"] .kpi-reason')).to_contain_text("本期无数据")

    today = datetime.now(ZoneInfo(STORE_ZONE)).date()
    with page.expect_request(lambda r: "/kpis/summary" in r.url) as asked:
        page.select_option("#kpi-period", "last_12_months")
    query = parse_qs(urlparse(asked.value.url).query)
    assert query["date_to"] == [today.isoformat()]
    assert query["date_from"] == [(today - timedelta(days=364)).isoformat()]
    expect(page.locator(".kpi-tile")).to_have_count(len(tiles))
    store = manager.get("/auth/stores").json()[1]
    with page.expect_request(lambda r: "/kpis/summary" in r.url) as asked:
        page.select_option("#kpi-store", str(store["id"]))
    assert parse_qs(urlparse(asked.value.url).query)["store_id"] == [str(store["id"])]
    expect(page.locator(".kpi-tile")).to_have_count(len(tiles))
    page.click("#lang-toggle")
    expect(page.locator(f'[data-kpi="{KPI}"] .kpi-name')).to_have_text("Hours per repair order")
    expect(page.locator(f'[data-kpi="{empty}"] .kpi-reason')).to_contain_text(
        "no data in this period"
    )


def test_manager_opens_a_kpi_and_drills_into_its_records(page, sign_in, api_as):
    manager = api_as("manager")
    start = (date.fromisoformat(datetime.now(ZoneInfo(STORE_ZONE)).date().isoformat())
             - timedelta(days=29)).isoformat()  # fmt: skip
    detail = manager.get(
        f"/kpis/{KPI}", params={"grain": "week", "dimension": "advisor_id", "date_from": start}
    ).json()
    assert detail["breakdown"], "the seeded world has invoiced jobs by advisor"
    sign_in("manager")
    page.locator(f'[data-kpi="{KPI}"]').click()
    expect(page.locator("h1")).to_have_text("单车工时")
    trend = page.locator("#kpi-trend")
    expect(trend.locator(".uplot canvas")).to_have_count(1)
    drawn = [p for p in detail["trend"] if p["value"] is not None]
    expect(trend).to_have_attribute("data-points", str(len(drawn)))
    expect(page.locator("#kpi-grain")).to_have_value("week")

    expect(page.locator("#kpi-dimension")).to_have_value("advisor_id")
    members = page.locator("#kpi-breakdown tr.kpi-member")
    expect(members).to_have_count(len(detail["breakdown"]))
    shown = members.evaluate_all("rows => rows.map(r => r.dataset.member)")
    assert shown == [row["member"] for row in detail["breakdown"]]

    biggest = max(detail["breakdown"], key=lambda row: row["weight"])
    records = manager.get(
        f"/kpis/{KPI}/records",
        params={"dimension": "advisor_id", "member": biggest["member"], "date_from": start,
                "limit": 20},
    ).json()  # fmt: skip
    page.locator(f'#kpi-breakdown button.member[data-member="{biggest["member"]}"]').click()
    expect(page.locator("#kpi-records")).to_contain_text(biggest["label"])
    rows = page.locator("#kpi-records tr.kpi-record")
    expect(rows).to_have_count(len(records["items"]))
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.record)") == [
        f"{r['record']}:{r['record_id']}" for r in records["items"]
    ]

    invoice = next(r for r in records["items"] if r["record"] == "invoice")
    work_order = manager.get(f"/service/invoices/{invoice['record_id']}").json()["work_order_id"]
    row = page.locator(f'tr.kpi-record[data-record="invoice:{invoice["record_id"]}"]')
    row.locator("a.record-link").click()
    expect(page.locator("#work-order")).to_have_attribute("data-work-order", str(work_order))
    expect(page).to_have_url(f"{page.url.split('#')[0]}#/work-orders/{work_order}")


def test_manager_sets_a_stores_target_on_the_kpi_page(page, console_world, sign_in, api_as):
    manager = api_as("manager")
    store = manager.get("/auth/stores").json()[0]
    sign_in("manager")
    page.goto(f"{console_world['url']}/console/#/kpis/csi")
    expect(page.locator("#kpi-facts")).to_be_visible()
    expect(page.locator("#kpi-set-target")).to_have_count(0)  # targets are per store
    page.select_option("#kpi-store", str(store["id"]))
    page.click("#kpi-set-target")
    dialog = page.locator("dialog[open]")
    dialog.locator('input[name="target"]').fill("95")
    dialog.locator('button[type="submit"]').click()
    expect(page.locator("#kpi-facts")).to_contain_text("目标 95 分")
    tiles = manager.get("/kpis/summary", params={"store_id": store["id"]}).json()
    assert next(t for t in tiles if t["code"] == "csi")["target"] == 95
