// Parts stock by warehouse: on hand, reserved, available and reorder state.

import { all, get } from "../api.js";
import { badge, h, replace, table } from "../dom.js";
import { formatNumber, label, pick, t } from "../i18n.js";
import { loader, pager } from "./common.js";

const STOCK_PAGE = 50;

/** The warehouses the user sees, and a name for each id. */
export async function warehousesOf() {
  const list = await all("/parts/warehouses", {}, 200);
  const name = (id) => {
    const w = list.find((x) => x.id === id);
    return w ? pick(w.name_zh, w.name_en) : `#${id}`;
  };
  return { list, name };
}

/** The parts stock summary: on hand, reserved, available and reorder state per warehouse. */
export async function renderPartsStock(main) {
  const state = { warehouse: "", q: "", below: false, offset: 0 };
  const body = h("div", { class: "page-body" });
  const { list: warehouses, name: whName } = await warehousesOf();
  const warehouseSelect = h("select", { name: "warehouse", class: "filter" },
    h("option", { value: "" }, t("parts.all_warehouses")),
    warehouses.map((w) => h("option", { value: w.id }, `${pick(w.name_zh, w.name_en)} (${label("level", w.level)})`)));
  const search = h("input", { type: "search", name: "q", placeholder: t("parts.search") });
  const below = h("input", { type: "checkbox", name: "below_reorder", id: "below-reorder" });
  warehouseSelect.addEventListener("change", () => { state.warehouse = warehouseSelect.value; state.offset = 0; load(); });
  search.addEventListener("change", () => { state.q = search.value.trim(); state.offset = 0; load(); });
  below.addEventListener("change", () => { state.below = below.checked; state.offset = 0; load(); });
  replace(main, h("div", { class: "toolbar" }, warehouseSelect, search, h("label", { class: "check" }, below, t("parts.below_only"))), body);

  const num = (key) => (r) => formatNumber(r[key], 2);
  const columns = [
    { title: t("parts.number"), cell: (r) => h("code", {}, r.part_number) },
    { title: t("parts.name"), class: "wide", cell: (r) => pick(r.name_zh, r.name_en) },
    { title: t("parts.warehouse"), cell: (r) => whName(r.warehouse_id) },
    { title: t("parts.on_hand"), class: "num", cell: num("on_hand") },
    { title: t("parts.reserved"), class: "num", cell: num("reserved") },
    { title: t("parts.expired"), class: "num", cell: num("expired") },
    { title: t("parts.available"), class: "num strong", cell: num("available") },
    { title: t("parts.reorder_point"), class: "num", cell: num("reorder_point") },
    { title: t("parts.min_max"), class: "num", cell: (r) => `${formatNumber(r.min_qty, 0)} / ${formatNumber(r.max_qty, 0)}` },
    { title: t("parts.state"), cell: (r) => (r.below_reorder ? badge("stock", "below") : badge("stock", "ok")) },
  ];

  const load = loader(body, () => {
    const query = { warehouse_id: state.warehouse, q: state.q };
    return Promise.all([
      get("/parts/stock", { ...query, below_reorder: state.below ? true : "", limit: STOCK_PAGE, offset: state.offset }),
      get("/parts/stock", { ...query, below_reorder: true, limit: 1 }),
    ]);
  }, ([page, short]) => {
    const kpis = h("div", { class: "kpis" },
      h("div", { class: "kpi" }, h("span", {}, t("parts.records")), h("strong", {}, formatNumber(page.total, 0))),
      h("div", { class: `kpi ${short.total ? "kpi-warn" : ""}`, id: "below-count" }, h("span", {}, t("parts.below_count")), h("strong", {}, formatNumber(short.total, 0))));
    replace(body, kpis, table(columns, page.items, { empty: t("parts.none") }), pager(page, (offset) => { state.offset = offset; load(); }));
  });
  await load();
}
