// The console's language (zh-CN by default, en), its texts, and locale-aware formatting.
// Texts the server renders (alert titles, reasons, error messages) follow Accept-Language.

import { TEXTS as BASE } from "./texts.js";
import { MANAGER_TEXTS } from "./texts_manager.js";
import { SERVICE_TEXTS } from "./texts_service.js";
import { FORECAST_TEXTS } from "./texts_forecast.js";
import { DOCUMENT_TEXTS } from "./texts_documents.js";
import { ACCOUNT_TEXTS } from "./texts_account.js";

const TEXTS = { ...BASE, ...MANAGER_TEXTS, ...SERVICE_TEXTS, ...FORECAST_TEXTS, ...DOCUMENT_TEXTS, ...ACCOUNT_TEXTS };

const STORAGE_KEY = "pitstop.language";
export const LANGUAGES = ["zh-CN", "en"];
const DEFAULT_LANGUAGE = "zh-CN";
// Dealers are in China; a store's own zone replaces this once the stores are known.
let timeZone = "Asia/Shanghai";
let current = LANGUAGES.includes(localStorage.getItem(STORAGE_KEY))
  ? localStorage.getItem(STORAGE_KEY)
  : DEFAULT_LANGUAGE;
const listeners = new Set();

export function language() {
  return current;
}

export function setLanguage(next) {
  if (!LANGUAGES.includes(next) || next === current) return;
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  for (const listener of listeners) listener(next);
}

export function onLanguage(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setTimeZone(zone) {
  if (zone) timeZone = zone;
}

/** The text for key in the current language, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const entry = TEXTS[key];
  const text = entry ? entry[current === "en" ? 1 : 0] : key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

const extraLabels = {};

/** Add labels the server provides: addLabels("failure", {battery: {zh, en}}). */
export function addLabels(group, labels) {
  for (const [code, names] of Object.entries(labels)) extraLabels[`${group}.${code}`] = [names.zh, names.en];
}

/** A label for a code in a group (states, severities...), falling back to the raw code. */
export function label(group, code) {
  const key = `${group}.${code}`;
  if (key in extraLabels) return extraLabels[key][current === "en" ? 1 : 0];
  return key in TEXTS ? t(key) : String(code ?? "—");
}

/** Pick the zh or en variant of a pair of fields (name_zh/name_en, title_zh/title_en). */
export function pick(zh, en) {
  return current === "en" ? en || zh : zh || en;
}

function formatter(options) {
  return new Intl.DateTimeFormat(current, { timeZone, hour12: false, ...options });
}

export function formatDateTime(value) {
  if (!value) return "—";
  return formatter({ year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).format(new Date(value));
}

export function formatTime(value) {
  if (!value) return "—";
  return formatter({ hour: "2-digit", minute: "2-digit" }).format(new Date(value));
}

export function formatDate(value) {
  if (!value) return "—";
  return formatter({ year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" }).format(new Date(value));
}

export function formatShortDate(value) {
  if (!value) return "—";
  return formatter({ month: "numeric", day: "numeric" }).format(new Date(value));
}

export function formatMonth(value) {
  if (!value) return "—";
  return formatter({ year: "numeric", month: "long" }).format(new Date(value));
}

/** "3 min ago" style text for a past moment. */
export function formatAgo(value) {
  if (!value) return t("common.never");
  const seconds = Math.round((new Date(value).getTime() - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  const steps = [[60, "second"], [60, "minute"], [24, "hour"], [30, "day"], [12, "month"]];
  let amount = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(amount) < size) return rtf.format(Math.round(amount), unit);
    amount /= size;
  }
  return rtf.format(Math.round(amount), "year");
}

export function formatNumber(value, digits = 1) {
  if (value === null || value === undefined || value === "") return "—";
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits }).format(number);
}

export function formatMoney(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(current, { style: "currency", currency: "CNY", maximumFractionDigits: 0 }).format(Number(value));
}

export function formatPercent(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(current, { style: "percent", maximumFractionDigits: 1 }).format(Number(value));
}

/** The calendar date (YYYY-MM-DD) of a moment in the console's time zone. */
export function localDate(value = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(value));
  return parts;
}

/** The UTC offset of the console's zone on a date, as "+08:00". */
export function zoneOffset(day) {
  const probe = new Date(`${day}T12:00:00Z`);
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(probe)
    .find((part) => part.type === "timeZoneName").value;
  const match = name.match(/GMT([+-]\d{2}:\d{2})?/);
  return match && match[1] ? match[1] : "+00:00";
}

document.documentElement.lang = current;

/** Minutes since local midnight of a moment, in the console's time zone. */
export function minutesOfDay(value) {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .formatToParts(new Date(value));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return get("hour") * 60 + get("minute");
}

/** The moment at local time hh:mm on day (YYYY-MM-DD), as an ISO string with offset. */
export function localMoment(day, hhmm = "00:00") {
  return `${day}T${hhmm}:00${zoneOffset(day)}`;
}

/** day ± n days (YYYY-MM-DD). */
export function addDays(day, n) {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}
