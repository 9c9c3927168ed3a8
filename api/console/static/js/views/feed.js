// The advisor's live feed: history from GET /feed, then Server-Sent Events from /feed/stream.
// One connection for the whole session, so the nav badge counts events on any page.

import { ApiError, get, post, streamUrl } from "../api.js";
import { badge, busy, errorBox, h, pageHeader, replace, toast } from "../dom.js";
import { formatAgo, formatDate, formatDateTime, label, pick, t } from "../i18n.js";

export const FEED_EVENTS = [
  "alert_opened", "alert_updated", "alert_cleared", "appointment_booked",
  "proposal_created", "proposal_accepted", "proposal_withdrawn", "notification_failed",
  "business_alarm",
];
const ALARM_READERS = ["admin", "manager"]; // who may open a business alarm
const HISTORY = 50; // events loaded when the console opens (and to fill a gap after a drop)
const KEEP = 200; // events kept in memory
const RETRY_MS = [2_000, 5_000, 10_000, 30_000]; // reconnect back-off after the stream closes

const state = {
  events: [], // newest first
  ids: new Set(),
  decided: new Map(), // proposal_id -> "accepted" | "withdrawn"
  status: "idle", // idle | connecting | live | retrying | unavailable
  problem: null,
  unseen: 0,
  source: null,
  retries: 0,
  timer: null,
  listeners: new Set(),
};

/** Redraw the feed and its nav badge. */
export function notify() {
  for (const listener of state.listeners) listener();
  const count = document.getElementById("feed-count");
  if (count) {
    count.hidden = state.unseen === 0;
    count.textContent = String(state.unseen);
  }
}

/** An event as the stream or the history gives it, in one shape: {id, type, data}. */
function normalise(raw, type = null, id = null) {
  const data = raw && typeof raw.data === "object" && raw.data !== null ? { ...raw, ...raw.data } : { ...raw };
  return {
    id: Number(id ?? raw.id ?? data.id),
    type: type || raw.event || raw.kind || raw.type || data.event || "message",
    data,
  };
}

function add(event, { live }) {
  if (!Number.isFinite(event.id) || state.ids.has(event.id)) return false;
  state.ids.add(event.id);
  state.events.push(event);
  state.events.sort((a, b) => b.id - a.id);
  if (state.events.length > KEEP) {
    for (const old of state.events.splice(KEEP)) state.ids.delete(old.id);
  }
  const proposal = event.data.proposal_id;
  if (proposal && event.type === "proposal_accepted") state.decided.set(proposal, "accepted");
  if (proposal && event.type === "proposal_withdrawn") state.decided.set(proposal, "withdrawn");
  if (live) {
    event.fresh = true;
    if (!location.hash.startsWith("#/feed")) state.unseen += 1;
  }
  return true;
}

async function loadHistory() {
  const page = await get("/feed", { limit: HISTORY });
  const items = Array.isArray(page) ? page : page.items || [];
  for (const item of items.slice().reverse()) add(normalise(item), { live: false });
}

function retryLater(source) {
  state.status = "retrying";
  const delay = RETRY_MS[Math.min(state.retries, RETRY_MS.length - 1)];
  state.retries += 1;
  state.timer = setTimeout(() => loadHistory().catch(() => {}).finally(() => state.source === source && connect()), delay);
}

async function connect() {
  clearTimeout(state.timer);
  if (state.source) state.source.close();
  state.status = "connecting";
  const pending = { close() {} }; // stands in for the source while the ticket is fetched
  state.source = pending;
  let address;
  try {
    address = await streamUrl("/feed/stream");
  } catch {
    if (state.source === pending) retryLater(pending);
    notify();
    return;
  }
  if (state.source !== pending) return; // stopped or reconnected meanwhile
  const source = new EventSource(address);
  state.source = source;
  const receive = (message) => {
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return; // a comment or keep-alive the server sent as data
    }
    if (add(normalise(data, message.type === "message" ? null : message.type, message.lastEventId || null), { live: true })) notify();
  };
  for (const type of FEED_EVENTS) source.addEventListener(type, receive);
  source.addEventListener("message", receive);
  source.addEventListener("open", () => {
    state.status = "live";
    state.retries = 0;
    state.problem = null;
    notify();
    // The stream starts after the newest event at connect time: fetch what arrived between
    // the history and the connection (duplicates are dropped by id).
    loadHistory().then(notify, () => {});
  });
  source.addEventListener("error", () => {
    if (source !== state.source) return;
    // A ticket opens one stream: whether the browser would retry or gave up, reopen with a
    // new ticket and fill whatever was missed from the history.
    source.close();
    retryLater(source);
    notify();
  });
  notify();
}

