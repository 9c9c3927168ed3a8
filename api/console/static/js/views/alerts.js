// Alerts on the cars of the user's stores: filter, read why, acknowledge, clear.

import { get, post } from "../api.js";
import { badge, busy, formDialog, h, pageHeader, replace, table, toast } from "../dom.js";
import { formatAgo, formatDateTime, label, t } from "../i18n.js";
import { loader, pager } from "./common.js";
import { vehicleCell } from "./vehicle_cache.js";

const PAGE = 25;
const SEVERITIES = ["critical", "major", "minor", "warning"];

function select(name, values, group, current, onchange) {
  return h("select", { name, class: "filter", onchange },
    h("option", { value: "" }, t(`alerts.any_${name}`)),
    values.map((v) => h("option", { value: v, selected: v === current }, label(group, v))));
}

/** The alerts page. */
export async function renderAlerts(main, context) {
  const filters = { state: "active", severity: "", acknowledged: "", offset: 0 };
  const body = h("div", {});
  const toolbar = h("div", { class: "toolbar" });
  replace(main, pageHeader(t("nav.alerts")), toolbar, body);

  function drawToolbar() {
    const change = (event) => {
      filters[event.target.name] = event.target.value;
      filters.offset = 0;
      load();
    };
    replace(toolbar,
      select("state", ["active", "cleared"], "alert_state", filters.state, change),
      select("severity", SEVERITIES, "severity", filters.severity, change),
      select("acknowledged", ["false", "true"], "acknowledged", filters.acknowledged, change));
  }

  async function act(button, alert, action) {
    await busy(button, async () => {
      if (action === "acknowledge") {
        await post(`/alerts/${alert.id}/acknowledge`);
        toast(t("alerts.acknowledged_toast"), "success");
      } else {
        const done = await formDialog(t("alerts.clear_title"), [
          { name: "reason", label: t("alerts.clear_reason"), type: "textarea" },
        ], (values) => post(`/alerts/${alert.id}/clear`, { reason: values.reason || null }), { submitLabel: t("alerts.clear") });
        if (!done) return;
        toast(t("alerts.cleared_toast"), "success");
      }
      await load();
    });
  }

  function actions(alert) {
    const buttons = [];
    if (alert.state === "active" && !alert.acknowledged) {
      const b = h("button", { class: "secondary small ack" }, t("alerts.acknowledge"));
      b.addEventListener("click", () => act(b, alert, "acknowledge"));
      buttons.push(b);
    }
    if (alert.state === "active") {
      const b = h("button", { class: "secondary small clear" }, t("alerts.clear"));
      b.addEventListener("click", () => act(b, alert, "clear"));
      buttons.push(b);
    }
    return h("div", { class: "row-actions" }, buttons);
  }

  const columns = [
    { title: t("alerts.severity"), cell: (a) => badge("severity", a.severity) },
    {
      title: t("alerts.alert"),
      class: "wide",
      cell: (a) => h("div", { class: "alert-text" },
        h("strong", { class: "alert-title" }, a.title),
        h("ul", { class: "reasons" }, a.reasons.map((r) => h("li", {}, r))),
        h("div", { class: "muted" }, a.action_text)),
    },
    { title: t("alerts.vehicle"), cell: (a) => vehicleCell(a.vin, context) },
    {
      title: t("alerts.state"),
      cell: (a) => h("div", { class: "stack" }, badge("alert_state", a.state),
        a.acknowledged ? badge("acknowledged", "true") : null),
    },
    {
      title: t("alerts.last_seen"),
      cell: (a) => h("div", { class: "stack" }, h("span", { title: formatDateTime(a.last_seen) }, formatAgo(a.last_seen)),
        h("span", { class: "muted" }, t("alerts.count", { count: a.count }))),
    },
    { title: "", cell: actions },
  ];

  const load = loader(body,
    () => get("/alerts", {
      state: filters.state, severity: filters.severity, acknowledged: filters.acknowledged,
      limit: PAGE, offset: filters.offset,
    }),
    (page) => replace(body,
      table(columns, page.items, { empty: t("alerts.none"), rowAttrs: (a) => ({ class: `alert-row sev-${a.severity}`, "data-alert": a.id }) }),
      pager(page, (offset) => { filters.offset = offset; load(); })));

  drawToolbar();
  await load();
}
