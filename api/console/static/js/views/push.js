// The Web Push switch: the customer's messages also arrive on this browser as notifications.

import { get, post, request } from "../api.js";
import { h, replace } from "../dom.js";
import { t } from "../i18n.js";

const WORKER = "sw.js"; // served at /console/sw.js, so its scope (its folder) is the console
// A browser cut off from its push service may never answer subscribe(); give up after this.
const SUBSCRIBE_TIMEOUT_MS = 20_000;
// Which states let the customer flip the switch.
const SWITCHABLE = new Set(["on", "off", "failed"]);

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function unsupported() {
  if (!window.isSecureContext) return "insecure";
  const ready = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  return ready ? null : "unsupported";
}

async function browserSubscription() {
  const registration = await navigator.serviceWorker.getRegistration();
  return registration ? registration.pushManager.getSubscription() : null;
}

async function storedRow(endpoint) {
  const rows = await get("/notifications/push/subscriptions");
  return rows.find((row) => row.endpoint === endpoint) || null;
}

async function publicKey() {
  try {
    return (await get("/notifications/push/public-key")).public_key;
  } catch (error) {
    if (error.status === 503) return null;
    throw error;
  }
}

/** Where push stands for this browser and customer: {state, detail}. */
async function currentState() {
  const missing = unsupported();
  if (missing) return { state: missing };
  if (Notification.permission === "denied") return { state: "blocked" };
  if (!(await publicKey())) return { state: "unavailable" };
  const subscription = await browserSubscription();
  return { state: subscription && (await storedRow(subscription.endpoint)) ? "on" : "off" };
}

function timeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(t("push.no_answer"))), ms))]);
}

async function subscribe(registration, key) {
  const options = { userVisibleOnly: true, applicationServerKey: keyBytes(key) };
  try {
    return await timeout(registration.pushManager.subscribe(options), SUBSCRIBE_TIMEOUT_MS);
  } catch (error) {
    // A subscription made with an older key blocks a new one: drop it and try once more.
    const old = error.name === "InvalidStateError" ? await registration.pushManager.getSubscription() : null;
    if (!old) throw error;
    await old.unsubscribe();
    return timeout(registration.pushManager.subscribe(options), SUBSCRIBE_TIMEOUT_MS);
  }
}

async function switchOn() {
  const key = await publicKey();
  if (!key) return { state: "unavailable" };
  const registration = await navigator.serviceWorker.register(WORKER);
  await navigator.serviceWorker.ready;
  const permission = await Notification.requestPermission();
  if (permission === "denied") return { state: "blocked" };
  if (permission !== "granted") return { state: "off", detail: t("push.not_allowed") };
  let subscription;
  try {
    subscription = await subscribe(registration, key);
  } catch (error) {
    return { state: "failed", detail: `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` };
  }
  const { endpoint, keys } = subscription.toJSON();
  try {
    await post("/notifications/push/subscriptions", { endpoint, keys, user_agent: navigator.userAgent.slice(0, 300) });
  } catch (error) {
    await subscription.unsubscribe().catch(() => {});
    return { state: "failed", detail: error.message };
  }
  return { state: "on" };
}

async function switchOff() {
  const subscription = await browserSubscription();
  if (subscription) {
    const row = await storedRow(subscription.endpoint);
    if (row) await request(`/notifications/push/subscriptions/${row.id}`, { method: "DELETE" });
    await subscription.unsubscribe();
  }
  return { state: "off" };
}

/** The switch with its state in plain words. */
export function pushSwitch() {
  const toggle = h("input", { type: "checkbox", role: "switch", id: "push-switch", disabled: true });
  const status = h("p", { class: "push-state", id: "push-state", "data-state": "checking" }, t("push.checking"));
  const detail = h("p", { class: "muted push-detail", id: "push-detail", hidden: true });
  const show = ({ state, detail: why }) => {
    toggle.checked = state === "on";
    toggle.disabled = !SWITCHABLE.has(state);
    status.dataset.state = state;
    status.className = `push-state push-${state}`;
    replace(status, t(`push.${state}`));
    detail.hidden = !why;
    replace(detail, why || "");
  };
  const act = async (step) => {
    toggle.disabled = true;
    replace(status, t("push.working"));
    try {
      show(await step());
    } catch (error) {
      show({ state: "failed", detail: error.message || String(error) });
    }
  };
  toggle.addEventListener("change", () => act(toggle.checked ? switchOn : switchOff));
  act(currentState);
  return h("section", { class: "panel push-panel", id: "push-panel" },
    h("h2", {}, t("push.title")),
    h("label", { class: "push-toggle" }, toggle, h("span", {}, t("push.label"))),
    status, detail);
}
