// My account (staff): who you are, where you work, and the email address business alarms
// are mailed to, which you set or clear yourself (PATCH /auth/me).

import { ApiError, get, request } from "../api.js";
import { h, pageHeader, panel, replace, toast } from "../dom.js";
import { label, t } from "../i18n.js";
import { fact } from "./common.js";

// pydantic's error type of a rejected field → the plain words for it.
const EMAIL_PROBLEMS = {
  string_pattern_mismatch: "account.email_bad",
  string_too_long: "account.email_too_long",
};

/** A rejected address in plain words; the server's own message when it is not a known case. */
function problemText(error, address) {
  if (!(error instanceof ApiError) || error.status !== 422) return error.message || String(error);
  const problem = Array.isArray(error.details) ? error.details.find((d) => d.field === "email") : null;
  const key = problem && EMAIL_PROBLEMS[problem.type];
  return key ? t(key, { address }) : error.message;
}

function storesOf(user, context) {
  const ids = user.store_ids.length ? user.store_ids : context.stores.map((s) => s.id);
  return ids.map((id) => context.storeName(id) || `#${id}`).join(" · ") || "—";
}

/** The My account page. */
export async function renderAccount(main, context) {
  let user = await get("/auth/me");
  const input = h("input", { type: "email", name: "email", id: "account-email", autocomplete: "email",
    inputmode: "email", maxlength: 200, placeholder: "name@example.cn", value: user.email || "" });
  const current = h("p", { class: "muted", id: "email-current" });
  const problem = h("div", { class: "field-error", id: "email-error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "primary", id: "email-save" }, t("account.save"));
  const clear = h("button", { type: "button", class: "secondary", id: "email-clear" }, t("account.clear"));

  const showCurrent = () => replace(current, user.email
    ? t("account.email_current", { address: user.email }) : t("account.email_none"));

  async function store(email) {
    save.disabled = clear.disabled = true;
    problem.hidden = true;
    input.removeAttribute("aria-invalid");
    try {
      user = await request("/auth/me", { method: "PATCH", body: { email } });
      context.user = user;
      input.value = user.email || "";
      showCurrent();
      toast(user.email ? t("account.saved", { address: user.email }) : t("account.cleared"), "success");
    } catch (error) {
      replace(problem, problemText(error, email));
      problem.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } finally {
      save.disabled = clear.disabled = false;
    }
  }

  // The server judges the address (novalidate): its answer is the one that counts.
  const form = h("form", { id: "account-form", class: "account-form", novalidate: true },
    h("label", { class: "field", for: "account-email" }, h("span", {}, t("account.email")), input),
    problem,
    h("div", { class: "row-actions" }, save, clear));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const email = input.value.trim();
    store(email === "" ? null : email);
  });
  clear.addEventListener("click", () => store(null));
  showCurrent();

  replace(main, pageHeader(t("account.title")),
    panel(null, h("dl", { class: "facts", id: "account-facts" },
      fact(t("account.name"), user.full_name, { "data-fact": "name" }),
      fact(t("account.username"), user.username, { "data-fact": "username" }),
      fact(t("account.role"), label("role", user.role), { "data-fact": "role" }),
      fact(t("account.stores"), storesOf(user, context), { "data-fact": "stores" }))),
    panel(t("account.email"), h("p", { class: "lead-in" }, t("account.email_why")), current, form));
}
