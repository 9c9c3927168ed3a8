// The reorder proposal (parts at or below their reorder point, topped up to max or to the
// forecast over lead time, by supplier, with each line's demand forecast),
// turned into draft purchase orders; and the open purchase orders with the recent receipts.

import { all, get, post, request } from "../api.js";
import { badge, busy, errorBox, h, panel, replace, table, toast } from "../dom.js";
import { addDays, formatDate, formatDateTime, formatMoney, formatNumber, localDate, pick, t } from "../i18n.js";
import { loader } from "./common.js";
import { warehousesOf } from "./parts_stock.js";
import { forecastCell } from "./parts_forecast.js";

const OPEN_ORDERS = ["draft", "sent", "confirmed", "partly_received"];
const DUE_DAYS = 7; // an open order expected within this many days is "due"
const NOTE = "补货建议生成 / from the reorder proposal";

/** The reorder proposal of one warehouse, with a button that orders the ticked lines. */
export async function renderReorder(main) {
  const { list, name } = await warehousesOf();
  const state = { warehouse: (list.find((w) => w.store_id) || list[0] || {}).id };
  const body = h("div", { class: "page-body" });
  const select = h("select", { name: "warehouse", id: "reorder-warehouse", class: "filter" },
    list.map((w) => h("option", { value: w.id, selected: w.id === state.warehouse }, name(w.id))));
  select.addEventListener("change", () => { state.warehouse = Number(select.value); load(); });
  replace(main, h("div", { class: "toolbar" }, select, h("span", { class: "muted" }, t("reorder.intro"))), body);
  if (!state.warehouse) return replace(body, h("p", { class: "empty" }, t("reorder.none")));

  const load = loader(body, () => get("/parts/reorder-proposal", { warehouse_id: state.warehouse }), (groups) => {
    const lines = groups.flatMap((g) => g.lines.map((line) => ({ ...line, supplier_id: g.supplier_id, supplier_name: g.supplier_name })));
    if (!lines.length) return replace(body, h("p", { class: "empty", id: "reorder-empty" }, t("reorder.none")));
    const ticks = new Map();
    const order = h("button", { class: "primary", id: "reorder-order" }, t("reorder.order"));
    const problem = h("div", {});
    const tick = (line) => {
      const box = h("input", { type: "checkbox", name: "line", checked: line.supplier_id !== null, disabled: line.supplier_id === null, "aria-label": line.part_number });
      ticks.set(line, box);
      return box;
    };
    order.addEventListener("click", () => busy(order, async () => {
      replace(problem);
      const chosen = lines.filter((line) => ticks.get(line).checked);
      if (!chosen.length) return replace(problem, h("p", { class: "muted" }, t("reorder.pick")));
      try {
        const orders = await placeOrders(state.warehouse, lines, chosen);
        toast(t("reorder.ordered", { count: orders.length, numbers: orders.map((o) => o.number).join(", ") }), "success");
        await load();
        body.prepend(h("p", { class: "notice", id: "reorder-created" }, t("reorder.ordered", { count: orders.length, numbers: orders.map((o) => o.number).join(", ") }),
          " ", h("a", { href: "#/parts/orders" }, t("parts_tab.orders"))));
      } catch (error) {
        replace(problem, errorBox(error));
      }
    }));
    replace(body, table([
      { title: "", cell: tick },
      { title: t("parts.number"), cell: (l) => h("code", {}, l.part_number) },
      { title: t("parts.name"), class: "wide", cell: (l) => pick(l.name_zh, l.name_en) },
      { title: t("reorder.supplier"), cell: (l) => l.supplier_name || t("reorder.no_supplier") },
      { title: t("parts.available"), class: "num", cell: (l) => formatNumber(l.available, 2) },
      { title: t("reorder.on_order"), class: "num", cell: (l) => formatNumber(l.on_order, 2) },
      { title: t("parts.reorder_point"), class: "num", cell: (l) => formatNumber(l.reorder_point, 2) },
      { title: t("parts.min_max"), class: "num", cell: (l) => `${formatNumber(l.min_qty, 0)} / ${formatNumber(l.max_qty, 0)}` },
      { title: t("reorder.forecast"), class: "forecast", cell: (l) => forecastCell(l, state.warehouse) },
      { title: t("reorder.quantity"), class: "num strong", cell: (l) => formatNumber(l.quantity, 2) },
      { title: t("reorder.value"), class: "num", cell: (l) => formatMoney(Number(l.quantity) * Number(l.unit_price)) },
      { title: "", cell: (l) => (l.urgent ? badge("reorder", "urgent") : null) },
    ], lines, { rowAttrs: (l) => ({ class: "reorder-line", "data-part": l.part_id }) }),
    h("div", { class: "row-actions" }, order), problem);
  });
  await load();
}

