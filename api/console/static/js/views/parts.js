// The parts desk: tabs for stock by warehouse, reservations, expiring lots, the reorder
// proposal and purchase orders (the last two for parts clerks and managers).

import { h, pageHeader, replace } from "../dom.js";
import { t } from "../i18n.js";
import { renderPartsStock } from "./parts_stock.js";
import { renderLots, renderReservations } from "./parts_lots.js";
import { renderPurchaseOrders, renderReorder } from "./parts_orders.js";

const BUYERS = ["admin", "manager", "parts_clerk"];
const TABS = [
  { name: "stock", view: renderPartsStock },
  { name: "reservations", view: renderReservations },
  { name: "lots", view: renderLots },
  { name: "reorder", view: renderReorder, roles: BUYERS },
  { name: "orders", view: renderPurchaseOrders, roles: BUYERS },
];

/** The parts page; params.tab picks the tab. */
export async function renderParts(main, context, params = {}) {
  const tabs = TABS.filter((tab) => !tab.roles || tab.roles.includes(context.user.role));
  const current = tabs.find((tab) => tab.name === params.tab) || tabs[0];
  const body = h("div", { class: "page-body", id: `parts-${current.name}` });
  replace(main, pageHeader(t("nav.parts")),
    h("nav", { class: "tabs", "aria-label": t("nav.parts") }, tabs.map((tab) =>
      h("a", { href: `#/parts/${tab.name}`, class: tab === current ? "tab active" : "tab", id: `tab-${tab.name}`,
        "aria-current": tab === current ? "page" : null }, t(`parts_tab.${tab.name}`)))),
    body);
  await current.view(body, context);
}
