// One work order: its state, car, times and lines (the page KPI records link to).

import { get } from "../api.js";
import { badge, h, pageHeader, panel, replace, table } from "../dom.js";
import { formatDateTime, formatNumber, label, t } from "../i18n.js";
import { fact } from "./common.js";
import { partCell } from "./parts_cache.js";
import { vehicleCell } from "./vehicle_cache.js";

/** The work-order page. */
export async function renderWorkOrder(main, context, { id }) {
  const wo = await get(`/service/work-orders/${encodeURIComponent(id)}`);
  replace(main,
    pageHeader(`${t("work_order.title")} ${wo.number}`, h("a", { class: "button secondary", href: "#/work-orders" }, t("nav.work_orders"))),
    panel(null, h("dl", { class: "facts", id: "work-order", "data-work-order": wo.id },
      fact(t("appointments.status"), badge("wo", wo.status)),
      fact(t("vehicles.vehicle"), vehicleCell(null, context, wo.vehicle_id)),
      fact(t("vehicles.store"), context.storeName(wo.store_id) || `#${wo.store_id}`),
      fact(t("appointments.source"), label("wo_source", wo.source)),
      fact(t("work_order.checked_in"), formatDateTime(wo.checked_in_at)),
      fact(t("work_order.delivered"), formatDateTime(wo.delivered_at)),
      wo.odometer_km === null ? null : fact(t("vehicles.odometer"), `${formatNumber(wo.odometer_km, 0)} km`),
      wo.outcome ? fact(t("work_orders.outcome"), [label("outcome", wo.outcome), wo.outcome_code ? ` · ${wo.outcome_code}` : ""]) : null,
      wo.complaint ? fact(t("work_orders.complaint"), wo.complaint, { class: "fact full" }) : null)),
    panel(t("work_order.labour"), table([
      { title: t("work_order.operation"), class: "wide", cell: (l) => l.description },
      { title: t("work_order.hours"), class: "num", cell: (l) => formatNumber(l.hours, 2) },
      { title: t("work_order.rate"), class: "num", cell: (l) => formatNumber(l.rate, 0) },
    ], wo.labour)),
    panel(t("work_order.parts"), table([
      { title: t("parts.part"), class: "wide", cell: (p) => partCell(p.part_id) },
      { title: t("work_order.quantity"), class: "num", cell: (p) => formatNumber(p.quantity, 2) },
      { title: t("work_order.price"), class: "num", cell: (p) => formatNumber(p.unit_price, 2) },
      { title: t("parts.state"), cell: (p) => label("part_line", p.status) },
    ], wo.parts)));
}
