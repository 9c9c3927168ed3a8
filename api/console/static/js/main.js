// The console shell: login, the header and navigation for the user's role, and hash routes.

import { currentSession, get, logout, onSession } from "./api.js";
import { h, loading, errorBox, replace } from "./dom.js";
import { addLabels, language, label, onLanguage, pick, setLanguage, setTimeZone, t } from "./i18n.js";
import { renderLogin } from "./views/login.js";
import { notify as showFeedCount, renderFeed, stopFeed, startFeedBadge } from "./views/feed.js";
import { renderAlerts } from "./views/alerts.js";
import { renderVehicles, renderVehicle } from "./views/vehicles.js";
import { renderAppointments } from "./views/appointments.js";
import { renderWorkOrders } from "./views/workorders.js";
import { renderMyAppointments, renderMyNotifications, renderMyVehicles } from "./views/customer.js";
import { renderSalesBoard } from "./views/manager.js";
import { renderSales } from "./views/sales.js";
import { renderKpis } from "./views/kpis.js";
import { renderKpiDetail } from "./views/kpi_detail.js";
import { renderWorkOrder } from "./views/work_order.js";
import { renderBooking } from "./views/booking.js";
import { renderEstimate, renderInvoice, renderMyDocuments } from "./views/documents.js";
import { renderParts } from "./views/parts.js";
import { renderForecasts } from "./views/forecasts.js";
import { renderAlarms } from "./views/alarms.js";
import { renderAccount } from "./views/account.js";

const DESK = ["admin", "manager", "service_advisor"];
const PARTS = ["admin", "manager", "parts_clerk", "service_advisor"];
const STAFF = ["admin", "manager", "service_advisor", "technician", "parts_clerk", "sales_consultant"];

// path, nav text key, roles that see it, view; a ":param" segment is passed to the view.
const ROUTES = [
  { path: "kpis", nav: "nav.kpis", roles: ["admin", "manager"], view: renderKpis },
  { path: "kpis/:code", roles: ["admin", "manager"], view: renderKpiDetail },
  { path: "alarms", nav: "nav.alarms", roles: ["admin", "manager"], view: renderAlarms },
  { path: "alarms/:id", roles: ["admin", "manager"], view: renderAlarms },
  { path: "forecasts", nav: "nav.forecasts", roles: ["admin", "manager", "sales_consultant"], view: renderForecasts },
  { path: "feed", nav: "nav.feed", roles: DESK, view: renderFeed },
  { path: "alerts", nav: "nav.alerts", roles: STAFF, view: renderAlerts },
  { path: "vehicles", nav: "nav.vehicles", roles: STAFF, view: renderVehicles },
  { path: "vehicles/:vin", roles: [...STAFF, "customer"], view: renderVehicle },
  { path: "appointments", nav: "nav.appointments", roles: [...DESK, "technician"], view: renderAppointments },
  { path: "work-orders", nav: "nav.work_orders", roles: [...DESK, "technician", "parts_clerk"], view: renderWorkOrders },
  { path: "work-orders/:id", roles: [...DESK, "technician", "parts_clerk"], view: renderWorkOrder },
  { path: "sales", nav: "nav.sales_pipeline", roles: ["admin", "manager", "sales_consultant"], view: renderSales },
  { path: "sales-board", nav: "nav.sales_board", roles: ["admin", "manager", "sales_consultant"], view: renderSalesBoard },
  { path: "parts", nav: "nav.parts", roles: PARTS, view: renderParts },
  { path: "parts/:tab", roles: PARTS, view: renderParts },
  { path: "account", roles: STAFF, view: renderAccount },
  { path: "my/vehicles", nav: "nav.my_vehicles", roles: ["customer"], view: renderMyVehicles },
  { path: "my/book", nav: "nav.my_book", roles: ["customer"], view: renderBooking },
  { path: "my/appointments", nav: "nav.my_appointments", roles: ["customer"], view: renderMyAppointments },
  { path: "my/notifications", nav: "nav.my_notifications", roles: ["customer"], view: renderMyNotifications },
  { path: "my/documents", nav: "nav.my_documents", roles: ["customer"], view: renderMyDocuments },
  { path: "my/documents/invoice/:id", roles: ["customer"], view: renderInvoice },
  { path: "my/documents/estimate/:id", roles: ["customer"], view: renderEstimate },
];

const root = document.getElementById("app");
let context = null; // {user, stores, reference, storeName}
let cleanup = null;
let routing = 0; // the newest route() call; an older one that is still loading stops drawing

