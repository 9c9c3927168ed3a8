// Online booking (在线预约) for customers: the car, a service from the catalogue, a real free
// time (a technician with the service's skill and a bay are free then), and the booking.

import { all, post } from "../api.js";
import { busy, errorBox, h, loading, pageHeader, panel, replace, toast } from "../dom.js";
import { addDays, formatDateTime, formatNumber, formatTime, label, localDate, localMoment, pick, t } from "../i18n.js";
import { describe } from "./vehicle_cache.js";

const SEARCH_DAYS = 7;
const SLOTS = 12;

/** The booking page. */
export async function renderBooking(main) {
  const [vehicles, operations] = await Promise.all([
    all("/crm/vehicles", {}, 50),
    all("/service/operations", {}, 200),
  ]);
  const offered = operations.filter((o) => o.active);
  const chosen = { slot: null, skills: [] };
  const car = h("select", { name: "vehicle", id: "book-vehicle", required: true },
    vehicles.map((v) => h("option", { value: v.id }, `${describe(v) || v.vin} · ${v.vin}`)));
  const service = h("select", { name: "operation", id: "book-operation", required: true },
    offered.map((o) => h("option", { value: o.code }, `${pick(o.name_zh, o.name_en)} · ${t("book.hours", { hours: formatNumber(o.flat_rate_hours, 1) })}`)));
  const day = h("input", { type: "date", name: "day", id: "book-day", value: addDays(localDate(), 1), min: localDate() });
  const notes = h("textarea", { name: "notes", id: "book-notes", rows: 2, maxlength: 2000 });
  const slots = h("div", { class: "slots", id: "book-slots" });
  const summary = h("p", { class: "muted", id: "book-summary" });
  const find = h("button", { type: "button", class: "secondary", id: "book-find" }, t("my.find_times"));
  const book = h("button", { type: "button", class: "primary", id: "book-submit", disabled: true }, t("book.submit"));
  const problem = h("div", {});
  const vehicle = () => vehicles.find((v) => String(v.id) === car.value);

  const forget = () => { chosen.slot = null; book.disabled = true; replace(slots); replace(summary); };
  car.addEventListener("change", forget);
  service.addEventListener("change", forget);
  day.addEventListener("change", forget);

  find.addEventListener("click", () => busy(find, async () => {
    forget();
    replace(problem);
    replace(slots, loading());
    let answer;
    try {
      answer = await post("/service/slots/search", {
        store_id: vehicle().store_id, operations: [service.value],
        earliest: localMoment(day.value, "00:00"), latest: localMoment(addDays(day.value, SEARCH_DAYS), "00:00"), limit: SLOTS,
      });
    } catch (error) {
      replace(slots, errorBox(error));
      return;
    }
    chosen.skills = answer.skills;
    summary.textContent = t("book.skilled", {
      skills: answer.skills.map((s) => label("skill", s)).join("、") || "—", minutes: answer.duration_minutes,
    }) + (answer.parts_ready_at ? ` ${t("book.parts_ready", { when: formatDateTime(answer.parts_ready_at) })}` : "");
    replace(slots, answer.slots.length ? answer.slots.map((slot) => {
      const button = h("button", { type: "button", class: "slot", "data-starts": slot.starts_at },
        formatDateTime(slot.starts_at), "–", formatTime(slot.ends_at));
      button.addEventListener("click", () => {
        chosen.slot = slot;
        for (const other of slots.querySelectorAll(".slot")) other.classList.toggle("chosen", other === button);
        book.disabled = false;
      });
      return button;
    }) : h("p", { class: "empty" }, t("my.no_slots")));
  }));

  book.addEventListener("click", () => busy(book, async () => {
    const v = vehicle();
    try {
      const booked = await post("/service/appointments", {
        store_id: v.store_id, customer_id: v.owner_id, vehicle_id: v.id, operations: [service.value],
        starts_at: chosen.slot.starts_at, technician_id: chosen.slot.technician_id, bay_id: chosen.slot.bay_id,
        notes: notes.value.trim() || null,
      });
      toast(t("book.done", { when: formatDateTime(booked.starts_at) }), "success");
      location.hash = "#/my/appointments";
    } catch (error) {
      replace(problem, errorBox(error));
    }
  }));

  if (!vehicles.length) {
    replace(main, pageHeader(t("nav.my_book")), h("p", { class: "empty" }, t("my.no_vehicles")));
    return;
  }
  replace(main, pageHeader(t("nav.my_book")),
    h("p", { class: "lead" }, t("book.intro")),
    panel(null, h("form", { class: "book-form", id: "book-form", onsubmit: (e) => e.preventDefault() },
      h("label", { class: "field" }, h("span", {}, t("book.vehicle")), car),
      h("label", { class: "field" }, h("span", {}, t("book.service")), service),
      h("label", { class: "field" }, h("span", {}, t("my.from_day")), day),
      h("div", { class: "book-find" }, find)),
    summary, slots,
    h("label", { class: "field" }, h("span", {}, t("book.notes")), notes),
    problem,
    h("div", { class: "row-actions" }, book)));
}
