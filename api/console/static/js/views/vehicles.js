// Vehicles: the connected fleet's latest state, every vehicle by search, and one vehicle's
// telemetry (key values, a chart of a signal over time, trouble codes, open alerts).

import { ApiError, get } from "../api.js";
import { badge, errorBox, h, loading, pageHeader, panel, replace, table } from "../dom.js";
import { formatAgo, formatDate, formatDateTime, formatNumber, label, pick, t } from "../i18n.js";
import { lineChart } from "../chart.js";
import { fact, loader, pager } from "./common.js";
import { describe, vehicleByVin, vehicleCell } from "./vehicle_cache.js";

const PAGE = 25;
// Values shown in the fleet table and first on the vehicle page.
const KEY_SIGNALS = ["SPEED", "COOLANT_TEMP", "CONTROL_MODULE_VOLTAGE", "FUEL_LEVEL", "ODOMETER"];
// Chart windows: hours shown, and the bucket that keeps a chart near 150 points.
const WINDOWS = [[1, 30], [6, 120], [24, 600], [168, 3600]];
const DEFAULT_SIGNAL = "COOLANT_TEMP";

function signalOf(context, name) {
  return context.reference.signals.find((s) => s.name === name) || { name, unit: "", zh: name, en: name };
}

function online(value) {
  if (value === null || value === undefined) return badge("online", "unknown");
  return badge("online", value ? "true" : "false");
}

function value(context, values, name) {
  const v = values ? values[name] : undefined;
  if (v === undefined || v === null) return "—";
  return `${formatNumber(v, 1)} ${signalOf(context, name).unit}`;
}

/** The vehicles page: connected cars, or a search over every vehicle. */
export async function renderVehicles(main, context) {
  const state = { tab: "connected", q: "", status: "", offset: 0 };
  const body = h("div", {});
  const search = h("input", { type: "search", name: "q", id: "vehicle-search", placeholder: t("vehicles.search") });
  const status = h("select", { name: "status", class: "filter" },
    h("option", { value: "" }, t("vehicles.any_status")),
    h("option", { value: "online" }, label("online", "true")),
    h("option", { value: "offline" }, label("online", "false")),
    h("option", { value: "dtcs" }, t("vehicles.with_dtcs")));
  const tabs = h("div", { class: "segmented", role: "tablist" });
  const drawTabs = () => replace(tabs, ["connected", "all"].map((tab) =>
    h("button", { role: "tab", class: state.tab === tab ? "active" : "", "aria-selected": String(state.tab === tab),
      onclick: () => { state.tab = tab; state.offset = 0; drawTabs(); load(); } }, t(`vehicles.tab_${tab}`))));
  search.addEventListener("change", () => { state.q = search.value.trim(); state.tab = "all"; state.offset = 0; drawTabs(); load(); });
  status.addEventListener("change", () => { state.status = status.value; state.tab = "connected"; state.offset = 0; drawTabs(); load(); });
  replace(main, pageHeader(t("nav.vehicles")), h("div", { class: "toolbar" }, tabs, status, search), body);

  const connectedColumns = [
    { title: t("vehicles.vehicle"), cell: (r) => vehicleCell(r.vin, context, r.vehicle_id) },
    { title: t("vehicles.status"), cell: (r) => online(r.online) },
    { title: t("vehicles.last_seen"), cell: (r) => h("span", { title: formatDateTime(r.last_seen) }, formatAgo(r.last_seen)) },
    ...KEY_SIGNALS.map((name) => ({ title: pick(signalOf(context, name).zh, signalOf(context, name).en), class: "num", cell: (r) => value(context, r.values, name) })),
    { title: t("vehicles.dtcs"), cell: (r) => r.stored_dtcs.length ? h("span", { class: "dtc-list" }, r.stored_dtcs.join(" ")) : "—" },
  ];
  const allColumns = [
    { title: t("vehicles.vehicle"), cell: (v) => vehicleCell(v.vin, context, v.id) },
    { title: t("vehicles.model"), cell: (v) => `${v.make} ${v.model} (${v.year})` },
    { title: t("vehicles.store"), cell: (v) => context.storeName(v.store_id) || "—" },
    { title: t("vehicles.status"), cell: (v) => online(v.online) },
    { title: t("vehicles.last_seen"), cell: (v) => formatAgo(v.last_seen) },
    { title: t("vehicles.odometer"), class: "num", cell: (v) => v.odometer_km === null ? "—" : `${formatNumber(v.odometer_km, 0)} km` },
  ];

  const go = (offset) => { state.offset = offset; load(); };
  const load = loader(body,
    async () => {
      if (state.tab !== "connected") return { columns: allColumns, empty: "vehicles.none", page: await get("/crm/vehicles", { q: state.q, limit: PAGE, offset: state.offset }) };
      const query = { limit: PAGE, offset: state.offset };
      if (state.status === "online") query.online = true;
      if (state.status === "offline") query.online = false;
      if (state.status === "dtcs") query.with_dtcs = true;
      return { columns: connectedColumns, empty: "vehicles.none_connected", page: await get("/telemetry/latest", query) };
    },
    ({ columns, empty, page }) => replace(body, table(columns, page.items, { empty: t(empty), rowAttrs: (r) => ({ "data-vin": r.vin }) }), pager(page, go)));
  drawTabs();
  await load();
}

function diagnosisOf(latest) {
  return t(`diagnosis.${latest.diagnosis}`, { days: latest.baseline_days, needed: latest.baseline_days_needed });
}

