// The sales consultant's pipeline (线索 → 报价 → 订单 → 交车) and the vehicle stock with its age.

import { all, get } from "../api.js";
import { badge, h, pageHeader, panel, replace, table } from "../dom.js";
import { formatAgo, formatDate, formatMoney, formatNumber, label, localDate, pick, t } from "../i18n.js";
import { loader } from "./common.js";

const STAGES = ["lead", "opportunity", "quote", "order", "allocated", "pdi", "delivered"];
const CARDS_PER_STAGE = 12;
const UNSOLD = ["in_transit", "in_warehouse", "in_showroom", "reserved"];
const AGE_WARN_DAYS = 60; // stock older than this costs the store interest and space
const AGE_BAD_DAYS = 120;

function daysSince(moment) {
  if (!moment) return null;
  const start = new Date(`${localDate(moment)}T00:00:00Z`);
  return Math.round((new Date(`${localDate()}T00:00:00Z`) - start) / 86_400_000);
}

/** The pipeline and stock page. */
export async function renderSales(main, context) {
  const state = { store: "", mine: context.user.role === "sales_consultant" };
  const models = await all("/sales/models", {}, 400);
  const modelName = (id) => {
    const m = models.find((x) => x.id === id);
    return m ? `${m.make} ${m.model} ${m.trim}` : id ? `#${id}` : "—";
  };
  const pipeline = h("div", { class: "board-wrap" });
  const stock = h("div", {});
  const store = h("select", { name: "store", class: "filter" }, h("option", { value: "" }, t("common.all_stores")),
    context.stores.map((s) => h("option", { value: s.id }, pick(s.name_zh, s.name_en))));
  const mine = h("input", { type: "checkbox", name: "mine", id: "sales-mine", checked: state.mine });
  store.addEventListener("change", () => { state.store = store.value; load(); });
  mine.addEventListener("change", () => { state.mine = mine.checked; loadPipeline(); });
  replace(main, pageHeader(t("nav.sales_pipeline")),
    h("div", { class: "toolbar" }, store, h("label", { class: "check" }, mine, t("sales.mine"))),
    panel(t("sales.pipeline"), pipeline),
    panel(t("sales.stock"), h("p", { class: "muted" }, t("sales.stock_intro", { warn: AGE_WARN_DAYS, bad: AGE_BAD_DAYS })), stock));

  const loadPipeline = loader(pipeline,
    () => Promise.all(STAGES.map((status) => get("/sales/leads", {
      status, store_id: state.store, consultant_id: state.mine ? context.user.id : "", limit: CARDS_PER_STAGE,
    }))),
    (pages) => replace(pipeline, h("div", { class: "board pipeline", id: "pipeline" }, STAGES.map((stage, i) =>
      h("section", { class: "board-column", "data-stage": stage },
        h("div", { class: "column-toggle" }, h("h2", {}, label("lead", stage)), h("span", { class: "count" }, formatNumber(pages[i].total, 0))),
        h("div", { class: "cards" }, pages[i].items.length ? pages[i].items.map((lead) =>
          h("article", { class: "wo-card lead-card", "data-lead": lead.id },
            h("strong", {}, modelName(lead.interested_model_id)),
            h("span", { class: "muted" }, `${label("lead_source", lead.source)} · ${t("sales.in_stage", { ago: formatAgo(lead.updated_at) })}`))) :
          h("p", { class: "empty" }, t("common.empty"))))))));

  const loadStock = loader(stock,
    () => Promise.all(UNSOLD.map((status) => all("/sales/stock", { status, store_id: state.store }, 400))),
    (lists) => {
      const cars = lists.flat().map((car) => ({ ...car, age: daysSince(car.arrived_at) }))
        .sort((a, b) => (b.age ?? -1) - (a.age ?? -1));
      const ageClass = (age) => (age === null ? "" : age >= AGE_BAD_DAYS ? "age-bad" : age >= AGE_WARN_DAYS ? "age-warn" : "age-ok");
      replace(stock, table([
        { title: "VIN", cell: (c) => h("span", { class: "vin" }, c.vin) },
        { title: t("vehicles.model"), class: "wide", cell: (c) => `${modelName(c.model_id)} · ${c.colour || ""}` },
        { title: t("sales.status"), cell: (c) => badge("stock_status", c.status) },
        { title: t("sales.location"), cell: (c) => c.location || "—" },
        { title: t("sales.arrived"), cell: (c) => (c.arrived_at ? formatDate(c.arrived_at) : "—") },
        { title: t("sales.age"), class: "num", cell: (c) => h("span", { class: `age ${ageClass(c.age)}` }, c.age === null ? t("sales.not_arrived") : t("sales.days", { days: c.age })) },
        { title: t("sales.cost"), class: "num", cell: (c) => formatMoney(c.cost) },
      ], cars, { empty: t("sales.no_stock"), rowAttrs: (c) => ({ class: "stock-row", "data-age": c.age ?? "" }) }));
    });

  const load = () => Promise.all([loadPipeline(), loadStock()]);
  await load();
}
