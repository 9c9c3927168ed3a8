// One KPI: its value against target, its trend (by month or week), a breakdown by one of the
// dimensions it allows, and the records behind it, with links to the console's pages for them.

import { get, request } from "../api.js";
import { busy, formDialog, h, pageHeader, panel, replace, table, toast } from "../dom.js";
import { formatNumber, label, pick, t } from "../i18n.js";
import { trendChart } from "../chart.js";
import { fact, loader, pager } from "./common.js";
import { kpiFilters, kpiPickers, kpiQuery, kpiValue, targetLine } from "./kpis.js";
import { vehicleById } from "./vehicle_cache.js";

const RECORDS_PAGE = 20;
const GRAINS = ["month", "week"];
const SHORT_PERIODS = ["last_30_days", "this_month"]; // shown by week at first

/** A link to the console's page for a record, filled in once the record is looked up. */
function recordLink(record) {
  const text = `${label("record", record.record)} #${record.record_id}`;
  if (record.record === "work_order") return h("a", { href: `#/work-orders/${record.record_id}`, class: "record-link" }, text);
  const cell = h("span", {}, text);
  const link = (href) => cell.replaceChildren(h("a", { href, class: "record-link" }, text));
  if (record.record === "invoice") {
    get(`/service/invoices/${record.record_id}`).then((i) => link(`#/work-orders/${i.work_order_id}`), () => {});
  } else if (record.record === "appointment") {
    get(`/service/appointments/${record.record_id}`)
      .then((a) => vehicleById(a.vehicle_id))
      .then((v) => v && link(`#/vehicles/${encodeURIComponent(v.vin)}`), () => {});
  }
  return cell;
}

/** A button that sets the picked store's target for the KPI. */
function targetButton(kpi, context, after) {
  const button = h("button", { class: "secondary small", id: "kpi-set-target" }, t("kpis.set_target"));
  button.addEventListener("click", () => busy(button, async () => {
    const store = context.stores.find((s) => String(s.id) === kpiFilters.store);
    const done = await formDialog(t("kpis.set_target_for", { store: pick(store.name_zh, store.name_en) }), [
      { name: "target", label: `${t("kpis.target")} (${kpi.unit === "%" ? "%" : label("unit", kpi.unit)})`, type: "number", min: 0, step: "any", required: true, value: kpi.target ?? "" },
    ], (values) => request(`/kpis/${kpi.code}/targets/${store.id}`, { method: "PUT", body: { target: values.target } }));
    if (done) {
      toast(t("kpis.target_saved"), "success");
      await after();
    }
  }));
  return button;
}

function bar(share) {
  const node = h("span", { class: "bar" });
  node.style.width = `${Math.round(share * 100)}%`;
  return node;
}

