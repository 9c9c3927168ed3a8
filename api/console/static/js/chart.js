// Charts drawn by uPlot (vendored by scripts/vendor): a signal over time with its min–max band,
// and a KPI's trend against its target. The chart follows its container's width.

import uPlot from "../vendor/uPlot.esm.js";
import { h } from "./dom.js";
import { formatDateTime, formatMonth, formatNumber, formatShortDate, formatTime, t } from "./i18n.js";

const HEIGHT = 260;
const BRAND = "#1f4f8f";
const BAND = "rgba(31, 79, 143, 0.14)";
const TARGET = "#f5a524";
const AXIS = { stroke: "#667085", grid: { stroke: "#edf0f4" }, ticks: { stroke: "#edf0f4" } };

/** A chart host that builds the uPlot once it has a width, and resizes with its container. */
function host(build, points, attrs = {}) {
  const box = h("div", { class: "chart", "data-points": points, ...attrs });
  let plot = null;
  const observer = new ResizeObserver(() => {
    if (!box.isConnected) {
      observer.disconnect();
      plot?.destroy();
      return;
    }
    const width = Math.floor(box.clientWidth);
    if (!width) return;
    if (!plot) plot = build(width, box);
    else plot.setSize({ width, height: HEIGHT });
  });
  observer.observe(box);
  return box;
}

function empty() {
  return h("div", { class: "chart chart-empty", "data-points": 0 }, t("vehicle.no_series"));
}

const TICK_SPACE = 72; // px a trend's date label needs

/** Every n-th of the periods' starts, so that their labels fit in width px. */
function everyNth(xs, width) {
  const step = Math.max(1, Math.ceil(xs.length / Math.max(1, Math.floor(width / TICK_SPACE))));
  return xs.filter((_, i) => i % step === 0);
}

const seconds = (value) => new Date(value).getTime() / 1000;

/**
 * A signal's series [{bucket, avg, min, max}] in a unit: the average line inside the min–max
 * band; an empty series gives a message instead.
 */
export function lineChart(points, unit) {
  const usable = points.filter((p) => p.avg !== null && p.avg !== undefined);
  if (usable.length === 0) return empty();
  const data = [
    usable.map((p) => seconds(p.bucket)),
    usable.map((p) => p.max ?? p.avg),
    usable.map((p) => p.min ?? p.avg),
    usable.map((p) => p.avg),
  ];
  const value = (u, v) => (v === null || v === undefined ? "—" : `${formatNumber(v, 2)} ${unit}`);
  return host((width, target) => new uPlot({
    width, height: HEIGHT,
    scales: { x: { time: true } },
    series: [
      { label: t("chart.time"), value: (u, v) => (v ? formatDateTime(v * 1000) : "—") },
      { label: t("chart.max"), stroke: "transparent", points: { show: false }, value },
      { label: t("chart.min"), stroke: "transparent", points: { show: false }, value },
      { label: unit, stroke: BRAND, width: 2, points: { show: false }, value },
    ],
    bands: [{ series: [1, 2], fill: BAND }],
    axes: [
      { ...AXIS, values: (u, ticks) => ticks.map((v) => formatTime(v * 1000)) },
      { ...AXIS, size: 60, values: (u, ticks) => ticks.map((v) => formatNumber(v, 2)) },
    ],
    legend: { show: true },
  }, data, target), usable.length, { role: "img", "aria-label": unit });
}

/** A KPI's trend [{start, end, value}] by grain in its unit, with its target as a flat line. */
export function trendChart(trend, unit, target, grain = "month") {
  const tick = (v) => (grain === "month" ? formatMonth(v * 1000) : formatShortDate(v * 1000));
  const usable = trend.filter((p) => p.value !== null && p.value !== undefined);
  if (usable.length === 0) return empty();
  const xs = trend.map((p) => seconds(`${p.start}T12:00:00Z`));
  const data = [xs, trend.map((p) => p.value)];
  const series = [
    { value: (u, v) => (v ? tick(v) : "—") },
    { label: unit, stroke: BRAND, width: 2, fill: BAND, spanGaps: false, points: { show: true, size: 6, fill: BRAND }, value: (u, v) => formatNumber(v, 1) },
  ];
  if (target !== null && target !== undefined) {
    data.push(trend.map(() => target));
    series.push({ label: t("kpis.target"), stroke: TARGET, width: 1.5, dash: [6, 4], points: { show: false }, value: (u, v) => formatNumber(v, 1) });
  }
  return host((width, targetBox) => new uPlot({
    width, height: HEIGHT,
    scales: { x: { time: true } },
    series,
    legend: { show: false },
    axes: [
      { ...AXIS, splits: (u) => everyNth(xs, u.bbox.width / devicePixelRatio), values: (u, ticks) => ticks.map(tick) },
      { ...AXIS, size: 60, values: (u, ticks) => ticks.map((v) => formatNumber(v, 1)) },
    ],
  }, data, targetBox), usable.length, { id: "kpi-trend", role: "img", "aria-label": unit });
}
