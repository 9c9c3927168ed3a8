// Parts reservations (held stock for jobs) and lots that expire soon (效期预警).

import { get } from "../api.js";
import { h, replace, table } from "../dom.js";
import { formatDate, formatDateTime, formatNumber, label, t } from "../i18n.js";
import { loader, pager } from "./common.js";
import { partCell } from "./parts_cache.js";
import { warehousesOf } from "./parts_stock.js";

const PAGE = 25;
const EXPIRY_DAYS = 60; // the API's default warning horizon
const SOON_DAYS = 14; // lots expiring within this are marked urgent

function filterSelect(name, values, group, onchange) {
  return h("select", { name, class: "filter", onchange }, values.map((v) => h("option", { value: v }, label(group, v))));
}

/** Reservations, active first. */
export async function renderReservations(main) {
  const state = { status: "active", offset: 0 };
  const { name } = await warehousesOf();
  const body = h("div", {});
  const status = filterSelect("status", ["active", "issued", "released"], "reservation", (e) => { state.status = e.target.value; state.offset = 0; load(); });
  replace(main, h("div", { class: "toolbar" }, status), body);
  const load = loader(body, () => get("/parts/reservations", { status: state.status, limit: PAGE, offset: state.offset }), (page) => replace(body,
    table([
      { title: "#", cell: (r) => r.id },
      { title: t("parts.part"), class: "wide", cell: (r) => partCell(r.part_id) },
      { title: t("parts.warehouse"), cell: (r) => name(r.warehouse_id) },
      { title: t("parts.quantity"), class: "num", cell: (r) => formatNumber(r.quantity, 2) },
      { title: t("parts.issued"), class: "num", cell: (r) => formatNumber(r.issued_quantity, 2) },
      { title: t("parts.for"), cell: (r) => (r.reference_type === "work_order" ? h("a", { href: `#/work-orders/${r.reference_id}` }, `${label("record", "work_order")} #${r.reference_id}`) : `${r.reference_type} #${r.reference_id ?? "—"}`) },
      { title: t("parts.needed_by"), cell: (r) => formatDateTime(r.needed_by) },
      { title: t("parts.created"), cell: (r) => formatDateTime(r.created_at) },
    ], page.items, { rowAttrs: (r) => ({ "data-reservation": r.id }) }),
    pager(page, (offset) => { state.offset = offset; load(); })));
  await load();
}

/** Lots with stock that expire within the warning horizon, soonest first. */
export async function renderLots(main) {
  const state = { offset: 0 };
  const { name } = await warehousesOf();
  const body = h("div", {});
  replace(main, h("p", { class: "lead" }, t("parts.lots_intro", { days: EXPIRY_DAYS })), body);
  const load = loader(body, () => get("/parts/stock/lots", { expiring_within_days: EXPIRY_DAYS, limit: PAGE, offset: state.offset }), (page) => replace(body,
    table([
      { title: t("parts.lot"), cell: (l) => h("code", {}, l.lot_number) },
      { title: t("parts.number"), cell: (l) => h("code", {}, l.part_number) },
      { title: t("parts.warehouse"), cell: (l) => name(l.warehouse_id) },
      { title: t("parts.quantity"), class: "num", cell: (l) => formatNumber(l.quantity, 2) },
      { title: t("parts.expires_on"), cell: (l) => formatDate(l.expires_on) },
      { title: t("parts.days_left"), class: "num", cell: (l) => h("span", { class: l.expired ? "badge stock-below" : l.days_to_expiry <= SOON_DAYS ? "badge expiry-soon" : "" },
        l.expired ? t("parts.expired") : formatNumber(l.days_to_expiry, 0)) },
    ], page.items, { empty: t("parts.no_lots"), rowAttrs: (l) => ({ class: "lot-row", "data-lot": l.lot_id }) }),
    pager(page, (offset) => { state.offset = offset; load(); })));
  await load();
}
