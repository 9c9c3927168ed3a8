// My documents (我的单据): the customer's invoices and the estimates sent to them, each opened as
// a printable document with its lines, discounts, tax and total.

import { all, get } from "../api.js";
import { badge, h, pageHeader, panel, replace } from "../dom.js";
import { formatDateTime, formatNumber, formatPercent, label, language, t } from "../i18n.js";
import { describe, vehicleById } from "./vehicle_cache.js";

const MAX_DOCUMENTS = 200;
const LINE_KINDS = { labour: "docs.kind_labour", part: "docs.kind_part" };

/** An amount of yuan with its two decimals, as a receipt shows it. */
function money(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(language(), { style: "currency", currency: "CNY", minimumFractionDigits: 2 })
    .format(Number(value));
}

/** A table cell that names its column, so a phone can show each row as a card. */
function cell(title, content, attrs = {}) {
  return h("td", { "data-label": title, ...attrs }, content);
}

function carText(vehicle) {
  return vehicle ? [describe(vehicle), vehicle.vin].filter(Boolean).join(" · ") : "—";
}

function documentTable(columns, rows, empty, id) {
  if (!rows.length) return h("p", { class: "empty", id: `${id}-empty` }, empty);
  return h("div", { class: "table-wrap" }, h("table", { class: "doc-table", id },
    h("thead", {}, h("tr", {}, columns.map(([title, cls]) => h("th", { class: cls }, title)))),
    h("tbody", {}, rows)));
}

// A store the reader does not know (none of the group's) stays out.
function storeCell(context, storeId, withStore) {
  return withStore ? cell(t("docs.store"), context.storeName(storeId) || "—") : null;
}

function storeFact(context, storeId) {
  const name = context.storeName(storeId);
  return name ? [t("docs.store"), name] : null;
}

function invoiceRow(invoice, workOrder, vehicle, context, withStore) {
  const href = `#/my/documents/invoice/${invoice.id}`;
  return h("tr", { class: "doc-row", "data-invoice": invoice.id, "data-total": invoice.grand_total },
    cell(t("docs.date"), formatDateTime(invoice.issued_at)),
    cell(t("docs.number"), h("a", { class: "doc-open", href }, invoice.number)),
    storeCell(context, invoice.store_id, withStore),
    cell(t("docs.car"), carText(vehicle)),
    cell(t("docs.total"), money(invoice.grand_total), { class: "num doc-total" }),
    cell(t("docs.state"), workOrder ? badge("wo", workOrder.status) : "—"));
}

function estimateRow(workOrder, latest, vehicle, context, withStore) {
  const href = `#/my/documents/estimate/${workOrder.id}`;
  return h("tr", { class: "doc-row", "data-estimate": workOrder.id, "data-total": latest.grand_total },
    cell(t("docs.date"), formatDateTime(latest.created_at)),
    cell(t("docs.number"), h("a", { class: "doc-open", href }, `${workOrder.number} · v${latest.version}`)),
    storeCell(context, workOrder.store_id, withStore),
    cell(t("docs.car"), carText(vehicle)),
    cell(t("docs.total"), money(latest.grand_total), { class: "num doc-total" }),
    cell(t("docs.state"), badge("estimate", latest.status)));
}

function columns(withStore) {
  return [[t("docs.date")], [t("docs.number")], withStore ? [t("docs.store")] : null, [t("docs.car")],
    [t("docs.total"), "num"], [t("docs.state")]].filter(Boolean);
}

/** The list: invoices, then the estimates of jobs not yet invoiced. */
export async function renderMyDocuments(main, context) {
  const [invoices, workOrders] = await Promise.all([
    all("/service/invoices", {}, MAX_DOCUMENTS),
    all("/service/work-orders", {}, MAX_DOCUMENTS),
  ]);
  const jobs = new Map(workOrders.map((wo) => [wo.id, wo]));
  const invoiced = new Set(invoices.map((i) => i.work_order_id));
  const open = workOrders.filter((wo) => !invoiced.has(wo.id) && wo.status !== "cancelled");
  const versions = await Promise.all(open.map((wo) => get(`/service/work-orders/${wo.id}/estimates`)));
  const sent = open.map((wo, i) => [wo, versions[i].at(-1)]).filter(([, latest]) => latest);
  const vehicleOf = (id) => (id ? vehicleById(id) : Promise.resolve(null));
  const [invoiceCars, estimateCars] = await Promise.all([
    Promise.all(invoices.map((i) => vehicleOf(jobs.get(i.work_order_id)?.vehicle_id))),
    Promise.all(sent.map(([wo]) => vehicleOf(wo.vehicle_id))),
  ]);
  const withStore = [...invoices, ...sent.map(([wo]) => wo)].some((d) => context.storeName(d.store_id));
  replace(main, pageHeader(t("nav.my_documents")),
    h("p", { class: "lead" }, t("docs.intro")),
    panel(t("docs.invoices"), documentTable(columns(withStore),
      invoices.map((inv, i) => invoiceRow(inv, jobs.get(inv.work_order_id), invoiceCars[i], context, withStore)),
      t("docs.no_invoices"), "my-invoices")),
    panel(t("docs.estimates"), documentTable(columns(withStore),
      sent.map(([wo, latest], i) => estimateRow(wo, latest, estimateCars[i], context, withStore)),
      t("docs.no_estimates"), "my-estimates")));
}

