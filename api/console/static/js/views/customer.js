// The customer's own pages: my vehicles, my appointments (confirm, reschedule), my messages
// (with the Web Push switch).

import { all, get, post } from "../api.js";
import { badge, busy, errorBox, h, loading, pageHeader, replace, toast } from "../dom.js";
import { addDays, formatAgo, formatDateTime, formatNumber, formatTime, label, localDate, localMoment, t } from "../i18n.js";
import { fact, loader, pager } from "./common.js";
import { pushSwitch } from "./push.js";
import { describe, vehicleById } from "./vehicle_cache.js";

const SLOT_DAYS = 7; // a reschedule looks this many days from the chosen date
const SLOTS = 12;
const PAGE = 20;

async function latestOf(vin) {
  return get(`/telemetry/vehicles/${encodeURIComponent(vin)}/latest`).catch(() => null);
}

/** The car's health in plain words: open alerts explained, stored codes, when it last reported. */
function health(latest, alerts) {
  const lines = [];
  for (const alert of alerts) {
    lines.push(h("li", { class: "health-alert" }, h("strong", {}, alert.title), " ", alert.action_text || "",
      alert.reasons.length ? h("span", { class: "muted" }, ` (${alert.reasons.join("; ")})`) : null));
  }
  const codes = latest ? [...latest.stored_dtcs, ...latest.pending_dtcs] : [];
  if (codes.length) lines.push(h("li", { class: "health-codes" }, t("health.codes", { codes: codes.join(" ") })));
  const state = !latest ? "unknown" : lines.length ? "attention" : "good";
  if (state === "good") lines.push(h("li", {}, t("health.good")));
  if (state === "unknown") lines.push(h("li", {}, t("health.not_connected")));
  return h("div", { class: `health health-${state}`, "data-health": state },
    h("ul", {}, lines),
    h("div", { class: "muted" }, latest ? t("health.last_reported", { ago: formatAgo(latest.last_seen) }) : null));
}

/** My vehicles, each with its health and a way to book a visit. */
export async function renderMyVehicles(main, context) {
  const vehicles = await all("/crm/vehicles", {}, 50);
  const owners = [...new Set(vehicles.map((v) => v.owner_id))];
  const [latest, overviews] = await Promise.all([
    Promise.all(vehicles.map((v) => latestOf(v.vin))),
    Promise.all(owners.map((id) => get(`/crm/customers/${id}/360`).catch(() => null))),
  ]);
  const alerts = overviews.flatMap((o) => (o ? o.open_alerts : []));
  const cards = vehicles.map((v, i) => h("article", { class: "vehicle-card", "data-vin": v.vin },
    h("a", { class: "vehicle-open", href: `#/vehicles/${encodeURIComponent(v.vin)}` },
      h("div", { class: "vehicle-card-head" }, h("strong", {}, v.plate || v.vin), v.online === null ? null : badge("online", String(v.online))),
      h("div", {}, `${v.make} ${v.model} · ${v.year}`)),
    health(latest[i], alerts.filter((a) => a.vin === v.vin)),
    h("dl", { class: "facts compact" },
      fact("VIN", h("span", { class: "vin" }, v.vin), { class: "fact full" }),
      fact(t("vehicles.odometer"), v.odometer_km === null ? "—" : `${formatNumber(v.odometer_km, 0)} km`),
      context.storeName(v.store_id) ? fact(t("vehicles.store"), context.storeName(v.store_id)) : null),
    h("div", { class: "row-actions" },
      h("a", { class: "button small", href: "#/my/book" }, t("nav.my_book")),
      h("a", { class: "button secondary small", href: `#/vehicles/${encodeURIComponent(v.vin)}` }, t("health.details")))));
  replace(main, pageHeader(t("nav.my_vehicles"), h("a", { class: "button", href: "#/my/book", id: "book-link" }, t("nav.my_book"))),
    vehicles.length ? h("div", { class: "card-grid", id: "my-vehicles" }, cards) : h("p", { class: "empty" }, t("my.no_vehicles")));
}

function reschedulePanel(appointment, after) {
  const day = h("input", { type: "date", name: "day", value: addDays(localDate(), 1), min: localDate() });
  const slots = h("div", { class: "slots" });
  const find = h("button", { class: "secondary small" }, t("my.find_times"));
  find.addEventListener("click", () => busy(find, async () => {
    replace(slots, loading());
    const answer = await post("/service/slots/search", {
      store_id: appointment.store_id,
      operations: appointment.operation_codes,
      earliest: localMoment(day.value, "00:00"),
      latest: localMoment(addDays(day.value, SLOT_DAYS), "00:00"),
      limit: SLOTS,
    }).catch((error) => {
      replace(slots, errorBox(error));
      throw error;
    });
    replace(slots, answer.slots.length ? answer.slots.map((slot) => {
      const pick = h("button", { class: "slot", "data-starts": slot.starts_at }, formatDateTime(slot.starts_at), "–", formatTime(slot.ends_at));
      pick.addEventListener("click", () => busy(pick, async () => {
        await post(`/service/appointments/${appointment.id}/reschedule`, {
          starts_at: slot.starts_at, technician_id: slot.technician_id, bay_id: slot.bay_id, reason: t("my.reschedule_reason"),
        });
        toast(t("my.rescheduled", { when: formatDateTime(slot.starts_at) }), "success");
        await after();
      }));
      return pick;
    }) : h("p", { class: "empty" }, t("my.no_slots")));
  }));
  return h("div", { class: "reschedule" }, h("label", { class: "field inline" }, h("span", {}, t("my.from_day")), day), find, slots);
}