async function latestOf(vin) {
  try {
    return await get(`/telemetry/vehicles/${encodeURIComponent(vin)}/latest`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function chartPanel(context, vin, latest) {
  const names = context.reference.signals.map((s) => s.name);
  const initial = latest && latest.values && DEFAULT_SIGNAL in latest.values ? DEFAULT_SIGNAL : (latest && Object.keys(latest.values)[0]) || DEFAULT_SIGNAL;
  const signal = h("select", { name: "signal", id: "chart-signal" },
    names.map((n) => h("option", { value: n, selected: n === initial }, pick(signalOf(context, n).zh, signalOf(context, n).en))));
  const windowSelect = h("select", { name: "window", id: "chart-window" },
    WINDOWS.map(([hours], i) => h("option", { value: i, selected: hours === 24 }, t("vehicle.window", { hours }))));
  const area = h("div", { class: "chart-area", id: "chart" });
  const draw = loader(area, () => {
    const [hours, bucket] = WINDOWS[Number(windowSelect.value)];
    const end = latest && latest.sample_ts ? new Date(latest.sample_ts) : new Date();
    const start = new Date(end.getTime() - hours * 3_600_000);
    return get(`/telemetry/vehicles/${encodeURIComponent(vin)}/series`, {
      signal: signal.value, start: start.toISOString(), end: new Date(end.getTime() + 1000).toISOString(), bucket_seconds: bucket,
    });
  }, (series) => replace(area, lineChart(series.points, signalOf(context, signal.value).unit)));
  signal.addEventListener("change", draw);
  windowSelect.addEventListener("change", draw);
  draw();
  return panel(t("vehicle.chart"), h("div", { class: "toolbar" }, signal, windowSelect), area);
}

/** One vehicle's page. */
export async function renderVehicle(main, context, { vin }) {
  const staff = context.user.role !== "customer";
  const [vehicle, latest] = await Promise.all([vehicleByVin(vin), latestOf(vin)]);
  if (!vehicle && !latest) {
    replace(main, errorBox(new ApiError(404, "not_found", t("vehicle.not_found", { vin }))));
    return;
  }
  const values = latest ? latest.values : {};
  const tiles = Object.keys(values)
    .sort((a, b) => (KEY_SIGNALS.indexOf(b) >= 0) - (KEY_SIGNALS.indexOf(a) >= 0))
    .map((name) => h("div", { class: "tile", "data-signal": name },
      h("span", { class: "tile-label" }, pick(signalOf(context, name).zh, signalOf(context, name).en)),
      h("span", { class: "tile-value" }, value(context, values, name))));
  const dtcs = h("div", {}, loading());
  const alerts = h("div", {});
  const back = staff ? "#/vehicles" : "#/my/vehicles";
  replace(main,
    pageHeader(describe(vehicle) || vin, h("a", { class: "button secondary", href: back }, t("common.back"))),
    panel(null, h("dl", { class: "facts" },
      fact("VIN", h("span", { class: "vin" }, vin)),
      vehicle ? fact(t("vehicles.model"), `${vehicle.make} ${vehicle.model} (${vehicle.year})`) : null,
      vehicle && context.storeName(vehicle.store_id) ? fact(t("vehicles.store"), context.storeName(vehicle.store_id)) : null,
      fact(t("vehicles.status"), online(latest ? latest.online : null)),
      fact(t("vehicles.last_seen"), latest ? formatDateTime(latest.last_seen) : t("common.never")),
      latest ? fact(t("vehicles.diagnosis"), h("span", { id: "diagnosis" }, diagnosisOf(latest))) : null,
      vehicle ? fact(t("vehicles.odometer"), vehicle.odometer_km === null ? "—" : `${formatNumber(vehicle.odometer_km, 0)} km`) : null,
      vehicle && vehicle.warranty_end ? fact(t("vehicle.warranty_end"), formatDate(vehicle.warranty_end)) : null,
      latest && latest.stored_dtcs.length ? fact(t("vehicles.dtcs"), latest.stored_dtcs.join(" ")) : null)),
    panel(t("vehicle.latest"), tiles.length ? h("div", { class: "tiles", id: "latest-values" }, tiles) : h("p", { class: "empty" }, t("vehicle.no_telemetry"))),
    chartPanel(context, vin, latest),
    panel(t("vehicle.dtc_history"), dtcs),
    staff ? panel(t("vehicle.alerts"), alerts) : null);

  get(`/telemetry/vehicles/${encodeURIComponent(vin)}/dtcs`, { limit: 20 }).then((page) => replace(dtcs, table([
    { title: t("vehicle.dtc_time"), cell: (d) => formatDateTime(d.ts) },
    { title: t("vehicle.dtc_code"), cell: (d) => h("code", {}, d.code) },
    { title: t("vehicle.dtc_kind"), cell: (d) => label("dtc_kind", d.kind) },
    { title: "MIL", cell: (d) => (d.mil ? t("common.yes") : d.mil === false ? t("common.no") : "—") },
  ], page.items, { empty: t("vehicle.no_dtcs") })), (error) => replace(dtcs, errorBox(error)));
  if (staff) {
    get("/alerts", { vin, limit: 20 }).then((page) => replace(alerts, table([
      { title: t("alerts.severity"), cell: (a) => badge("severity", a.severity) },
      { title: t("alerts.alert"), class: "wide", cell: (a) => h("div", {}, h("strong", {}, a.title), h("div", { class: "muted" }, a.reasons.join("; "))) },
      { title: t("alerts.state"), cell: (a) => badge("alert_state", a.state) },
      { title: t("alerts.last_seen"), cell: (a) => formatAgo(a.last_seen) },
    ], page.items, { empty: t("alerts.none") })), (error) => replace(alerts, errorBox(error)));
  }
}
