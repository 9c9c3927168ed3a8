// The manager's KPI page: every KPI of the period as a tile, grouped by department, with its
// target, the gap to it and the period before; a period and a store picker.

import { get } from "../api.js";
import { h, pageHeader, replace } from "../dom.js";
import { addDays, formatNumber, label, localDate, pick, t } from "../i18n.js";
import { loader } from "./common.js";

export const PERIODS = ["last_30_days", "this_month", "last_quarter", "last_12_months"];
const DEPARTMENTS = ["store", "sales", "service", "parts", "customer"];

// The pickers' choice, kept while the user moves between the page and a KPI.
export const kpiFilters = { period: "last_30_days", store: "" };

function monthStart(day) {
  return `${day.slice(0, 8)}01`;
}

function shiftMonths(day, n) {
  const [year, month] = day.split("-").map(Number);
  const index = year * 12 + (month - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}-01`;
}

/** The [from, to] days (YYYY-MM-DD, in the store's zone) of a named period. */
export function periodDays(period, today = localDate()) {
  if (period === "this_month") return [monthStart(today), today];
  if (period === "last_quarter") {
    const month = Number(today.slice(5, 7));
    const quarterStart = `${today.slice(0, 4)}-${String(month - ((month - 1) % 3)).padStart(2, "0")}-01`;
    return [shiftMonths(quarterStart, -3), addDays(quarterStart, -1)];
  }
  if (period === "last_12_months") return [addDays(today, -364), today];
  return [addDays(today, -29), today];
}

/** The query of the chosen period and store. */
export function kpiQuery() {
  const [from, to] = periodDays(kpiFilters.period);
  return { store_id: kpiFilters.store, date_from: from, date_to: to };
}

/** A KPI's value with its unit ("12.5 %", "3.2 天"). */
export function kpiValue(value, unit) {
  if (value === null || value === undefined) return "—";
  const text = formatNumber(value, 1);
  return unit === "%" ? `${text} %` : `${text} ${label("unit", unit)}`;
}

/** "+2.5" / "−1.0": a gap with its sign. */
export function signed(value, unit) {
  if (value === null || value === undefined) return "—";
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  return `${sign}${kpiValue(Math.abs(value), unit)}`;
}

/** The tile's standing against its target: on, off, or none (no target or no value). */
export function standing(kpi) {
  if (kpi.on_target === true) return "on";
  if (kpi.on_target === false) return "off";
  return "none";
}

/** The target line of a tile or a KPI page: target and gap, or why there is none. */
export function targetLine(kpi) {
  if (kpi.value === null || kpi.value === undefined) return h("span", { class: "kpi-reason" }, t("kpis.no_data"));
  if (kpi.target === null || kpi.target === undefined) return h("span", { class: "muted" }, t("kpis.no_target"));
  return h("span", { class: `kpi-gap gap-${standing(kpi)}`, "data-on-target": String(kpi.on_target) },
    t("kpis.target_gap", { target: kpiValue(kpi.target, kpi.unit), gap: signed(kpi.gap, kpi.unit) }),
    " ", t(`kpis.better_${kpi.better}`));
}

/** The period and store pickers; onchange runs after a choice. */
export function kpiPickers(context, onchange) {
  const period = h("select", { name: "period", id: "kpi-period", class: "filter" },
    PERIODS.map((p) => h("option", { value: p, selected: p === kpiFilters.period }, t(`kpis.period.${p}`))));
  const store = h("select", { name: "store", id: "kpi-store", class: "filter" },
    h("option", { value: "" }, t("common.all_stores")),
    context.stores.map((s) => h("option", { value: s.id, selected: String(s.id) === kpiFilters.store }, pick(s.name_zh, s.name_en))));
  period.addEventListener("change", () => { kpiFilters.period = period.value; onchange(); });
  store.addEventListener("change", () => { kpiFilters.store = store.value; onchange(); });
  const days = h("span", { class: "muted", id: "kpi-days" });
  const showDays = () => {
    const [from, to] = periodDays(kpiFilters.period);
    days.textContent = t("kpis.days", { from, to });
  };
  showDays();
  period.addEventListener("change", showDays);
  return h("div", { class: "toolbar" }, period, store, days);
}

function tile(kpi) {
  return h("a", { class: `kpi-tile kpi-${standing(kpi)}`, href: `#/kpis/${kpi.code}`, "data-kpi": kpi.code },
    h("span", { class: "kpi-name" }, pick(kpi.name_zh, kpi.name_en)),
    h("strong", { class: "kpi-value" }, kpiValue(kpi.value, kpi.unit)),
    targetLine(kpi),
    h("span", { class: "muted kpi-previous" }, t("kpis.previous", { value: kpiValue(kpi.previous, kpi.unit) })));
}

/** The KPI page (经营指标). */
export async function renderKpis(main, context) {
  const body = h("div", { class: "page-body", id: "kpi-groups" });
  const load = loader(body, () => get("/kpis/summary", kpiQuery()), (tiles) => replace(body,
    DEPARTMENTS.map((department) => {
      const mine = tiles.filter((k) => k.department === department);
      if (!mine.length) return null;
      return h("section", { class: "kpi-group", "data-department": department },
        h("h2", {}, label("department", department)),
        h("div", { class: "kpi-tiles" }, mine.map(tile)));
    })));
  replace(main, pageHeader(t("nav.kpis")), h("p", { class: "lead" }, t("kpis.intro")), kpiPickers(context, () => load()), body);
  await load();
}
