// The demand forecast beside the reorder proposal: a line's weekly forecast, what the fleet's
// predicted faults add and the quantity's basis; and one part's weekly history and forecast
// in a dialog.

import { errorBox, h, loading, replace } from "../dom.js";
import { formatDateTime, formatNumber, label, pick, t } from "../i18n.js";
import { forecastChart } from "../chart.js";
import { backtestSentence, forecastOrNone } from "./forecasts.js";

const MIN_WEEKS_USED = 4; // api/forecasts/service.py PARTS_MIN_WEEKS_USED

/** The proposal line's forecast cell: weekly demand, "+n from predicted faults", the basis. */
export function forecastCell(line, warehouse) {
  const basis = h("span", { class: `badge basis-${line.basis}`, "data-basis": line.basis }, label("basis", line.basis));
  if (line.forecast_weekly === null || line.forecast_weekly === undefined) {
    return h("div", { class: "forecast-cell" }, h("span", { class: "muted" }, "—"), " ", basis);
  }
  const alerts = Number(line.from_alerts || 0);
  const open = h("button", { class: "link open-forecast", type: "button", "data-part": line.part_id },
    `${formatNumber(line.forecast_weekly, 1)} / ${t("forecast.weekly")}`);
  open.addEventListener("click", () => partForecastDialog(warehouse, line));
  return h("div", { class: "forecast-cell" }, open,
    alerts > 0 ? h("span", { class: "badge from-alerts", "data-from-alerts": alerts }, t("forecast.from_alerts", { count: formatNumber(alerts, 1) })) : null,
    basis);
}

function partBody(found, line) {
  const series = found && found.series.find((s) => s.member === String(line.part_id));
  if (!series) return h("p", { class: "notice", id: "part-forecast-none" }, t("forecast.none_parts", { weeks: MIN_WEEKS_USED }));
  const total = series.forecast.reduce((sum, p) => sum + p.mean, 0);
  const alerts = series.forecast.reduce((sum, p) => sum + (p.from_alerts || 0), 0);
  return h("div", { class: "part-forecast", "data-member": series.member },
    h("p", {}, t("forecast.part_sum", { weeks: series.forecast.length, total: formatNumber(total, 1), alerts: formatNumber(alerts, 1) })),
    forecastChart(series.history, series.forecast, "week", { id: "part-forecast-chart" }),
    backtestSentence(found.backtest, found.method),
    h("p", { class: "muted" }, t("forecast.made_at", { when: formatDateTime(found.made_at) })));
}

/** A dialog with one part's weekly issues and its forecast. */
export async function partForecastDialog(warehouse, line) {
  const content = h("div", { class: "dialog-body" }, loading());
  const close = h("button", { type: "button", class: "secondary", id: "part-forecast-close" }, t("common.close"));
  const dialog = h("dialog", { class: "dialog dialog-wide", id: "part-forecast" },
    h("div", { class: "dialog-form" },
      h("h2", {}, t("forecast.part_title", { part: `${line.part_number} ${pick(line.name_zh, line.name_en)}` })),
      content, h("div", { class: "dialog-actions" }, close)));
  const finish = () => { dialog.close(); dialog.remove(); };
  close.addEventListener("click", finish);
  dialog.addEventListener("cancel", finish);
  document.body.append(dialog);
  dialog.showModal();
  try {
    const found = await forecastOrNone("/forecasts/parts", { warehouse_id: warehouse, part_id: line.part_id });
    replace(content, partBody(found, line));
  } catch (error) {
    replace(content, errorBox(error));
  }
}
