// Appointments: one day of a store, a row per bay or per technician, with the steps each
// appointment may take (confirm, arrived, no-show, cancel).

import { all, get, post } from "../api.js";
import { badge, busy, formDialog, h, pageHeader, panel, replace, toast } from "../dom.js";
import { addDays, formatDateTime, formatTime, label, localDate, localMoment, minutesOfDay, pick, t } from "../i18n.js";
import { fact, loader } from "./common.js";
import { describe, vehicleById } from "./vehicle_cache.js";

const DEFAULT_HOURS = ["08:00", "18:00"]; // when a store has no hours for the day
const HOLDING = ["booked", "confirmed", "arrived"];

function toMinutes(hhmm) {
  const [hh, mm] = hhmm.split(":").map(Number);
  return hh * 60 + mm;
}

/** Step buttons for an appointment, from the appointment state machine. */
export function appointmentActions(context, appointment, after) {
  const steps = context.reference.appointment.transitions.filter(
    (s) => s.from === appointment.status && s.to !== s.from && s.roles.includes(context.user.role),
  );
  return steps.map((step) => {
    const button = h("button", { class: step.to === "cancelled" ? "danger small" : "secondary small", "data-to": step.to }, t(`appointment.to.${step.to}`));
    button.addEventListener("click", () => busy(button, async () => {
      let reason = null;
      if (step.reason) {
        const values = await formDialog(t(`appointment.to.${step.to}`), [{ name: "reason", label: t("common.reason"), type: "textarea", required: true }]);
        if (!values) return;
        reason = values.reason;
      }
      await post(`/service/appointments/${appointment.id}/status`, { to: step.to, reason });
      toast(t("appointment.moved", { state: label("appointment", step.to) }), "success");
      await after();
    }));
    return button;
  });
}

