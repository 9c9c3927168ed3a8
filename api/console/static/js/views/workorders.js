// Work orders as a board by state (接车 → 诊断 → 维修 → 质检 → 结算 → 交车). Each card offers the
// steps the state machine allows from its state; a refusal shows the API's reason on the card.

import { get, post } from "../api.js";
import { badge, busy, errorBox, formDialog, h, pageHeader, replace, toast } from "../dom.js";
import { formatAgo, label, pick, t } from "../i18n.js";
import { loader } from "./common.js";
import { describe, vehicleById } from "./vehicle_cache.js";

// Board columns and the states each holds; a waiting job sits in the column it returns to.
const COLUMNS = [
  ["booked", ["booked"]],
  ["checked_in", ["checked_in"]],
  ["diagnosis", ["diagnosis", "estimate_sent", "customer_approved"]],
  ["in_repair", ["in_repair"]],
  ["quality_check", ["quality_check"]],
  ["settled", ["settled"]],
  ["delivered", ["delivered", "follow_up"]],
];
const WAITS = ["waiting_parts", "waiting_approval", "waiting_sublet"];
const OPEN_LIMIT = 50; // cards per open state
const DONE_LIMIT = 5; // delivered jobs are history: only the newest few
// Columns the user folded or opened; an empty column starts folded.
const collapsed = new Set();
const expanded = new Set();

function columnOf(wo) {
  const state = WAITS.includes(wo.status) ? wo.wait_return_to : wo.status;
  const found = COLUMNS.find(([, states]) => states.includes(state));
  return found ? found[0] : null;
}

