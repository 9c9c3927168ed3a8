// The forecasts page: each model's monthly deliveries with the next six months and their 80 %
// and 95 % intervals, how the chosen method did in its back-test, and (managers) the customers
// most likely not to come back.

import { ApiError, get } from "../api.js";
import { h, pageHeader, panel, replace, table } from "../dom.js";
import { formatDateTime, formatNumber, formatPercent, label, language, pick, t } from "../i18n.js";
import { forecastChart } from "../chart.js";
import { loader, pager } from "./common.js";

const SALES_MONTHS_NEEDED = 23; // api/forecasts/service.py: 18 months to train, 3 origins of 3 months
const CHURN_AT_LEAST = 0.5;
const CHURN_PAGE = 20;
const BASELINES = { MASE: "seasonal_naive", RMSSE: "naive" };

// The store picked, kept while the user moves between pages.
const picked = { store: "" };

/** "ETS with the festival effect: 0.87× the error of last year's same month (MASE, on 4 …)". */
export function backtestSentence(backtest, method) {
  const ratio = backtest.relative_to_baseline;
  if (ratio === null || ratio === undefined) return null;
  const text = t("forecast.backtest", {
    method: label("method", method), baseline: label("method", BASELINES[backtest.error] || "naive"),
    ratio: formatNumber(ratio, 2), error: backtest.error, windows: backtest.windows ?? "—",
  });
  return h("p", { class: `backtest ${ratio < 1 ? "beats" : "no-better"}`, "data-ratio": ratio },
    text, " ", t(ratio < 1 ? "forecast.beats" : "forecast.no_better"));
}

/** A forecast of the API, or null when none has been made yet (404). */
export async function forecastOrNone(path, query) {
  try {
    return await get(path, query);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function salesSection(found) {
  if (!found) return h("p", { class: "notice", id: "forecast-none" }, t("forecast.none_sales", { months: SALES_MONTHS_NEEDED }));
  return h("div", {},
    h("p", { class: "muted" }, t("forecast.made_at", { when: formatDateTime(found.made_at) })),
    h("div", { id: "sales-backtest" }, backtestSentence(found.backtest, found.method)),
    h("div", { class: "forecast-grid" }, found.series.map((s) => {
      const total = s.forecast.reduce((sum, p) => sum + p.mean, 0);
      return h("article", { class: "forecast-series", "data-member": s.member },
        h("h3", {}, s.label),
        h("p", { class: "muted" }, t("forecast.next", { total: formatNumber(total, 0) })),
        forecastChart(s.history, s.forecast, "month"));
    })));
}

function reasons(list) {
  return h("ul", { class: "reasons" }, list.map((r) => h("li", { "data-feature": r.feature }, language() === "en" ? r.en : r.zh)));
}

function churnSection(page) {
  const backtest = page.backtest;
  if (!backtest) return h("p", { class: "notice", id: "churn-none" }, t("forecast.none_churn"));
  return h("div", {},
    h("p", { class: "muted" }, t("forecast.churn_intro", { at_least: formatPercent(CHURN_AT_LEAST) })),
    h("p", { class: "backtest", id: "churn-auc" }, t("forecast.churn_auc", {
      auc: formatNumber(backtest.auc, 2), held_out: formatNumber(backtest.held_out, 0), base_rate: formatPercent(backtest.base_rate),
    })),
    table([
      { title: t("forecast.customer"), cell: (c) => c.name },
      { title: t("forecast.phone"), cell: (c) => c.phone },
      { title: t("forecast.probability"), class: "num strong", cell: (c) => formatPercent(c.probability) },
      { title: t("forecast.reasons"), class: "wide", cell: (c) => reasons(c.reasons) },
    ], page.items, { rowAttrs: (c) => ({ class: "churn-row", "data-customer": c.customer_id }) }));
}

/** The forecasts page (预测). */
export async function renderForecasts(main, context) {
  const { stores, user } = context;
  if (!stores.some((s) => String(s.id) === picked.store)) picked.store = stores.length ? String(stores[0].id) : "";
  const manager = ["admin", "manager"].includes(user.role);
  const sales = h("div", { id: "sales-forecast" });
  const churn = h("div", { id: "churn-list" });
  const state = { offset: 0 };
  const store = h("select", { name: "store", id: "forecast-store", class: "filter", "aria-label": t("forecast.store") },
    stores.map((s) => h("option", { value: s.id, selected: String(s.id) === picked.store }, pick(s.name_zh, s.name_en))));
  replace(main, pageHeader(t("nav.forecasts")), h("p", { class: "lead" }, t("forecast.intro")),
    h("div", { class: "toolbar" }, store),
    panel(t("forecast.sales"), sales),
    manager ? panel(t("forecast.churn"), churn) : null);
  if (!picked.store) return replace(sales, h("p", { class: "empty" }, t("common.empty")));
  const loadSales = loader(sales, () => forecastOrNone("/forecasts/sales", { store_id: picked.store }), (found) => replace(sales, salesSection(found)));
  const loadChurn = loader(churn,
    () => get("/forecasts/churn", { store_id: picked.store, at_least: CHURN_AT_LEAST, limit: CHURN_PAGE, offset: state.offset }),
    (page) => replace(churn, churnSection(page), pager(page, (offset) => { state.offset = offset; loadChurn(); })));
  store.addEventListener("change", () => {
    picked.store = store.value;
    state.offset = 0;
    loadSales();
    if (manager) loadChurn();
  });
  await Promise.all([loadSales(), manager ? loadChurn() : null]);
}