/** The day view of appointments. */
export async function renderAppointments(main, context) {
  const stores = context.stores;
  const state = { store: stores[0] ? stores[0].id : null, day: localDate(), by: "bay", selected: null };
  const grid = h("div", { class: "day-grid-wrap" });
  const detail = h("div", {});
  const storeSelect = h("select", { name: "store", class: "filter" },
    stores.map((s) => h("option", { value: s.id }, pick(s.name_zh, s.name_en))));
  const dayInput = h("input", { type: "date", name: "day", value: state.day, id: "day" });
  const byToggle = h("div", { class: "segmented" });
  const drawToggle = () => replace(byToggle, ["bay", "technician"].map((by) =>
    h("button", { class: state.by === by ? "active" : "", onclick: () => { state.by = by; drawToggle(); load(); } }, t(`appointments.by_${by}`))));
  const shift = (n) => { state.day = addDays(state.day, n); dayInput.value = state.day; load(); };
  storeSelect.addEventListener("change", () => { state.store = Number(storeSelect.value); load(); });
  dayInput.addEventListener("change", () => { if (dayInput.value) { state.day = dayInput.value; load(); } });
  replace(main, pageHeader(t("nav.appointments")),
    h("div", { class: "toolbar" }, storeSelect,
      h("button", { class: "secondary small", onclick: () => shift(-1), "aria-label": t("appointments.previous_day") }, "‹"),
      dayInput,
      h("button", { class: "secondary small", onclick: () => shift(1), "aria-label": t("appointments.next_day") }, "›"),
      h("button", { class: "secondary small", onclick: () => { state.day = localDate(); dayInput.value = state.day; load(); } }, t("appointments.today")),
      byToggle),
    grid, detail);

  const loadDay = loader(grid,
    () => Promise.all([
      all("/service/bays", { store_id: state.store }, 200),
      all("/service/technicians", { store_id: state.store }, 200),
      get(`/service/stores/${state.store}/hours`),
      all("/service/appointments", { store_id: state.store, starts_from: localMoment(state.day), starts_before: localMoment(addDays(state.day, 1)) }, 400),
    ]),
    ([bays, technicians, opening, appointments]) => draw({ bays, technicians, opening, appointments }));
  const load = () => (state.store ? loadDay() : replace(grid, h("p", { class: "empty" }, t("appointments.no_store"))));

  function draw({ bays, technicians, opening, appointments }) {
    const weekday = (new Date(`${state.day}T12:00:00Z`).getUTCDay() + 6) % 7; // 0 = Monday
    const today = opening.week.find((d) => d.weekday === weekday);
    const closed = opening.closed_days.find((d) => d.day === state.day);
    const [opens, closes] = today ? [today.opens.slice(0, 5), today.closes.slice(0, 5)] : DEFAULT_HOURS;
    const start = toMinutes(opens);
    const end = Math.max(toMinutes(closes), ...appointments.map((a) => minutesOfDay(a.ends_at)));
    // The axis runs over whole hours around the opening hours and every appointment.
    const first = Math.floor(Math.min(start, ...appointments.map((a) => minutesOfDay(a.starts_at))) / 60) * 60;
    const hours = Math.max(Math.ceil((end - first) / 60), 1);
    const span = hours * 60;
    const rows = state.by === "bay"
      ? bays.filter((b) => b.active).map((b) => ({ id: b.id, title: b.name, sub: `${b.code} · ${label("bay", b.kind)}`, key: "bay_id" }))
      : technicians.filter((x) => x.active).map((x) => ({ id: x.id, title: x.full_name || `#${x.id}`, sub: x.skills.map((s) => label("skill", s)).join("、"), key: "technician_id" }));
    const hourTrack = () => {
      const track = h("div", { class: "day-track" });
      track.style.backgroundSize = `${100 / hours}% 100%`;
      return track;
    };
    const marks = hourTrack();
    for (let i = 0; i < hours; i += 1) {
      const mark = h("span", { class: "hour-mark" }, `${String(first / 60 + i).padStart(2, "0")}:00`);
      mark.style.left = `${(i / hours) * 100}%`;
      marks.append(mark);
    }
    const hoursRow = h("div", { class: "day-row day-hours" }, h("div", { class: "day-label" }), marks);
    const lines = rows.map((row) => {
      const track = hourTrack();
      for (const a of appointments.filter((x) => x[row.key] === row.id)) {
        const block = h("button", { class: `appt appt-${a.status}`, "data-appointment": a.id, title: `${formatTime(a.starts_at)}–${formatTime(a.ends_at)} ${a.operation_codes.join(" ")}` },
          h("span", { class: "appt-time" }, formatTime(a.starts_at)),
          h("span", { class: "appt-ops" }, a.operation_codes.join(" ")));
        vehicleById(a.vehicle_id).then((v) => v && block.append(h("span", { class: "appt-car" }, v.plate || v.vin)));
        block.style.left = `${((minutesOfDay(a.starts_at) - first) / span) * 100}%`;
        block.style.width = `${Math.max(((minutesOfDay(a.ends_at) - minutesOfDay(a.starts_at)) / span) * 100, 2)}%`;
        block.addEventListener("click", () => { state.selected = a.id; showDetail(a); });
        track.append(block);
      }
      return h("div", { class: "day-row" }, h("div", { class: "day-label" }, h("strong", {}, row.title), h("small", {}, row.sub)), track);
    });
    const held = appointments.filter((a) => HOLDING.includes(a.status)).length;
    replace(grid,
      h("p", { class: "muted" }, closed ? t("appointments.closed", { reason: closed.reason }) : t("appointments.summary", { count: held, opens, closes })),
      h("div", { class: "day-grid", id: "day-grid" }, hoursRow, lines.length ? lines : h("p", { class: "empty" }, t("common.empty"))));
    const selected = appointments.find((a) => a.id === state.selected);
    if (selected) showDetail(selected);
    else replace(detail);
  }

  async function showDetail(a) {
    const vehicle = await vehicleById(a.vehicle_id);
    replace(detail, panel(t("appointments.detail", { id: a.id }),
      h("dl", { class: "facts" },
        fact(t("appointments.when"), `${formatDateTime(a.starts_at)} – ${formatTime(a.ends_at)}`),
        fact(t("appointments.status"), badge("appointment", a.status)),
        fact(t("vehicles.vehicle"), vehicle ? `${describe(vehicle)} · ${vehicle.vin}` : `#${a.vehicle_id}`),
        fact(t("appointments.operations"), a.operation_codes.join(", ")),
        fact(t("appointments.source"), label("source", a.source)),
        a.notes ? fact(t("appointments.notes"), a.notes) : null),
      h("div", { class: "row-actions" }, appointmentActions(context, a, load))));
  }

  drawToggle();
  await load();
}