function match(hash, role) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  for (const route of ROUTES) {
    if (!route.roles.includes(role)) continue;
    const pattern = route.path.split("/");
    if (pattern.length !== parts.length) continue;
    const params = {};
    if (pattern.every((p, i) => (p.startsWith(":") ? (params[p.slice(1)] = decodeURIComponent(parts[i])) : p === parts[i]))) {
      return { route, params };
    }
  }
  return null;
}

// Where a role lands when it signs in, when not on its first page.
const HOMES = { parts_clerk: "parts", sales_consultant: "sales" };

function homeOf(role) {
  return "#/" + (HOMES[role] || ROUTES.find((r) => r.nav && r.roles.includes(role)).path);
}

async function loadContext() {
  const [user, stores, reference] = await Promise.all([
    get("/auth/me"),
    get("/auth/stores"),
    fetch("reference.json").then((r) => r.json()),
  ]);
  if (stores.length) setTimeZone(stores[0].timezone);
  addLabels("failure", reference.failure_modes);
  return { user, stores, reference, storeName: (id) => storeName(stores, id) };
}

function storeName(stores, id) {
  const store = stores.find((s) => s.id === id);
  return store ? pick(store.name_zh, store.name_en) : null;
}

function languageToggle() {
  const next = language() === "en" ? "zh-CN" : "en";
  return h("button", { class: "lang-toggle", id: "lang-toggle", title: t("shell.language"), onclick: () => setLanguage(next) },
    next === "en" ? "EN" : "中文");
}

// Staff open My account from their name; a customer's account is not theirs to change here.
function userBadge(user) {
  const text = [user.full_name, " · ", label("role", user.role)];
  if (!STAFF.includes(user.role)) return h("span", { class: "user", id: "current-user" }, text);
  const here = location.hash === "#/account";
  return h("a", { class: "user", id: "current-user", href: "#/account", title: t("account.open"),
    "aria-current": here ? "page" : null }, text);
}

function shell(main) {
  const { user, stores } = context;
  const nav = h("nav", { class: "nav", "aria-label": t("shell.navigation") },
    ROUTES.filter((r) => r.nav && r.roles.includes(user.role)).map((r) =>
      h("a", { href: `#/${r.path}`, class: "nav-link", "data-route": r.path, id: `nav-${r.path.replace("/", "-")}` },
        t(r.nav), r.path === "feed" ? h("span", { class: "nav-count", id: "feed-count", hidden: true }) : null)));
  const storeText = user.role === "customer" ? "" : stores.map((s) => pick(s.name_zh, s.name_en)).join(" · ");
  const header = h("header", { class: "topbar" },
    h("a", { class: "brand", href: homeOf(user.role) }, h("img", { src: "favicon.svg", alt: "", width: 28, height: 28 }),
      h("span", {}, "Pitstop"), h("small", {}, t("shell.product"))),
    h("div", { class: "who" },
      h("span", { class: "stores" }, storeText),
      userBadge(user),
      languageToggle(),
      h("button", { class: "secondary small", id: "logout", onclick: () => logout() }, t("shell.logout"))));
  return h("div", { class: "shell" }, header, h("div", { class: "body" }, nav, main));
}

async function route() {
  const turn = ++routing;
  const overtaken = () => turn !== routing;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  if (!currentSession()) {
    context = null;
    stopFeed();
    replace(root, renderLogin(route));
    return;
  }
  if (!context) {
    replace(root, loading());
    let loaded;
    try {
      loaded = await loadContext();
    } catch (error) {
      if (!overtaken()) replace(root, h("div", { class: "center" }, errorBox(error)));
      return;
    }
    if (overtaken()) return;
    context = loaded;
    if (DESK.includes(context.user.role)) startFeedBadge(context);
  }
  const found = match(location.hash, context.user.role);
  if (!found) {
    location.replace(homeOf(context.user.role));
    return;
  }
  const main = h("main", { class: "main", id: "main" });
  replace(root, shell(main));
  showFeedCount();
  for (const link of root.querySelectorAll(".nav-link")) {
    const active = location.hash.replace(/^#\//, "").startsWith(link.dataset.route);
    link.classList.toggle("active", active);
    if (active) link.setAttribute("aria-current", "page");
  }
  main.append(loading());
  try {
    const stop = await found.route.view(main, context, found.params);
    if (overtaken()) stop?.();
    else cleanup = stop || null;
  } catch (error) {
    replace(main, errorBox(error));
  }
}

window.addEventListener("hashchange", route);
onLanguage(route);
onSession((session) => {
  if (!session) {
    context = null;
    route();
  }
});
// Tests and curious users can see the state of the console here.
window.pitstop = { get context() { return context; }, route };
route();
