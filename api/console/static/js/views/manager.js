// The sales performance board (销售绩效看板).

import { get } from "../api.js";
import { h, pageHeader, panel, replace, table } from "../dom.js";
import { addDays, formatDate, formatMoney, formatMonth, formatNumber, formatPercent, label, localDate, pick, t } from "../i18n.js";
import { loader } from "./common.js";

const BOARD_DAYS = 90; // the board's default range, as the API's

function storeSelect(context, onchange) {
  return h("select", { name: "store", class: "filter", onchange },
    h("option", { value: "" }, t("common.all_stores")),
    context.stores.map((s) => h("option", { value: s.id }, pick(s.name_zh, s.name_en))));
}

function periodText(start, period) {
  if (!start) return "—";
  if (period === "month") return formatMonth(start);
  if (period === "week") return t("board_sales.week_of", { day: formatDate(start) });
  return formatDate(start);
}

/** The sales performance board (销售绩效看板). */
export async function renderSalesBoard(main, context) {
  const state = { period: "month", store: "", from: addDays(localDate(), -BOARD_DAYS), to: localDate() };
  const body = h("div", { class: "page-body" });
  const period = h("select", { name: "period", class: "filter" },
    ["month", "week", "day"].map((p) => h("option", { value: p, selected: p === state.period }, label("period", p))));
  const from = h("input", { type: "date", name: "date_from", value: state.from });
  const to = h("input", { type: "date", name: "date_to", value: state.to });
  const stores = storeSelect(context, (e) => { state.store = e.target.value; load(); });
  period.addEventListener("change", () => { state.period = period.value; load(); });
  from.addEventListener("change", () => { state.from = from.value; load(); });
  to.addEventListener("change", () => { state.to = to.value; load(); });
  replace(main, pageHeader(t("nav.sales_board")),
    h("div", { class: "toolbar" }, stores, period, h("label", { class: "field inline" }, h("span", {}, t("board_sales.from")), from),
      h("label", { class: "field inline" }, h("span", {}, t("board_sales.to")), to)),
    body);

  const name = (r) => r.consultant_name || t("board_sales.unassigned");
  const figures = [
    { title: t("board_sales.leads"), class: "num", cell: (r) => formatNumber(r.leads, 0) },
    { title: t("board_sales.converted"), class: "num", cell: (r) => formatNumber(r.converted, 0) },
    { title: t("board_sales.conversion"), class: "num", cell: (r) => formatPercent(r.conversion_rate) },
    { title: t("board_sales.units"), class: "num", cell: (r) => formatNumber(r.units, 0) },
    { title: t("board_sales.revenue"), class: "num", cell: (r) => formatMoney(r.revenue) },
    { title: t("board_sales.margin"), class: "num", cell: (r) => formatMoney(r.gross_margin) },
  ];

  const load = loader(body, () => get("/sales/board", { period: state.period, date_from: state.from, date_to: state.to, store_id: state.store }), (board) => {
    const sum = (key) => board.totals.reduce((n, r) => n + Number(r[key] || 0), 0);
    const leads = sum("leads");
    const kpis = h("div", { class: "kpis" },
      [["board_sales.leads", formatNumber(leads, 0)], ["board_sales.conversion", formatPercent(leads ? sum("converted") / leads : null)],
        ["board_sales.units", formatNumber(sum("units"), 0)], ["board_sales.margin", formatMoney(sum("gross_margin"))]]
        .map(([key, value]) => h("div", { class: "kpi" }, h("span", {}, t(key)), h("strong", {}, value))));
    replace(body, kpis,
      panel(t("board_sales.totals"), table([{ title: t("board_sales.consultant"), cell: name }, ...figures], board.totals, { rowAttrs: () => ({ class: "board-total" }) })),
      panel(t("board_sales.by_period"), table([
        { title: t("board_sales.period"), cell: (r) => periodText(r.period_start, board.period) },
        { title: t("board_sales.consultant"), cell: name }, ...figures], board.rows)));
  });
  await load();
}
