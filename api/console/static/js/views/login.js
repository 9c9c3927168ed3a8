// The sign-in screen (OAuth2 password flow).

import { login } from "../api.js";
import { errorBox, h, replace } from "../dom.js";
import { language, setLanguage, t } from "../i18n.js";

/** The login form; calls done() once signed in. */
export function renderLogin(done) {
  const problem = h("div", { class: "login-error" });
  const username = h("input", { name: "username", id: "username", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { name: "password", id: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary wide", id: "login-submit" }, t("login.submit"));
  const form = h("form", { class: "login-form", id: "login-form" },
    h("label", { class: "field" }, h("span", {}, t("login.username")), username),
    h("label", { class: "field" }, h("span", {}, t("login.password")), password),
    problem, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(problem);
    try {
      await login(username.value.trim(), password.value);
      done();
    } catch (error) {
      replace(problem, errorBox(error));
      submit.disabled = false;
    }
  });
  const next = language() === "en" ? "zh-CN" : "en";
  return h("div", { class: "login-page" },
    h("div", { class: "login-card" },
      h("div", { class: "login-brand" }, h("img", { src: "favicon.svg", alt: "", width: 40, height: 40 }),
        h("div", {}, h("h1", {}, "Pitstop"), h("p", {}, t("shell.product")))),
      h("p", { class: "login-intro" }, t("login.intro")),
      form,
      h("div", { class: "login-foot" },
        h("button", { class: "link", id: "lang-toggle", onclick: () => setLanguage(next) }, next === "en" ? "English" : "中文"))));
}