/** The work-order board. */
export async function renderWorkOrders(main, context) {
  const machine = context.reference.work_order;
  const state = { store: "" };
  const board = h("div", { class: "board-wrap" });
  const storeSelect = h("select", { name: "store", class: "filter" },
    h("option", { value: "" }, t("common.all_stores")),
    context.stores.map((s) => h("option", { value: s.id }, pick(s.name_zh, s.name_en))));
  storeSelect.addEventListener("change", () => { state.store = storeSelect.value; load(); });
  replace(main, pageHeader(t("nav.work_orders"), h("button", { class: "secondary", onclick: () => load() }, t("common.refresh"))),
    h("div", { class: "toolbar" }, storeSelect, h("span", { class: "muted" }, t("work_orders.hint"))), board);

  const states = [...COLUMNS.flatMap(([, s]) => s), ...WAITS];
  const load = loader(board,
    () => Promise.all(states.map((status) => get("/service/work-orders", {
      status, store_id: state.store, limit: ["delivered", "follow_up"].includes(status) ? DONE_LIMIT : OPEN_LIMIT,
    }))),
    (pages) => draw(pages.flatMap((p) => p.items), Object.fromEntries(states.map((s, i) => [s, pages[i].total]))));

  function draw(orders, totals) {
    const columns = COLUMNS.map(([key, states]) => {
      const cards = orders.filter((wo) => columnOf(wo) === key).map(card);
      // Delivered jobs are only the newest few: say how many there are in all.
      const total = key === "delivered" ? states.reduce((n, s) => n + (totals[s] || 0), 0) : cards.length;
      const count = total > cards.length ? `${cards.length} / ${total}` : String(cards.length);
      const folded = collapsed.has(key) || (!cards.length && !expanded.has(key));
      const column = h("section", { class: `board-column${folded ? " collapsed" : ""}`, "data-column": key },
        h("button", { class: "column-toggle", "aria-expanded": String(!folded), title: t(folded ? "board.expand" : "board.collapse") },
          h("h2", {}, t(`board.${key}`)), h("span", { class: "count" }, count)),
        h("div", { class: "cards" }, cards.length ? cards : h("p", { class: "empty" }, t("common.empty"))));
      column.querySelector(".column-toggle").addEventListener("click", () => {
        const fold = !column.classList.contains("collapsed");
        column.classList.toggle("collapsed", fold);
        column.querySelector(".column-toggle").setAttribute("aria-expanded", String(!fold));
        (fold ? collapsed : expanded).add(key);
        (fold ? expanded : collapsed).delete(key);
      });
      return column;
    });
    replace(board, h("div", { class: "board", id: "board" }, columns));
  }

  function card(wo) {
    const problem = h("div", { class: "card-error" });
    const car = h("div", { class: "wo-car" }, `#${wo.vehicle_id}`);
    vehicleById(wo.vehicle_id).then((v) => v && (car.textContent = describe(v) || v.vin));
    const buttons = steps(wo, problem);
    return h("article", { class: `wo-card src-${wo.source}`, "data-work-order": wo.id, "data-status": wo.status },
      h("div", { class: "wo-head" }, h("a", { class: "wo-number", href: `#/work-orders/${wo.id}` }, wo.number), badge("wo", wo.status)),
      car,
      wo.complaint ? h("p", { class: "wo-complaint" }, wo.complaint) : null,
      wo.wait_reason ? h("p", { class: "wo-wait" }, label("wait_reason", wo.wait_reason)) : null,
      h("div", { class: "wo-meta" }, wo.source !== "walk_in" ? badge("wo_source", wo.source) : null,
        h("span", { class: "muted" }, formatAgo(wo.created_at)),
        wo.labour.length ? h("span", { class: "muted" }, t("work_orders.lines", { labour: wo.labour.length, parts: wo.parts.length })) : null),
      buttons.length ? h("div", { class: "wo-actions" }, buttons) : null,
      problem);
  }

  function steps(wo, problem) {
    const role = context.user.role;
    const targets = machine.transitions.filter((s) => s.from === wo.status && s.roles.includes(role));
    const run = (button, action) => busy(button, async () => {
      replace(problem);
      try {
        const done = await action();
        if (done === false) return;
      } catch (error) {
        replace(problem, errorBox(error));
        throw error;
      }
      toast(t("work_orders.saved", { number: wo.number }), "success");
      await load();
    }).catch(() => {});
    const buttons = [];
    for (const step of targets.filter((s) => !WAITS.includes(s.to))) {
      const resume = WAITS.includes(wo.status);
      const text = resume ? t("work_orders.resume") : t(`wo.to.${step.to}`, {});
      const button = h("button", { class: step.to === "cancelled" ? "danger small" : "primary small", "data-to": step.to }, text);
      button.addEventListener("click", () => run(button, () => advance(wo, step, resume)));
      buttons.push(button);
    }
    const waits = targets.filter((s) => WAITS.includes(s.to)).map((s) => s.to);
    if (waits.length) {
      const button = h("button", { class: "secondary small", "data-to": "wait" }, t("work_orders.wait"));
      button.addEventListener("click", () => run(button, () => park(wo, waits)));
      buttons.push(button);
    }
    if (!wo.outcome && ["in_repair", "quality_check", "settled"].includes(wo.status)) {
      const button = h("button", { class: "secondary small", "data-to": "outcome" }, t("work_orders.outcome"));
      button.addEventListener("click", () => run(button, () => outcome(wo)));
      buttons.push(button);
    }
    return buttons;
  }

  async function advance(wo, step, resume) {
    if (resume) return post(`/service/work-orders/${wo.id}/resume`);
    if (step.to === "checked_in") {
      const values = await formDialog(t("wo.to.checked_in"), [
        { name: "odometer_km", label: t("work_orders.odometer"), type: "number", min: 0, step: "1", required: true },
        { name: "complaint", label: t("work_orders.complaint"), type: "textarea", value: wo.complaint || "" },
      ], (v) => post(`/service/work-orders/${wo.id}/check-in`, { odometer_km: Number(v.odometer_km), inspection: {}, complaint: v.complaint || null }));
      return values ? true : false;
    }
    let reason = null;
    if (step.reason) {
      const values = await formDialog(t(`wo.to.${step.to}`), [{ name: "reason", label: t("common.reason"), type: "textarea", required: true }]);
      if (!values) return false;
      reason = values.reason;
    }
    return post(`/service/work-orders/${wo.id}/status`, { to: step.to, reason });
  }

  async function park(wo, waits) {
    const options = waits.flatMap((wait) => (context.reference.waits[wait] || []).map((code) => [`${wait}:${code}`, `${label("wo", wait)} — ${label("wait_reason", code)}`]));
    const values = await formDialog(t("work_orders.wait"), [
      { name: "choice", label: t("work_orders.wait_reason"), options, required: true },
      { name: "note", label: t("work_orders.note"), type: "textarea" },
    ], (v) => {
      const [wait, reason_code] = v.choice.split(":");
      return post(`/service/work-orders/${wo.id}/wait`, { wait, reason_code, note: v.note || null });
    });
    return values ? true : false;
  }

  async function outcome(wo) {
    const values = await formDialog(t("work_orders.outcome"), [
      { name: "outcome", label: t("work_orders.outcome"), options: ["confirmed_cause", "no_fault_found", "maintenance"].map((o) => [o, label("outcome", o)]), required: true },
      { name: "cause_code", label: t("work_orders.cause_code") },
      { name: "notes", label: t("work_orders.note"), type: "textarea" },
    ], (v) => post(`/service/work-orders/${wo.id}/outcome`, { outcome: v.outcome, cause_code: v.cause_code || null, notes: v.notes || null }));
    return values ? true : false;
  }

  await load();
}