/** The KPI page of one KPI. */
export async function renderKpiDetail(main, context, { code }) {
  const state = { grain: SHORT_PERIODS.includes(kpiFilters.period) ? "week" : "month", dimension: "", member: "", offset: 0 };
  const summary = h("div", {});
  const chart = h("div", { class: "chart-area", id: "kpi-chart" });
  const breakdown = h("div", { id: "kpi-breakdown" });
  const records = h("div", { id: "kpi-records" });
  const grain = h("select", { name: "grain", id: "kpi-grain", class: "filter" },
    GRAINS.map((g) => h("option", { value: g, selected: g === state.grain }, label("period", g))));
  const dimension = h("select", { name: "dimension", id: "kpi-dimension", class: "filter" });
  const title = h("h1", {}, "…");
  const header = pageHeader("", h("a", { class: "button secondary", href: "#/kpis" }, t("common.back")));
  header.querySelector("h1").replaceWith(title);
  replace(main, header,
    kpiPickers(context, () => { state.offset = 0; load(); }),
    summary,
    panel(t("kpis.trend"), h("div", { class: "toolbar" }, grain), chart),
    panel(t("kpis.breakdown"), h("div", { class: "toolbar" }, dimension), breakdown),
    panel(t("kpis.records"), records));

  const drawRecords = loader(records,
    () => get(`/kpis/${code}/records`, {
      ...kpiQuery(), dimension: state.member ? state.dimension : "", member: state.member,
      limit: RECORDS_PAGE, offset: state.offset,
    }),
    (page) => replace(records,
      state.member ? h("p", { class: "muted" }, t("kpis.records_of", { member: state.memberLabel }),
        " ", h("button", { class: "link", id: "kpi-all-records", onclick: () => { state.member = ""; state.offset = 0; drawRecords(); } }, t("kpis.all_records"))) : null,
      table([
        { title: t("kpis.day"), cell: (r) => r.day },
        { title: t("kpis.record"), cell: recordLink },
        { title: t("kpis.measure"), cell: (r) => label("measure", r.measure) },
        { title: t("kpis.value"), class: "num", cell: (r) => formatNumber(r.value, 2) },
        { title: t("vehicles.store"), cell: (r) => context.storeName(r.store_id) || `#${r.store_id}` },
      ], page.items, { empty: t("kpis.no_records"), rowAttrs: (r) => ({ class: "kpi-record", "data-record": `${r.record}:${r.record_id}` }) }),
      pager(page, (offset) => { state.offset = offset; drawRecords(); })));

  function drawBreakdown(kpi) {
    if (!kpi.dimensions.length) return replace(breakdown, h("p", { class: "empty" }, t("kpis.no_dimensions")));
    if (!kpi.breakdown) return replace(breakdown, h("p", { class: "empty" }, t("kpis.pick_dimension")));
    const widest = Math.max(...kpi.breakdown.map((r) => Math.abs(r.value || 0)), 1);
    return replace(breakdown, table([
      { title: label("dimension", state.dimension), cell: (r) => h("button", { class: "link member", "data-member": r.member, onclick: () => {
        Object.assign(state, { member: r.member, memberLabel: r.label, offset: 0 });
        drawRecords();
      } }, r.label) },
      { title: t("kpis.value"), class: "num", cell: (r) => kpiValue(r.value, kpi.unit) },
      { title: "", class: "bar-cell", cell: (r) => bar(Math.abs(r.value || 0) / widest) },
      { title: t("kpis.weight"), class: "num", cell: (r) => formatNumber(r.weight, 1) },
    ], kpi.breakdown, { rowAttrs: (r) => ({ class: "kpi-member", "data-member": r.member }) }));
  }

  const drawKpi = loader(chart,
    () => get(`/kpis/${code}`, { ...kpiQuery(), grain: state.grain, dimension: state.dimension }),
    (kpi) => {
      title.textContent = pick(kpi.name_zh, kpi.name_en);
      if (!dimension.options.length) {
        dimension.append(h("option", { value: "" }, t("kpis.no_breakdown")),
          ...kpi.dimensions.map((d) => h("option", { value: d }, label("dimension", d))));
        if (kpi.dimensions.length) {
          state.dimension = kpi.dimensions[0];
          dimension.value = state.dimension;
          drawKpi();
        }
      }
      replace(summary, panel(null, h("dl", { class: "facts", id: "kpi-facts" },
        fact(t("kpis.value"), h("strong", { class: "kpi-value" }, kpiValue(kpi.value, kpi.unit))),
        fact(t("kpis.target"), targetLine(kpi)),
        fact(t("kpis.department"), label("department", kpi.department)),
        fact(t("kpis.formula"), h("code", {}, kpi.formula), { class: "fact full" }),
        kpi.summary ? fact(t("kpis.summary"), kpi.summary, { class: "fact full" }) : null),
        kpiFilters.store ? h("div", { class: "row-actions" }, targetButton(kpi, context, () => drawKpi())) : h("p", { class: "muted" }, t("kpis.target_per_store"))));
      replace(chart, trendChart(kpi.trend, kpi.unit === "%" ? "%" : label("unit", kpi.unit), kpi.target, state.grain));
      drawBreakdown(kpi);
    });

  const load = () => { drawKpi(); drawRecords(); };
  grain.addEventListener("change", () => { state.grain = grain.value; drawKpi(); });
  dimension.addEventListener("change", () => { state.dimension = dimension.value; state.member = ""; load(); });
  load();
}
