// A small SVG chart of one signal over time: the min–max band and the average line.

import { formatNumber, formatTime, formatDateTime, t } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 800;
const HEIGHT = 260;
const PAD = { top: 16, right: 16, bottom: 28, left: 56 };
const Y_TICKS = 5;
const X_TICKS = 6;

function s(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** A round step (1, 2 or 5 × 10^k) that cuts span into about Y_TICKS parts. */
function niceStep(span) {
  const raw = span / Y_TICKS;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 5, 10].find((m) => m * power >= raw);
  return unit * power;
}

function niceRange(lo, hi) {
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const step = niceStep(hi - lo);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step, step];
}

/**
 * An <svg> chart of series points [{bucket, avg, min, max}] for a unit; an empty series
 * gives a message instead.
 */
export function lineChart(points, unit) {
  const usable = points.filter((p) => p.avg !== null && p.avg !== undefined);
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img" });
  if (usable.length === 0) {
    svg.append(s("text", { x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle", class: "chart-empty" }, t("vehicle.no_series")));
    return svg;
  }
  const times = usable.map((p) => new Date(p.bucket).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times) === t0 ? t0 + 60_000 : Math.max(...times);
  const [lo, hi, step] = niceRange(Math.min(...usable.map((p) => p.min ?? p.avg)), Math.max(...usable.map((p) => p.max ?? p.avg)));
  const x = (ms) => PAD.left + ((ms - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - ((v - lo) / (hi - lo)) * (HEIGHT - PAD.top - PAD.bottom);

  for (let value = lo; value <= hi + step / 2; value += step) {
    svg.append(s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(s("text", { x: PAD.left - 8, y: y(value) + 4, "text-anchor": "end", class: "tick" }, formatNumber(value, 2)));
  }
  for (let i = 0; i <= X_TICKS; i += 1) {
    const ms = t0 + ((t1 - t0) * i) / X_TICKS;
    svg.append(s("text", { x: x(ms), y: HEIGHT - 8, "text-anchor": "middle", class: "tick" }, formatTime(ms)));
  }
  svg.append(s("text", { x: 8, y: PAD.top, class: "unit" }, unit));

  const upper = usable.map((p, i) => `${x(times[i])},${y(p.max ?? p.avg)}`);
  const lower = usable.map((p, i) => `${x(times[i])},${y(p.min ?? p.avg)}`).reverse();
  svg.append(s("polygon", { points: [...upper, ...lower].join(" "), class: "band" }));
  svg.append(s("polyline", { points: usable.map((p, i) => `${x(times[i])},${y(p.avg)}`).join(" "), class: "line" }));

  // A cursor that reads out the nearest bucket.
  const cursor = s("g", { class: "cursor", visibility: "hidden" });
  const rule = s("line", { y1: PAD.top, y2: HEIGHT - PAD.bottom });
  const dot = s("circle", { r: 4 });
  const readout = s("text", { y: PAD.top + 12, class: "readout" });
  cursor.append(rule, dot, readout);
  svg.append(cursor);
  svg.addEventListener("mousemove", (event) => {
    const box = svg.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * WIDTH;
    let best = 0;
    for (let i = 1; i < usable.length; i += 1) if (Math.abs(x(times[i]) - px) < Math.abs(x(times[best]) - px)) best = i;
    const p = usable[best];
    const cx = x(times[best]);
    rule.setAttribute("x1", cx);
    rule.setAttribute("x2", cx);
    dot.setAttribute("cx", cx);
    dot.setAttribute("cy", y(p.avg));
    readout.setAttribute("x", Math.min(cx + 8, WIDTH - 220));
    readout.textContent = `${formatDateTime(p.bucket)}  ${formatNumber(p.avg, 2)} ${unit}`;
    cursor.setAttribute("visibility", "visible");
  });
  svg.addEventListener("mouseleave", () => cursor.setAttribute("visibility", "hidden"));
  return svg;
}