/** Draft purchase orders for the chosen lines: the proposal's own endpoint when every line
 * is chosen, otherwise one order per supplier with just those lines. */
async function placeOrders(warehouse, lines, chosen) {
  if (chosen.length === lines.length) {
    const answer = await request("/parts/reorder-proposal/orders", { method: "POST", query: { warehouse_id: warehouse } });
    return answer.orders;
  }
  const bySupplier = new Map();
  for (const line of chosen) bySupplier.set(line.supplier_id, [...(bySupplier.get(line.supplier_id) || []), line]);
  const orders = [];
  for (const [supplier, picked] of bySupplier) {
    orders.push(await post("/parts/purchase-orders", {
      supplier_id: supplier, warehouse_id: warehouse, notes: NOTE,
      lines: picked.map((l) => ({ part_id: l.part_id, quantity: String(l.quantity), unit_price: String(l.unit_price) })),
    }));
  }
  return orders;
}

/** Open purchase orders, the ones due soon first, and the latest receipts. */
export async function renderPurchaseOrders(main) {
  const { name } = await warehousesOf();
  const [orders, suppliers, receipts] = await Promise.all([
    all("/parts/purchase-orders", {}, 600),
    all("/parts/suppliers", {}, 200).catch(() => []),
    get("/parts/receipts", { limit: 10 }),
  ]);
  const supplier = (id) => (suppliers.find((s) => s.id === id) || {}).name || `#${id}`;
  const today = localDate();
  const due = (o) => o.expected_on && o.expected_on <= addDays(today, DUE_DAYS);
  const open = orders.filter((o) => OPEN_ORDERS.includes(o.status))
    .sort((a, b) => (a.expected_on || "9999").localeCompare(b.expected_on || "9999") || b.id - a.id);
  replace(main,
    panel(t("orders.open"), table([
      { title: t("orders.number"), cell: (o) => h("code", {}, o.number) },
      { title: t("orders.status"), cell: (o) => badge("po", o.status) },
      { title: t("reorder.supplier"), cell: (o) => supplier(o.supplier_id) },
      { title: t("parts.warehouse"), cell: (o) => name(o.warehouse_id) },
      { title: t("orders.expected"), cell: (o) => h("span", { class: due(o) ? "badge expiry-soon" : "" }, o.expected_on ? formatDate(o.expected_on) : "—") },
      { title: t("parts.created"), cell: (o) => formatDateTime(o.created_at) },
    ], open, { empty: t("orders.none"), rowAttrs: (o) => ({ class: "po-row", "data-order": o.id, "data-status": o.status }) })),
    panel(t("orders.receipts"), table([
      { title: t("orders.delivery_note"), cell: (r) => h("code", {}, r.delivery_note || `#${r.id}`) },
      { title: t("orders.number"), cell: (r) => (orders.find((o) => o.id === r.purchase_order_id) || {}).number || `#${r.purchase_order_id}` },
      { title: t("parts.warehouse"), cell: (r) => name(r.warehouse_id) },
      { title: t("orders.lines"), class: "num", cell: (r) => r.lines.length },
      { title: t("orders.received_at"), cell: (r) => formatDateTime(r.received_at) },
    ], receipts.items, { empty: t("orders.no_receipts") })));
}
