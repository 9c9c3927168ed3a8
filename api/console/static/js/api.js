// The API client: the signed-in session (tokens in sessionStorage), refresh before expiry,
// and errors turned into ApiError carrying the server's {code, message, details}.

import { language, t } from "./i18n.js";

const STORAGE_KEY = "pitstop.session";
// Refresh this long before the access token expires (or at 80 % of a shorter lifetime).
const REFRESH_MARGIN_MS = 60_000;
const MIN_REFRESH_DELAY_MS = 5_000;

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let session = load();
let refreshTimer = null;
let refreshing = null;
const listeners = new Set();

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
  } catch {
    return null;
  }
}

function save(next) {
  session = next;
  if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(STORAGE_KEY);
  scheduleRefresh();
  for (const listener of listeners) listener(next);
}

/** Be told when the session changes (login, refresh, logout). */
export function onSession(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentSession() {
  return session;
}

export function accessToken() {
  return session ? session.access_token : null;
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const now = Date.now();
  const expires = Date.parse(session.expires_at);
  const issued = session.issued_at || now;
  const lifetime = Math.max(expires - issued, 0);
  const margin = Math.min(REFRESH_MARGIN_MS, lifetime * 0.2);
  const delay = Math.max(expires - margin - now, MIN_REFRESH_DELAY_MS);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), delay);
}

/** Log in with the OAuth2 password flow; resolves to the token pair. */
export async function login(username, password) {
  const form = new URLSearchParams({ username, password, grant_type: "password" });
  const pair = await request("/auth/token", { method: "POST", form, anonymous: true });
  save({ ...pair, issued_at: Date.now() });
  return pair;
}

/** Exchange the refresh token for a new pair; a failure ends the session. */
export function refresh() {
  if (!session) return Promise.reject(new ApiError(401, "not_authenticated", t("err.signed_out")));
  if (!refreshing) {
    const body = { refresh_token: session.refresh_token };
    refreshing = request("/auth/refresh", { method: "POST", body, anonymous: true })
      .then((pair) => save({ ...pair, issued_at: Date.now() }))
      .catch((error) => {
        save(null);
        throw error;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** Forget the session here and invalidate its tokens on the server (best effort). */
export async function logout() {
  if (session) {
    await request("/auth/logout", { method: "POST" }).catch(() => {});
  }
  save(null);
}

function url(path, query) {
  const target = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    target.searchParams.set(key, String(value));
  }
  return target;
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (body && typeof body.message === "string") {
    return new ApiError(response.status, body.code || `http_${response.status}`, body.message, body.details);
  }
  const detail = body && typeof body.detail === "string" ? body.detail : response.statusText;
  return new ApiError(response.status, `http_${response.status}`, t("err.http", { status: response.status, detail }));
}

/**
 * Call the API. options: method, query, body (JSON), form (URLSearchParams), anonymous.
 * A 401 is retried once after a token refresh. Resolves to the JSON body (null for 204).
 */
export async function request(path, options = {}) {
  const { method = "GET", query, body, form, anonymous = false, retried = false } = options;
  const headers = { Accept: "application/json", "Accept-Language": language() };
  if (!anonymous && session) headers.Authorization = `Bearer ${session.access_token}`;
  let payload;
  if (form) {
    payload = form;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, query), { method, headers, body: payload });
  } catch {
    throw new ApiError(0, "network", t("err.network"));
  }
  if (response.status === 401 && !anonymous && !retried && session) {
    await refresh();
    return request(path, { ...options, retried: true });
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  return response.json();
}

export const get = (path, query) => request(path, { query });
export const post = (path, body) => request(path, { method: "POST", body });

/** Every item of a paged list, up to max items, fetched a page (at most 200) at a time. */
export async function all(path, query = {}, max = 1000) {
  const items = [];
  const limit = Math.min(200, max);
  for (let offset = 0; offset < max; offset += limit) {
    const page = await get(path, { ...query, limit, offset });
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) break;
  }
  return items.slice(0, max);
}

/** The URL of a Server-Sent Events stream with a fresh single-use ticket (EventSource cannot
 * send headers, and a bearer token must never go in a URL). */
export async function streamUrl(path, query = {}) {
  const { ticket } = await post(`${path}/ticket`);
  return url(path, { ...query, ticket }).toString();
}

scheduleRefresh();