function lineRows(lines) {
  return lines.map((line) => h("tr", { class: `doc-line line-${line.kind}` },
    cell(t("docs.kind"), t(LINE_KINDS[line.kind] || line.kind)),
    cell(t("docs.item"), line.description, { class: "doc-item" }),
    cell(t("work_order.quantity"), formatNumber(line.quantity, 3), { class: "num" }),
    cell(t("work_order.price"), money(line.unit_price), { class: "num" }),
    cell(t("docs.discount"), Number(line.discount) ? `−${money(line.discount)}` : "—", { class: "num" }),
    cell(t("docs.amount"), money(line.net), { class: "num" })));
}

function sums(doc) {
  const row = (name, value, attrs = {}) => h("div", { class: "doc-sum", ...attrs }, h("dt", {}, name), h("dd", {}, value));
  return h("dl", { class: "doc-sums", id: "doc-sums" },
    row(t("docs.labour_total"), money(doc.labour_total)),
    row(t("docs.parts_total"), money(doc.parts_total)),
    Number(doc.discount_total) ? row(t("docs.discount"), `−${money(doc.discount_total)}`) : null,
    row(t("docs.net_total"), money(doc.net_total)),
    row(t("docs.tax", { rate: formatPercent(doc.tax_rate) }), money(doc.tax_total)),
    row(t("docs.grand_total"), money(doc.grand_total), { class: "doc-sum doc-grand", id: "doc-grand", "data-total": doc.grand_total }));
}

function documentPage(main, { kind, title, facts, doc, note }) {
  const lineColumns = [[t("docs.kind")], [t("docs.item")], [t("work_order.quantity"), "num"],
    [t("work_order.price"), "num"], [t("docs.discount"), "num"], [t("docs.amount"), "num"]];
  replace(main,
    pageHeader(title,
      h("a", { class: "button secondary", href: "#/my/documents", id: "doc-back" }, t("common.back")),
      h("button", { class: "primary", id: "doc-print", onclick: () => window.print() }, t("docs.print"))),
    h("article", { class: `document doc-${kind}`, id: "document" },
      h("header", { class: "doc-head" }, h("strong", { class: "doc-brand" }, "Pitstop 4S"), h("span", {}, title)),
      h("dl", { class: "facts doc-facts" }, facts.filter(Boolean).map(([name, value]) =>
        h("div", { class: "fact" }, h("dt", {}, name), h("dd", {}, value ?? "—")))),
      note,
      documentTable(lineColumns, lineRows(doc.lines), t("docs.no_lines"), "doc-lines"),
      sums(doc)));
}

/** A document the customer may not open (someone else's, or none): say so, show nothing else. */
function notYours(main, error) {
  if (error.status !== 404) throw error;
  replace(main, pageHeader(t("nav.my_documents"), h("a", { class: "button secondary", href: "#/my/documents" }, t("common.back"))),
    h("div", { class: "error-box", role: "alert", "data-code": "not_found", id: "doc-missing" },
      h("strong", {}, t("docs.not_found"))));
}

/** One invoice with its lines. */
export async function renderInvoice(main, context, { id }) {
  let invoice;
  try {
    invoice = await get(`/service/invoices/${encodeURIComponent(id)}`);
  } catch (error) {
    notYours(main, error);
    return;
  }
  const workOrder = await get(`/service/work-orders/${invoice.work_order_id}`).catch(() => null);
  const vehicle = workOrder ? await vehicleById(workOrder.vehicle_id) : null;
  documentPage(main, {
    kind: "invoice",
    title: t("docs.invoice_title", { number: invoice.number }),
    doc: invoice,
    facts: [
      [t("docs.issued"), formatDateTime(invoice.issued_at)],
      storeFact(context, invoice.store_id),
      [t("docs.work_order"), workOrder ? workOrder.number : `#${invoice.work_order_id}`],
      [t("docs.car"), vehicle ? describe(vehicle) : "—"],
      ["VIN", vehicle ? h("span", { class: "vin" }, vehicle.vin) : "—"],
    ],
  });
}

/** The estimate of one of the customer's jobs: its lines now, and the latest version's state. */
export async function renderEstimate(main, context, { id }) {
  let workOrder, estimate, versions;
  try {
    [workOrder, estimate, versions] = await Promise.all([
      get(`/service/work-orders/${encodeURIComponent(id)}`),
      get(`/service/work-orders/${encodeURIComponent(id)}/estimate`),
      get(`/service/work-orders/${encodeURIComponent(id)}/estimates`),
    ]);
  } catch (error) {
    notYours(main, error);
    return;
  }
  const latest = versions.at(-1);
  const vehicle = await vehicleById(workOrder.vehicle_id);
  const changed = latest && Number(latest.grand_total) !== Number(estimate.grand_total);
  documentPage(main, {
    kind: "estimate",
    title: t("docs.estimate_title", { number: workOrder.number }),
    doc: estimate,
    note: changed ? h("p", { class: "notice", id: "doc-changed" }, t("docs.changed", { version: latest.version })) : null,
    facts: [
      [t("docs.date"), latest ? formatDateTime(latest.created_at) : "—"],
      [t("docs.state"), latest ? badge("estimate", latest.status) : label("estimate", "draft")],
      storeFact(context, workOrder.store_id),
      [t("docs.car"), vehicle ? describe(vehicle) : "—"],
      ["VIN", vehicle ? h("span", { class: "vin" }, vehicle.vin) : "—"],
    ],
  });
}
