"""The parts clerk's desk in the browser: the reorder proposal becomes draft purchase orders,
first for the ticked lines only, then for the whole proposal; the orders tab lists them."""

from __future__ import annotations

from playwright.sync_api import expect

pytest_plugins = ("tests.console_support",)

SHORT_PARTS = 4  # parts whose policy the test raises so that the proposal lists them


def _shortage(clerk) -> tuple[int, list[dict]]:
    """Raise the reorder point of a few stocked parts of the clerk's store warehouse; returns
    the warehouse and the proposal's lines for them that have a supplier."""
    warehouse = next(
        w for w in clerk.get("/parts/warehouses").json()["items"] if w["store_id"] is not None
    )["id"]
    stock = clerk.get("/parts/stock", params={"warehouse_id": warehouse, "limit": 200}).json()
    parts = [row["part_id"] for row in stock["items"] if row["available"] > 0][:SHORT_PARTS]
    for part in parts:
        policy = {"min_qty": 1, "reorder_point": 500, "max_qty": 600}
        clerk.put(f"/parts/warehouses/{warehouse}/policies/{part}", json=policy).raise_for_status()
    proposal = clerk.get("/parts/reorder-proposal", params={"warehouse_id": warehouse}).json()
    lines = [
        line | {"supplier_id": group["supplier_id"]}
        for group in proposal
        for line in group["lines"]
        if group["supplier_id"] is not None and line["part_id"] in parts
    ]
    assert len(lines) >= 2, proposal
    return warehouse, lines


def _orders_with(clerk, part_id: int, known: set[int]) -> list[dict]:
    """New purchase orders (not in known) that have a line for the part."""
    found = []
    for order in clerk.get("/parts/purchase-orders", params={"limit": 200}).json()["items"]:
        if order["id"] in known:
            continue
        detail = clerk.get(f"/parts/purchase-orders/{order['id']}").json()
        if any(line["part_id"] == part_id for line in detail["lines"]):
            found.append(detail)
    return found


def test_parts_clerk_turns_the_reorder_proposal_into_purchase_orders(page, sign_in, api_as):
    clerk = api_as("parts")
    warehouse, lines = _shortage(clerk)
    known = {
        o["id"] for o in clerk.get("/parts/purchase-orders", params={"limit": 200}).json()["items"]
    }
    first, second = lines[0], lines[1]
    sign_in("parts")
    expect(page).to_have_url(f"{page.url.split('#')[0]}#/parts")  # the clerk's first page
    page.click("#tab-reorder")
    expect(page.locator("#reorder-warehouse")).to_have_value(str(warehouse))
    expect(page.locator("th.forecast")).to_be_visible()  # where the demand forecast will go
    rows = page.locator("tr.reorder-line")
    expect(rows.first).to_be_visible()
    for row in rows.all():
        box = row.locator('input[name="line"]')
        if box.is_enabled() and row.get_attribute("data-part") != str(first["part_id"]):
            box.uncheck()
    page.click("#reorder-order")
    expect(page.locator("#reorder-created")).to_be_visible()

    ordered = _orders_with(clerk, first["part_id"], known)
    assert len(ordered) == 1 and ordered[0]["status"] == "draft"
    assert ordered[0]["warehouse_id"] == warehouse
    assert [(li["part_id"], float(li["quantity"])) for li in ordered[0]["lines"]] == [
        (first["part_id"], float(first["quantity"]))
    ]
    expect(page.locator(f'tr.reorder-line[data-part="{first["part_id"]}"]')).to_have_count(0)
    expect(page.locator(f'tr.reorder-line[data-part="{second["part_id"]}"]')).to_have_count(1)

    known |= {o["id"] for o in ordered}
    page.click("#reorder-order")  # every line still ticked: the whole proposal
    expect(page.locator("#reorder-empty")).to_be_visible()
    assert _orders_with(clerk, second["part_id"], known)
    assert clerk.get("/parts/reorder-proposal", params={"warehouse_id": warehouse}).json() == []

    page.click("#tab-orders")
    for order in ordered:
        expect(page.locator(f'tr.po-row[data-order="{order["id"]}"]')).to_have_attribute(
            "data-status", "draft"
        )
