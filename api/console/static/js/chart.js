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

const BAND_80 = "rgba(31, 79, 143, 0.22)";
const BAND_95 = "rgba(31, 79, 143, 0.10)";
const FORECAST = "#c2410c";

/**
 * A series' history [{period, value}] and forecast [{period, mean, lo_80, hi_80, lo_95, hi_95}]
 * by grain (month or week): the history line, the forecast's mean (dashed, joined to the last
 * actual) inside its 80 % and 95 % intervals drawn as bands.
 */
export function forecastChart(history, forecast, grain = "month", attrs = {}) {
  if (!history.length && !forecast.length) return empty();
  const tick = (v) => (grain === "month" ? formatMonth(v * 1000) : formatShortDate(v * 1000));
  const periods = [...new Set([...history.map((p) => p.period), ...forecast.map((p) => p.period)])].sort();
  const xs = periods.map((p) => seconds(`${p}T12:00:00Z`));
  const actual = new Map(history.map((p) => [p.period, p.value]));
  const ahead = new Map(forecast.map((p) => [p.period, p]));
  const last = history.length ? history[history.length - 1] : null;
  const column = (key) => periods.map((p) => {
    if (ahead.has(p)) return ahead.get(p)[key] ?? ahead.get(p).mean;
    return last && p === last.period ? last.value : null; // the bands and the mean start at the last actual
  });
  const data = [xs, periods.map((p) => actual.get(p) ?? null), column("hi_95"), column("lo_95"), column("hi_80"), column("lo_80"), column("mean")];
  const value = (u, v) => (v === null || v === undefined ? "—" : formatNumber(v, 1));
  const edge = (text) => ({ label: text, stroke: "transparent", points: { show: false }, value });
  return host((width, target) => new uPlot({
    width, height: HEIGHT,
    scales: { x: { time: true } },
    series: [
      { value: (u, v) => (v ? tick(v) : "—") },
      { label: t("forecast.actual"), stroke: BRAND, width: 2, points: { show: true, size: 4, fill: BRAND }, value },
      edge(t("forecast.hi_95")), edge(t("forecast.lo_95")), edge(t("forecast.hi_80")), edge(t("forecast.lo_80")),
      { label: t("forecast.mean"), stroke: FORECAST, width: 2, dash: [6, 4], points: { show: true, size: 4, fill: FORECAST }, value },
    ],
    bands: [{ series: [2, 3], fill: BAND_95 }, { series: [4, 5], fill: BAND_80 }],
    legend: { show: true, live: false },
    axes: [
      { ...AXIS, splits: (u) => everyNth(xs, u.bbox.width / devicePixelRatio), values: (u, ticks) => ticks.map(tick) },
      { ...AXIS, size: 50, values: (u, ticks) => ticks.map((v) => formatNumber(v, 1)) },
    ],
  }, data, target), periods.length, {
    class: "chart forecast-chart", role: "img", "aria-label": t("forecast.chart"),
    "data-history": history.length, "data-forecast": forecast.length, "data-bands": 2, ...attrs,
  });
}