/** Open the feed for the session (history, then the live stream). */
export async function startFeedBadge() {
  if (state.status !== "idle") return;
  state.status = "connecting";
  try {
    await loadHistory();
  } catch (error) {
    state.problem = error;
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      state.status = "unavailable";
      notify();
      return;
    }
  }
  connect();
}

/** Close the stream and forget the events (logout). */
export function stopFeed() {
  clearTimeout(state.timer);
  if (state.source) state.source.close();
  Object.assign(state, { events: [], status: "idle", unseen: 0, source: null, retries: 0, problem: null });
  state.ids.clear();
  state.decided.clear();
}

function statusPill() {
  return h("span", { class: `live-status live-${state.status}`, id: "feed-status" }, h("span", { class: "dot" }), label("feed.status", state.status));
}

function card(event, context) {
  const d = event.data;
  const title = pick(d.title_zh, d.title_en) || label("feed", event.type);
  const decided = d.proposal_id ? state.decided.get(d.proposal_id) : null;
  const actions = [];
  if (event.type === "proposal_created" && d.proposal_id) {
    if (decided) {
      actions.push(badge("proposal", decided));
    } else {
      const accept = h("button", { class: "primary small accept", "data-proposal": d.proposal_id }, t("feed.accept"));
      accept.addEventListener("click", () => busy(accept, async () => {
        await post(`/proactive/proposals/${d.proposal_id}/accept`);
        state.decided.set(d.proposal_id, "accepted");
        toast(t("feed.accepted"), "success");
        notify();
      }));
      actions.push(accept);
    }
  }
  if (d.vin) actions.push(h("a", { class: "button secondary small", href: `#/vehicles/${encodeURIComponent(d.vin)}` }, t("feed.vehicle")));
  if (d.alarm_id && ALARM_READERS.includes(context.user.role)) {
    actions.push(h("a", { class: "button secondary small alarm-link", href: `#/alarms/${d.alarm_id}` }, t("alarms.view")));
  }
  if (d.work_order_id) actions.push(h("a", { class: "button secondary small", href: "#/work-orders" }, t("feed.work_order")));
  return h("article", { class: `feed-card kind-${event.type} ${event.fresh ? "fresh" : ""}`, "data-id": event.id, "data-type": event.type, "data-vin": d.vin || null },
    h("div", { class: "feed-kind" }, badge("feed", event.type), d.severity ? badge("severity", d.severity) : null,
      h("time", { datetime: d.created_at, title: formatDateTime(d.created_at) }, formatAgo(d.created_at))),
    h("h3", {}, title),
    h("p", { class: "feed-facts" },
      [d.plate || d.vin, d.customer_name, d.failure_mode ? label("failure", d.failure_mode) : null,
        d.metric ? label("alarm_metric", d.metric) : null, d.started_on ? t("alarms.since_day", { day: formatDate(d.started_on) }) : null,
        context.storeName(d.store_id)]
        .filter(Boolean).join(" · ")),
    d.starts_at ? h("p", { class: "feed-when" }, t(event.type === "proposal_created" ? "feed.suggested_at" : "feed.starts_at"), " ", h("strong", {}, formatDateTime(d.starts_at))) : null,
    actions.length ? h("div", { class: "feed-actions" }, actions) : null);
}

/** The feed page. */
export async function renderFeed(main, context) {
  state.unseen = 0;
  const list = h("div", { class: "feed-list", id: "feed-list" });
  const header = pageHeader(t("nav.feed"));
  const draw = () => {
    replace(header.querySelector(".actions"), statusPill());
    if (state.status === "unavailable") {
      replace(list, h("div", { class: "notice" }, t("feed.unavailable")), state.problem ? errorBox(state.problem) : null);
      return;
    }
    replace(list, state.events.length ? state.events.map((e) => card(e, context)) : h("p", { class: "empty" }, t("feed.empty")));
    for (const event of state.events) event.fresh = false;
  };
  replace(main, header, h("p", { class: "lead" }, t("feed.intro")), list);
  draw();
  state.listeners.add(draw);
  state.unseen = 0;
  notify();
  return () => state.listeners.delete(draw);
}
