// Business alarms (经营预警): lasting changes of a store's daily figures in the bad direction,
// with expected against observed and the reason in the reader's language; a manager
// acknowledges an open one. #/alarms/:id shows the list with that alarm picked out, and who
// it reached (alarm_notices.js).

import { ApiError, get, post } from "../api.js";
import { badge, h, pageHeader, replace, table, toast, toastError } from "../dom.js";
import { formatDate, formatDateTime, formatNumber, formatPercent, label, t } from "../i18n.js";
import { noticesPanel } from "./alarm_notices.js";
import { loader, pager } from "./common.js";

const PAGE = 25;
const STATES = ["open", "acknowledged", "closed"];
const filters = { state: "", store: "" };

function amount(value, unit) {
  if (unit === "%") return `${formatNumber(value, 1)} %`;
  return `${formatNumber(value, 1)} ${label("alarm_unit", unit)}`;
}

// The column's name inside the cell, shown where the table becomes cards (a phone's width).
const tag = (key) => h("span", { class: "cell-label" }, t(key));

function acknowledgeButton(alarm, reload) {
  const button = h("button", { class: "primary small acknowledge", "data-alarm": alarm.id }, t("alarms.acknowledge"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await post(`/alarms/${alarm.id}/acknowledge`);
      toast(t("alarms.acknowledged"), "success");
    } catch (error) {
      // 409: someone acknowledged it meanwhile, or the job closed it; the server says which.
      toastError(error);
      if (!(error instanceof ApiError && error.status === 409)) {
        button.disabled = false;
        return;
      }
    }
    await reload();
  });
  return button;
}

function stateCell(alarm, reload) {
  return h("div", { class: "alarm-state" }, badge("alarm_state", alarm.state),
    alarm.state === "acknowledged" && alarm.acknowledged_at
      ? h("span", { class: "muted" }, " ", t("alarms.acknowledged_by", { at: formatDateTime(alarm.acknowledged_at) })) : null,
    alarm.state === "open" ? acknowledgeButton(alarm, reload) : null);
}

/** The business-alarms page. */
export async function renderAlarms(main, context, params = {}) {
  const focus = params.id ? Number(params.id) : null;
  const state = { offset: 0 };
  const body = h("div", { class: "page-body", id: "alarm-list" });
  const stateSelect = h("select", { name: "state", id: "alarm-state", class: "filter", "aria-label": t("alarms.state_filter") },
    h("option", { value: "" }, t("alarms.all_states")),
    STATES.map((s) => h("option", { value: s, selected: s === filters.state }, label("alarm_state", s))));
  const storeSelect = h("select", { name: "store", id: "alarm-store", class: "filter" },
    h("option", { value: "" }, t("common.all_stores")),
    context.stores.map((s) => h("option", { value: s.id, selected: String(s.id) === filters.store }, context.storeName(s.id))));
  const change = () => { filters.state = stateSelect.value; filters.store = storeSelect.value; state.offset = 0; load(); };
  stateSelect.addEventListener("change", change);
  storeSelect.addEventListener("change", change);
  replace(main, pageHeader(t("nav.alarms")), h("p", { class: "lead" }, t("alarms.intro")),
    focus ? noticesPanel(focus, context) : null,
    h("div", { class: "toolbar" }, stateSelect, storeSelect), body);
  const load = loader(body,
    () => get("/alarms", { state: filters.state, store_id: filters.store, limit: PAGE, offset: state.offset }),
    (page) => {
      replace(body, table([
        { title: t("alarms.metric"), cell: (a) => h("div", {}, h("strong", {}, label("alarm_metric", a.metric)), " ",
          h("span", { class: `direction direction-${a.direction}` }, label("alarm_direction", a.direction)),
          h("div", { class: "muted" }, context.storeName(a.store_id) || `#${a.store_id}`)) },
        { title: t("alarms.since"), cell: (a) => h("div", {}, tag("alarms.since"), formatDate(a.started_on), h("div", { class: "muted" }, t("alarms.detected", { day: formatDate(a.detected_on) }))) },
        { title: t("alarms.expected"), class: "num", cell: (a) => h("div", {}, tag("alarms.expected"), amount(a.expected, a.unit)) },
        { title: t("alarms.observed"), class: "num strong", cell: (a) => h("div", {}, tag("alarms.observed"), amount(a.observed, a.unit),
          h("div", { class: "muted" }, `${a.size > 0 ? "+" : ""}${formatPercent(a.size)}`)) },
        { title: t("alarms.reason"), class: "wide", cell: (a) => h("span", { class: "alarm-reason" }, a.reason) },
        { title: t("alarms.state"), cell: (a) => stateCell(a, load) },
      ], page.items, {
        empty: t("alarms.none"),
        rowAttrs: (a) => ({ class: `alarm-row${a.id === focus ? " focused" : ""}`, "data-alarm": a.id, "data-state": a.state, "data-metric": a.metric }),
      }), pager(page, (offset) => { state.offset = offset; load(); }));
      body.querySelector("tr.focused")?.scrollIntoView({ block: "center" });
    });
  await load();
}