/** My appointments: upcoming first, with confirm, reschedule and cancel. */
export async function renderMyAppointments(main) {
  const list = h("div", { class: "appointment-list", id: "my-appointments" });
  replace(main, pageHeader(t("nav.my_appointments"), h("a", { class: "button", href: "#/my/book" }, t("nav.my_book"))), list);
  const load = loader(list, async () => {
    const items = await all("/service/appointments", { starts_from: new Date(Date.now() - 30 * 86_400_000).toISOString() }, 100);
    return Promise.all(items.map(async (a) => {
      const vehicle = await vehicleById(a.vehicle_id);
      const actions = h("div", { class: "row-actions" });
      const extra = h("div", {});
      if (a.status === "booked") {
        const confirm = h("button", { class: "primary small confirm" }, t("appointment.to.confirmed"));
        confirm.addEventListener("click", () => busy(confirm, async () => {
          await post(`/service/appointments/${a.id}/status`, { to: "confirmed" });
          toast(t("my.confirmed"), "success");
          await load();
        }));
        actions.append(confirm);
      }
      if (["booked", "confirmed"].includes(a.status)) {
        const move = h("button", { class: "secondary small reschedule-open" }, t("my.reschedule"));
        move.addEventListener("click", () => replace(extra, reschedulePanel(a, load)));
        actions.append(move);
      }
      return h("article", { class: `appointment-card appt-${a.status}`, "data-appointment": a.id },
        h("div", { class: "appointment-when" }, h("strong", {}, formatDateTime(a.starts_at)), badge("appointment", a.status)),
        h("div", {}, vehicle ? describe(vehicle) : `#${a.vehicle_id}`),
        h("div", { class: "muted" }, a.operation_codes.join(" · ")),
        actions, extra);
    }));
  }, (cards) => replace(list, cards.length ? cards : h("p", { class: "empty" }, t("my.no_appointments"))));
  await load();
}

function linkButton(name, href, after) {
  const text = label("link", name);
  if (name === "reschedule") return h("a", { class: "button secondary small", href: "#/my/appointments" }, text);
  let target;
  try {
    target = new URL(href, location.href);
  } catch {
    return null;
  }
  if (target.origin !== location.origin) {
    return h("a", { class: "button secondary small", href: target.href, target: "_blank", rel: "noopener" }, text);
  }
  // A link to this server (confirm): follow it here and say what happened.
  const button = h("button", { class: "primary small", "data-link": name }, text);
  button.addEventListener("click", () => busy(button, async () => {
    await get(target.pathname, Object.fromEntries(target.searchParams));
    toast(t(name === "confirm" ? "my.confirmed" : "my.done"), "success");
    await after();
  }));
  return button;
}

/** My messages (in-app notifications), newest first, with their links; mark them read. */
export async function renderMyNotifications(main) {
  const list = h("div", { class: "notification-list", id: "my-notifications" });
  const readAll = h("button", { class: "secondary", id: "read-all" }, t("my.mark_all_read"));
  replace(main, pageHeader(t("nav.my_notifications"), readAll), pushSwitch(), list);
  let offset = 0;
  readAll.addEventListener("click", () => busy(readAll, async () => {
    await post("/notifications/inbox/read-all");
    await load(offset);
  }));
  const load = loader(list, (at = 0) => {
    offset = at;
    return get("/notifications/inbox", { limit: PAGE, offset });
  }, (page) => {
    const items = page.items.map((n) => {
      const read = h("button", { class: "secondary small mark-read" }, t("my.mark_read"));
      read.addEventListener("click", () => busy(read, async () => {
        await post(`/notifications/inbox/${n.id}/read`);
        await load(offset);
      }));
      const links = Object.entries(n.links || {}).map(([name, href]) => linkButton(name, href, () => load(offset)));
      return h("article", { class: `notification ${n.read_at ? "read" : "unread"} ${n.urgent ? "urgent" : ""}`, "data-notification": n.id },
        h("div", { class: "notification-head" }, h("strong", {}, n.title), h("time", { datetime: n.created_at, title: formatDateTime(n.created_at) }, formatAgo(n.created_at))),
        h("p", { class: "notification-body" }, n.body_text),
        h("div", { class: "row-actions" }, links, n.read_at ? null : read));
    });
    readAll.hidden = !page.items.some((n) => !n.read_at);
    replace(list, items.length ? items : h("p", { class: "empty" }, t("my.no_notifications")), pager(page, load));
  });
  await load();
}
